"""An interview session: the policy's moves carried out against the bank and a grader.

The UI and the terminal both drive a `Session` the same way: `start()`, then `answer(text)` or
`command(name)` until `finished`. Each call returns the interviewer's new turns; the whole history is in
`transcript`.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from interviewer.content.loader import Bank
from interviewer.errors import InterviewerError
from interviewer.grading.grader import Grader, TextSink, zero_grade
from interviewer.grading.guards import copies_reference
from interviewer.interview import policy
from interviewer.interview.doubts import unsure_note
from interviewer.interview.follow_ups import FollowUpWriter, ProbeFollowUps
from interviewer.interview.limits import AnswerLimits
from interviewer.models import (
    BankEntry,
    Grade,
    GradeFlag,
    KeyPointResult,
    QuestionRecord,
    Reference,
    SessionConfig,
    Transcript,
    Turn,
)
from interviewer.retrieval.store import QuestionFilter, QuestionStore

FOLLOW_UP_CREDIT = 0.5  # a key point recovered only after a prompt earns half its share
HINT_COST = 1.0  # each hint taken lowers the question's maximum score by this many points
# LLM calls one answered turn may make: grading takes one or two (the second verifies doubted evidence), and a
# follow-up is worded by the LLM only while one is left; else the bank's probe is asked as written.
LLM_CALLS_PER_TURN = 2
PASTED = (
    "This is the reference answer you revealed, word for word, so it scores 0: it shows what you read, not "
    "what you know. Next time, answer first and reveal after; or say it in your own words."
)
REVEALED = "Reference answer:"  # how the reveal's turn begins; the question is closed from that turn on
CLOSED = (
    "This question is now closed and keeps the score it had. You may still answer it for practice (it will "
    "not count), or skip to go on."
)
PRACTICE = "**Practice: {score:g}/10, not counted, as you answered after the reveal**"

SESSION_ID_BYTES = 16  # 128 random bits: an id that reaches the page's address cannot be guessed


def new_session_id() -> str:
    """A fresh session id: 32 hex digits from the operating system's cryptographic random source."""
    return secrets.token_hex(SESSION_ID_BYTES)


ReplySink = Callable[[list[str]], None]
"""Receives the interviewer's reply so far as its messages (the feedback, then the next question), each time
more of it streams in."""


class SessionSnapshot(BaseModel):
    """Everything needed to carry a session on in another process: the transcript and where the policy stands."""

    transcript: Transcript
    policy: dict[str, Any] | None = None
    target: KeyPointResult | None = None
    # The time spent on each question, from being asked to each reply (grading excluded), in seconds.
    seconds: list[float] = []
    asked_at: float | None = None  # when the open question or follow-up was asked (epoch seconds)


