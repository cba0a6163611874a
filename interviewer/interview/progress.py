"""Progress across sessions: each topic's score over time, the key points most often missed, the questions
never tried, and the time practised.

Pure functions of a candidate's stored sessions (their snapshots) and the bank, so the page's Progress tab and
`interviewer progress` show the same figures, and a test needs no page, model or clock. Only what the sessions
themselves counted is counted here:

- a question's score is the one its session counted (follow-ups included); an answer given after the reveal
  is practice and never counts, and a question revealed before it was answered scores 0;
- a question skipped, or answered "I don't know", counts 0; a question left open when the interview ended was
  never replied to and is not counted at all;
- an exam that has not ended is left out whole: until it ends its grades are held, here as in History.

Which sessions are the candidate's is the caller's business (`stored_sessions` takes the owner the page's
visitor, or the terminal, speaks for).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from interviewer.errors import SessionNotFoundError
from interviewer.interview.session import SessionSnapshot, hints_taken, recovered_points
from interviewer.interview.storage import SessionStore
from interviewer.models import BankEntry, QuestionRecord, Transcript

HISTORY_LIMIT = 5000  # sessions read for progress: far more than anyone practises, and still quick to read
MISSED_TOP = 8  # key points listed as most often missed
UNTRIED_EXAMPLES = 3  # never-tried questions named per topic


class TriedQuestion(BaseModel):
    """One bank question asked in one session and replied to, as that session counted it."""

    session_id: str
    entry_id: str
    question: str
    topic: str
    at: datetime  # when the reply came: the session's start plus the time spent on its questions up to it
    score: float  # the question's counted score, 0-10
    answered: bool  # a graded answer counted; False when skipped, "I don't know" or revealed unanswered
    hints: int = 0  # hints taken on the question, not counting the reveal
    revealed: bool = False
    key_points: list[str] = []  # every key point the counted answer was graded on
    missed: list[str] = []  # those neither covered in the answer nor recovered in a follow-up


class TopicPoint(BaseModel):
    """A topic's mean question score in one session."""

    session_number: int  # the session's place among the counted sessions, oldest first (from 1)
    at: datetime
    score: float
    questions: int


class TopicProgress(BaseModel):
    topic: str
    points: list[TopicPoint]

    @property
    def latest(self) -> float:
        return self.points[-1].score

    @property
    def change(self) -> float:
        """The latest score less the first one (0 after a single session)."""
        return round(self.points[-1].score - self.points[0].score, 1)


class MissedPoint(BaseModel):
    """A key point and how often it was missed, of the times its question was answered."""

    key_point: str
    entry_id: str
    question: str
    missed: int
    graded: int


class UntriedTopic(BaseModel):
    """The bank questions of a topic never replied to, with a few of them by name (easiest first)."""

    topic: str
    untried: int
    total: int
    examples: list[str]


class Progress(BaseModel):
    sessions: int  # sessions with at least one question counted
    held_exams: int  # exams still running, left out until they end
    seconds: float  # time spent on questions, from each being asked to each reply, in every session
    attempts: list[TriedQuestion]  # oldest first
    topics: list[TopicProgress]
    missed: list[MissedPoint]
    untried: list[UntriedTopic]

    @property
    def untried_total(self) -> int:
        return sum(t.untried for t in self.untried)

    @property
    def empty(self) -> bool:
        return not self.attempts


def started(transcript: Transcript) -> datetime | None:
    """When a session started, in UTC; None when it carries no readable time."""
    try:
        moment = datetime.fromisoformat(transcript.started_at)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def held(transcript: Transcript) -> bool:
    """An exam that has not ended: its grades are held until it does."""
    return transcript.config.mode == "exam" and not transcript.finished


def replied(record: QuestionRecord) -> bool:
    """Whether the candidate did anything with the question: answered, skipped, said "I don't know", or
    revealed the answer. A question merely asked when the interview ended was not tried."""
    return record.revealed or any(t.role == "candidate" and t.kind != "end" for t in record.turns)


