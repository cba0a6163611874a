"""The grading work kept per bank entry: a fresh server grades an entry's first answer without encoding the entry's
own texts again, grades exactly as without it, and notices when the bank, the model or the rules changed."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from interviewer.config import Settings
from interviewer.content.loader import Bank
from interviewer.grading import entry_work
from interviewer.grading.entry_work import EntryWork, entry_texts, follow_up_references
from interviewer.grading.offline import OfflineGrader
from interviewer.models import BankEntry, Grade, Reference
from interviewer.retrieval.embeddings import SentenceTransformerEmbedder, WordVectors
from interviewer.retrieval.store import InMemoryQuestionStore
from interviewer.services import Services
from interviewer.text import sentence_spans

from .conftest import FakeEmbedder


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, also recording every text it computes word vectors for (`words`)."""

    def __init__(self, model_id: str = "fake-bow-64") -> None:
        super().__init__()
        self.id = model_id
        self.words: list[str] = []

    def _embed_words_batch(self, texts: list[str]) -> list[WordVectors]:
        self.words.extend(texts)
        return super()._embed_words_batch(texts)

    def sentences(self) -> set[str]:
        return {t for batch in self.batches for t in batch}


def entries_with_contrasts(bank: Bank, n: int = 4) -> list[BankEntry]:
    """Entries whose grading reads contrasts, misconceptions and probes: every part of the kept work."""
    return [
        e
        for e in bank.entries.values()
        if e.misconceptions and any(p.contrasts for p in e.key_points) and any(p.probe for p in e.key_points)
    ][:n]


def answer_to(entry: BankEntry) -> str:
    """An on-topic answer that is new text: the reference's first two sentences, each reworded a little."""
    sentences = [s.text for s in sentence_spans(entry.reference_answer)][:2]
    return " ".join(f"Well, {s[0].lower()}{s[1:]}" for s in sentences)


def grades(grader: OfflineGrader, bank: Bank, entries: list[BankEntry]) -> list[Grade]:
    """An answer to each entry, then a follow-up answer to its first key point, as a session asks them."""
    out = []
    for entry in entries:
        reference = Reference.from_entry(entry)
        rubric = bank.rubric_for(entry.type, entry.rubric)
        out.append(grader.grade(reference, answer_to(entry), rubric))
        point = entry.key_points[0]
        follow_up = reference.model_copy(
            update={"question": point.probe or entry.question, "key_points": [point]}
        )
        out.append(grader.grade(follow_up, f"I think {point.text[0].lower()}{point.text[1:]}", rubric))
    return out


def kept_work(directory: Path, entries: list[BankEntry], model_id: str = "fake-bow-64") -> CountingEmbedder:
    """Work done and kept by one process; returns its embedder."""
    model = CountingEmbedder(model_id)
    work = EntryWork(directory, model, OfflineGrader(model))
    work.load(entries)
    work.complete()
    return model


def test_a_fresh_grader_with_the_kept_work_encodes_no_entry_text(tmp_path: Path, bank: Bank) -> None:
    entries = entries_with_contrasts(bank)
    kept_work(tmp_path, entries)

    model = CountingEmbedder()  # a new process: nothing in memory
    grader = OfflineGrader(model)
    work = EntryWork(tmp_path, model, grader)
    assert work.load(entries) == 0
    assert model.batches == [] and model.words == []  # loading encodes nothing
    grades(grader, bank, entries)

    texts = [entry_texts(Reference.from_entry(e)) for e in entries]
    assert not {t for sentences, _ in texts for t in sentences} & model.sentences()
    assert not {t for _, words in texts for t in words} & set(model.words)
    assert not {e.reference_answer for e in entries} & set(model.words)  # no misconception self-check ran
    assert model.words  # the answers' words were encoded: the model did run


def test_without_the_kept_work_the_first_answer_encodes_the_entry_texts(bank: Bank) -> None:
    """The other side of the test above: it can fail."""
    entries = entries_with_contrasts(bank)
    model = CountingEmbedder()
    grades(OfflineGrader(model), bank, entries)
    contrasts = {c for e in entries for p in e.key_points for c in p.contrasts}
    assert contrasts & model.sentences()
    assert {p.text for e in entries for p in e.key_points} & set(model.words)
    own = {s.text for e in entries for s in sentence_spans(e.reference_answer)}
    assert own & set(model.words)  # a misconception self-check reads the reference answer's sentences


def test_grades_are_the_same_with_the_kept_work_as_without(tmp_path: Path, bank: Bank) -> None:
    entries = entries_with_contrasts(bank, 6)
    kept_work(tmp_path, entries)
    model = CountingEmbedder()
    prepared = OfflineGrader(model)
    EntryWork(tmp_path, model, prepared).load(entries)

    with_work = grades(prepared, bank, entries)
    without = grades(OfflineGrader(CountingEmbedder()), bank, entries)
    assert [g.model_dump() for g in with_work] == [g.model_dump() for g in without]
    assert any(g.score > 0 for g in without)  # graded in full, not stopped as off-topic


