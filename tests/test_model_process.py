"""The page's model in a process of its own (`ProcessEmbedder`): the same vectors, another process, and a clear
error when the model cannot load or the process dies."""

from __future__ import annotations

import os

import numpy as np
import pytest

from interviewer.errors import EmbeddingModelError
from interviewer.retrieval.embeddings import SentenceTransformerEmbedder
from interviewer.retrieval.model_process import ProcessEmbedder

TEXTS = [
    "Bagging trains each model on a bootstrap sample and averages them, which lowers variance.",
    "L1 sets some weights to exactly zero; L2 only shrinks them.",
    "short",
]


@pytest.fixture(scope="module")
def child() -> ProcessEmbedder:
    return ProcessEmbedder()


def test_the_child_gives_the_vectors_this_process_would(
    child: ProcessEmbedder, embedder: SentenceTransformerEmbedder
) -> None:
    assert np.array_equal(child.embed(TEXTS), embedder.embed(TEXTS))
    for mine, here in zip(child.embed_words(TEXTS), embedder.embed_words(TEXTS), strict=True):
        assert mine.words == here.words and mine.starts == here.starts and mine.ends == here.ends
        assert np.array_equal(mine.vectors, here.vectors)
    assert child._child is not None and child._child.pid != os.getpid()


def test_a_text_embedded_for_its_words_needs_no_second_pass(child: ProcessEmbedder) -> None:
    text = "A sentence embedded for its words only, once."
    child.embed_words([text])
    calls = []
    child._ask = lambda kind, texts: calls.append(kind)  # type: ignore[method-assign]
    try:
        child.embed([text])
    finally:
        del child._ask
    assert calls == []


def test_a_dead_child_is_replaced_by_the_next_call(child: ProcessEmbedder) -> None:
    child.embed(["before the child dies"])
    first = child._child
    assert first is not None
    first.kill()
    first.wait()
    assert not child.loaded
    vectors = child.embed(["a text nobody embedded yet"])
    assert vectors.shape == (1, 384) and child.loaded and child._child.pid != first.pid


def test_a_model_that_cannot_load_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = ProcessEmbedder(str(tmp_path / "no-such-model"))
    with pytest.raises(EmbeddingModelError, match="no-such-model"):
        missing.embed(["anything"])


def test_a_child_that_dies_during_a_pass_fails_that_call_clearly_and_the_next_call_works(
    child: ProcessEmbedder,
) -> None:
    child.embed(["the child is up"])
    dying = child._child
    assert dying is not None and child._conn is not None
    conn, send = child._conn, child._conn.send

    def send_then_die(message: object) -> None:  # the request goes out, then the child is killed mid-pass
        send(message)
        dying.kill()
        dying.wait()

    conn.send = send_then_die  # type: ignore[method-assign]
    long_texts = [
        f"text {i} about bias, variance and the margin of a support vector machine " * 8 for i in range(64)
    ]
    with pytest.raises(EmbeddingModelError, match="process ended"):
        child.embed(long_texts)
    assert not child.loaded
    vectors = child.embed(long_texts[:2])  # a new child answers
    assert vectors.shape == (2, 384) and child.loaded and child._child.pid != dying.pid
