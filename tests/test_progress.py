"""Progress across sessions and the spaced-repetition schedule: pure logic over real sessions and a fixed clock.

Sessions are played through the real `Session` with a grader scripted by score (no model, no Chroma, no page),
saved in a real SQLite store, and read back the way the page and the CLI read them.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from interviewer.content.loader import Bank
from interviewer.grading.grader import Grader
from interviewer.interview.progress import TriedQuestion, practised, progress, stored_sessions, tried_in
from interviewer.interview.schedule import (
    LEARN_AHEAD,
    due,
    due_line,
    due_session,
    practice_plan,
    rating,
    schedules_of,
    when,
)
from interviewer.interview.session import Session, SessionSnapshot
from interviewer.interview.storage import SessionStore
from interviewer.models import Grade, KeyPointResult, Reference, Rubric, SessionConfig
from interviewer.retrieval.store import InMemoryQuestionStore

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class ScoreGrader(Grader):
    """Grades each answer with the next queued score, covering key points in order up to that share; records
    every question it was asked."""

    name = "offline"

    def __init__(self, scores: list[float]):
        self.scores = deque(scores)
        self.asked: list[str] = []

    def grade(self, reference: Reference, answer: str, rubric: Rubric, *, on_text=None) -> Grade:
        self.asked.append(reference.question)
        score = self.scores.popleft()
        total = sum(k.weight for k in reference.key_points)
        points, covered = [], 0.0
        for k in reference.key_points:
            status = "covered" if covered + k.weight <= total * score / 10 + 1e-9 else "missing"
            covered += k.weight if status == "covered" else 0
            points.append(KeyPointResult(text=k.text, weight=k.weight, status=status, probe=k.probe))
        return Grade(score=score, grader="offline", key_points=points)


@pytest.fixture
def store(fake_embedder) -> InMemoryQuestionStore:
    return InMemoryQuestionStore(fake_embedder)


def ids_of(bank: Bank, topic: str, count: int) -> list[str]:
    return sorted(e.id for e in bank.entries.values() if e.topic == topic and len(e.key_points) >= 2)[:count]


def play(
    bank: Bank,
    store: InMemoryQuestionStore,
    ids: list[str],
    scores: list[float | str],
    at: datetime,
    *,
    mode: str = "study",
    seconds: float = 60.0,
) -> SessionSnapshot:
    """One session asking `ids` in order, each replied to with the next of `scores`: a number is an answer
    graded that score; "skip", "idk", "hint" (then the next item), "reveal" (then the next item) or "end"."""
    grader = ScoreGrader([s for s in scores if isinstance(s, (int, float))])
    config = SessionConfig(question_ids=ids, num_questions=len(ids), max_follow_ups=0, mode=mode)  # type: ignore[arg-type]
    session = Session(bank, store, grader, config)
    session.start()
    for reply in scores:
        if session.finished:
            break
        if reply == "hint":
            session.command("hint")
        elif reply == "reveal":
            session.reveal()
        elif reply in ("skip", "end"):
            session.command(reply)  # type: ignore[arg-type]
        elif reply == "idk":
            session.command("dont_know")
        else:
            session.answer(f"An answer worth {reply}.")
    session.transcript.started_at = at.isoformat(timespec="seconds")
    snapshot = session.snapshot()
    return snapshot.model_copy(update={"seconds": [seconds] * len(snapshot.transcript.questions)})


def test_three_sessions_show_each_topics_score_over_time_and_the_time_practised(bank: Bank, store) -> None:
    metrics, linear = ids_of(bank, "evaluation-metrics", 2), ids_of(bank, "linear-models", 1)
    sessions = [
        play(bank, store, [*metrics, *linear], [2, 4, 3], T0),
        play(bank, store, [*metrics, *linear], [6, 6, 5], T0 + timedelta(days=2)),
        play(bank, store, metrics, [9, 8], T0 + timedelta(days=5)),
    ]
    report = progress(reversed(sessions), bank.entries)  # in any order: sorted by when they started

    assert report.sessions == 3 and len(report.attempts) == 8
    assert report.seconds == 8 * 60 and practised(report.seconds) == "8 min"
    by_topic = {t.topic: t for t in report.topics}
    assert [(p.session_number, p.score) for p in by_topic["evaluation-metrics"].points] == [
        (1, 3.0),
        (2, 6.0),
        (3, 8.5),
    ]
    assert by_topic["evaluation-metrics"].change == 5.5
    assert [(p.session_number, p.score) for p in by_topic["linear-models"].points] == [(1, 3.0), (2, 5.0)]
    assert by_topic["linear-models"].points[0].at == T0 + timedelta(minutes=3)  # after the third question


def test_the_key_points_missed_most_are_ranked_with_their_question(bank: Bank, store) -> None:
    entry = bank.get(ids_of(bank, "evaluation-metrics", 1)[0])
    sessions = [play(bank, store, [entry.id], [0], T0 + timedelta(days=d)) for d in range(3)]
    sessions.append(play(bank, store, [entry.id], [10], T0 + timedelta(days=3)))
    report = progress(sessions, bank.entries)

    top = report.missed[0]
    assert top.missed == 3 and top.graded == 4 and top.question == entry.question
    assert {m.key_point for m in report.missed} == {k.text for k in entry.key_points}


def test_questions_never_tried_are_counted_per_topic_easiest_named_first(bank: Bank, store) -> None:
    tried = ids_of(bank, "linear-models", 2)
    report = progress([play(bank, store, tried, [5, "skip"], T0)], bank.entries)
    linear = next(u for u in report.untried if u.topic == "linear-models")
    total = sum(1 for e in bank.entries.values() if e.topic == "linear-models")
    assert linear.total == total and linear.untried == total - 2  # a skip is a try: it counted 0
    left = sorted(
        (e for e in bank.entries.values() if e.topic == "linear-models" and e.id not in tried),
        key=lambda e: (e.difficulty, e.id),
    )
    assert linear.examples == [e.question for e in left[:3]]
    assert report.untried_total == len(bank) - 2


def test_an_answer_after_the_reveal_and_a_running_exam_do_not_count(bank: Bank, store) -> None:
    first, second = ids_of(bank, "evaluation-metrics", 2)
    revealed = play(bank, store, [first], ["reveal", 10], T0)  # the reference answer, then a 10/10 practice
    (attempt,) = tried_in(revealed)
    assert attempt.revealed and not attempt.answered and attempt.score == 0.0
    assert rating(attempt).name == "Again"

    running = play(bank, store, [first, second], [9], T0 + timedelta(hours=1), mode="exam")
    assert not running.transcript.finished
    ended = play(bank, store, [second], [9], T0 + timedelta(hours=2), mode="exam")
    report = progress([revealed, running, ended], bank.entries)
    assert report.held_exams == 1 and report.sessions == 2
    assert [(a.entry_id, a.score) for a in report.attempts] == [(first, 0.0), (second, 9.0)]
    # the running exam's 9/10 reaches neither the progress nor the schedule
    scheduled = {s.entry_id: s for s in schedules_of([revealed, running, ended])}
    assert scheduled[second].attempts == 1 and scheduled[second].last_at == T0 + timedelta(hours=2, minutes=1)


def test_a_question_left_open_when_the_interview_ended_was_not_tried(bank: Bank, store) -> None:
    first, second = ids_of(bank, "linear-models", 2)
    snapshot = play(bank, store, [first, second], [7, "end"], T0)
    assert [a.entry_id for a in tried_in(snapshot)] == [first]


def attempt(score: float, *, answered: bool = True, hints: int = 0, revealed: bool = False) -> TriedQuestion:
    return TriedQuestion(
        session_id="s",
        entry_id="q",
        question="q?",
        topic="t",
        at=T0,
        score=score,
        answered=answered,
        hints=hints,
        revealed=revealed,
    )


def test_scores_map_to_fsrs_ratings_and_help_lowers_them() -> None:
    assert [rating(attempt(s)).name for s in (0, 3.9, 4, 5.9, 6, 8.4, 8.5, 10)] == [
        "Again",
        "Again",
        "Hard",
        "Hard",
        "Good",
        "Good",
        "Easy",
        "Easy",
    ]
    assert rating(attempt(9, hints=2)).name == "Good"  # a hint (however many) lowers it one step
    assert rating(attempt(9, hints=1, revealed=True)).name == "Hard"  # and the reveal one more
    assert rating(attempt(2, hints=1)).name == "Again"  # never below Again
    assert rating(attempt(0, answered=False)).name == "Again"  # skipped or "I don't know"


def test_a_poor_answer_is_due_sooner_than_a_good_one(bank: Bank, store) -> None:
    poor, good = ids_of(bank, "evaluation-metrics", 2)
    snapshot = play(bank, store, [poor, good], [2, 9], T0)
    scheduled = {s.entry_id: s for s in schedules_of([snapshot])}
    assert scheduled[poor].due_at < scheduled[good].due_at
    now = T0 + timedelta(minutes=5)  # right after the session
    assert [s.entry_id for s in due(list(scheduled.values()), now)] == [poor]
    assert when(scheduled[poor].due_at, now) == "now"
    assert scheduled[good].due_at - scheduled[good].last_at >= timedelta(days=2)
    assert due_line(list(scheduled.values()), now) == "1 question is due for practice."
    later = scheduled[good].due_at - LEARN_AHEAD + timedelta(seconds=1)
    assert {s.entry_id for s in due(list(scheduled.values()), later)} == {poor, good}


def test_each_good_answer_puts_the_question_further_off(bank: Bank, store) -> None:
    entry = ids_of(bank, "linear-models", 1)
    gaps, at = [], T0
    history = []
    for _ in range(3):
        history.append(play(bank, store, entry, [7], at))
        (scheduled,) = schedules_of(history)
        gaps.append(scheduled.due_at - scheduled.last_at)
        at = scheduled.due_at  # practised the day it is due
    assert gaps[0] < gaps[1] < gaps[2]
    history.append(play(bank, store, entry, [1], at))  # then forgotten: back to a short step
    (scheduled,) = schedules_of(history)
    assert scheduled.due_at - scheduled.last_at <= LEARN_AHEAD and scheduled.last_rating == "again"


def test_practice_whats_due_asks_due_questions_first_then_the_weakest(bank: Bank, store) -> None:
    a, b, c = ids_of(bank, "evaluation-metrics", 3)
    early = play(bank, store, [a, b], [7, 7], T0)  # both Good: due in days
    # b again, ten days later, partly known (Hard): FSRS puts it days off, but it is weak
    later = play(bank, store, [c, b], [1, 5], T0 + timedelta(days=10))
    scheduled = schedules_of([early, later])
    now = T0 + timedelta(days=10, minutes=5)
    plan = practice_plan(scheduled, now, limit=5)
    assert [s.entry_id for s in plan] == [a, c, b]  # a (overdue since day 2) and c are due; b is weak
    assert [s.entry_id for s in practice_plan(scheduled, now, limit=1)] == [a]

    config, told = due_session(SessionConfig(num_questions=5), scheduled, bank.entries, now)
    assert config is not None and config.question_ids == [a, c, b] and config.num_questions == 3
    assert told == "Practising what's due: 2 due, then 1 of your weakest."
    other_topic = SessionConfig(topics=["linear-models"])
    assert due_session(other_topic, scheduled, bank.entries, now)[0] is None

    asked = Session(bank, store, ScoreGrader([]), config).start()
    assert asked[0].text == f"Question 1 of 3: {bank.get(a).question}"


def test_when_nothing_is_due_it_says_when_and_what_to_do(bank: Bank, store) -> None:
    good = ids_of(bank, "linear-models", 1)
    scheduled = schedules_of([play(bank, store, good, [9], T0)])
    config, told = due_session(SessionConfig(), scheduled, bank.entries, T0 + timedelta(hours=1), untried=12)
    assert config is None
    assert told.startswith("Nothing is due now: the next question comes back in 8 days")
    assert "start an interview on new questions (12 questions you have never tried)" in told
    config, told = due_session(SessionConfig(), [], bank.entries, T0, untried=40)
    assert config is None and told.startswith("Nothing is due yet")


def test_progress_counts_only_the_owners_sessions(bank: Bank, store, tmp_path: Path) -> None:
    first, second = ids_of(bank, "evaluation-metrics", 2)
    sessions = SessionStore(tmp_path / "sessions.sqlite3")
    sessions.save(play(bank, store, [first], [2], T0), owner="user:ada")
    sessions.save(play(bank, store, [second], [9], T0), owner="user:grace")
    sessions.save(play(bank, store, [second], [4], T0), owner=None)  # the terminal's, or an old one

    def tried(owner: str | None, unowned: bool) -> list[str]:
        snapshots = stored_sessions(sessions, owner=owner, unowned=unowned)
        return [a.entry_id for a in progress(snapshots, bank.entries).attempts]

    assert tried("user:ada", unowned=False) == [first]  # a password page: the login's own only
    assert tried("user:grace", unowned=False) == [second]
    assert sorted(tried("browser:" + "0" * 32, unowned=True)) == [second]  # no password: the unowned too
    assert tried(None, unowned=True) == [second]