class Session:
    def __init__(
        self,
        bank: Bank,
        store: QuestionStore,
        grader: Grader,
        config: SessionConfig,
        max_answer_chars: int = 8000,
        session_id: str | None = None,
        follow_ups: FollowUpWriter | None = None,
    ):
        self.bank = bank
        self.store = store
        self.grader = grader
        self.follow_ups = follow_ups or ProbeFollowUps()
        self.config = config
        self.max_answer_chars = max_answer_chars
        self.transcript = Transcript(
            session_id=session_id or new_session_id(),
            config=config,
            started_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
        )
        self._state: policy.PolicyState | None = None
        self._target: KeyPointResult | None = None  # the key point the pending follow-up asks about
        self.seconds: list[float] = []  # per question, see `SessionSnapshot.seconds`
        self._asked_at: float | None = None

    # --- public API ---------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.transcript.finished

    @property
    def current(self) -> QuestionRecord | None:
        if self._state and self._state.current and self.transcript.questions:
            return self.transcript.questions[-1]
        return None

    def start(self) -> list[Turn]:
        queue = self._choose_questions()
        if not queue:
            raise InterviewerError(
                "No questions match these settings. Choose more topics, types or difficulties, and try again."
            )
        self._state, move = policy.start(queue, self.config.max_follow_ups)
        return self._carry_out(move)

    def answer(
        self, text: str, *, on_text: TextSink | None = None, on_reply: ReplySink | None = None
    ) -> list[Turn]:
        """Grade a reply to the open question or follow-up and return what the interviewer says next.

        While the reply streams in (a grader or a follow-up writer that streams), `on_text` receives it so far
        as one text, and `on_reply` as its messages: the feedback, then the next question. In exam mode the
        feedback is held back, so it is not streamed either.

        After the reference answer was revealed the question is closed: the answer is graded as practice,
        shown but not counted (the question keeps its score), and the interview moves on."""
        self._require_open()
        self.check_answer_limits(text)
        record = self._record()
        self._stop_clock()
        said = Turn(role="candidate", kind="answer", text=text)
        record.turns.append(said)
        entry = self.bank.get(record.entry_id)
        rubric = self.bank.rubric_for(entry.type, entry.rubric)
        assert self._state is not None
        reply = _Reply(on_text, on_reply)
        stream_feedback = reply.feedback if reply and self.config.mode == "study" else None
        reference = (
            Reference.from_entry(entry)
            if self._target is None
            else self._follow_up_reference(entry, self._target)
        )
        if record.revealed and copies_reference(entry.reference_answer, text):
            grade = zero_grade(reference, rubric, self.grader.name, GradeFlag.COPIES_REFERENCE, PASTED)
        else:
            grade = self.grader.grade(reference, text, rubric, on_text=stream_feedback)
        said.grade = grade
        if record.revealed:  # closed: the grade is shown with the answer, and counts nowhere
            feedback = feedback_text(grade, headline=PRACTICE.format(score=grade.score))
            self._state, move = policy.on_command(self._state, "skip")
        else:
            if self._target is None:
                record.main_grade = grade
            else:
                record.follow_up_grades.append(grade)
            record.score = question_score(record)
            if self._target is None:
                note = hint_note(record, grade.score)
                headline = f"**Score: {record.score:g}/10**" if note else ""
            else:
                note, headline = "", follow_up_headline(grade, record.score)
            feedback = feedback_text(grade, headline=headline, note=note)
            self._state, move = policy.after_answer(self._state, self._main_grade_with_follow_ups(record))
        turns = [self._say("feedback", feedback, grade=grade)] if self.config.mode == "study" else []
        spent = grade.llm_calls
        if reply and turns:
            reply.say([turns[0].text, ""])
            return turns + self._carry_out(
                move, on_text=lambda t: reply.say([turns[0].text, t]), calls_spent=spent
            )
        return turns + self._carry_out(
            move, on_text=(lambda t: reply.say([t])) if reply else None, calls_spent=spent
        )

    def check_answer_limits(self, text: str) -> None:
        """Refuse an over-long answer; every face calls this before it shows, records or grades the answer."""
        AnswerLimits(self.max_answer_chars).check(text)

    def command(self, name: policy.Command) -> list[Turn]:
        self._require_open()
        if name == "hint" and self.config.mode == "exam":
            raise InterviewerError("Hints are for study mode; in an exam, answer as best you can or skip.")
        record = self._record()
        assert self._state is not None
        if name in ("skip", "dont_know", "end"):
            self._stop_clock()
        if name == "skip":
            record.turns.append(Turn(role="candidate", kind="skip", text="(skipped)"))
            record.skipped = record.main_grade is None
        elif name == "dont_know":
            record.turns.append(Turn(role="candidate", kind="dont_know", text="I don't know."))
        elif name == "end":
            record.turns.append(Turn(role="candidate", kind="end", text="(ended the interview)"))
        turns: list[Turn] = []
        if name in ("skip", "dont_know") and self.config.mode == "study" and record.main_grade is None:
            entry = self.bank.get(record.entry_id)
            turns.append(
                self._say("feedback", f"Here is what a strong answer covers:\n\n{entry.reference_answer}")
            )
        self._state, move = policy.on_command(self._state, name)
        return turns + self._carry_out(move)

    def reveal(self) -> list[Turn]:
        """Study mode: show the open question's reference answer, and close the question: it keeps the score it
        had, and an answer to it after this is practice (`answer`). Recorded as a hint, so the report shows it."""
        self._require_open()
        if self.config.mode != "study":
            raise InterviewerError(
                "The reference answer is shown only in study mode; in exam mode it comes at the end."
            )
        record = self._record()
        record.hints += 1
        record.revealed = True
        entry = self.bank.get(record.entry_id)
        return [self._say("hint", f"{REVEALED}\n\n{entry.reference_answer}\n\n_{CLOSED}_")]

    def snapshot(self) -> SessionSnapshot:
        """The session's state, which `restore` turns back into a working session. It shares the transcript (no
        copy: every caller saves it at once, and `restore` copies it), so save it before the session moves on."""
        state = dataclasses.asdict(self._state) if self._state else None
        return SessionSnapshot(
            transcript=self.transcript,
            policy=state,
            target=self._target,
            seconds=list(self.seconds),
            asked_at=self._asked_at,
        )

    @classmethod
    def restore(
        cls,
        bank: Bank,
        store: QuestionStore,
        grader: Grader,
        snapshot: SessionSnapshot,
        max_answer_chars: int = 8000,
        follow_ups: FollowUpWriter | None = None,
    ) -> Session:
        """A session that carries on exactly where `snapshot` stopped (after a page refresh or a server restart)."""
        transcript = snapshot.transcript.model_copy(deep=True)
        session = cls(
            bank,
            store,
            grader,
            transcript.config,
            max_answer_chars,
            session_id=transcript.session_id,
            follow_ups=follow_ups,
        )
        session.transcript = transcript
        if snapshot.policy is not None:
            fields: dict[str, Any] = {
                k: tuple(v) if isinstance(v, list) else v for k, v in snapshot.policy.items()
            }
            session._state = policy.PolicyState(**fields)
        session._target = snapshot.target
        session.seconds = list(snapshot.seconds)
        session._asked_at = snapshot.asked_at
        return session

    # --- internals ----------------------------------------------------------------------------------

    def _choose_questions(self) -> tuple[str, ...]:
        if self.config.question_ids:
            for entry_id in self.config.question_ids:
                self.bank.get(entry_id)  # unknown ids fail here, with the clear error
            return policy.plan(self.config.question_ids, self.config.num_questions, keep_order=True)
        spec = QuestionFilter(
            topics=self.config.topics,
            types=[t.value for t in self.config.types],
            difficulties=self.config.difficulties,
        )
        return policy.plan(self.store.filter(spec), self.config.num_questions, seed=self.config.seed)

    def _require_open(self) -> None:
        if self._state is None:
            raise InterviewerError("The session has not started yet; call start() first.")
        if self.finished:
            raise InterviewerError("This interview has ended. Start a new session to practise again.")

    def _record(self) -> QuestionRecord:
        record = self.current
        if record is None:
            raise InterviewerError("There is no open question.")
        return record

    def _start_clock(self, new_question: bool) -> None:
        if new_question:
            self.seconds.append(0.0)
        self._asked_at = time.time()

    def _stop_clock(self) -> None:
        """The candidate replied: the time since the question (or follow-up) was asked goes to its question."""
        if self._asked_at is not None and self.seconds:
            self.seconds[-1] = round(self.seconds[-1] + max(0.0, time.time() - self._asked_at), 1)
        self._asked_at = None

    def _say(self, kind: str, text: str, **extra: object) -> Turn:
        turn = Turn(role="interviewer", kind=kind, text=text, **extra)
        if self.transcript.questions and not self.finished:
            self.transcript.questions[-1].turns.append(turn)
        return turn

    def _carry_out(
        self, move: policy.Move, on_text: TextSink | None = None, calls_spent: int = 0
    ) -> list[Turn]:
        if move.kind == "finish":
            self._target = None
            self.transcript.finished = True
            self.transcript.ended_at = datetime.now(UTC).isoformat(timespec="milliseconds")
            return [
                Turn(
                    role="interviewer",
                    kind="end",
                    text=f"That's the end of the interview. Your overall score is {self.transcript.overall_score}/10.",
                )
            ]
        assert move.entry_id is not None
        entry = self.bank.get(move.entry_id)
        if move.kind == "ask":
            self._target = None
            self.transcript.questions.append(
                QuestionRecord(
                    entry_id=entry.id,
                    question=entry.question,
                    topic=entry.topic,
                    type=entry.type,
                    difficulty=entry.difficulty,
                )
            )
            number = len(self.transcript.questions)
            total = number + (len(self._state.queue) if self._state else 0)
            turn = self._say("question", f"Question {number} of {total}: {entry.question}")
            self._start_clock(new_question=True)
            return [turn]
        if move.kind == "follow_up":
            assert move.key_point is not None and move.key_point.probe
            self._target = move.key_point
            answers = [t.text for t in self._record().turns if t.role == "candidate" and t.kind == "answer"]
            writer = self.follow_ups if calls_spent < LLM_CALLS_PER_TURN else ProbeFollowUps()
            question = writer.write(
                entry.question, answers[-1] if answers else "", move.key_point.probe, on_text=on_text
            )
            self._start_clock(new_question=False)
            return [self._say("follow_up", question, key_point=move.key_point.text)]
        if move.kind == "hint":
            return [self._say("hint", self._give_hint(entry, move.hint_level))]
        asked = entry.question
        if self._target is not None:
            follow_ups = [t.text for t in self._record().turns if t.kind == "follow_up"]
            asked = follow_ups[-1] if follow_ups else self._target.probe or entry.question
        return [self._say("repeat", self.follow_ups.reword(asked))]

    def _give_hint(self, entry: BankEntry, level: int) -> str:
        """The hint at `level`, counted against the question's maximum score (a hint after the reveal, or
        "no more hints", costs nothing), with what it costs."""
        record = self._record()
        hint = hint_text(entry, level)
        if hint == NO_MORE_HINTS or record.revealed:
            return hint
        record.hints += 1
        if record.main_grade is not None:
            record.score = question_score(record)
        taken = hints_taken(record)
        return f"{hint}\n\n_{_count(taken, 'hint')} taken: this question's maximum score is now {score_cap(record):g}/10._"

    @staticmethod
    def _follow_up_reference(entry: BankEntry, target: KeyPointResult) -> Reference:
        reference = Reference.from_entry(entry)
        point = next(k for k in entry.key_points if k.text == target.text)
        return reference.model_copy(
            update={"question": target.probe or entry.question, "key_points": [point]}
        )

    @staticmethod
    def _main_grade_with_follow_ups(record: QuestionRecord) -> Grade:
        """The main grade, with key points recovered in follow-ups marked covered so they are not asked again."""
        assert record.main_grade is not None or record.follow_up_grades
        base = record.main_grade or record.follow_up_grades[0]
        latest = record.follow_up_grades[-1] if record.follow_up_grades else base
        recovered = recovered_points(record)
        points = [
            k.model_copy(update={"status": "covered"}) if k.text in recovered else k for k in base.key_points
        ]
        # The latest grader's advice on what to do next (a follow-up grade advises on its own point only).
        advice = {"next_move": latest.next_move, "follow_up_point": latest.follow_up_point}
        return base.model_copy(update={"key_points": points, **advice})