def loaded_from_kept_work(tmp_path: Path, entries: list[BankEntry]) -> tuple[CountingEmbedder, OfflineGrader]:
    """A new grader (and its counting model) given the work an earlier one kept for `entries`."""
    kept_work(tmp_path, entries)
    model = CountingEmbedder()
    grader = OfflineGrader(model)
    EntryWork(tmp_path, model, grader).load(entries)
    return model, grader


def test_the_kept_trusted_contrasts_are_what_grading_would_compute(tmp_path: Path, bank: Bank) -> None:
    entries = entries_with_contrasts(bank)
    _, grader = loaded_from_kept_work(tmp_path, entries)
    fresh = OfflineGrader(CountingEmbedder())
    for entry in entries:
        reference = Reference.from_entry(entry)
        known = {
            i: grader._trusted[(reference.question, reference.reference_answer, p.text)]
            for i, p in enumerate(entry.key_points)
            if p.contrasts
        }
        assert known == fresh.trusted_contrasts(reference)


def test_the_kept_misconception_sets_are_what_grading_would_compute(tmp_path: Path, bank: Bank) -> None:
    entries = entries_with_contrasts(bank)
    model, grader = loaded_from_kept_work(tmp_path, entries)
    fresh = OfflineGrader(CountingEmbedder())
    for entry in entries:
        for reference in [Reference.from_entry(entry), *follow_up_references(entry)]:
            known = grader._in_words[(reference.question, reference.reference_answer)]
            assert known == fresh.misconceptions_in_words(reference)
    assert model.words == []


def test_an_edited_entry_encodes_only_its_new_texts(tmp_path: Path, bank: Bank) -> None:
    entries = entries_with_contrasts(bank)
    kept_work(tmp_path, entries)
    point = entries[0].key_points[0]
    edited_point = point.model_copy(
        update={"contrasts": [*point.contrasts, "A contrast nobody wrote before."]}
    )
    edited = [
        entries[0].model_copy(update={"key_points": [edited_point, *entries[0].key_points[1:]]}),
        *entries[1:],
    ]
    model = CountingEmbedder()
    grader = OfflineGrader(model)
    work = EntryWork(tmp_path, model, grader)
    assert work.load(edited) == 1
    calls: list[Reference] = []
    real = grader.trusted_contrasts
    grader.trusted_contrasts = lambda r: calls.append(r) or real(r)  # type: ignore[method-assign]
    assert work.complete() == 1
    assert model.sentences() == {"A contrast nobody wrote before."}
    assert [r.question for r in calls] == [entries[0].question]  # only the edited entry's contrasts again

    again = CountingEmbedder()
    assert EntryWork(tmp_path, again, OfflineGrader(again)).load(edited) == 0  # the files were rewritten


def test_an_entry_that_left_the_bank_is_dropped_from_the_files(tmp_path: Path, bank: Bank) -> None:
    entries = entries_with_contrasts(bank)
    kept_work(tmp_path, entries)
    before = next(tmp_path.glob("*.entry-work.npy")).stat().st_size
    model = CountingEmbedder()
    work = EntryWork(tmp_path, model, OfflineGrader(model))
    assert work.load(entries[1:]) == 0
    assert work.complete() == 0
    assert next(tmp_path.glob("*.entry-work.npy")).stat().st_size < before


def test_another_model_finds_nothing_kept(tmp_path: Path, bank: Bank) -> None:
    entries = entries_with_contrasts(bank, 2)
    kept_work(tmp_path, entries)
    other = CountingEmbedder("another-model")
    wanted = sum(len({t for texts in entry_texts(Reference.from_entry(e)) for t in texts}) for e in entries)
    assert (
        EntryWork(tmp_path, other, OfflineGrader(other)).load(entries) >= wanted - 5
    )  # shared texts count once


