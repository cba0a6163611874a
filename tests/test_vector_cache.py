"""The on-disk vector cache: an index built again (a fresh data directory, the same bank) encodes nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from interviewer.retrieval.store import ChromaQuestionStore
from interviewer.retrieval.vector_cache import VectorCache

from .conftest import FakeEmbedder


def stored_vectors(store: ChromaQuestionStore) -> dict[str, np.ndarray]:
    found = store._open(create=False).get(include=["embeddings"])
    return dict(zip(found["ids"], np.asarray(found["embeddings"]), strict=True))


def test_a_second_index_build_reads_every_vector_from_the_cache(tmp_path: Path, bank) -> None:
    entries = list(bank.entries.values())[:20]
    first_model = FakeEmbedder()
    first = ChromaQuestionStore.embedded(first_model, str(tmp_path / "one" / "chroma"))
    first.sync(entries)
    assert sum(map(len, first_model.batches)) == 40  # each question and reference answer, encoded
    assert (tmp_path / "one" / "vectors").is_dir()  # beside the index, in the data directory

    # A new data directory with the first one's vector cache, as on the page's first run with a built cache.
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "vectors").rename(tmp_path / "two" / "vectors")
    second_model = FakeEmbedder()  # a new process: nothing in memory
    second = ChromaQuestionStore.embedded(second_model, str(tmp_path / "two" / "chroma"))
    report = second.sync(entries)
    assert len(report.added) == 20
    assert second_model.batches == []  # nothing encoded
    one, two = stored_vectors(first), stored_vectors(second)
    assert one.keys() == two.keys()
    for key in one:
        np.testing.assert_array_equal(one[key], two[key])


def test_an_edited_entry_encodes_only_its_new_text(tmp_path: Path, bank) -> None:
    entries = list(bank.entries.values())[:5]
    ChromaQuestionStore.embedded(FakeEmbedder(), str(tmp_path / "a" / "chroma")).sync(entries)
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "vectors").rename(tmp_path / "b" / "vectors")
    edited = [entries[0].model_copy(update={"question": "A question nobody asked before?"}), *entries[1:]]
    model = FakeEmbedder()
    ChromaQuestionStore.embedded(model, str(tmp_path / "b" / "chroma")).sync(edited)
    assert model.batches == [["A question nobody asked before?"]]


def test_a_topic_change_alone_re_embeds_from_the_cache(tmp_path: Path, bank) -> None:
    entries = list(bank.entries.values())[:3]
    model = FakeEmbedder()
    ChromaQuestionStore.embedded(model, str(tmp_path / "chroma")).sync(entries)
    model.batches.clear()
    model._cache.clear()  # as a new process would
    moved = [e.model_copy(update={"topic": "elsewhere"}) for e in entries]
    report = ChromaQuestionStore.embedded(model, str(tmp_path / "chroma")).sync(moved)
    assert len(report.updated) == 3
    assert model.batches == []


def test_an_existing_index_fills_an_empty_cache(tmp_path: Path, bank) -> None:
    """An index built before the cache existed: its next sync copies its vectors into the cache, encoding nothing."""
    entries = list(bank.entries.values())[:4]
    model = FakeEmbedder()
    ChromaQuestionStore.embedded(model, str(tmp_path / "chroma"), vector_cache=None).sync(entries)
    model.batches.clear()
    ChromaQuestionStore.embedded(model, str(tmp_path / "chroma")).sync(entries)
    assert model.batches == []
    cache = VectorCache(tmp_path / "vectors")
    texts = [e.question for e in entries] + [e.reference_answer for e in entries]
    found = cache.get(model.id, texts)
    assert all(v is not None for v in found)
    np.testing.assert_allclose(np.stack(found), FakeEmbedder().embed(texts), atol=1e-6)  # type: ignore[arg-type]


def test_the_cache_is_keyed_by_model_and_text(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path)
    vectors = np.eye(3, dtype=np.float32)
    cache.put("model-a", ["x", "y", "z"], vectors)
    again = VectorCache(tmp_path)  # read back from disk
    found = again.get("model-a", ["z", "x", "new"])
    np.testing.assert_array_equal(found[0], vectors[2])
    np.testing.assert_array_equal(found[1], vectors[0])
    assert found[2] is None
    assert again.get("model-b", ["x"]) == [None]
    assert again.has("model-a") and not again.has("model-b")


def test_a_damaged_cache_is_ignored_and_rewritten(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path)
    cache.put("m", ["x", "y"], np.eye(2, dtype=np.float32))
    for path in tmp_path.glob("*.npy"):
        path.write_bytes(b"not numpy")
    fresh = VectorCache(tmp_path)
    assert fresh.get("m", ["x"]) == [None]
    fresh.put("m", ["x"], np.ones((1, 2), dtype=np.float32))
    np.testing.assert_array_equal(VectorCache(tmp_path).get("m", ["x"])[0], [1, 1])


def test_the_cache_returns_what_the_embedder_would(tmp_path: Path) -> None:
    model = FakeEmbedder()
    cache = VectorCache(tmp_path)
    texts = ["alpha beta", "gamma", "alpha beta"]
    first = cache.embed(model, texts)
    assert model.batches == [["alpha beta", "gamma"]]
    second = VectorCache(tmp_path).embed(FakeEmbedder(), texts)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, FakeEmbedder().embed(texts))


def test_after_a_sync_grading_does_not_encode_the_bank_texts_again(tmp_path: Path, bank) -> None:
    """The index hands the embedder the bank's vectors: an entry's question and reference answer cost no pass."""
    entries = list(bank.entries.values())[:3]
    ChromaQuestionStore.embedded(FakeEmbedder(), str(tmp_path / "chroma")).sync(entries)
    model = FakeEmbedder()  # a later process
    ChromaQuestionStore.embedded(model, str(tmp_path / "chroma")).sync(entries)
    texts = [t for e in entries for t in (e.question, e.reference_answer)]
    vectors = model.embed(texts)
    assert model.batches == []
    np.testing.assert_allclose(vectors, FakeEmbedder().embed(texts), atol=1e-6)
