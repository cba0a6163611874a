"""The question index on a real ChromaDB: incremental sync, retrieval and filters, embedded and as a server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interviewer.models import BankEntry
from interviewer.retrieval.store import ChromaQuestionStore, QuestionFilter

from .conftest import FakeEmbedder


def _entries(bank) -> list[BankEntry]:
    return sorted(bank.entries.values(), key=lambda e: e.id)


def test_second_sync_embeds_nothing_and_an_edit_embeds_one(
    tmp_path: Path, bank, fake_embedder: FakeEmbedder
) -> None:
    entries = _entries(bank)[:12]
    store = ChromaQuestionStore.embedded(fake_embedder, str(tmp_path))
    first = store.sync(entries)
    assert len(first.added) == 12 and not first.updated and not first.removed

    fake_embedder.batches.clear()
    fake_embedder._cache.clear()
    again = ChromaQuestionStore.embedded(fake_embedder, str(tmp_path)).sync(entries)
    assert (len(again.added), len(again.updated), len(again.unchanged), len(again.removed)) == (0, 0, 12, 0)
    assert fake_embedder.batches == []

    edited = entries[3].model_copy(
        update={"reference_answer": entries[3].reference_answer + " One more sentence."}
    )
    changed = [*entries[:3], edited, *entries[4:]]
    report = ChromaQuestionStore.embedded(fake_embedder, str(tmp_path)).sync(changed)
    assert report.updated == [edited.id] and len(report.unchanged) == 11
    assert fake_embedder.batches == [[edited.question, edited.reference_answer]]


def test_removed_entries_leave_the_index(tmp_path: Path, bank, fake_embedder: FakeEmbedder) -> None:
    entries = _entries(bank)[:5]
    store = ChromaQuestionStore.embedded(fake_embedder, str(tmp_path))
    store.sync(entries)
    report = store.sync(entries[:3])
    assert report.removed == sorted(e.id for e in entries[3:])
    assert store.filter(QuestionFilter()) == sorted(e.id for e in entries[:3])


def test_a_new_embedding_model_rebuilds_everything(tmp_path: Path, bank, fake_embedder: FakeEmbedder) -> None:
    entries = _entries(bank)[:4]
    ChromaQuestionStore.embedded(fake_embedder, str(tmp_path)).sync(entries)
    other = FakeEmbedder()
    other.id = "another-model"
    report = ChromaQuestionStore.embedded(other, str(tmp_path)).sync(entries)
    assert report.rebuilt and len(report.added) == 4 and not report.unchanged


def test_filters_by_topic_type_difficulty_and_excludes_asked(tmp_path: Path, bank, fake_embedder) -> None:
    entries = _entries(bank)
    store = ChromaQuestionStore.embedded(fake_embedder, str(tmp_path))
    store.sync(entries)
    topic = entries[0].topic
    expected = sorted(e.id for e in entries if e.topic == topic and e.difficulty in (1, 2))
    assert store.filter(QuestionFilter(topics=[topic], difficulties=[1, 2])) == expected
    asked = expected[:1]
    assert (
        store.filter(QuestionFilter(topics=[topic], difficulties=[1, 2], exclude_ids=asked)) == expected[1:]
    )
    coding = store.filter(QuestionFilter(types=["coding"]))
    assert coding and all(bank.get(i).type.value == "coding" for i in coding)


def test_nearest_entry_with_the_real_model(tmp_path: Path, bank, embedder) -> None:
    store = ChromaQuestionStore.embedded(embedder, str(tmp_path))
    store.sync(bank.entries.values())
    hits = store.search("How do precision and recall differ?", k=3)
    assert hits[0].entry_id == "precision-vs-recall"
    assert hits[0].similarity > 0.8 > hits[2].similarity
    far = store.search("What is the best sourdough bread recipe?", k=1)
    assert far[0].similarity < 0.4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):
    """A real `chroma run` server on 127.0.0.1, for the HttpClient path."""
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    chroma = Path(sys.executable).parent / "chroma"
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("chroma run did not start within 60 s")
    yield port
    process.terminate()
    process.wait(timeout=20)


def test_chroma_server_round_trip(chroma_server: int, bank, fake_embedder: FakeEmbedder) -> None:
    entries = _entries(bank)[:6]
    store = ChromaQuestionStore.server(fake_embedder, "127.0.0.1", chroma_server, "server-test")
    assert len(store.sync(entries).added) == 6
    again = ChromaQuestionStore.server(fake_embedder, "127.0.0.1", chroma_server, "server-test").sync(entries)
    assert len(again.unchanged) == 6
    hit = store.search(entries[2].question, k=1)[0]
    assert hit.entry_id == entries[2].id and hit.similarity > 0.99
