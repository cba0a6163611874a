"""Why an answer scored what it did, worked out from its grade alone: the offline "Why did I lose points?".

A grade already carries every judgement behind its score: per key point the status, the clause quoted as
evidence, the match and the grader's confidence (with its doubt), the wrong claims with their corrections, and
the flags. `explain` words them, the same every time, for the page and the terminal; with an LLM configured the
same text is the grade the model is shown (`interview/why.py`).

In an exam that is still running, the candidate has seen no score, reference answer or key point (the score card
shows none of them): `GradedAnswer.withheld` is then true, and the explanation says how the grader read the
candidate's own words, point by point, without the score, the reference answer, the key points' text, the
corrections or the words a point needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from interviewer.content.loader import Bank
from interviewer.grading.alignment import question_stems
from interviewer.grading.offline import OfflineThresholds
from interviewer.grading.scoring import ERROR_DEDUCTION, INJECTION_CAP, error_cap
from interviewer.interview.report import AnswerKind, answer_kinds
from interviewer.interview.session import hint_note
from interviewer.models import (
    STOPS_GRADING,
    Grade,
    GradeFlag,
    KeyPointResult,
    Misconception,
    MisconceptionFound,
    Transcript,
)
from interviewer.text import content_stems, content_tokens, stem

WHY_QUESTION = "Why did I lose points?"
WITHHELD_NOTE = (
    "Exam mode: your score, the reference answer and the key points come with the report at the end. "
    "Here is how the grader read your own words."
)
MAX_MISSING_WORDS = 8
STATUS_WORDS = {"covered": "made", "partial": "partly made", "missing": "not made"}
STATUS_MARK = {"covered": "✔", "partial": "◐", "missing": "✘"}
_OFFLINE = OfflineThresholds()

# What each flag cost, in words; wrong claims and doubts have sections of their own.
FLAG_WORDS: dict[GradeFlag, str] = {
    GradeFlag.EMPTY: "The answer was empty, so there was nothing to grade.",
    GradeFlag.NEAR_EMPTY: "The answer was too short to show anything, so it was not graded further.",
    GradeFlag.DONT_KNOW: "The answer said you don't know, so nothing could be credited.",
    GradeFlag.COPIES_QUESTION: "The answer restated the question, which shows nothing, so it scored 0.",
    GradeFlag.COPIES_REFERENCE: "The answer was the revealed reference answer pasted back, so it scored 0.",
    GradeFlag.OFF_TOPIC: "The answer is not about this question, so nothing could be credited.",
    GradeFlag.KEYWORD_LIST: "The answer reads as a bare list of terms: a list cannot be evidence of a point.",
    GradeFlag.KEYWORD_STUFFING: "A run of stuffed keywords was left out: it cannot be evidence of a point.",
    GradeFlag.INJECTION: (
        f"Text addressed to the grader was left out: it earns nothing, and an answer that tries to instruct the "
        f"grader scores at most {INJECTION_CAP:g}/10."
    ),
    GradeFlag.PADDING: "Less than half of the answer is about the question; the focus criterion counts that share.",
    GradeFlag.UNSUPPORTED_EVIDENCE: (
        "The LLM grader quoted words of yours that do not make the point it credited, so that credit was "
        "withdrawn."
    ),
    GradeFlag.LLM_CAPPED: "The LLM's grade was more than 3 points above the offline grader's and was capped there.",
}


@dataclass(frozen=True)
class GradedAnswer:
    """One graded answer and what it was graded against, as the candidate may see it now."""

    number: int  # the question's number in the interview
    index: int  # the answer's place among its question's turns
    kind: AnswerKind  # the question's main answer, a follow-up's answer, or practice after the reveal
    question: str  # what was asked: the question, or the follow-up's own words
    answer: str
    grade: Grade
    question_score: float  # the question's score after this answer (what a follow-up's card shows)
    reference_answer: str | None  # None when the entry has left the bank since
    misconceptions: tuple[Misconception, ...] = ()
    withheld: bool = False  # an exam still running: no score, reference, key points or corrections
    hint_note: str = ""  # what the hints taken on the question cost (a main answer's)

    @property
    def key(self) -> tuple[int, int, bool]:
        """Which answer this is, and whether the exam still hides its reference: a conversation is about one."""
        return self.number, self.index, self.withheld


def latest_graded_answer(transcript: Transcript, bank: Bank) -> GradedAnswer | None:
    """The most recent graded answer of the interview (the one the score card shows); None before any."""
    for number, record in reversed(list(enumerate(transcript.questions, start=1))):
        kinds = answer_kinds(record)
        if not kinds:
            continue
        index = max(kinds)
        turn = record.turns[index]
        assert turn.grade is not None
        asked = record.question
        if kinds[index] == "follow_up":
            asked = next((t.text for t in reversed(record.turns[:index]) if t.kind == "follow_up"), asked)
        entry = bank.entries.get(record.entry_id)
        return GradedAnswer(
            number=number,
            index=index,
            kind=kinds[index],
            question=asked,
            answer=turn.text,
            grade=turn.grade,
            question_score=record.score,
            reference_answer=entry.reference_answer if entry else None,
            misconceptions=tuple(entry.misconceptions) if entry else (),
            withheld=transcript.config.mode == "exam" and not transcript.finished,
            hint_note=hint_note(record, turn.grade.score) if kinds[index] == "main" else "",
        )
    return None


def explain(graded: GradedAnswer) -> str:
    """The grade's reasons in Markdown: each key point (the clause matched, its match and the grader's confidence,
    a doubt, the words missing), the wrong claims and what fired them, the flags, the criteria, what to add."""
    grade = graded.grade
    parts = [_headline(graded)]
    stopped = [f for f in grade.flags if f in STOPS_GRADING]
    if stopped:
        parts.append(" ".join(FLAG_WORDS[f] for f in stopped))
        if not graded.withheld and grade.key_points:
            parts.append(_what_to_add(grade))
        return "\n\n".join(p for p in parts if p)
    if grade.fallback_reason:
        parts.append(f"_The LLM grader was unavailable ({grade.fallback_reason}); graded offline._")
    if grade.key_points:
        parts.append(_key_points(graded))
    if grade.misconceptions:
        parts.append(_wrong_claims(graded))
    if flags := [FLAG_WORDS[f] for f in grade.flags if f in FLAG_WORDS]:
        parts.append("**Also**\n\n" + "\n".join(f"- {f}" for f in flags))
    if not graded.withheld:
        if graded.kind != "follow_up" and grade.criteria:
            parts.append(_criteria(grade))
        if grade.missed:
            parts.append(_what_to_add(grade))
    return "\n\n".join(p for p in parts if p)


def missing_words(point: str, answer: str, question: str) -> list[str]:
    """The content words of a key point that the answer never uses (nor the question, which earns nothing),
    each once, in the point's order."""
    have = content_stems(answer) | question_stems(question)
    missing: list[str] = []
    seen: set[str] = set()
    for word in content_tokens(point):
        root = stem(word)
        if root in have or root in seen:
            continue
        seen.add(root)
        missing.append(word)
    return missing[:MAX_MISSING_WORDS]


