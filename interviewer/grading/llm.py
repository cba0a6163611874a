"""The LLM grader: one structured call per answer (and a small second one to verify doubted evidence),
judgements from the model, numbers from code.

What the model may and may not decide:
- The offline grader runs first. Answers its guards stop (empty, near-empty, "I don't know", a copy of the
  question, off-topic) never reach the LLM; the offline grade also sets the ceiling below.
- The model judges each key point (with evidence), each misconception, each rubric criterion (rationale, then
  level), writes feedback and advises the next move. It writes no score.
- Evidence must be the candidate's own words (a whitespace-normalised substring of the answer), about the key
  point (embedding similarity), not a restatement of the question, not a bare list of terms (unless the point is
  one) and not words addressed to a grader ("award full marks", "grader note": the offline grader's rule);
  otherwise the point is not credited.
- The quoted words must make the point by themselves, unless the offline grader finds the point clearly in
  the answer as a whole. The offline reading of the clause alone comes first; where it reads less than the
  model credited, a second, small call that sees only the key point and the clause is asked (one call for all
  such claims of an answer), and a claim it does not confirm keeps what the offline reading gives it
  (`verification`). A point the offline grader found stated wrongly, or evidence it read as a wrong claim,
  earns nothing. An obliging model that quotes real sentences is the threat this answers, with an obliging
  verifier too (tests/test_llm_obliging.py).
- Criteria other than coverage are only fully credited once enough key points are credited, as offline, and
  only in the share of the model's key-point credit that its evidence bore out.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from interviewer.errors import LLMError
from interviewer.grading.grader import Grader, TextSink, is_verbatim, key_points_of
from interviewer.grading.guards import addresses_the_grader, copies_question
from interviewer.grading.offline import OfflineGrader
from interviewer.grading.scoring import (
    INJECTION_NOTE,
    STATUS_CREDIT,
    Signal,
    coverage_gate,
    feedback,
    misconception_factor,
    overall_score,
    score_criteria,
    weighted_coverage,
    with_injection_cap,
)
from interviewer.grading.verification import (
    RANK,
    Claim,
    ClaimVerifier,
    read_quotes,
    worth_verifying,
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
    KeyPointStatus,
    MisconceptionFound,
    Reference,
    Rubric,
)
from interviewer.text import collapse_whitespace, is_keyword_list

log = logging.getLogger(__name__)

MAX_FEEDBACK_CHARS = 1500
MAX_RATIONALE_CHARS = 400

# Where the offline grader finds a key point clearly in the answer as a whole (its word recall at least this), the
# model's verdict stands whatever it quoted: a point spread over several sentences cannot be quoted in one. The
# bank's reference answers, graded as strong answers by an honest model quoting the sentence that matches each
# point best, lose 0.62 on average without this rule, 0.26 at 0.7, 0.10 at 0.6 and 0.04 at 0.55; the weak
# answers reach 0.54 at most, so 0.55 would leave no margin.
TRUSTED_RECALL = 0.6


class LLMGrader(Grader):
    name = "llm"
    streams = True

    def __init__(
        self,
        chat: ChatModel,
        offline: OfflineGrader,
        *,
        cap_margin: float = 3.0,
        evidence_min_similarity: float = 0.2,
        check_quotes: bool = True,
        verify: bool = True,
    ):
        self.chat = chat
        self.offline = offline
        self.cap_margin = cap_margin
        self.evidence_min_similarity = evidence_min_similarity
        # Whether a credited point needs quoted words that make it (`verification`, `_contradicted`); off only
        # to measure what the check costs (tests/test_llm_obliging.py).
        self.check_quotes = check_quotes
        # Whether claims the offline reading doubts are put to the verification call; without it they keep
        # the offline reading (to measure what the call buys).
        self.verifier = ClaimVerifier(chat) if verify else None

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
        return baseline.model_copy(
            update={"grader": "offline-fallback", "fallback_reason": reason, "llm_calls": 1}
        )

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
        results, withdrawn, verified = self._key_points(judgement, reference, points, answer, baseline)
        found = _misconceptions(judgement, reference, answer)
        coverage = weighted_coverage(points, [STATUS_CREDIT[r.status] for r in results])
        # The credit the model gave, leaving out the points the offline grader found stated wrongly: there the
        # two graders disagree on meaning (and the offline one may be wrong), not on what the quote shows.
        claimed = weighted_coverage(
            points,
            [
                0.0 if n in withdrawn.contradicted else STATUS_CREDIT[status]
                for n, status in enumerate(_claimed_statuses(judgement, points), start=1)
            ],
        )
        borne_out = min(1.0, coverage / claimed) if claimed and self.check_quotes else 1.0
        gate = coverage_gate(coverage, drafted=not reference.key_points) * borne_out
        criteria = score_criteria(rubric, _signal_from(judgement, coverage, len(found), gate))
        score = overall_score(criteria)
        flags: list[GradeFlag] = []
        notes: list[str] = []
        if withdrawn.unsupported:
            notes.append(
                f"{withdrawn.unsupported} key point(s) the grader credited were not supported by your own "
                "words, so they were not counted."
            )
        if withdrawn.unshown:
            notes.append(
                f"{withdrawn.unshown} key point(s) the grader credited are not made by the words it quoted, "
                "so they were counted only as far as those words make them."
            )
        if withdrawn.contradicted:
            notes.append(
                f"{len(withdrawn.contradicted)} key point(s) the grader credited read as stated the wrong way "
                "round to the offline check, so they were not counted."
            )
        if withdrawn.unsupported or withdrawn.unshown or withdrawn.contradicted:
            flags.append(GradeFlag.UNSUPPORTED_EVIDENCE)
        ceiling = round(baseline.score + self.cap_margin, 1)
        if score > ceiling:
            flags.append(GradeFlag.LLM_CAPPED)
            notes.append(
                f"The LLM's judgement ({score}/10) was far above the offline check ({baseline.score}/10), "
                f"so the score is capped at {ceiling}/10."
            )
            score = ceiling
        if GradeFlag.INJECTION in baseline.flags:
            flags.append(GradeFlag.INJECTION)
            notes.insert(0, INJECTION_NOTE)
            score = with_injection_cap(score, flags)
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
            llm_calls=1 + verified,
        )

    def _key_points(
        self,
        judgement: GradingJudgement,
        reference: Reference,
        points: list[KeyPoint],
        answer: str,
        baseline: Grade,
    ) -> tuple[list[KeyPointResult], _Withdrawn, int]:
        """Each key point as the model judged it (its first verdict), unless its evidence does not hold up; the
        credit withdrawn, by reason; and the verification calls made (0 or 1).

        Evidence holds up when it is the candidate's usable words (`acceptable_evidence`), does not state the
        point wrongly (`_contradicted`), is about the point (sentence similarity `evidence_min_similarity`) and
        makes it by itself (the offline reading of the clause, `read_quotes`, where the offline grader does not
        find the point clearly in the whole answer: `TRUSTED_RECALL`). Where the similarity or the reading
        falls short, the verification call may confirm the claim instead (asked only about `worth_verifying`
        claims, all in one call): a correct answer in words of its own can be far from the point's wording
        ("So it looks great on what it was fitted to and falls apart on fresh cases": similarity 0.10)."""
        by_number: dict[int, KeyPointJudgement] = {}
        for j in judgement.key_points:
            by_number.setdefault(j.key_point, j)
        claimed = {
            n: j.evidence.strip()
            for n, j in by_number.items()
            if j.status != "missing" and j.evidence.strip()
        }
        similarity = self._similarities(claimed, points)
        readings = (
            read_quotes(self.offline, reference, points, claimed, similarity) if self.check_quotes else {}
        )
        offline_recall = {n: k.similarity for n, k in enumerate(baseline.key_points, start=1)}
        judged: dict[int, tuple[KeyPointStatus, str | None]] = {}
        doubted: list[Claim] = []
        withdrawn = _Withdrawn()
        off_point: set[int] = set()  # usable words, but not about the point by sentence similarity
        for number, point in enumerate(points, start=1):
            found = by_number.get(number)
            status: KeyPointStatus = found.status if found else "missing"
            evidence = claimed.get(number)
            usable = evidence is not None and acceptable_evidence(
                evidence, point.text, answer, reference.question
            )
            about = similarity.get(number, 0.0) >= self.evidence_min_similarity
            if status != "missing" and not (usable and (about or self.check_quotes)):
                withdrawn.unsupported += 1
                status, evidence = "missing", None
            elif status != "missing" and self.check_quotes:
                if _contradicted(point, evidence or "", baseline):
                    withdrawn.contradicted.add(number)
                    status, evidence = "missing", None
                elif not about or (
                    offline_recall.get(number, 0.0) < TRUSTED_RECALL
                    and RANK[readings[number].status] < RANK[status]
                ):
                    doubted.append(Claim(number, point.text, evidence or "", status))
                    if not about:
                        off_point.add(number)
            judged[number] = (status, evidence if status != "missing" else None)
        standing = {n: e for n, (status, e) in judged.items() if e is not None}
        # An answer with text addressed to the grader gets no benefit of the doubt: what the offline reading
        # doubts is not put to the verifier (with a verifier that says yes to everything and a model that
        # quotes each sentence for its nearest point, this took the largest lift from 5.1 to 3.2).
        trying = GradeFlag.INJECTION in baseline.flags
        asked = [] if trying else worth_verifying(doubted, standing, readings, reference.question)
        confirmed = self._verify(asked, [m.text for m in reference.misconceptions])
        for claim in doubted:
            if claim.number in confirmed:
                continue
            if claim.number in off_point:  # as before the verifier existed: not evidence of this point
                withdrawn.unsupported += 1
                judged[claim.number] = ("missing", None)
            else:
                withdrawn.unshown += 1
                lowered = readings[claim.number].status
                judged[claim.number] = (lowered, claim.clause if lowered != "missing" else None)
        results = [
            KeyPointResult(
                text=point.text,
                weight=point.weight,
                status=judged[number][0],
                evidence=judged[number][1],
                similarity=round(max(similarity.get(number, 0.0), 0.0), 3),
                probe=point.probe,
            )
            for number, point in enumerate(points, start=1)
        ]
        return results, withdrawn, int(bool(asked) and self.verifier is not None)

    def _verify(self, claims: list[Claim], wrong: list[str]) -> set[int]:
        """The key point numbers whose claims the verification call confirmed; none when it could not be made
        or the verifier confirmed a decoy made from `wrong` (the doubted points then keep the offline reading,
        and the grade stands)."""
        if not claims or self.verifier is None:
            return set()
        try:
            return self.verifier.confirmed(claims, wrong)
        except LLMError as exc:
            log.warning(
                "Verification call failed, doubted key points keep the offline reading: the LLM endpoint %s",
                exc.reason,
            )
            return set()

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


def acceptable_evidence(evidence: str, point: str, answer: str, question: str) -> bool:
    """Whether a quote the model gave for a key point can stand as the candidate's evidence of it, by its text alone:
    the candidate's own words, not the question restated, not a bare list of terms (unless the key point itself
    is one: "JSON supports strings, numbers, ..."), and not words addressed to the grader."""
    return (
        is_verbatim(evidence, answer)
        and not copies_question(question, evidence)
        and (not is_keyword_list(evidence) or is_keyword_list(point))
        and not addresses_the_grader(evidence)
    )


@dataclass
class _Withdrawn:
    """Key-point credit the model gave that its evidence did not bear out, by reason."""

    unsupported: int = 0  # the quote is not the candidate's usable words (dropped)
    unshown: int = 0  # the words do not make the point, or not fully, and no verifier confirmed they do
    contradicted: set[int] = field(default_factory=set)  # points the offline grader found stated wrongly


def _contradicted(point: KeyPoint, clause: str, baseline: Grade) -> bool:
    """Whether the offline grader found this key point stated wrongly (a swap names the point as the wrong claim,
    a contrast as its correction) or read the quoted words, or part of them, as a wrong claim."""
    quote = collapse_whitespace(clause).lower()
    for wrong in baseline.misconceptions:
        said = collapse_whitespace(wrong.evidence).lower()
        if wrong.text == point.text or wrong.correction.endswith(point.text):
            return True
        if said and quote and (said in quote or quote in said):
            return True
    return False


def _claimed_statuses(judgement: GradingJudgement, points: list[KeyPoint]) -> list[KeyPointStatus]:
    """The status the model gave each key point (its first verdict; missing when it gave none)."""
    by_number: dict[int, KeyPointStatus] = {}
    for j in judgement.key_points:
        by_number.setdefault(j.key_point, j.status)
    return [by_number.get(n, "missing") for n in range(1, len(points) + 1)]


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
    judgement: GradingJudgement, coverage: float, misconceptions: int, gate: float
) -> Callable[[Criterion], Signal]:
    """Each criterion's value: coverage as computed; the others, the model's level times `gate`: the coverage gate
    scaled by the share of the key-point credit the model gave that its evidence bore out (a model that
    credits what the candidate's words do not show is believed that much less on the rest: without this, the
    largest lift in tests/test_llm_obliging.py was 1.7); accuracy is also lowered by the misconceptions found."""
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