def test_a_change_to_the_rules_recomputes_the_kept_sets(
    tmp_path: Path, bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = entries_with_contrasts(bank, 2)
    kept_work(tmp_path, entries)
    monkeypatch.setattr(entry_work, "rules_version", lambda pairs=None, every_contrast=False: "edited-rules")
    model = CountingEmbedder()
    grader = OfflineGrader(model)
    work = EntryWork(tmp_path, model, grader)
    assert work.load(entries) == 0  # the vectors still hold
    assert grader._trusted == {}  # but the contrast sets were made by other rules
    work.complete()
    assert grader._trusted
    # Recomputed from the pinned vectors: only the misconception self-check reads words, the reference answer's.
    answers = {
        t
        for e in entries
        for t in [e.reference_answer, *(s.text for s in sentence_spans(e.reference_answer))]
    }
    assert set(model.words) <= answers


def test_a_pair_model_s_sets_are_kept_for_that_pair_model_only(tmp_path: Path, bank: Bank) -> None:
    class NeutralPairs:
        def judge_pairs(self, pairs: object) -> np.ndarray:
            return np.tile(np.array([[0.0, 0.0, 1.0]], dtype=np.float32), (len(pairs), 1))  # type: ignore[arg-type]

    entries = entries_with_contrasts(bank, 2)
    model = CountingEmbedder()
    work = EntryWork(tmp_path, model, OfflineGrader(model, pairs=NeutralPairs()))
    work.load(entries)
    work.complete()
    same = CountingEmbedder()
    with_pairs = OfflineGrader(same, pairs=NeutralPairs())
    EntryWork(tmp_path, same, with_pairs).load(entries)
    assert with_pairs._trusted  # kept: a new start with the same pair model reads none of it again
    again = CountingEmbedder()
    without = OfflineGrader(again)
    EntryWork(tmp_path, again, without).load(entries)
    assert without._trusted == {}  # made with a pair model, so not this grader's


def test_damaged_files_are_ignored_and_written_again(
    tmp_path: Path, bank: Bank, caplog: pytest.LogCaptureFixture
) -> None:
    entries = entries_with_contrasts(bank, 2)
    kept_work(tmp_path, entries)
    npy = next(tmp_path.glob("*.entry-work.npy"))
    npy.write_bytes(npy.read_bytes()[:-4096])
    model = CountingEmbedder()
    work = EntryWork(tmp_path, model, OfflineGrader(model))
    with caplog.at_level(logging.WARNING):
        assert work.load(entries) > 0
    assert "doing it again" in caplog.text
    work.complete()
    again = CountingEmbedder()
    assert EntryWork(tmp_path, again, OfflineGrader(again)).load(entries) == 0


def test_pinned_vectors_outlive_the_cache(bank: Bank) -> None:
    model = CountingEmbedder()
    model.cache_size = 4
    model.pin({"kept text": np.ones(64, dtype=np.float32) / 8.0})
    model.embed([f"filler {i}" for i in range(10)])  # pushes everything out of the cache
    model.batches.clear()
    np.testing.assert_array_equal(model.embed(["kept text"])[0], np.ones(64, dtype=np.float32) / 8.0)
    assert model.batches == []


def test_the_work_one_server_kept_is_loaded_by_the_next(tmp_path: Path, bank: Bank) -> None:
    settings = Settings(data_dir=tmp_path / "data", grader="offline", _env_file=None)  # type: ignore[call-arg]
    entries = entries_with_contrasts(bank, 3)
    settings.data_dir.mkdir(parents=True)

    def services(model: CountingEmbedder) -> Services:
        built = Services(settings=settings, embedder=model, store=InMemoryQuestionStore(model))
        built.__dict__["bank"] = Bank({e.id: e for e in entries}, bank.rubrics, bank.rubric_by_type)
        return built

    first = services(CountingEmbedder()).prepare_grading()
    assert first is not None
    first.complete()
    assert list((tmp_path / "data" / "vectors").glob("*.entry-work.*"))
    model = CountingEmbedder()
    fresh = services(model)
    work = fresh.prepare_grading()
    assert work is not None and work.complete() == 0
    assert model.words == []


@pytest.mark.parametrize("n_entries", [3])
def test_with_the_real_model_grades_are_identical(tmp_path: Path, bank: Bank, n_entries: int) -> None:
    """The bundled MiniLM: the vectors a server reads back from the files are those the first one computed, bit for
    bit, so it grades as the first one did (the first grader uses its vectors from memory)."""
    entries = entries_with_contrasts(bank, n_entries)
    first = SentenceTransformerEmbedder()
    kept = EntryWork(tmp_path, first, OfflineGrader(first))
    kept.load(entries)
    kept.complete()
    lazily = grades(OfflineGrader(first), bank, entries)  # the same vectors, in memory

    second = SentenceTransformerEmbedder()
    grader = OfflineGrader(second)
    assert EntryWork(tmp_path, second, grader).load(entries) == 0
    assert [g.model_dump() for g in grades(grader, bank, entries)] == [g.model_dump() for g in lazily]


@pytest.mark.parametrize("prepare", [True, False])
def test_the_page_s_warm_up_does_the_work_unless_told_not_to(
    tmp_path: Path, bank: Bank, prepare: bool
) -> None:
    from interviewer.web.actions import WarmUp
    from interviewer.web.page import warm_up

    settings = Settings(data_dir=tmp_path, grader="offline", prepare_entries=prepare, _env_file=None)  # type: ignore[call-arg]
    entries = entries_with_contrasts(bank, 2)
    model = CountingEmbedder()
    services = Services(settings=settings, embedder=model, store=InMemoryQuestionStore(model))
    services.__dict__["bank"] = Bank({e.id: e for e in entries}, bank.rubrics, bank.rubric_by_type)
    warm = WarmUp()
    warm_up(services, warm).join(timeout=120)
    assert warm.done.is_set() and warm.error is None
    assert bool(list((tmp_path / "vectors").glob("*.entry-work.*"))) == prepare
    assert ({p.text for e in entries for p in e.key_points} <= set(model.words)) == prepare
