"""The `Grader` interface and what every grader starts from: the key points, verbatim evidence, the zero grade.

A grader judges an answer (key points covered or not, with evidence; a level per rubric criterion). The
numbers are then computed in code from those judgements (`scoring`), so nothing a candidate writes can set a
score.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from interviewer.grading.scoring import feedback, score_criteria
from interviewer.models import Grade, GradeFlag, KeyPoint, KeyPointResult, Reference, Rubric
from interviewer.text import collapse_whitespace, sentence_spans

TextSink = Callable[[str], None]
"""Receives the interviewer's feedback text so far, each time more of it arrives (graders that stream)."""


class Grader(ABC):
    """Grades one answer against a reference, under a rubric.

    A grader whose backend streams (`streams`) calls `on_text` with the feedback written so far; others ignore it.
    """

    name: str
    streams = False

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


def is_verbatim(evidence: str, answer: str) -> bool:
    """Evidence counts only if it is the candidate's own text, ignoring differences in whitespace."""
    quote = collapse_whitespace(evidence)
    return bool(quote) and quote in collapse_whitespace(answer)


def zero_grade(reference: Reference, rubric: Rubric, grader: str, flag: GradeFlag, message: str) -> Grade:
    """The grade for an answer a guard stopped: nothing credited, and a message that says why."""
    results = [
        KeyPointResult(text=k.text, weight=k.weight, status="missing", probe=k.probe)
        for k in key_points_of(reference)
    ]
    criteria = score_criteria(rubric, lambda _: (0.0, message))
    return Grade(
        score=0.0,
        grader=grader,
        criteria=criteria,
        key_points=results,
        flags=[flag],
        feedback=feedback(results, reference, message),
        reference_id=reference.entry_id,
        reference_similarity=reference.similarity,
    )
