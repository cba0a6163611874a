"""The bundled MiniLM run without sentence-transformers (its encoder on torch alone, `tests/test_minilm.py`) gives
sentence-transformers' vectors, and starts without it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from interviewer.retrieval.bank_vectors import repository_texts
from interviewer.retrieval.embeddings import SentenceTransformerEmbedder, WordVectors, bundled_model_path
from interviewer.retrieval.sentence_models import (
    MeanPoolingModel,
    SentenceTransformersModel,
    TokenPass,
    plain_mean_pooling,
)

from .conftest import ROOT

EDGE_CASES = [
    "",
    "   ",
    "  leading and trailing spaces  ",
    "L1 vs L2",
    "Tabs\tand\nnew lines",
    "Naïve Bayes, Köhler, café: accents and ünïcödé",
    "O(n log n) vs O(n²); p < 0.05 → reject H₀",
    "word " * 400,  # cut at the model's 256 tokens
]


def sample_texts() -> list[str]:
    """Bank texts of every length (questions and reference answers, several over 256 tokens) and edge cases."""
    texts = sorted(repository_texts(), key=len)
    step = max(1, len(texts) // 32)
    return [*texts[::step], texts[-1], *EDGE_CASES]


def assert_same_token_passes(texts: list[str], mine: list[TokenPass], other: list[TokenPass]) -> None:
    """Two models' token passes over `texts` agree: the same offsets, token vectors and sentence vectors."""
    for text, a, b in zip(texts, mine, other, strict=True):
        assert a.offsets == b.offsets and a.tokens.shape == b.tokens.shape, text
        assert np.abs(a.tokens - b.tokens).max() < 2e-6, text
        assert np.abs(a.sentence - b.sentence).max() < 2e-6, text


def assert_same_word_vectors(texts: list[str], ours: list[WordVectors], theirs: list[WordVectors]) -> None:
    """Two embedders' word vectors for `texts` agree: the same words, at the same places, with the same vectors."""
    for text, mine, other in zip(texts, ours, theirs, strict=True):
        assert (mine.words, mine.starts, mine.ends) == (other.words, other.starts, other.ends), text
        assert mine.vectors.shape == other.vectors.shape
        if mine.words:
            assert np.abs(mine.vectors - other.vectors).max() < 2e-6, text


@pytest.fixture(scope="module")
def reference() -> SentenceTransformerEmbedder:
    """The same model run by sentence-transformers, as the embedder ran it before."""
    embedder = SentenceTransformerEmbedder()
    embedder._model = SentenceTransformersModel(str(bundled_model_path()))
    return embedder


@pytest.mark.slow
def test_the_sentence_and_token_vectors_are_sentence_transformers_own(
    embedder: SentenceTransformerEmbedder, reference: SentenceTransformerEmbedder
) -> None:
    assert isinstance(embedder.model, MeanPoolingModel)
    texts = sample_texts()
    assert len(texts) >= 40
    ours, theirs = embedder.model.encode(texts), reference.model.encode(texts)
    assert ours.shape == theirs.shape == (len(texts), 384)
    assert np.abs(ours - theirs).max() < 2e-6
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-6)
    assert_same_token_passes(texts, embedder.model.token_passes(texts), reference.model.token_passes(texts))


@pytest.mark.slow
def test_the_word_vectors_and_their_sentence_vectors_are_sentence_transformers_own(
    reference: SentenceTransformerEmbedder,
) -> None:
    fresh = SentenceTransformerEmbedder()  # an empty cache: the word pass fills the sentence cache too
    texts = sample_texts()
    ours, theirs = fresh.embed_words(texts), reference.embed_words(texts)
    assert_same_word_vectors(texts, ours, theirs)
    assert ours[0].words and not ours[texts.index("   ")].words
    assert np.abs(fresh.embed(texts) - reference.embed(texts)).max() < 2e-6


LOAD_AND_LIST_MODULES = """
import json, sys
from interviewer.retrieval.embeddings import SentenceTransformerEmbedder
embedder = SentenceTransformerEmbedder()
vectors = embedder.embed(["Precision is TP/(TP+FP)."])
words = embedder.embed_words(["Recall is TP/(TP+FN)."])
print(json.dumps({"shape": list(vectors.shape), "words": words[0].words, "modules": sorted(sys.modules)}))
"""


@pytest.mark.slow
def test_the_bundled_model_runs_without_importing_sentence_transformers_or_scikit_learn() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOAD_AND_LIST_MODULES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["shape"] == [1, 384]
    assert result["words"] == ["recall", "is", "tp", "tp", "fn"]
    assert not {"sentence_transformers", "sklearn"} & set(result["modules"])


def copy_config(to: Path) -> Path:
    """The bundled model's sentence-transformers configuration files (no weights), to edit."""
    source = bundled_model_path()
    to.mkdir()
    for name in ("modules.json", "sentence_bert_config.json", "config.json"):
        shutil.copy(source / name, to / name)
    shutil.copytree(source / "1_Pooling", to / "1_Pooling")
    return to


def edit(path: Path, change: dict[str, object]) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))


def test_only_a_plain_mean_pooling_model_skips_sentence_transformers(tmp_path: Path) -> None:
    assert plain_mean_pooling(bundled_model_path()) == {"max_seq_length": 256, "normalize": True}

    cls = copy_config(tmp_path / "cls")
    edit(
        cls / "1_Pooling" / "config.json", {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}
    )
    assert plain_mean_pooling(cls) is None

    both = copy_config(tmp_path / "both")
    edit(both / "1_Pooling" / "config.json", {"pooling_mode_max_tokens": True})
    assert plain_mean_pooling(both) is None

    dense = copy_config(tmp_path / "dense")
    modules = json.loads((dense / "modules.json").read_text())
    dense_module = {"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"}
    (dense / "modules.json").write_text(json.dumps([*modules, dense_module]))
    assert plain_mean_pooling(dense) is None

    lower = copy_config(tmp_path / "lower")
    edit(lower / "sentence_bert_config.json", {"do_lower_case": True})
    assert plain_mean_pooling(lower) is None

    unnormalised = copy_config(tmp_path / "unnormalised")
    (unnormalised / "modules.json").write_text(json.dumps(modules[:2]))
    assert plain_mean_pooling(unnormalised) == {"max_seq_length": 256, "normalize": False}

    assert plain_mean_pooling(tmp_path / "nothing-here") is None
