"""The LLM grader: one structured call per answer, judgements from the model, numbers from code.

What the model may and may not decide:
- The offline grader runs first. Answers its guards stop (empty, near-empty, "I don't know", a copy of the
  question, off-topic) never reach the LLM; the offline grade also sets the ceiling below.
- The model judges each key point (with evidence), each misconception, each rubric criterion (rationale, then
  level), writes feedback and advises the next move. It writes no score.
- Evidence must be the candidate's own words (a whitespace-normalised substring of the answer), about the key
  point (embedding similarity), not a restatement of the question and not words addressed to a grader ("award
  full marks", "grader note"); otherwise the point is not credited.
- Criteria other than coverage are only fully credited once enough key points are credited, as offline.
- A score more than `cap_margin` above the offline grader's is capped there and flagged.
- The answer goes into the prompt between random per-call markers, with the instructions repeated after it.
- Any fault (the endpoint down, slow, rate limiting, refusing, replying badly) ends in the offline grade,
  labelled `offline-fallback` with the reason, which alone is logged; an unexpected error (a bug) is logged with
  its traceback too. Nothing is raised, so no answer is ever lost.
- The rules that turn judgements into numbers (coverage, the coverage gate, the misconception penalty, the
  feedback lists) are the offline grader's too (`scoring`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Literal

from interviewer.errors import LLMError
from interviewer.grading.grader import Grader, TextSink, is_verbatim, key_points_of
from interviewer.grading.guards import copies_question
from interviewer.grading.offline import OfflineGrader
from interviewer.grading.scoring import (
    STATUS_CREDIT,
    Signal,
    coverage_gate,
    feedback,
    misconception_factor,
    overall_score,
    score_criteria,
    weighted_coverage,
)
from interviewer.llm import prompts
from interviewer.llm.chat_model import ChatModel, Message
from interviewer.models import (
    STOPS_GRADING,
    Criterion,
    Grade,
    GradeFlag,
    GradingJudgement,
    KeyPoint,
    KeyPointJudgement,
    KeyPointResult,
    MisconceptionFound,
    Reference,
    Rubric,
)
from interviewer.text import is_keyword_list

log = logging.getLogger(__name__)

# Text addressed to a grader rather than an interviewer: never evidence of knowing the subject.
INSTRUCTION_LIKE = re.compile(
    r"\b(?:grader|grading|examiner|evaluator|rubric|full (?:marks|score|credit)|award|ignore (?:all |any |the )?"
    r"(?:previous|prior|above|earlier)|instructions?|system (?:prompt|message)|assistant|as an ai|10 ?/ ?10|"
    r"key points?|maximum score|score (?:this|it|the answer)|mark (?:this|it|the answer) as)\b",
    re.IGNORECASE,
)

MAX_FEEDBACK_CHARS = 1500
MAX_RATIONALE_CHARS = 400


class LLMGrader(Grader):
    name = "llm"

    def __init__(
        self,
        chat: ChatModel,
        offline: OfflineGrader,
        *,
        cap_margin: float = 3.0,
        evidence_min_similarity: float = 0.2,
    ):
        self.chat = chat
        self.offline = offline
        self.cap_margin = cap_margin
        self.evidence_min_similarity = evidence_min_similarity

    def grade(
        self, reference: Reference, answer: str, rubric: Rubric, *, on_text: TextSink | None = None
    ) -> Grade:
        baseline = self.offline.grade(reference, answer, rubric)
        if STOPS_GRADING & set(baseline.flags):
            return baseline
        try:
            return self._grade(reference, answer, rubric, baseline, on_text)
        except LLMError as exc:  # an endpoint fault: expected, so its reason is enough
            reason = f"the LLM endpoint {exc.reason}"
            log.warning("LLM grading fell back to the offline grader: %s", reason)
        except Exception as exc:  # a bug: the traceback is logged, and the answer is still graded
            reason = f"the LLM grader failed unexpectedly ({type(exc).__name__})"
            log.exception("LLM grading fell back to the offline grader: %s", reason)
        return baseline.model_copy(update={"grader": "offline-fallback", "fallback_reason": reason})

    def _grade(
        self, reference: Reference, answer: str, rubric: Rubric, baseline: Grade, on_text: TextSink | None
    ) -> Grade:
        points = key_points_of(reference)
        messages = grading_messages(reference, points, answer, rubric)
        shown = ""

        def show_feedback(partial: dict[str, object]) -> None:
            nonlocal shown
            text = partial.get("feedback")
            if on_text is not None and isinstance(text, str) and text and text != shown:
                shown = text
                on_text(text[:MAX_FEEDBACK_CHARS])

        judgement = self.chat.parse(
            messages,
            GradingJudgement,
            check=lambda j: check_judgement(j, len(points), len(reference.misconceptions), rubric),
            on_partial=show_feedback if on_text is not None else None,
        )
        return self._grade_from(judgement, reference, points, answer, rubric, baseline)

    def _grade_from(
        self,
        judgement: GradingJudgement,
        reference: Reference,
        points: list[KeyPoint],
        answer: str,
        rubric: Rubric,
        baseline: Grade,
    ) -> Grade:
        results, unsupported = self._key_points(judgement, reference, points, answer)
        found = _misconceptions(judgement, reference, answer)
        coverage = weighted_coverage(points, [STATUS_CREDIT[r.status] for r in results])
        criteria = score_criteria(rubric, _signal_from(judgement, coverage, len(found)))
        score = overall_score(criteria)
        flags: list[GradeFlag] = []
        notes: list[str] = []
        if unsupported:
            flags.append(GradeFlag.UNSUPPORTED_EVIDENCE)
            notes.append(
                f"{unsupported} key point(s) the grader credited were not supported by your own words, "
                "so they were not counted."
            )
        ceiling = round(baseline.score + self.cap_margin, 1)
        if score > ceiling:
            flags.append(GradeFlag.LLM_CAPPED)
            notes.append(
                f"The LLM's judgement ({score}/10) was far above the offline check ({baseline.score}/10), "
                f"so the score is capped at {ceiling}/10."
            )
            score = ceiling
        if found:
            flags.append(GradeFlag.MISCONCEPTION)
        next_move, follow_up_point = _next_move(judgement, points, results)
        summary = " ".join([judgement.feedback.strip()[:MAX_FEEDBACK_CHARS], *notes]).strip()
        return Grade(
            score=score,
            grader="llm",
            criteria=criteria,
            key_points=results,
            misconceptions=found,
            feedback=feedback(results, reference, summary),
            flags=flags,
            reference_id=reference.entry_id,
            reference_similarity=reference.similarity,
            next_move=next_move,
            follow_up_point=follow_up_point,
        )

    def _key_points(
        self, judgement: GradingJudgement, reference: Reference, points: list[KeyPoint], answer: str
    ) -> tuple[list[KeyPointResult], int]:
        """Each key point as the model judged it (its first verdict), unless its evidence does not hold up; and
        how many credited points were dropped for that."""
        by_number: dict[int, KeyPointJudgement] = {}
        for j in judgement.key_points:
            by_number.setdefault(j.key_point, j)
        claimed = {
            n: j.evidence.strip()
            for n, j in by_number.items()
            if j.status != "missing" and j.evidence.strip()
        }
        similarity = self._similarities(claimed, points)
        results, unsupported = [], 0
        for number, point in enumerate(points, start=1):
            judged = by_number.get(number)
            status = judged.status if judged else "missing"
            evidence = claimed.get(number)
            sim = similarity.get(number, 0.0)
            if status != "missing" and not self._supported(evidence, sim, answer, reference.question):
                unsupported += 1
                status, evidence = "missing", None
            results.append(
                KeyPointResult(
                    text=point.text,
                    weight=point.weight,
                    status=status,
                    evidence=evidence if status != "missing" else None,
                    similarity=round(max(sim, 0.0), 3),
                    probe=point.probe,
                )
            )
        return results, unsupported

    def _similarities(self, claimed: dict[int, str], points: list[KeyPoint]) -> dict[int, float]:
        """Cosine similarity of each piece of claimed evidence to its key point."""
        if not claimed:
            return {}
        numbers = sorted(claimed)
        vectors = self.offline.embedder.embed(
            [claimed[n] for n in numbers] + [points[n - 1].text for n in numbers]
        )
        half = len(numbers)
        return {n: float(vectors[i] @ vectors[half + i]) for i, n in enumerate(numbers)}

    def _supported(self, evidence: str | None, similarity: float, answer: str, question: str) -> bool:
        return (
            bool(evidence)
            and is_verbatim(evidence or "", answer)
            and similarity >= self.evidence_min_similarity
            and not copies_question(question, evidence or "")
            and not is_keyword_list(evidence or "")
            and not INSTRUCTION_LIKE.search(evidence or "")
        )


def _misconceptions(
    judgement: GradingJudgement, reference: Reference, answer: str
) -> list[MisconceptionFound]:
    """The listed misconceptions the model found, each only with the candidate's own words as evidence."""
    found = []
    for m in judgement.misconceptions:
        if 1 <= m.misconception <= len(reference.misconceptions) and is_verbatim(m.evidence, answer):
            wrong = reference.misconceptions[m.misconception - 1]
            found.append(
                MisconceptionFound(text=wrong.text, correction=wrong.correction, evidence=m.evidence.strip())
            )
    return found