# --- the parts ------------------------------------------------------------------------------------------


def _headline(graded: GradedAnswer) -> str:
    grade = graded.grade
    if graded.withheld:
        return f"**About your answer to question {graded.number}.** {WITHHELD_NOTE}"
    grader = {"llm": "the LLM grader", "offline": "the offline grader"}.get(
        grade.grader, "the offline grader (fallback)"
    )
    if graded.kind == "follow_up":
        return (
            f"**Why the question's score is now {graded.question_score:g}/10.** This follow-up was graded by "
            f"{grader} on the one key point it asked about."
        )
    if graded.kind == "practice":
        return f"**Why {grade.score:g}/10 (practice, not counted).** Graded by {grader}."
    if graded.hint_note:
        shown = min(grade.score, graded.question_score)
        return f"**Why {shown:g}/10.** Graded by {grader}. {graded.hint_note}"
    return f"**Why {grade.score:g}/10.** Graded by {grader}."


def _key_points(graded: GradedAnswer) -> str:
    grade = graded.grade
    offline = grade.grader != "llm"
    head = "**Key points**"
    if offline and not graded.withheld:
        head += (
            f" (a point's words are matched to yours: made from a match of {_OFFLINE.covered:.2f}, "
            f"partly from {_OFFLINE.partial:.2f})"
        )
    elif offline:
        head += f" (made from a word match of {_OFFLINE.covered:.2f}, partly from {_OFFLINE.partial:.2f})"
    lines = [head, ""]
    total = sum(k.weight for k in grade.key_points) or 1.0
    for n, point in enumerate(grade.key_points, start=1):
        lines.append(_point_line(n, point, total, graded))
        for detail in _point_details(point, graded):
            lines.append(f"   - {detail}")
    if graded.withheld and any(k.status != "covered" for k in grade.key_points):
        lines += ["", "_The words each point needed come with the report at the end._"]
    return "\n".join(lines)