def tried_in(snapshot: SessionSnapshot) -> list[TriedQuestion]:
    """The session's questions that were replied to, as it counted them; none while an exam is running."""
    t = snapshot.transcript
    start = started(t)
    if held(t) or start is None:
        return []
    attempts = []
    spent = 0.0
    for number, record in enumerate(t.questions):
        spent += snapshot.seconds[number] if number < len(snapshot.seconds) else 0.0
        if not replied(record):
            continue
        main = record.main_grade
        recovered = recovered_points(record)
        attempts.append(
            TriedQuestion(
                session_id=t.session_id,
                entry_id=record.entry_id,
                question=record.question,
                topic=record.topic,
                at=start + timedelta(seconds=spent),
                score=record.score,
                answered=main is not None,
                hints=hints_taken(record),
                revealed=record.revealed,
                key_points=[k.text for k in main.key_points] if main else [],
                missed=[k.text for k in main.key_points if k.status != "covered" and k.text not in recovered]
                if main
                else [],
            )
        )
    return attempts


def progress(
    snapshots: Iterable[SessionSnapshot],
    entries: Mapping[str, BankEntry],
    *,
    missed_top: int = MISSED_TOP,
    examples: int = UNTRIED_EXAMPLES,
) -> Progress:
    """The candidate's progress over the given sessions (in any order) against the bank's `entries`."""
    ordered = sorted(snapshots, key=lambda s: started(s.transcript) or datetime.min.replace(tzinfo=UTC))
    held_exams = sum(1 for s in ordered if held(s.transcript))
    seconds = round(sum(sum(s.seconds) for s in ordered), 1)
    per_session = [a for a in (tried_in(s) for s in ordered) if a]
    attempts = sorted((a for session in per_session for a in session), key=lambda a: a.at)
    return Progress(
        sessions=len(per_session),
        held_exams=held_exams,
        seconds=seconds,
        attempts=attempts,
        topics=_topics(per_session),
        missed=_missed(attempts, missed_top),
        untried=_untried(attempts, entries, examples),
    )


def _topics(per_session: list[list[TriedQuestion]]) -> list[TopicProgress]:
    points: dict[str, list[TopicPoint]] = defaultdict(list)
    for number, session in enumerate(per_session, start=1):
        by_topic: dict[str, list[TriedQuestion]] = defaultdict(list)
        for attempt in session:
            by_topic[attempt.topic].append(attempt)
        for topic, tried in by_topic.items():
            score = round(sum(a.score for a in tried) / len(tried), 1)
            points[topic].append(
                TopicPoint(session_number=number, at=tried[0].at, score=score, questions=len(tried))
            )
    return [TopicProgress(topic=topic, points=points[topic]) for topic in sorted(points)]


def _missed(attempts: list[TriedQuestion], top: int) -> list[MissedPoint]:
    graded: dict[tuple[str, str], int] = defaultdict(int)
    missed: dict[tuple[str, str], int] = defaultdict(int)
    questions: dict[str, str] = {}
    for attempt in attempts:
        questions[attempt.entry_id] = attempt.question
        for point in attempt.key_points:
            graded[attempt.entry_id, point] += 1
        for point in attempt.missed:
            missed[attempt.entry_id, point] += 1
    ranked = sorted(missed, key=lambda k: (-missed[k], -missed[k] / graded[k], k))
    return [
        MissedPoint(
            key_point=point,
            entry_id=entry_id,
            question=questions[entry_id],
            missed=missed[entry_id, point],
            graded=graded[entry_id, point],
        )
        for entry_id, point in ranked[:top]
    ]


def _untried(
    attempts: list[TriedQuestion], entries: Mapping[str, BankEntry], examples: int
) -> list[UntriedTopic]:
    tried = {a.entry_id for a in attempts}
    by_topic: dict[str, list[BankEntry]] = defaultdict(list)
    for entry in entries.values():
        by_topic[entry.topic].append(entry)
    out = []
    for topic in sorted(by_topic):
        left = sorted((e for e in by_topic[topic] if e.id not in tried), key=lambda e: (e.difficulty, e.id))
        out.append(
            UntriedTopic(
                topic=topic,
                untried=len(left),
                total=len(by_topic[topic]),
                examples=[e.question for e in left[:examples]],
            )
        )
    return out


def stored_sessions(store: SessionStore, *, owner: str | None, unowned: bool) -> list[SessionSnapshot]:
    """The sessions of `owner` (and, with `unowned`, those saved without one) from the store, as History
    lists them for the same visitor."""
    snapshots = []
    for summary in store.history(HISTORY_LIMIT, owner=owner, unowned=unowned):
        try:
            snapshots.append(store.load(summary.id)[0])
        except SessionNotFoundError:  # deleted between the listing and the reading
            continue
    return snapshots


def practised(seconds: float) -> str:
    """Time practised in words: "45 s", "12 min", "2 h 05 min"."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes = whole // 60
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