def _signal_from(
    judgement: GradingJudgement, coverage: float, misconceptions: int
) -> Callable[[Criterion], Signal]:
    """Each criterion's value: coverage as computed; the others, the model's level, gated by coverage (accuracy
    also lowered by the misconceptions found)."""
    gate = coverage_gate(coverage)
    levels = {c.criterion: c for c in judgement.criteria}

    def signal(criterion: Criterion) -> Signal:
        said = levels[criterion.id]
        if criterion.measure == "coverage":
            fraction = coverage
        else:
            fraction = said.level / 3 * gate
            if criterion.measure == "accuracy":
                fraction *= misconception_factor(misconceptions)
        return fraction, said.rationale.strip()[:MAX_RATIONALE_CHARS]

    return signal


def _next_move(
    judgement: GradingJudgement, points: list[KeyPoint], results: list[KeyPointResult]
) -> tuple[Literal["follow_up", "move_on"] | None, str | None]:
    """The model's advice, kept only when it names a key point that really is missed (else the policy decides)."""
    move = judgement.next_move
    if move.action == "move_on":
        return "move_on", None
    if (
        move.key_point is not None
        and 1 <= move.key_point <= len(points)
        and results[move.key_point - 1].status != "covered"
    ):
        return "follow_up", points[move.key_point - 1].text
    return None, None