class _Reply:
    """The interviewer's reply while it streams, to `on_text` (one text) and `on_reply` (its messages)."""

    def __init__(self, on_text: TextSink | None, on_reply: ReplySink | None):
        self.on_text, self.on_reply = on_text, on_reply

    def __bool__(self) -> bool:
        return self.on_text is not None or self.on_reply is not None

    def say(self, messages: list[str]) -> None:
        """The reply so far; an empty last message means the next one is about to start."""
        if self.on_text is not None:
            self.on_text("\n\n".join(messages))
        if self.on_reply is not None:
            self.on_reply([m for m in messages if m])

    def feedback(self, text: str) -> None:
        self.say([text])


def closed_at(record: QuestionRecord) -> int | None:
    """The index among the record's turns of the reveal that closed the question; None while it is open."""
    if not record.revealed:
        return None
    for i, turn in enumerate(record.turns):
        if turn.kind == "hint" and turn.text.startswith(REVEALED):
            return i
    return None


def is_practice(record: QuestionRecord, index: int) -> bool:
    """Whether the record's turn at `index` is an answer given after the reveal: graded, shown, not counted."""
    closed = closed_at(record)
    turn = record.turns[index]
    return closed is not None and index > closed and turn.role == "candidate" and turn.grade is not None


def recovered_points(record: QuestionRecord) -> set[str]:
    """Key points the candidate covered when asked a follow-up."""
    return {k.text for g in record.follow_up_grades for k in g.key_points if k.status == "covered"}


