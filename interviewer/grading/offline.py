"""The offline grader: rubric grading from local sentence embeddings, no LLM.

How it works:
1. Text guards (`guards.check_answer`) stop empty, "I don't know", filler-only and copied answers.
2. The answer is cut into sentence spans. Spans that only restate the question, bare keyword lists, stuffed
   keyword runs and text addressed to the grader cannot serve as evidence (the last two are flagged).
3. A span closer to a listed misconception than to any key point counts as that misconception and earns no
   credit; it lowers the accuracy criterion.
4. An answer unrelated to the question and reference (off-topic) is stopped with a score of 0.
5. Each key point's words are matched to the words of the usable spans (`alignment`), question words demoted;
   the recall decides covered / partial / missing and its credit, and the span holding most of the match,
   verbatim, is the evidence.
6. Each rubric criterion is scored from the signal it names (`measure`): coverage, accuracy or focus, or, for
   open-ended rubrics, structure, specificity or evidence (`open_answers`, from the creditable spans that are
   about the question; a misconception halves evidence as it does accuracy).

Figures for each design choice, measured on human-graded data, are in docs/grader-notes.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from interviewer.grading import open_answers
from interviewer.grading.alignment import answer_words, match_point, point_words, question_stems
from interviewer.grading.grader import (
    Grader,
    TextSink,
    criterion_score,
    key_points_of,
    overall_score,
    zero_grade,
)
from interviewer.grading.guards import addresses_the_grader, check_answer, copies_question
from interviewer.models import (
    Feedback,
    Grade,
    KeyPointResult,
    KeyPointStatus,
    MisconceptionFound,
    Reference,
    Rubric,
)
from interviewer.retrieval.embeddings import Embedder
from interviewer.text import Span, content_stems, is_keyword_list, is_word_salad, normalize, sentence_spans


@dataclass(frozen=True)
class OfflineThresholds:
    """Similarities (all-MiniLM-L6-v2) that decide each judgement.

    The key-point ones apply to word recall (`alignment.match_point`); the credit ones are the global
    calibration fitted on the dev sets (docs/grader-notes.md). The others are sentence cosines.
    """

    covered: float = 0.50  # word recall at which a key point counts as covered
    partial: float = 0.35
    credit_floor: float = 0.15  # recall below this earns no credit
    credit_full: float = 0.70  # recall at or above this earns full credit
    off_topic: float = 0.20  # best relevance of the whole answer below this: off-topic
    relevant_span: float = 0.30  # a span at least this close to the reference counts towards focus
    misconception: float = 0.78
    misconception_margin: float = 0.03  # how much closer to a key point a span may be and still be wrong
    coverage_gate: float = 0.60  # accuracy and focus are only fully credited once this much is covered


class OfflineGrader(Grader):
    name = "offline"

    def __init__(self, embedder: Embedder, thresholds: OfflineThresholds | None = None):
        self.embedder = embedder
        self.t = thresholds or OfflineThresholds()

    def grade(
        self, reference: Reference, answer: str, rubric: Rubric, *, on_text: TextSink | None = None
    ) -> Grade:
        return self._grade(reference, answer, rubric, grader_name=self.name)

    def _grade(self, reference: Reference, answer: str, rubric: Rubric, grader_name: str) -> Grade:
        stopped = check_answer(reference.question, answer, reference.reference_answer)
        if stopped:
            return zero_grade(reference, rubric, grader_name, stopped.flag, stopped.message)

        points = key_points_of(reference)
        spans = sentence_spans(answer)
        flags: list[str] = []
        if is_keyword_list(normalize(answer)):
            flags.append("keyword_list")
            usable_idx = []
        else:
            usable_idx = [i for i, s in enumerate(spans) if self._can_be_evidence(reference, s)]
        if any(is_word_salad(s.text) for s in spans):
            flags.append("keyword_stuffing")
        if any(addresses_the_grader(s.text) for s in spans):
            flags.append("injection")

        # Word vectors of the spans and key points. The same pass caches their sentence vectors, and the whole
        # answer's, so the sentence embedding below costs no second pass.
        span_words = self.embedder.embed_words([answer, *(s.text for s in spans)])[1:]
        key_words = self.embedder.embed_words([p.text for p in points])
        texts = (
            [p.text for p in points]
            + [m.text for m in reference.misconceptions]
            + [reference.question, reference.reference_answer, answer]
            + [s.text for s in spans]
        )
        vectors = self.embedder.embed(texts)
        n_points, n_mis = len(points), len(reference.misconceptions)
        point_vecs = vectors[:n_points]
        mis_vecs = vectors[n_points : n_points + n_mis]
        question_vec, reference_vec, answer_vec = vectors[n_points + n_mis : n_points + n_mis + 3]
        span_vecs = vectors[n_points + n_mis + 3 :]

        relevance = max(
            float(answer_vec @ reference_vec),
            float(answer_vec @ question_vec),
            float((span_vecs @ point_vecs.T).max()) if len(spans) else 0.0,
        )
        if relevance < self.t.off_topic:
            return zero_grade(
                reference,
                rubric,
                grader_name,
                "off_topic",
                "The answer does not address this question, so nothing could be credited.",
            )

        point_sims = span_vecs[usable_idx] @ point_vecs.T if usable_idx else np.zeros((0, n_points))

        # Misconceptions: a span nearer to a wrong claim than to any key point.
        found: list[MisconceptionFound] = []
        blocked: set[int] = set()
        if n_mis and usable_idx:
            mis_sims = span_vecs[usable_idx] @ mis_vecs.T
            for m, misconception in enumerate(reference.misconceptions):
                row = int(np.argmax(mis_sims[:, m]))
                sim = float(mis_sims[row, m])
                best_point = int(np.argmax(point_sims[row]))
                if (
                    sim >= self.t.misconception
                    and sim >= float(point_sims[row, best_point]) - self.t.misconception_margin
                    and _closer_in_wording(
                        spans[usable_idx[row]].text, misconception.text, points[best_point].text
                    )
                ):
                    blocked.add(usable_idx[row])
                    found.append(
                        MisconceptionFound(
                            text=misconception.text,
                            correction=misconception.correction,
                            evidence=spans[usable_idx[row]].text,
                        )
                    )

        asked = question_stems(reference.question)
        creditable = [i for i in usable_idx if i not in blocked]
        words, owners = answer_words(span_words, creditable, asked)
        results = []
        credits = []
        for point, point_vectors in zip(points, key_words, strict=True):
            match = match_point(point_words(point_vectors, asked), words, owners)
            status = self._status(match.recall)
            results.append(
                KeyPointResult(
                    text=point.text,
                    weight=point.weight,
                    status=status,
                    evidence=spans[match.span].text
                    if status != "missing" and match.span is not None
                    else None,
                    similarity=round(match.recall, 3),
                    probe=point.probe,
                )
            )
            credits.append(self._credit(match.recall))

        total_weight = sum(p.weight for p in points)
        coverage = sum(p.weight * c for p, c in zip(points, credits, strict=True)) / total_weight
        gate = min(1.0, coverage / self.t.coverage_gate)
        accuracy = gate * max(0.0, 1.0 - 0.5 * len(found))
        span_relevance = (span_vecs @ np.vstack([point_vecs, reference_vec[None, :]]).T).max(axis=1)
        lengths = np.array([len(s.text) for s in spans], dtype=float)
        focus_share = float(lengths[span_relevance >= self.t.relevant_span].sum() / lengths.sum())
        focus = gate * focus_share
        if focus_share < 0.5:
            flags.append("padding")

        # Open-ended signals (only rubrics whose criteria name them): from the creditable spans about the question.
        on_question = [spans[i].text for i in creditable if span_relevance[i] >= self.t.relevant_span]
        open_structure = open_answers.structure(on_question)
        open_specificity = open_answers.specificity(on_question)
        open_evidence = open_answers.evidence(on_question)
        signals = {
            "structure": (open_structure.value, open_structure.rationale),
            "specificity": (open_specificity.value, open_specificity.rationale),
            "evidence": (
                open_evidence.value * max(0.0, 1.0 - 0.5 * len(found)),
                open_evidence.rationale + (f" {len(found)} misconception(s) found." if found else ""),
            ),
            "coverage": (coverage, self._coverage_rationale(results)),
            "accuracy": (
                accuracy,
                f"{len(found)} misconception(s) found." if found else "No misconceptions found.",
            ),
            "focus": (focus, f"{round(100 * focus_share)}% of the answer is about the question."),
        }
        criteria = [criterion_score(rubric, c.id, *signals[c.measure]) for c in rubric.criteria]
        if found:
            flags.append("misconception")
        return Grade(
            score=overall_score(criteria),
            grader=grader_name,
            criteria=criteria,
            key_points=results,
            misconceptions=found,
            feedback=self._feedback(results, found, reference),
            flags=flags,
            reference_id=reference.entry_id,
            reference_similarity=reference.similarity,
        )

    def _can_be_evidence(self, reference: Reference, span: Span) -> bool:
        """Text that restates the question, lists or stuffs keywords, or speaks to the grader earns nothing."""
        return not (
            copies_question(reference.question, span.text, reference.reference_answer)
            or is_keyword_list(span.text)
            or is_word_salad(span.text)
            or addresses_the_grader(span.text)
        )

    def _status(self, sim: float) -> KeyPointStatus:
        if sim >= self.t.covered:
            return "covered"
        if sim >= self.t.partial:
            return "partial"
        return "missing"

    def _credit(self, sim: float) -> float:
        return float(
            np.clip((sim - self.t.credit_floor) / (self.t.credit_full - self.t.credit_floor), 0.0, 1.0)
        )

    @staticmethod
    def _coverage_rationale(results: list[KeyPointResult]) -> str:
        covered = sum(r.status == "covered" for r in results)
        partial = sum(r.status == "partial" for r in results)
        return f"Covered {covered} of {len(results)} key points" + (
            f", {partial} partly." if partial else "."
        )

    @staticmethod
    def _feedback(
        results: list[KeyPointResult], found: list[MisconceptionFound], reference: Reference
    ) -> Feedback:
        strengths = [r.text for r in results if r.status == "covered"]
        missing = [r.text for r in sorted(results, key=lambda r: -r.weight) if r.status != "covered"]
        if not missing and not found:
            summary = "A complete answer: every key point is there."
        elif strengths:
            summary = f"Good start: {len(strengths)} key point(s) covered. Work on what is listed as missing."
        else:
            summary = "The answer misses the key points; compare it with the model answer."
        if found:
            summary += f" It also states {len(found)} common misconception(s)."
        return Feedback(
            strengths=strengths, missing=missing, model_answer=reference.reference_answer, summary=summary
        )


def _closer_in_wording(span: str, wrong: str, right: str) -> bool:
    """Embeddings barely tell "A is X" from "A is Y" when X and Y are swapped definitions; the words that set
    the wrong claim apart from the right one decide."""
    words, wrong_words, right_words = content_stems(span), content_stems(wrong), content_stems(right)
    return len(words & (wrong_words - right_words)) > len(words & (right_words - wrong_words))