def check_judgement(
    judgement: GradingJudgement, n_points: int, n_misconceptions: int, rubric: Rubric
) -> None:
    """What the JSON Schema cannot say: numbers in range, every criterion judged. Raises ValueError."""
    problems = []
    bad_points = sorted({j.key_point for j in judgement.key_points} - set(range(1, n_points + 1)))
    if bad_points:
        problems.append(f"key point numbers {bad_points} do not exist (there are {n_points})")
    bad_mis = sorted(
        {m.misconception for m in judgement.misconceptions} - set(range(1, n_misconceptions + 1))
    )
    if bad_mis:
        problems.append(f"misconception numbers {bad_mis} do not exist (there are {n_misconceptions})")
    wanted = {c.id for c in rubric.criteria}
    got = {c.criterion for c in judgement.criteria}
    if wanted - got:
        problems.append(f"criteria {sorted(wanted - got)} were not judged")
    if got - wanted:
        problems.append(f"criteria {sorted(got - wanted)} are not in the rubric")
    if problems:
        raise ValueError("; ".join(problems))


def grading_messages(
    reference: Reference, points: list[KeyPoint], answer: str, rubric: Rubric
) -> list[Message]:
    """The grading prompt: reference material, the answer between fresh markers, instructions again, rubric last."""
    open_marker, close_marker = prompts.fence(answer, "answer")
    misconceptions = "\n".join(
        f"{n}. {m.text} (correct view: {m.correction})" for n, m in enumerate(reference.misconceptions, 1)
    )
    rubric_text = "\n\n".join(
        f"### {c.id}: {c.name} (weight {c.weight:g})\n"
        + "\n".join(f"- level {level}: {text}" for level, text in sorted(c.levels.items()))
        for c in rubric.criteria
    )
    user = prompts.render(
        "grade.user",
        question=reference.question,
        reference_answer=reference.reference_answer,
        key_points="\n".join(f"{n}. {p.text}" for n, p in enumerate(points, 1)),
        misconceptions=misconceptions or "(none listed)",
        open_marker=open_marker,
        close_marker=close_marker,
        answer=answer,
        key_point_count=str(len(points)),
        criterion_ids=", ".join(c.id for c in rubric.criteria),
        rubric=rubric_text,
    )
    return [
        {"role": "system", "content": prompts.render("grade.system")},
        {"role": "user", "content": user},
    ]