def hints_taken(record: QuestionRecord) -> int:
    """Hints given on the question, not counting the reveal."""
    return max(0, record.hints - int(record.revealed))


def score_cap(record: QuestionRecord) -> float:
    """The most the question can score: 10, less `HINT_COST` for each hint taken."""
    return max(0.0, 10.0 - HINT_COST * hints_taken(record))


def hint_note(record: QuestionRecord, answer_score: float) -> str:
    """What the hints taken on a question cost, said beside its score; '' when none were taken."""
    taken = hints_taken(record)
    if not taken:
        return ""
    cost = HINT_COST * taken
    note = (
        f"You took {_count(taken, 'hint')}, so this question's maximum is {score_cap(record):g}/10 "
        f"({_count(cost, 'point')} off)."
    )
    if answer_score > score_cap(record):
        note += f" Your answer itself graded {answer_score:g}/10."
    return note


def _count(n: float, noun: str) -> str:
    return f"{n:g} {noun}" if n == 1 else f"{n:g} {noun}s"


def question_score(record: QuestionRecord) -> float:
    """The main answer's score, plus half the share of key points recovered in follow-ups, at most the
    question's maximum after hints (`score_cap`)."""
    if record.main_grade is None:
        return 0.0
    main = record.main_grade
    total = sum(k.weight for k in main.key_points) or 1.0
    missed = {k.text: k.weight for k in main.key_points if k.status != "covered"}
    recovered = recovered_points(record)
    bonus = 10 * FOLLOW_UP_CREDIT * sum(w for t, w in missed.items() if t in recovered) / total
    return round(min(score_cap(record), main.score + bonus), 1)


