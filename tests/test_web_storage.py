"""The SQLite session store and the session registry: real SQLite, the fake embedder, no web page."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from interviewer.config import Settings
from interviewer.content.loader import Bank
from interviewer.errors import AnswerRejectedError, InterviewerError, SessionNotFoundError
from interviewer.grading.grader import Grader
from interviewer.grading.offline import OfflineGrader
from interviewer.interview.registry import TIME_LIMIT_GRACE, SessionRegistry
from interviewer.interview.session import Session
from interviewer.interview.storage import SCHEMA_VERSION, SessionStore, SessionStoreVersionError
from interviewer.models import Grade, Reference, Rubric, SessionConfig
from interviewer.retrieval.store import InMemoryQuestionStore
from interviewer.services import Services
from tests.conftest import FakeEmbedder

IDS = ["precision-vs-recall", "roc-curve-explained", "f1-score-and-usage"]


class WitnessGrader(Grader):
    """The offline grader, recording what the database held for the session at the moment it was asked."""

    name = "offline"

    def __init__(self, inner: Grader, store: SessionStore):
        self.inner, self.store = inner, store
        self.seen: list[list[tuple[str, str]]] = []
        self.session_id = ""

    def grade(self, reference: Reference, answer: str, rubric: Rubric, *, on_text=None) -> Grade:
        self.seen.append(self.store.answers(self.session_id))
        return self.inner.grade(reference, answer, rubric, on_text=on_text)


def make_services(tmp_path: Path, bank: Bank) -> Services:
    embedder = FakeEmbedder()
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    services = Services(settings=settings, embedder=embedder, store=InMemoryQuestionStore(embedder))
    services.__dict__["bank"] = bank  # the session-wide bank: no need to parse the files again
    services.__dict__["grader"] = OfflineGrader(embedder)
    return services


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "data" / "sessions.sqlite3")


@pytest.fixture
def registry(tmp_path: Path, bank: Bank, store: SessionStore) -> SessionRegistry:
    return SessionRegistry(make_services(tmp_path, bank), store)


def config(**kw: object) -> SessionConfig:
    settings: dict[str, object] = {"question_ids": IDS[:2], "num_questions": 2, "max_follow_ups": 1, **kw}
    return SessionConfig.model_validate(settings)


def test_the_database_is_in_wal_mode_and_readable_by_another_connection(
    store: SessionStore, registry
) -> None:
    session, _ = registry.start(config())
    assert store.journal_mode == "wal"
    other = sqlite3.connect(store.path)
    assert other.execute("SELECT id, finished FROM sessions").fetchall() == [
        (session.transcript.session_id, 0)
    ]


def test_each_answer_is_written_before_it_is_graded(registry: SessionRegistry, store: SessionStore) -> None:
    witness = WitnessGrader(registry.services.grader, store)
    registry.services.__dict__["grader"] = witness
    session, _ = registry.start(config())
    witness.session_id = session.transcript.session_id
    session.grader = witness
    registry.answer(witness.session_id, "Precision is the share of predicted positives that are right.")
    assert witness.seen == [[("Precision is the share of predicted positives that are right.", "pending")]]
    assert store.answers(witness.session_id) == [
        ("Precision is the share of predicted positives that are right.", "graded")
    ]


def test_a_restored_session_carries_on_exactly_like_the_original(
    tmp_path: Path, bank: Bank, registry: SessionRegistry, store: SessionStore
) -> None:
    answers = ["Precision is TP over predicted positives.", "It is about false positives.", "ROC plots TPR."]
    original, _ = registry.start(config())
    session_id = original.transcript.session_id
    registry.answer(session_id, answers[0])

    copy = tmp_path / "copy.sqlite3"  # a new process on a copy, so neither sees the other's later answers
    source, target = sqlite3.connect(store.path), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    restarted = SessionRegistry(make_services(tmp_path, bank), SessionStore(copy))
    resumed = restarted.get(session_id)
    assert resumed is not original and resumed.transcript == original.transcript
    for text in answers[1:]:
        mine, theirs = registry.answer(session_id, text), restarted.answer(session_id, text)
        assert [t.text for t in mine.turns] == [t.text for t in theirs.turns]
    assert resumed.transcript.questions[-1].turns == original.transcript.questions[-1].turns


def test_an_answer_left_pending_by_a_crash_is_graded_on_resume(
    tmp_path: Path, bank: Bank, registry: SessionRegistry, store: SessionStore
) -> None:
    session, _ = registry.start(config(max_follow_ups=0))
    session_id = session.transcript.session_id
    store.record_answer(session_id, 1, "Precision is TP / (TP + FP); recall is TP / (TP + FN).")

    resumed = SessionRegistry(make_services(tmp_path, bank), SessionStore(store.path)).get(session_id)
    first = resumed.transcript.questions[0]
    assert first.main_grade is not None and "recall is TP / (TP + FN)" in first.turns[1].text
    assert len(resumed.transcript.questions) == 2  # and the interview moved on to the next question
    assert store.answers(session_id) == [("Precision is TP / (TP + FP); recall is TP / (TP + FN).", "graded")]


def test_an_overlong_answer_is_refused_before_anything_is_written(registry: SessionRegistry) -> None:
    session, _ = registry.start(config())
    session_id = session.transcript.session_id
    with pytest.raises(AnswerRejectedError, match="100,000 characters; the limit is 8,000"):
        registry.answer(session_id, "a" * 100_000)
    assert registry.store.answers(session_id) == []
    assert [t.kind for t in session.transcript.questions[0].turns] == ["question"]


def test_a_grading_failure_leaves_no_half_answer_behind(registry: SessionRegistry) -> None:
    class Broken(Grader):
        name = "offline"

        def grade(self, reference, answer, rubric, *, on_text=None):  # type: ignore[no-untyped-def]
            raise RuntimeError("the grader fell over")

    session, _ = registry.start(config())
    session_id = session.transcript.session_id
    session.grader = Broken()
    with pytest.raises(RuntimeError):
        registry.answer(session_id, "An answer.")
    assert registry.store.answers(session_id) == [("An answer.", "failed")]
    again = registry.get(session_id)  # reloaded from the database, without the half-recorded answer
    assert [t.kind for t in again.transcript.questions[0].turns] == ["question"]
    registry.answer(session_id, "An answer.")
    assert again.transcript.questions[0].main_grade is not None


def test_an_exam_answer_after_the_time_limit_counts_as_skipped(registry: SessionRegistry) -> None:
    session, _ = registry.start(config(mode="exam", time_limit_seconds=30))
    session_id = session.transcript.session_id
    deadline = registry.deadline(session)
    assert deadline is not None
    asks, asked_at = registry._asked[session_id]
    registry._asked[session_id] = (asks, asked_at - 30 - TIME_LIMIT_GRACE - 1)  # the clock ran out
    reply = registry.answer(session_id, "Too late.")
    assert "Time ran out" in reply.notice and reply.turns[-1].text.startswith("Question 2 of 2")
    assert session.transcript.questions[0].skipped and registry.store.answers(session_id) == []
    assert registry.deadline(session) is not None and registry.deadline(session) > deadline  # a fresh clock


def test_study_mode_has_no_clock_and_reveals_answers(registry: SessionRegistry, bank: Bank) -> None:
    session, _ = registry.start(config(time_limit_seconds=30))
    assert registry.deadline(session) is None
    reply = registry.reveal(session.transcript.session_id)
    assert reply.turns[0].text.startswith(f"Reference answer:\n\n{bank.get(IDS[0]).reference_answer}\n\n")
    assert "This question is now closed" in reply.turns[0].text
    assert session.transcript.questions[0].hints == 1


def test_history_lists_sessions_newest_first_with_scores(registry: SessionRegistry) -> None:
    first, _ = registry.start(config())
    registry.command(first.transcript.session_id, "end")
    second, _ = registry.start(config(mode="exam"))
    rows = registry.store.history()
    assert [r.id for r in rows] == [second.transcript.session_id, first.transcript.session_id]
    assert rows[1].finished and rows[1].overall_score == 0.0 and rows[0].mode == "exam"
    assert rows[0].topics == "evaluation-metrics" and rows[0].questions == 1


def test_an_unknown_session_says_what_to_do(registry: SessionRegistry) -> None:
    with pytest.raises(SessionNotFoundError, match="Open the History tab"):
        registry.get("nope")


def test_double_submits_are_serialised_per_session(registry: SessionRegistry) -> None:
    session, _ = registry.start(config(max_follow_ups=0))
    session_id = session.transcript.session_id
    errors: list[Exception] = []

    def send(text: str) -> None:
        try:
            registry.answer(session_id, text)
        except InterviewerError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(f"Answer number {i}.",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    graded = [q.main_grade is not None for q in session.transcript.questions]
    assert graded == [True, True] and session.finished and len(errors) == 1  # the third found it ended
    assert [s for _, s in registry.store.answers(session_id)] == ["graded", "graded"]


def test_snapshots_round_trip_through_json(registry: SessionRegistry) -> None:
    session, _ = registry.start(config())
    registry.answer(session.transcript.session_id, "Precision is about false positives.")
    snapshot, _ = registry.store.load(session.transcript.session_id)
    assert snapshot.model_dump(mode="json") == session.snapshot().model_dump(mode="json")
    restored = Session.restore(session.bank, session.store, session.grader, snapshot)
    assert restored.snapshot().model_dump(mode="json") == snapshot.model_dump(mode="json")
    assert restored._state == session._state  # the policy's tuples come back as tuples


def test_memory_stays_bounded_however_many_sessions_are_seen(
    tmp_path: Path, bank: Bank, store: SessionStore
) -> None:
    registry = SessionRegistry(make_services(tmp_path, bank), store, live_sessions=3)
    ids = [registry.start(config())[0].transcript.session_id for _ in range(30)]
    for session_id in ids:  # each one used again: restored from the database, then evicted again
        registry.command(session_id, "skip")
    assert len(registry._live) == 3 and set(registry._asked) == set(registry._live)
    assert len(registry._locks) == 0  # no lock outlives its use
    assert [s.questions for s in store.history(limit=100)] == [2] * 30  # nothing was lost on the way


def test_a_session_evicted_while_in_use_keeps_its_lock_and_clock(
    tmp_path: Path, bank: Bank, store: SessionStore
) -> None:
    registry = SessionRegistry(make_services(tmp_path, bank), store, live_sessions=1)
    session, _ = registry.start(config(mode="exam", time_limit_seconds=60))
    session_id = session.transcript.session_id
    deadline = registry.deadline(session)
    held = registry.lock(session_id)
    with held:
        registry.start(config())  # pushes it out of memory while its lock is held
        assert session_id not in registry._live and session_id in registry._asked
        assert registry.lock(session_id) is held  # a second tab would wait on the same lock
    del held
    registry.start(config())  # the next eviction drops its clock: the database has it
    assert session_id not in registry._asked and len(registry._locks) == 0
    assert registry.deadline(registry.get(session_id)) == deadline


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def set_user_version(path: Path, version: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()


def test_a_new_database_carries_the_current_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "new" / "sessions.sqlite3"
    SessionStore(path).close()
    assert SCHEMA_VERSION >= 1 and user_version(path) == SCHEMA_VERSION


def test_a_database_from_before_schema_versions_is_upgraded_in_place(
    tmp_path: Path, bank: Bank, store: SessionStore
) -> None:
    registry = SessionRegistry(make_services(tmp_path, bank), store)
    session, _ = registry.start(config())
    session_id = session.transcript.session_id
    store.close()
    set_user_version(
        store.path, 0
    )  # the tables as they are, without a version: the file an older release left

    reopened = SessionStore(store.path)
    assert user_version(store.path) == SCHEMA_VERSION
    snapshot, _ = reopened.load(session_id)
    assert snapshot.model_dump(mode="json") == session.snapshot().model_dump(mode="json")
    again = SessionRegistry(make_services(tmp_path, bank), reopened)
    again.answer(session_id, "Precision is about false positives.")  # and it carries on
    assert reopened.answers(session_id) == [("Precision is about false positives.", "graded")]


def test_a_database_from_a_newer_interviewer_is_refused_untouched(
    tmp_path: Path, store: SessionStore
) -> None:
    store.close()
    set_user_version(store.path, SCHEMA_VERSION + 1)
    with pytest.raises(SessionStoreVersionError, match="Upgrade interviewer") as refused:
        SessionStore(store.path)
    assert f"schema version {SCHEMA_VERSION + 1}" in str(refused.value) and str(store.path) in str(
        refused.value
    )
    assert isinstance(refused.value, InterviewerError)  # shown to the user as it is
    assert user_version(store.path) == SCHEMA_VERSION + 1
