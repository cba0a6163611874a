"""Concurrent `embed` calls share the model's passes (`MicroBatcher`) and each caller gets exactly its own rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from interviewer.retrieval.embeddings import MicroBatcher, SentenceTransformerEmbedder

from .conftest import FakeEmbedder

CALLERS = 16


class SlowFake(FakeEmbedder):
    """The fake model, taking a while per pass (as the real one does), so callers arrive while it runs."""

    def __init__(self, seconds: float = 0.05) -> None:
        super().__init__()
        self.seconds = seconds

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        time.sleep(self.seconds)
        return super()._embed_batch(texts)


def at_once(work: Callable[[int], Any], callers: int = CALLERS) -> list[Any]:
    """`work(i)` on `callers` threads released together; results in caller order (exceptions re-raised)."""
    start = threading.Barrier(callers)
    results: list[Any] = [None] * callers

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def texts_of(i: int) -> list[str]:
    """Caller i's texts: some of its own, one shared with every caller, one repeated within the call."""
    return [
        f"caller {i} says precision is tp over tp plus fp",
        "a text every caller sends",
        f"only {i}",
        f"only {i}",
    ]


def test_concurrent_callers_share_passes_and_get_their_own_vectors() -> None:
    model = SlowFake()
    got = at_once(lambda i: model.embed(texts_of(i)))
    alone = FakeEmbedder()
    for i, vectors in enumerate(got):
        np.testing.assert_array_equal(vectors, alone.embed(texts_of(i)))
    assert len(model.batches) < CALLERS // 2  # 16 callers, typically 2 or 3 passes
    assert all(len(batch) == len(set(batch)) for batch in model.batches)  # a text once per pass
    assert {t for batch in model.batches for t in batch} == {t for i in range(CALLERS) for t in texts_of(i)}


def test_a_lone_caller_runs_at_once_in_one_pass() -> None:
    model = SlowFake(seconds=0)
    started = time.perf_counter()
    model.embed(["one", "two"])
    assert time.perf_counter() - started < 0.5
    assert model.batches == [["one", "two"]]


def test_word_vectors_are_batched_too() -> None:
    model = SlowFake()
    got = at_once(lambda i: model.embed_words([f"answer number {i} about recall"]))
    alone = FakeEmbedder()
    for i, (words,) in enumerate(got):
        (expected,) = alone.embed_words([f"answer number {i} about recall"])
        assert words.words == expected.words
        np.testing.assert_array_equal(words.vectors, expected.vectors)
    assert len(model.batches) < CALLERS // 2


def test_a_failed_pass_fails_each_of_its_callers_and_the_next_pass_runs() -> None:
    calls: list[list[str]] = []
    release = threading.Event()

    def compute(texts: list[str]) -> list[int]:
        calls.append(texts)
        if len(calls) == 1:
            release.wait(5)  # hold the first pass so the others queue behind it
            return [len(t) for t in texts]
        raise RuntimeError("model failed")

    batcher: MicroBatcher[int] = MicroBatcher(compute)
    first = threading.Thread(target=batcher, args=(["first"],))
    first.start()
    while not calls:
        time.sleep(0.001)
    errors: list[BaseException] = []

    def call(text: str) -> None:
        try:
            batcher([text])
        except RuntimeError as exc:
            errors.append(exc)

    waiting = [threading.Thread(target=call, args=(f"t{i}",)) for i in range(4)]
    for t in waiting:
        t.start()
    time.sleep(0.1)
    release.set()
    for t in [first, *waiting]:
        t.join(timeout=10)
    assert len(errors) == 4
    assert len(calls) == 2  # the four waiting callers failed together, in one pass
    calls.clear()
    assert batcher(["after"]) == [5]  # not stuck


def test_max_texts_bounds_a_shared_pass_but_not_one_request() -> None:
    calls: list[list[str]] = []

    def compute(texts: list[str]) -> list[str]:
        calls.append(texts)
        time.sleep(0.02)
        return [t.upper() for t in texts]

    batcher: MicroBatcher[str] = MicroBatcher(compute, max_texts=3)
    assert batcher(["a", "b", "c", "d", "e"]) == ["A", "B", "C", "D", "E"]  # alone, over the bound
    calls.clear()
    got = at_once(lambda i: batcher([f"{i}a", f"{i}b"]), callers=6)
    assert got == [[f"{i}A", f"{i}B"] for i in range(6)]
    assert all(len(c) <= 3 for c in calls)


@pytest.fixture
def shared_model(embedder: SentenceTransformerEmbedder) -> SentenceTransformerEmbedder:
    """A second embedder over the loaded real model, with an empty cache."""
    fresh = SentenceTransformerEmbedder()
    fresh._model = embedder.model
    return fresh


def test_the_real_model_gives_the_same_vectors_batched_as_alone(
    shared_model: SentenceTransformerEmbedder, embedder: SentenceTransformerEmbedder
) -> None:
    questions = [
        "What is the difference between precision and recall?",
        "Explain the bias-variance trade-off.",
        "Why does batch normalisation speed up training of deep networks, and what does it do at inference?",
        "L1 vs L2",
    ]

    def texts(i: int) -> list[str]:
        return [questions[i % len(questions)], f"Answer {i}: regularisation shrinks weights" + " a bit" * i]

    got = at_once(lambda i: shared_model.embed(texts(i)), callers=8)
    for i, vectors in enumerate(got):
        alone = np.stack([embedder.model.encode([t], normalize_embeddings=True)[0] for t in texts(i)])
        np.testing.assert_allclose(vectors, alone, atol=1e-5)
