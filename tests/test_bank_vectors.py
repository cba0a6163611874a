"""The bank's vectors shipped in the repository: in step with bank/, right for the model, and read on a first run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from interviewer.retrieval.bank_vectors import REBUILD, build, repository_texts, staleness
from interviewer.retrieval.embeddings import SentenceTransformerEmbedder
from interviewer.retrieval.store import ChromaQuestionStore, indexed_texts
from interviewer.retrieval.vector_cache import BANK_VECTORS, ShippedVectors, VectorCache, vector_key

from .conftest import FakeEmbedder

MODEL_ID = SentenceTransformerEmbedder().id  # building it loads nothing


def test_the_shipped_vectors_are_those_of_the_bank_as_it_is() -> None:
    """Fails after a bank edit until the file is rebuilt (CI catches an edit committed without it)."""
    stale = staleness(ShippedVectors.read(BANK_VECTORS), repository_texts(), MODEL_ID)
    assert not stale, f"{BANK_VECTORS.name} is stale: {stale.summary()}. Run `{REBUILD}` and commit the file."


def test_an_edited_text_makes_the_file_stale(bank) -> None:
    texts = indexed_texts(bank.entries.values())
    edited = [texts[0] + " One more sentence.", *texts[1:]]
    stale = staleness(ShippedVectors.read(BANK_VECTORS), edited, MODEL_ID)
    assert (stale.missing, stale.unused) == ([edited[0]], 1)
    assert staleness(ShippedVectors.read(BANK_VECTORS), texts, "another-model").model == MODEL_ID


def test_a_fresh_data_directory_indexes_the_whole_bank_without_loading_the_model(
    tmp_path: Path, bank
) -> None:
    """The page's first run on a fresh clone: no index, no vector cache, and yet nothing to encode."""
    embedder = SentenceTransformerEmbedder()
    store = ChromaQuestionStore.embedded(embedder, str(tmp_path / "chroma"))
    report = store.sync(bank.entries.values())
    assert len(report.added) == len(bank.entries)
    assert not embedder.loaded
    assert not (
        tmp_path / "vectors"
    ).exists()  # the shipped rows are read, not copied into the data directory
    entry = next(iter(bank.entries.values()))
    stored = store._open(create=False).get(ids=[f"{entry.id}#reference"], include=["embeddings"])
    np.testing.assert_allclose(
        stored["embeddings"][0],
        ShippedVectors.read(BANK_VECTORS).rows[vector_key(MODEL_ID, entry.reference_answer)],
        atol=1e-6,
    )


@pytest.mark.slow
def test_the_shipped_vectors_are_what_the_model_encodes(embedder: SentenceTransformerEmbedder) -> None:
    """float16 rounding only: a changed model (or model package) under the same id shows here."""
    texts = sorted(repository_texts(), key=len)
    sample = [texts[0], texts[len(texts) // 2], texts[-1]]  # the longest is cut at the model's 256 tokens
    shipped = ShippedVectors.read(BANK_VECTORS)
    rows = np.stack([shipped.rows[vector_key(embedder.id, t)] for t in sample])
    fresh = embedder.embed(sample)
    assert np.abs(rows - fresh).max() < 2e-4
    assert (rows * fresh).sum(axis=1).min() > 0.9999


def test_a_rebuild_encodes_only_new_texts_and_keeps_the_other_rows_bit_for_bit(tmp_path: Path) -> None:
    path = tmp_path / "vectors.npz"
    first, encoded = build(["alpha", "beta gamma", "delta"], FakeEmbedder())
    assert encoded == 3
    first.write(path)
    model = FakeEmbedder()
    second, encoded = build(["alpha", "beta gamma", "epsilon"], model, ShippedVectors.read(path))
    assert (encoded, model.batches) == (1, [["epsilon"]])
    assert second.rows.keys() == {vector_key(model.id, t) for t in ("alpha", "beta gamma", "epsilon")}
    second.write(tmp_path / "again.npz")
    again = ShippedVectors.read(tmp_path / "again.npz")
    for text in ("alpha", "beta gamma"):
        key = vector_key(model.id, text)
        np.testing.assert_array_equal(again.rows[key], ShippedVectors.read(path).rows[key])
    third, encoded = build(["alpha", "beta gamma", "epsilon"], FakeEmbedder(), again)
    third.write(tmp_path / "third.npz")
    assert encoded == 0
    assert (tmp_path / "third.npz").read_bytes() == (tmp_path / "again.npz").read_bytes()


def test_the_cache_reads_shipped_rows_under_its_own_and_writes_only_its_own(tmp_path: Path, bank) -> None:
    entries = list(bank.entries.values())[:4]
    model = FakeEmbedder()
    shipped, _ = build(indexed_texts(entries), model)
    shipped.write(tmp_path / "shipped.npz")
    model.batches.clear()
    edited = [entries[0].model_copy(update={"question": "A question nobody asked before?"}), *entries[1:]]
    cache = VectorCache(tmp_path / "vectors", shipped=tmp_path / "shipped.npz")
    ChromaQuestionStore.embedded(model, str(tmp_path / "chroma"), vector_cache=cache).sync(edited)
    assert model.batches == [["A question nobody asked before?"]]
    own = VectorCache(tmp_path / "vectors")  # the cache's own files, without the shipped layer
    assert own.get(model.id, ["A question nobody asked before?", entries[1].question])[1] is None
    assert own.get(model.id, ["A question nobody asked before?"])[0] is not None


def test_a_missing_or_damaged_shipped_file_only_costs_encoding(tmp_path: Path) -> None:
    (tmp_path / "damaged.npz").write_bytes(b"not numpy")
    for shipped in (tmp_path / "missing.npz", tmp_path / "damaged.npz"):
        model = FakeEmbedder()
        cache = VectorCache(tmp_path / shipped.stem, shipped=shipped)
        np.testing.assert_array_equal(cache.embed(model, ["alpha"]), FakeEmbedder().embed(["alpha"]))
        assert model.batches == [["alpha"]]