def follow_up_headline(grade: Grade, score: float) -> str:
    """A follow-up's grade is about one key point: say how that went and the question's score now, so the
    follow-up's own grade never reads as the question's score."""
    status = grade.key_points[0].status if grade.key_points else "missing"
    said = {
        "covered": "you made the point",
        "partial": "partly there",
        "missing": "the point is still missing",
    }
    return f"**Follow-up: {said[status]}. The question's score is now {score:g}/10**"


def feedback_text(grade: Grade, headline: str = "", note: str = "") -> str:
    """The feedback on an answer, as the chat and the terminal show it. `headline` replaces the opening
    "Score: n/10" (a follow-up's or a practice answer's grade is not the question's score, nor is a grade
    above the maximum the hints left); `note` says what hints cost."""
    head = headline or f"**Score: {grade.score:g}/10**"  # as the score card writes it: "0/10", "7.5/10"
    lines = [f"{head} ({grade.grader} grader). {grade.feedback.summary}"]
    if note:
        lines.append(f"_{note}_")
    if grade.fallback_reason:
        lines.append(f"_The LLM grader was unavailable ({grade.fallback_reason}); graded offline._")
    if unsure := unsure_note(grade):
        lines.append(f"_{unsure}_")
    covered = [k for k in grade.key_points if k.status == "covered"]
    if covered:
        lines.append("Covered:\n" + "\n".join(f"- {k.text}{_doubt(k)}" for k in covered))
    missed = [k for k in grade.key_points if k.status != "covered"]
    if missed:
        lines.append(
            "Missing or partial:\n" + "\n".join(f"- {k.text} ({k.status}){_doubt(k)}" for k in missed)
        )
    for m in grade.misconceptions:
        lines.append(f"Careful: you said “{m.quoted}”. {m.correction}")
    return "\n\n".join(lines)


def _doubt(point: KeyPointResult) -> str:
    """A key point's doubt, on its own line under the point in a Markdown list; '' when the grader is sure."""
    return f"\n  Unsure: {point.doubt}" if point.doubt else ""


NO_MORE_HINTS = "No more hints for this question. Give it your best try, or skip it."


def hint_text(entry: BankEntry, level: int) -> str:
    if level == 1:
        return f"Hint: {entry.tip}"
    probes = [k.probe for k in sorted(entry.key_points, key=lambda k: -k.weight) if k.probe]
    if level - 2 < len(probes):
        return f"Hint: think about this: {probes[level - 2]}"
    return NO_MORE_HINTS
