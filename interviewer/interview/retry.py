"""Try again: ask a question once more and show what changed against the last attempt.

"The last attempt" is the candidate's most recent earlier counted answer to the same bank question: a question's
main answer, in any of their sessions. An answer given after the reference answer was revealed is practice and
never counts as an attempt, and an exam that is still running offers none, since its grades are held until it
ends and a comparison would show them.

A retry is a new one-question study session (`retry_config`) that carries the earlier attempt with it, so its
score card can show the comparison from the transcript alone, after a refresh or a restart too. A new session,
rather than the question asked again inside the interview it came from: a past report and its score stay what
they were, the running interview's score counts each question once, and each attempt is a dated row of its own
in History.

Everything here is pure: it reads transcripts and grades, and never touches the store, Gradio or a terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from difflib import SequenceMatcher
from typing import Literal

from pydantic import BaseModel

from interviewer.errors import InterviewerError
from interviewer.interview.report import answer_kinds, local_time
from interviewer.interview.scorecard import render_html
from interviewer.models import Attempt, Grade, KeyPointStatus, SessionConfig, Transcript

RANK: dict[KeyPointStatus, int] = {"missing": 0, "partial": 1, "covered": 2}
_WORD = re.compile(r"\S+\s*")  # a word and the whitespace after it (kept, so line breaks survive the diff)
_TRAILING_SPACE = re.compile(r"^(.*?)(\s*)$", re.DOTALL)

DiffKind = Literal["same", "deleted", "inserted"]


class RetryRefusedError(InterviewerError):
    """A question cannot be tried again from where it was asked; the message says what to do instead."""


class PointChange(BaseModel):
    """A key point whose status differs between the two attempts."""

    text: str
    before: KeyPointStatus
    after: KeyPointStatus


class DiffOp(BaseModel):
    """A run of words the two answers share, or that only the earlier (deleted) or the new one (inserted) has.
    `text` keeps the whitespace after each word."""

    kind: DiffKind
    text: str

    @property
    def words(self) -> str:
        return _TRAILING_SPACE.match(self.text).group(1)  # type: ignore[union-attr]

    @property
    def space(self) -> str:
        return _TRAILING_SPACE.match(self.text).group(2)  # type: ignore[union-attr]


class AttemptComparison(BaseModel):
    """What changed between the earlier attempt and the new answer to the same question."""

    entry_id: str
    earlier_session_id: str
    earlier_at: str  # when the earlier attempt's interview started, ISO 8601 in UTC
    score_before: float
    score_after: float
    gained: list[PointChange]  # key points whose status rose (missing to partial or covered, ...)
    lost: list[PointChange]  # key points whose status fell
    claims_fixed: list[
        str
    ]  # wrong claims (your words, quoted) the earlier answer made and the new one does not
    claims_new: list[str]  # wrong claims (your words, quoted) only the new answer makes
    diff: list[DiffOp]

    @property
    def delta(self) -> float:
        return round(self.score_after - self.score_before, 1)

    @property
    def delta_label(self) -> str:
        """The change in score, signed: "+4.3", "-1", "±0"."""
        return "±0" if self.delta == 0 else f"{self.delta:+g}"

    @property
    def same_answer(self) -> bool:
        return all(op.kind == "same" for op in self.diff)

    @property
    def earlier_when(self) -> str:
        return local_time(self.earlier_at)


def attempts_in(transcript: Transcript) -> list[Attempt]:
    """The counted, graded answers of an interview, one per answered question, in the order asked. None for an
    exam still running (its grades are held until it ends); an answer after the reveal is practice, not one."""
    if transcript.config.mode == "exam" and not transcript.finished:
        return []
    attempts = []
    for record in transcript.questions:
        main = sorted(i for i, kind in answer_kinds(record).items() if kind == "main")
        if not main or record.main_grade is None:
            continue
        turn = record.turns[main[0]]
        assert turn.grade is not None
        attempts.append(
            Attempt(
                entry_id=record.entry_id,
                session_id=transcript.session_id,
                answered_at=transcript.started_at,
                answer=turn.text,
                grade=turn.grade,
            )
        )
    return attempts


def last_attempt(transcripts: Iterable[Transcript], entry_id: str) -> Attempt | None:
    """The most recent attempt at `entry_id` among `transcripts`, given most recently active first (as
    `SessionStore.history` lists them): the latest interview to start, and within it the latest question."""
    best: tuple[tuple[str, int, int], Attempt] | None = None
    for rank, transcript in enumerate(transcripts):
        for position, attempt in enumerate(attempts_in(transcript)):
            if attempt.entry_id != entry_id:
                continue
            key = (transcript.started_at, -rank, position)
            if best is None or key > best[0]:
                best = (key, attempt)
    return best[1] if best else None


def check_retry(transcript: Transcript, entry_id: str) -> None:
    """Refuse to try a question again from an interview that did not ask it, or from an exam still running."""
    if transcript.config.mode == "exam" and not transcript.finished:
        raise RetryRefusedError(
            "Try again opens once this exam has ended: until then its grades are held, and comparing your "
            "answers would show them. Finish the exam (or press End), then try again from its report."
        )
    if all(q.entry_id != entry_id for q in transcript.questions):
        raise RetryRefusedError(
            f"This interview did not ask the question {entry_id!r}, so there is nothing to try again. Open "
            "the interview that asked it from History, and press Try again on its row."
        )


def retry_config(entry_id: str, earlier: Attempt | None) -> SessionConfig:
    """A one-question study session on `entry_id`, compared with `earlier` (None: no attempt on record). No
    follow-ups: the point is your own answer again, set against the last one."""
    return SessionConfig(
        question_ids=[entry_id], num_questions=1, max_follow_ups=0, mode="study", retry_of=earlier
    )


def word_diff(before: str, after: str) -> list[DiffOp]:
    """The two answers word by word (difflib on words): what they share, and what only one of them has. The
    words are compared without the whitespace after them, which is kept from the new answer where they agree.

    A rewritten answer shares a stray "it" or "the" with the old one; shown as kept, such a word would cut both
    answers into fragments. So a run of shared words shorter than the changes on both sides of it is shown as
    changed (the semantic clean-up of Myers' diff-match-patch), and each change reads as whole phrases."""
    old, new = _WORD.findall(before.strip()), _WORD.findall(after.strip())
    matcher = SequenceMatcher(a=[w.strip() for w in old], b=[w.strip() for w in new], autojunk=False)
    # (shared?, words of the earlier answer, words of the new one)
    runs: list[tuple[bool, list[str], list[str]]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        shared = tag == "equal"
        if runs and not shared and not runs[-1][0]:
            runs[-1] = (False, runs[-1][1] + old[i1:i2], runs[-1][2] + new[j1:j2])
        else:
            runs.append((shared, old[i1:i2], new[j1:j2]))
    merged = True
    while merged:
        merged = False
        for i in range(1, len(runs) - 1):
            (_, a0, b0), (shared, a, b), (_, a2, b2) = runs[i - 1], runs[i], runs[i + 1]
            if shared and len(b) < max(len(a0), len(b0)) and len(b) < max(len(a2), len(b2)):
                runs[i - 1 : i + 2] = [(False, a0 + a + a2, b0 + b + b2)]
                merged = True
                break
    ops: list[DiffOp] = []
    for shared, a, b in runs:
        if shared:
            ops.append(DiffOp(kind="same", text="".join(b)))
            continue
        if a:
            ops.append(DiffOp(kind="deleted", text="".join(a)))
        if b:
            ops.append(DiffOp(kind="inserted", text="".join(b)))
    if ops:  # the last word may have no whitespace after it in one answer and some in the other
        ops[-1] = DiffOp(kind=ops[-1].kind, text=ops[-1].text.rstrip())
    for i, op in enumerate(ops[:-1]):  # the earlier answer's last words, then new ones: keep them apart
        if op.kind == "deleted" and not op.space:
            ops[i] = DiffOp(kind="deleted", text=op.text + " ")
    return ops


def compare(earlier: Attempt, answer: str, grade: Grade) -> AttemptComparison:
    """The new answer and its grade set against the earlier attempt. Key points are matched by their text, so a
    point the bank added or reworded since is left out of gained and lost."""
    before = {k.text: k.status for k in earlier.grade.key_points}
    gained: list[PointChange] = []
    lost: list[PointChange] = []
    for point in grade.key_points:
        was = before.get(point.text)
        if was is None or RANK[was] == RANK[point.status]:
            continue
        change = PointChange(text=point.text, before=was, after=point.status)
        (gained if RANK[point.status] > RANK[was] else lost).append(change)
    claims_before = {m.text: m.quoted for m in earlier.grade.misconceptions}
    claims_after = {m.text: m.quoted for m in grade.misconceptions}
    return AttemptComparison(
        entry_id=earlier.entry_id,
        earlier_session_id=earlier.session_id,
        earlier_at=earlier.answered_at,
        score_before=earlier.grade.score,
        score_after=grade.score,
        gained=gained,
        lost=lost,
        claims_fixed=[quoted for text, quoted in claims_before.items() if text not in claims_after],
        claims_new=[quoted for text, quoted in claims_after.items() if text not in claims_before],
        diff=word_diff(earlier.answer, answer),
    )


def comparison_for(transcript: Transcript) -> AttemptComparison | None:
    """A retry session's comparison, once its question's answer is graded; None for any other session."""
    earlier = transcript.config.retry_of
    if earlier is None:
        return None
    for attempt in attempts_in(transcript):
        if attempt.entry_id == earlier.entry_id:
            return compare(earlier, attempt.answer, attempt.grade)
    return None


def comparison_html(comparison: AttemptComparison) -> str:
    """The comparison as the page shows it above the new score card; every text in it is escaped."""
    return render_html("comparison.html.j2", c=comparison, earlier=None, when=comparison.earlier_when)


def waiting_html(earlier: Attempt | None) -> str:
    """What the card says while a retry waits for its answer: the attempt it will be compared with."""
    when = local_time(earlier.answered_at) if earlier else ""
    return render_html("comparison.html.j2", c=None, earlier=earlier, when=when)


COMPARISON_CSS = """
.iv-compare { font-size: 15px; line-height: 1.45; border-left: 3px solid #4c78a8; padding-left: 0.8em; margin-bottom: 1em; }
.iv-compare h3 { margin: 0 0 0.3em; }
.iv-delta { font-size: 1.8em; font-weight: 700; }
.iv-delta.up { color: #1a7f37; } .iv-delta.down { color: #c62828; }
.iv-was { color: #555; font-size: 0.9em; }
.iv-diff-key { font-size: 0.9em; color: #555; }
.iv-diff { white-space: pre-wrap; overflow-wrap: anywhere; border: 1px solid #ddd; border-radius: 4px; padding: 0.5em 0.7em; }
.iv-compare del { background: #ffd7d5; color: #82071e; text-decoration: line-through; }
.iv-compare ins { background: #c8f0d0; color: #055d20; text-decoration: underline; }
"""