def _point_line(n: int, point: KeyPointResult, total: float, graded: GradedAnswer) -> str:
    mark, status = STATUS_MARK[point.status], STATUS_WORDS[point.status]
    if graded.withheld:  # numbered in its own words: "Key point 2"
        return f"- {mark} **Key point {n}: {status}**"
    share = f"worth {100 * point.weight / total:.0f}% of the key points"
    return f"{n}. {mark} **{status.capitalize()}** ({share}): {point.text}"


def _point_details(point: KeyPointResult, graded: GradedAnswer) -> list[str]:
    details: list[str] = []
    confidence = f"confidence {100 * point.confidence:.0f}%"
    if point.evidence:
        details.append(f"Your words: “{point.evidence.strip()}” (match {point.similarity:.2f}, {confidence})")
    elif _stated_wrongly(point, graded.grade):
        details.append("You stated this point wrongly, so it earned nothing: see **Wrong claims**.")
    else:
        details.append(f"No sentence of yours made this point (best match {point.similarity:.2f}).")
    if point.doubt:
        details.append(f"Unsure ({confidence}): {point.doubt}")
    if point.status != "covered" and not graded.withheld:
        words = missing_words(point.text, graded.answer, graded.question)
        if words:
            details.append(
                "Words of this point your answer never uses: " + ", ".join(f"*{w}*" for w in words)
            )
    return details


def _stated_wrongly(point: KeyPointResult, grade: Grade) -> bool:
    return any(m.text == point.text or point.text in m.correction for m in grade.misconceptions)


def _wrong_claims(graded: GradedAnswer) -> str:
    grade = graded.grade
    cap = (
        f"Each wrong claim earns nothing and takes {ERROR_DEDUCTION:g} points off the score, which it also caps: "
        f"at {error_cap(1):g} for one, at {error_cap(2):g} for two or more."
        if grade.grader != "llm"  # the LLM grader's score is the weighted mean of its criteria
        else "Each wrong claim earns nothing and takes half of the accuracy criterion (correctness or soundness)."
    )
    lines = ["**Wrong claims**", ""]
    for m in grade.misconceptions:
        if graded.withheld:
            lines.append(
                f"- You said “{m.quoted}”. The grader read it as a wrong claim; the correction comes with the report."
            )
        else:
            lines.append(f"- You said “{m.quoted}”. {_what_fired(m, graded)} {m.correction}")
    return "\n".join([*lines, "", cap])


def _what_fired(found: MisconceptionFound, graded: GradedAnswer) -> str:
    """Which check read the claim as wrong: a key point stated backwards, a contrast of a point, or a listed
    misconception."""
    points = {k.text for k in graded.grade.key_points}
    if found.text in points:
        return "It states a key point backwards (its terms exchanged, or its direction or negation reversed)."
    if any(found.text == m.text for m in graded.misconceptions):
        return f"It is a common misconception: “{found.text.rstrip(' .')}”."
    if found.correction.startswith("In fact:"):
        return f"It says a known wrong version of a key point: “{found.text.rstrip(' .')}”."
    return f"It matches the wrong claim “{found.text.rstrip(' .')}”."


def _criteria(grade: Grade) -> str:
    offline_claims = grade.misconceptions and grade.grader != "llm"
    rule = (
        "their weighted mean, less the wrong claims above"
        if offline_claims
        else "the score is their weighted mean"
    )
    lines = [f"**Criteria** ({rule})", ""]
    for c in grade.criteria:
        why = f": {c.rationale}" if c.rationale else ""
        lines.append(f"- {c.name} ({100 * c.weight:.0f}%): level {c.level} of 3, {c.score:g}/10{why}")
    return "\n".join(lines)


def _what_to_add(grade: Grade) -> str:
    missed = grade.missed[:3]
    if not missed:
        return ""
    return "**What to add**\n\n" + "\n".join(f"- {k.text}" for k in missed)
