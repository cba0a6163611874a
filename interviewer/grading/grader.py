"""The `Grader` interface and the scoring rules every grader shares.

A grader judges an answer (key points covered or not, with evidence; a level per rubric criterion). The
numbers are then computed here, in code, from those judgements, so nothing a candidate writes can set a score.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from interviewer.models import CriterionScore, Feedback, Grade, KeyPoint, KeyPointResult, Reference, Rubric
from interviewer.text import collapse_whitespace, sentence_spans

TextSink = Callable[[str], None]
"""Receives the interviewer's feedback text so far, each time more of it arrives (graders that stream)."""


class Grader(ABC):
    """Grades one answer against a reference, under a rubric.

    A grader whose backend streams calls `on_text` with the feedback written so far; others ignore it.
    """

    name: str

    @abstractmethod
    def grade(
        self, reference: Reference, answer: str, rubric: Rubric, *, on_text: TextSink | None = None
    ) -> Grade: ...


def key_points_of(reference: Reference) -> list[KeyPoint]:
    """The reference's key points, or, when it has none, one per sentence of the reference answer."""
    if reference.key_points:
        return reference.key_points
    sentences = [s.text for s in sentence_spans(reference.reference_answer)] or [reference.reference_answer]
    return [KeyPoint(text=s, weight=1.0) for s in sentences]


def overall_score(criteria: list[CriterionScore]) -> float:
    """The weighted mean of criterion scores, on 0-10, rounded to one decimal."""
    total_weight = sum(c.weight for c in criteria) or 1.0
    return round(sum(c.weight * c.score for c in criteria) / total_weight, 1)


def criterion_score(rubric: Rubric, criterion_id: str, fraction: float, rationale: str) -> CriterionScore:
    """A criterion's score from a 0-1 fraction; its level is the nearest rubric level."""
    criterion = next(c for c in rubric.criteria if c.id == criterion_id)
    fraction = min(max(fraction, 0.0), 1.0)
    return CriterionScore(
        id=criterion.id,
        name=criterion.name,
        weight=criterion.weight,
        level=round(fraction * 3),
        score=round(10 * fraction, 1),
        rationale=rationale,
    )


def is_verbatim(evidence: str, answer: str) -> bool:
    """Evidence counts only if it is the candidate's own text, ignoring differences in whitespace."""
    quote = collapse_whitespace(evidence)
    return bool(quote) and quote in collapse_whitespace(answer)


def zero_grade(reference: Reference, rubric: Rubric, grader: str, flag: str, message: str) -> Grade:
    """The grade for an answer a guard stopped: nothing credited, and a message that says why."""
    points = key_points_of(reference)
    criteria = [criterion_score(rubric, c.id, 0.0, message) for c in rubric.criteria]
    return Grade(
        score=0.0,
        grader=grader,
        criteria=criteria,
        key_points=[
            KeyPointResult(text=k.text, weight=k.weight, status="missing", probe=k.probe) for k in points
        ],
        flags=[flag],
        feedback=_feedback_for_missing(points, reference, message),
        reference_id=reference.entry_id,
        reference_similarity=reference.similarity,
    )


def _feedback_for_missing(points: list[KeyPoint], reference: Reference, summary: str) -> Feedback:
    return Feedback(
        strengths=[],
        missing=[k.text for k in sorted(points, key=lambda k: -k.weight)],
        model_answer=reference.reference_answer,
        summary=summary,
    )
