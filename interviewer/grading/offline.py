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
   about the question; a misconception halves evidence as it does accuracy). The rules that turn these into
   numbers and feedback lists are shared with the LLM grader (`scoring`).

Figures for each design choice, measured on human-graded data, are in docs/grader-notes.md.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from interviewer.grading import contrasts, open_answers
from interviewer.grading.alignment import (
    answer_words,
    match_point,
    point_words,
    question_stems,
    topic_stems,
)
from interviewer.grading.exchanges import find_exchange
from interviewer.grading.grader import Grader, TextSink, key_points_of, zero_grade
from interviewer.grading.guards import addresses_the_grader, check_answer, copies_question
from interviewer.grading.scoring import (
    INJECTION_NOTE,
    Signal,
    coverage_gate,
    feedback,
    gate_note,
    misconception_factor,
    overall_score,
    score_criteria,
    weighted_coverage,
    with_injection_cap,
    with_wrong_claims,
)
from interviewer.grading.swaps import Swap, find_swap
from interviewer.models import (
    Grade,
    GradeFlag,
    KeyPoint,
    KeyPointResult,
    KeyPointStatus,
    Misconception,
    MisconceptionFound,
    Reference,
    Rubric,
)
from interviewer.retrieval.embeddings import Embedder, WordVectors
from interviewer.text import (
    Span,
    content_stems,
    is_keyword_list,
    is_word_salad,
    normalize,
    sentence_spans,
    split_clauses,
)

OFF_TOPIC_MESSAGE = "The answer does not address this question, so nothing could be credited."
PADDING_SHARE = (
    0.5  # less of the answer than this about the question: flagged as padding (wording, not score)
)


@dataclass(frozen=True)
class OfflineThresholds:
    """Similarities (all-MiniLM-L6-v2) that decide each judgement.

    The key-point ones apply to word recall (`alignment.match_point`); the credit ones are the global
    calibration fitted on the dev sets (docs/grader-notes.md). The others are sentence cosines. The coverage
    gate is a scoring rule both graders share (`scoring.COVERAGE_GATE`).
    """

    # Set by reading graded examples, not fitted; they word the feedback and pick follow-ups, not the score.
    covered: float = 0.50  # word recall at which a key point counts as covered
    partial: float = 0.35
    # Fitted on Mohler dev, checked on SciEntsBank ("Calibration" in docs/grader-notes.md); full credit moved from
    # 0.70 to 0.65 with topic demoting (`alignment.TOPIC_POINTS`), which lowers a right answer's recall: on evals/
    # dev 0.60 / 0.62 / 0.65 / 0.68 / 0.70 gave excellent answers >= 8 88% / 88% / 88% / 84% / 80% and wrong,
    # swapped and misconception answers <= 3 58% / 59% / 64% / 67% / 69%; Mohler dev r 0.633 at 0.70 and 0.65
    # (docs/grader-notes.md, "Issue 11, thirteenth session").
    credit_floor: float = 0.15  # recall below this earns no credit
    credit_full: float = 0.65  # recall at or above this earns full credit
    # The same for written key points (a bank entry's, an imported bank's); the two above stay for key points drafted
    # from a reference's sentences, as in Mohler and SciEntsBank. Chosen on evals/ dev, 1,337 answers
    # (docs/grader-notes.md, "Issue 11, nineteenth session"): a vague answer reaches a median recall of 0.28 on
    # the points it does not make, and 0.15 gave it a quarter of their credit. Floor / full 0.15 / 0.65, 0.25 / 0.65,
    # 0.30 / 0.60, 0.30 / 0.65, 0.35 / 0.60 gave rho 0.609 / 0.619 / 0.620 / 0.622 / 0.621, wrong, swapped and
    # misconception answers <= 3 59% / 71% / 72% / 76% / 77%, excellent >= 8 86% / 82% / 84% / 80% / 82%;
    # applied to drafted points too, 0.30 / 0.65 took Mohler dev r from 0.635 to 0.608.
    written_credit_floor: float = 0.30
    written_credit_full: float = 0.60
    # 0.10 / 0.15 / 0.25 gave the same Mohler r ("Tried and dropped").
    off_topic: float = 0.20  # best relevance of the whole answer below this: off-topic
    # 0.20 / 0.25 / 0.35 were within noise on Mohler ("Tried and dropped").
    relevant_span: float = 0.30  # a span at least this close to the reference counts towards focus
    # No dev-set figure (the dev data lists no misconceptions); checked by the misconception tests
    # (tests/test_grader.py) and the adversarial suite's swapped definitions.
    misconception: float = 0.78
    misconception_margin: float = 0.03  # how much closer to a key point a span may be and still be wrong
    check_swaps: bool = True  # a key point made with its paired term exchanged earns nothing (`swaps`)


@dataclass(frozen=True)
class _Vectors:
    """One answer and its reference as vectors: sentence vectors of each part, word vectors of spans and points."""

    points: np.ndarray
    misconceptions: np.ndarray
    question: np.ndarray
    reference: np.ndarray
    spans: np.ndarray
    span_words: list[WordVectors]
    point_words: list[WordVectors]


class OfflineGrader(Grader):
    name = "offline"

    def __init__(
        self,
        embedder: Embedder,
        thresholds: OfflineThresholds | None = None,
        pairs: contrasts.PairJudge | None = None,
        every_contrast: bool = False,
        exchange_pairs: Collection[tuple[str, str]] = (),
    ):
        """`pairs` is the pair model that reads a clause against a key point and its contrasts word by word
        (`entailment.default_model()` in the app): it settles the clauses the vectors leave in doubt, and with
        `every_contrast` it reads the clause nearest to every contrast too. Without it, contrasts are judged by
        vectors and wording alone. `exchange_pairs` are the terms the bank's contrasts exchange
        (`exchanges.contrast_pairs`), read for exchanged concepts beside the built-in ones."""
        self.embedder = embedder
        self.t = thresholds or OfflineThresholds()
        self.pairs = pairs
        self.every_contrast = every_contrast
        self.exchange_pairs = exchange_pairs
        # The contrasts each entry's own reference answer leaves usable, by (question, reference, key point): the
        # same on every grade of that entry, and with the pair model too dear to recompute. The question tells a
        # follow-up's reference (one key point, read against no other) from its entry's.
        self._trusted: dict[tuple[str, str, str], list[int]] = {}
        self._in_words: dict[tuple[str, str], set[int]] = {}  # `_misconceptions_in_words`, by reference

    def grade(
        self, reference: Reference, answer: str, rubric: Rubric, *, on_text: TextSink | None = None
    ) -> Grade:
        stopped = check_answer(reference.question, answer, reference.reference_answer)
        if stopped:
            return zero_grade(reference, rubric, self.name, stopped.flag, stopped.message)
        points = key_points_of(reference)
        spans = sentence_spans(answer)
        usable, flags = self._usable_spans(reference, answer, spans)
        vectors = self._embed(reference, answer, points, spans)
        if self._off_topic(answer, vectors):
            return zero_grade(reference, rubric, self.name, GradeFlag.OFF_TOPIC, OFF_TOPIC_MESSAGE)

        found, blocked = self._misconceptions(reference, points, spans, usable, vectors)
        creditable = [i for i in usable if i not in blocked]
        results, credits = self._key_points(reference, points, spans, creditable, vectors)
        if self.t.check_swaps:
            own = [s.text for s in sentence_spans(reference.reference_answer)]
            asked = question_stems(reference.question)
            texts = [spans[i].text for i in creditable]
            found += _swapped_points(
                points, texts, own, asked, results, credits, self.exchange_pairs, self._nearer_a_contrast
            )
        clauses = [c for i in creditable for c in split_clauses(spans[i].text)]
        judged = {m.text for m in found}  # points already found stated backwards are not judged twice
        found += self._contrasted_points(reference, clauses, vectors.points, results, credits, judged)
        self._uncredit_wrong_claims(reference, points, spans, creditable, vectors, found, results, credits)
        if any(r.doubt for r in results):
            flags.append(GradeFlag.UNSURE)
        coverage = weighted_coverage(points, credits)
        on_question = self._about_the_question(vectors)
        lengths = np.array([len(s.text) for s in spans], dtype=float)
        focus_share = float(lengths[on_question].sum() / lengths.sum())
        if focus_share < PADDING_SHARE:
            flags.append(GradeFlag.PADDING)
        # Open-ended signals (only rubrics whose criteria name them): from the creditable spans about the question.
        about = [spans[i].text for i in creditable if on_question[i]]
        signals = _signals(results, found, coverage, not reference.key_points, focus_share, about)
        criteria = score_criteria(rubric, lambda c: signals[c.measure])
        if found:
            flags.append(GradeFlag.MISCONCEPTION)
        return Grade(
            score=with_injection_cap(with_wrong_claims(overall_score(criteria), len(found)), flags),
            grader=self.name,
            criteria=criteria,
            key_points=results,
            misconceptions=found,
            feedback=feedback(results, reference, _summary(results, found, GradeFlag.INJECTION in flags)),
            flags=flags,
            reference_id=reference.entry_id,
            reference_similarity=reference.similarity,
        )

    def _usable_spans(
        self, reference: Reference, answer: str, spans: list[Span]
    ) -> tuple[list[int], list[GradeFlag]]:
        """The spans that may serve as evidence, and the flags for the tricks the answer tried."""
        flags: list[GradeFlag] = []
        if is_keyword_list(normalize(answer)):
            flags.append(GradeFlag.KEYWORD_LIST)
            usable = []
        else:
            usable = [i for i, s in enumerate(spans) if self._can_be_evidence(reference, s)]
        if any(is_word_salad(s.text) for s in spans):
            flags.append(GradeFlag.KEYWORD_STUFFING)
        if any(addresses_the_grader(s.text) for s in spans):
            flags.append(GradeFlag.INJECTION)
        return usable, flags

    def _embed(
        self, reference: Reference, answer: str, points: list[KeyPoint], spans: list[Span]
    ) -> _Vectors:
        # Word vectors first: the same pass caches the spans' sentence vectors, so the sentence embedding below
        # costs no second pass. The whole answer is embedded only when `_off_topic` needs it.
        span_words = self.embedder.embed_words([s.text for s in spans])
        key_words = self.embedder.embed_words([p.text for p in points])
        texts = (
            [p.text for p in points]
            + [m.text for m in reference.misconceptions]
            + [reference.question, reference.reference_answer]
            + [s.text for s in spans]
        )
        vectors = self.embedder.embed(texts)
        n_points, n_mis = len(points), len(reference.misconceptions)
        parts = n_points + n_mis
        return _Vectors(
            points=vectors[:n_points],
            misconceptions=vectors[n_points:parts],
            question=vectors[parts],
            reference=vectors[parts + 1],
            spans=vectors[parts + 2 :],
            span_words=span_words,
            point_words=key_words,
        )

    def _off_topic(self, answer: str, vectors: _Vectors) -> bool:
        """Whether the answer comes near none of the key points, the question and the reference. A sentence near
        a key point settles it, so the whole answer is embedded only when no sentence is."""
        near = float((vectors.spans @ vectors.points.T).max()) if len(vectors.spans) else 0.0
        if near >= self.t.off_topic:
            return False
        whole = self.embedder.embed([answer])[0]
        return max(near, float(whole @ vectors.reference), float(whole @ vectors.question)) < self.t.off_topic

    def _about_the_question(self, vectors: _Vectors) -> np.ndarray:
        """Which spans are about the question: close enough to a key point or to the reference answer."""
        relevance = (vectors.spans @ np.vstack([vectors.points, vectors.reference[None, :]]).T).max(axis=1)
        return relevance >= self.t.relevant_span

    def _misconceptions(
        self,
        reference: Reference,
        points: list[KeyPoint],
        spans: list[Span],
        usable: list[int],
        vectors: _Vectors,
    ) -> tuple[list[MisconceptionFound], set[int]]:
        """The misconceptions stated, each by a span nearer to the wrong claim than to any key point (by sentence
        vectors, or else by their words: `_said_in_words`); and those spans, which earn no credit."""
        found: list[MisconceptionFound] = []
        blocked: set[int] = set()
        if not (reference.misconceptions and usable):
            return found, blocked
        point_sims = vectors.spans[usable] @ vectors.points.T
        mis_sims = vectors.spans[usable] @ vectors.misconceptions.T
        by_words = self.embedder.embed_words([m.text for m in reference.misconceptions])
        asked = question_stems(reference.question)
        readings = _span_readings(points, usable, vectors, asked)
        for m, misconception in enumerate(reference.misconceptions):
            row = int(np.argmax(mis_sims[:, m]))
            sim = float(mis_sims[row, m])
            best_point = int(np.argmax(point_sims[row]))
            index: int | None = usable[row]
            if not (
                sim >= self.t.misconception
                and sim >= float(point_sims[row, best_point]) - self.t.misconception_margin
                and _closer_in_wording(spans[usable[row]].text, misconception.text, points[best_point].text)
            ):
                index = _said_in_words(misconception.text, by_words[m], readings, spans, asked)
                # The reference's own self-check is dear (its word vectors), so it is made only when needed.
                if index is not None and m not in self._misconceptions_in_words(reference, points):
                    index = None
            if (
                index is None
                or find_swap(misconception.text, [spans[index].text], asked=asked)
                or find_exchange(misconception.text, [spans[index].text], self.exchange_pairs) is not None
            ):
                # Not said; or denied ("it needs no validation set" against "… needs a validation set"); or said
                # with its two concepts exchanged, which is the right way round ("L2 is a Gaussian prior and L1 a
                # Laplace prior" against "L2 … a Laplace prior, and L1 … a Gaussian prior").
                continue
            if self._nearer_its_correction(spans[index].text, misconception):
                continue  # says what the correction says ("pandas is faster there" against "Spark is always faster")
            blocked.add(index)
            found.append(
                MisconceptionFound(
                    text=misconception.text, correction=misconception.correction, evidence=spans[index].text
                )
            )
        return found, blocked

    def _nearer_a_contrast(self, point: KeyPoint, clause: str) -> bool:
        """Whether `clause` is at least as near one of the point's contrasts as the point itself (sentence vectors):
        the bank's own wrong version of the point backs a reversal read from one word."""
        if not point.contrasts:
            return False
        vectors = self.embedder.embed([clause, point.text, *point.contrasts])
        return float((vectors[2:] @ vectors[0]).max()) >= float(vectors[1] @ vectors[0])

    def _nearer_its_correction(self, span: str, misconception: Misconception) -> bool:
        """Whether `span` is nearer the misconception's correction than the misconception, as a sentence vector or by
        the words that set the two apart. A right answer shares a misconception's subject and often its words
        ("the false positive rate ends up around 20-30%" against "… only raises the false positive rate from 5 to
        about 6 percent"); the correction, written about the same subject, tells which of the two it says."""
        span_vector, wrong, right = self.embedder.embed([span, misconception.text, misconception.correction])
        return float(span_vector @ right) > float(span_vector @ wrong) or _closer_in_wording(
            span, misconception.correction, misconception.text
        )

    def _misconceptions_in_words(self, reference: Reference, points: list[KeyPoint]) -> set[int]:
        """The misconceptions that may be found by their words (`_said_in_words`): those no sentence of the
        reference answer itself says that way (a reference that refutes one, "Filling with 0 is right only when
        0 is a real value", holds its words). Computed once per reference, the first time an answer to it says a
        misconception in words: made up front for every entry, it took about half of a fresh server's time under
        `bench/web_load.py` (docs/load-notes.md)."""
        key = (reference.question, reference.reference_answer)
        if key not in self._in_words:
            own = sentence_spans(reference.reference_answer)
            vectors = self._embed(reference, reference.reference_answer, points, own)
            by_words = self.embedder.embed_words([m.text for m in reference.misconceptions])
            asked = question_stems(reference.question)
            readings = _span_readings(points, range(len(own)), vectors, asked)
            self._in_words[key] = {
                m
                for m, misconception in enumerate(reference.misconceptions)
                if _said_in_words(misconception.text, by_words[m], readings, own, asked) is None
            }
        return self._in_words[key]

    def _key_points(
        self,
        reference: Reference,
        points: list[KeyPoint],
        spans: list[Span],
        creditable: list[int],
        vectors: _Vectors,
    ) -> tuple[list[KeyPointResult], list[float]]:
        """Each key point's result (status and evidence) and credit, from its word recall in the creditable spans.
        The question's words earn nothing, nor, for written key points, their topic words (`alignment`)."""
        asked = question_stems(reference.question)
        if reference.key_points:
            asked |= topic_stems([p.text for p in points])
        words, owners = answer_words(vectors.span_words, creditable, asked)
        results, credits = [], []
        for point, point_vectors in zip(points, vectors.point_words, strict=True):
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
            credits.append(self._credit(match.recall, drafted=not reference.key_points))
        return results, credits

    def _uncredit_wrong_claims(
        self,
        reference: Reference,
        points: list[KeyPoint],
        spans: list[Span],
        creditable: list[int],
        vectors: _Vectors,
        found: list[MisconceptionFound],
        results: list[KeyPointResult],
        credits: list[float],
    ) -> None:
        """A sentence quoted as a wrong claim is not evidence for any other key point ("the directions of least
        variance" must not cover "the largest variance need not separate the classes"), nor is a sentence about
        the concept one of a point's contrasts puts in its place evidence for that point (`_substituted`): the
        points they served are matched again without them. Points already judged (stated backwards, contradicted
        or in doubt) keep their result. Updates `results` and `credits` in place."""
        wrong = {i for i in creditable if any(m.evidence in spans[i].text for m in found)}
        wrong_texts = {spans[i].text for i in wrong}
        without: dict[int, set[int]] = {}  # key point -> the spans it is matched again without
        exchanged = _substitutions(points, question_stems(reference.question))
        for k, (point, result) in enumerate(zip(points, results, strict=True)):
            if result.evidence is None or result.doubt is not None or credits[k] <= 0:
                continue
            if result.evidence in wrong_texts:
                without[k] = wrong
            elif _substituted(point, result.evidence, exchanged):
                without[k] = {i for i in creditable if spans[i].text == result.evidence}
        for dropped in {frozenset(spans_out) for spans_out in without.values()}:
            rest = [i for i in creditable if i not in dropped]
            again, again_credits = self._key_points(reference, points, spans, rest, vectors)
            for k in (k for k, spans_out in without.items() if spans_out == dropped):
                results[k], credits[k] = again[k], again_credits[k]

    def _contrasted_points(
        self,
        reference: Reference,
        clauses: list[str],
        point_vectors: np.ndarray,
        results: list[KeyPointResult],
        credits: list[float],
        judged: set[str],
    ) -> list[MisconceptionFound]:
        """Key points a clause says wrongly, by the bank's contrasts (`contrasts`): no credit, and each reported
        as a wrong claim corrected by the point; or, where the grader cannot tell, marked as in doubt. Points
        whose text is in `judged` are left alone. Updates `results` and `credits` in place."""
        wrong: list[MisconceptionFound] = []
        points = key_points_of(reference)
        if not (clauses and any(p.contrasts for p in points)):
            return wrong
        clause_vectors = self.embedder.embed(clauses)
        asked = frozenset(content_stems(reference.question))
        for i, point in enumerate(points):
            if not point.contrasts or point.text in judged:
                continue
            contrast_vectors = self.embedder.embed(point.contrasts)
            keep = self._trusted_contrasts(reference, i, point_vectors)
            if not keep:
                continue
            point = point.model_copy(update={"contrasts": [point.contrasts[k] for k in keep]})
            contrast_vectors = contrast_vectors[keep]
            match = contrasts.judge(
                i,
                point,
                clauses,
                point_vectors,
                clause_vectors,
                contrast_vectors,
                self.pairs,
                asked,
                self.every_contrast,
            )
            if match is None:
                continue
            if match.contradicts:
                credits[i] = 0.0
                results[i] = results[i].model_copy(update={"status": "missing", "evidence": None})
                wrong.append(
                    MisconceptionFound(
                        text=match.contrast, correction=f"In fact: {point.text}", evidence=match.clause
                    )
                )
            elif results[i].doubt is None:  # a point already in doubt (a lone reversal) keeps its half credit
                credits[i] *= contrasts.DOUBT_CREDIT
                results[i] = _in_doubt(results[i], match.clause)
        return wrong

    def _trusted_contrasts(self, reference: Reference, index: int, point_vectors: np.ndarray) -> list[int]:
        """`contrasts.trusted` for key point `index`, computed once per reference and point."""
        point = key_points_of(reference)[index]
        key = (reference.question, reference.reference_answer, point.text)
        if key not in self._trusted:
            own = [c for s in sentence_spans(reference.reference_answer) for c in split_clauses(s.text)]
            self._trusted[key] = contrasts.trusted(
                index,
                point,
                own,
                point_vectors,
                self.embedder.embed(own),
                self.embedder.embed(point.contrasts),
                self.pairs,
                frozenset(content_stems(reference.question)),
                self.every_contrast,
            )
        return self._trusted[key]

    def trusted_contrasts(self, reference: Reference) -> dict[int, list[int]]:
        """`_trusted_contrasts` of every key point of `reference` that has contrasts, by key point, computed now
        unless known: the work an entry's first grading would do (`entry_work` does it before any answer)."""
        points = key_points_of(reference)
        if not any(p.contrasts for p in points):
            return {}
        vectors = self.embedder.embed([p.text for p in points])
        return {
            i: self._trusted_contrasts(reference, i, vectors) for i, p in enumerate(points) if p.contrasts
        }

    def know_trusted_contrasts(self, reference: Reference, kept: Mapping[int, list[int]]) -> None:
        """Take `trusted_contrasts(reference)` as an earlier process computed it (`entry_work` keeps them)."""
        points = key_points_of(reference)
        for i, indices in kept.items():
            self._trusted[(reference.question, reference.reference_answer, points[i].text)] = list(indices)

    def misconceptions_in_words(self, reference: Reference) -> set[int]:
        """`_misconceptions_in_words` of `reference`, computed now unless known (for `entry_work`)."""
        return self._misconceptions_in_words(reference, key_points_of(reference))

    def know_misconceptions_in_words(self, reference: Reference, found: Iterable[int]) -> None:
        """Take `misconceptions_in_words(reference)` as an earlier process computed it (`entry_work`)."""
        self._in_words[(reference.question, reference.reference_answer)] = set(found)

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

    def _credit(self, sim: float, drafted: bool) -> float:
        """The credit (0-1) of a key point matched with word recall `sim`; `drafted`: the key points were drafted
        from the reference's sentences, not written (`scoring.coverage_gate` draws the same line)."""
        floor, full = (
            (self.t.credit_floor, self.t.credit_full)
            if drafted
            else (self.t.written_credit_floor, self.t.written_credit_full)
        )
        return float(np.clip((sim - floor) / (full - floor), 0.0, 1.0))


def _signals(
    results: list[KeyPointResult],
    found: list[MisconceptionFound],
    coverage: float,
    drafted: bool,
    focus_share: float,
    about: list[str],
) -> dict[str, Signal]:
    """The value and rationale of every measure a rubric criterion can name; `drafted`: the key points were
    drafted from the reference answer (`scoring.coverage_gate`)."""
    gate, gated = coverage_gate(coverage, drafted), gate_note(coverage, drafted)
    penalty = misconception_factor(len(found))
    mistakes = f"{_count(len(found), 'wrong claim')} found."
    structure = open_answers.structure(about)
    specificity = open_answers.specificity(about)
    evidence = open_answers.evidence(about)
    covered = sum(r.status == "covered" for r in results)
    partial = sum(r.status == "partial" for r in results)
    return {
        "structure": (structure.value, structure.rationale),
        "specificity": (specificity.value, specificity.rationale),
        "evidence": (evidence.value * penalty, evidence.rationale + (f" {mistakes}" if found else "")),
        "coverage": (
            coverage,
            f"Covered {covered} of {len(results)} key points" + (f", {partial} partly." if partial else "."),
        ),
        "accuracy": (gate * penalty, (mistakes if found else "No wrong claims found.") + gated),
        "focus": (
            gate * focus_share,
            f"{round(100 * focus_share)}% of the answer is about the question.{gated}",
        ),
    }


def _summary(
    results: list[KeyPointResult], found: list[MisconceptionFound], to_the_grader: bool = False
) -> str:
    """What this answer did and the one thing most worth fixing: text addressed to the grader first, then its
    wrong claims (listed, with their corrections, beside the summary), then the weightiest key point it left out."""
    covered = sum(r.status == "covered" for r in results)
    missing = sorted((r for r in results if r.status != "covered"), key=lambda r: -r.weight)
    total = _count(len(results), "key point")
    if not missing:
        summary = "The key point is there." if len(results) == 1 else f"All {total} are there."
    elif covered:
        summary = f"You made {covered} of {total}. The most important one missing: {missing[0].text}"
    elif len(results) == 1:
        summary = f"The key point did not come through in full: {missing[0].text}"
    else:
        summary = f"None of the {total} came through in full. Start with: {missing[0].text}"
    if found:
        claims = "One claim is wrong" if len(found) == 1 else f"{len(found)} claims are wrong"
        summary = f"{claims}: see below for what you said and the correction. {summary}"
    if to_the_grader:
        summary = f"{INJECTION_NOTE} {summary}"
    return summary


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# Reversals read from a negation or a direction word alone ("no", "not", "less", "smallest"), where the answer has
# only one and its clause is no nearer any of the bank's wrong versions of the point than the point itself: the
# point is put in doubt, not reported as a wrong claim. On answers written blind to the grader such reversals were
# right about two times in three (docs/grader-notes.md, "Issue 11, fifteenth session"); two or more in one answer
# are reported, as before.
DOUBTED_KINDS = frozenset({"negation", "direction"})


def _swapped_points(
    points: list[KeyPoint],
    texts: list[str],
    reference: list[str],
    asked: set[str],
    results: list[KeyPointResult],
    credits: list[float],
    pairs: Collection[tuple[str, str]] = (),
    said_as_contrast: Callable[[KeyPoint, str], bool] = lambda point, clause: False,
) -> list[MisconceptionFound]:
    """Key points the answer states backwards (`swaps`, and `exchanges` with the bank's `pairs`): no credit, and
    each reported as a wrong claim with its correction; a lone reversal of a `DOUBTED_KINDS` kind is only put in
    doubt, unless its clause is `said_as_contrast` too. A point whose own `reference` sentences a check reads as
    backwards is not checked by that check: it cannot read that point (31 of the bank's key points before this
    rule, docs/grader-notes.md). Updates `results` and `credits` in place."""
    found: list[tuple[int, Swap]] = []
    for i, point in enumerate(points):
        if results[i].status == "missing":
            continue
        others = [p.text for p in points if p is not point]
        negations = bool(point.contrasts)
        swap = find_swap(point.text, texts, others, negations=negations, denials=False, asked=asked)
        if swap is not None and find_swap(
            point.text, reference, others, negations=negations, denials=False, asked=asked
        ):
            swap = None
        if swap is None:  # each check is trusted on the points it reads right in the reference
            swap = find_exchange(point.text, texts, pairs)
            if swap is not None and find_exchange(point.text, reference, pairs):
                swap = None
        # One clause is one wrong claim.
        if swap is not None and all(swap.clause != s.clause for _, s in found):
            found.append((i, swap))
    lone = [i for i, swap in found if swap.kind in DOUBTED_KINDS]
    wrong: list[MisconceptionFound] = []
    for i, swap in found:
        if lone == [i] and not said_as_contrast(points[i], swap.clause):
            credits[i] *= contrasts.DOUBT_CREDIT
            results[i] = _in_doubt(results[i], swap.clause)
            continue
        credits[i] = 0.0
        results[i] = results[i].model_copy(update={"status": "missing", "evidence": None})
        wrong.append(
            MisconceptionFound(
                text=points[i].text, correction=swap.correction(points[i].text), evidence=swap.clause
            )
        )
    return wrong


def _substituted(
    point: KeyPoint, evidence: str, exchanged: Collection[tuple[frozenset[str], frozenset[str]]]
) -> bool:
    """Whether `evidence` names the concept one of the point's contrasts puts in its place and not the point's own
    ("A linked list keeps everything in one contiguous block" for "An array stores elements contiguously", whose
    contrast is "A linked list stores elements contiguously"), by stems ("linked lists" for "linked list"); or, by
    `exchanged` (the entry's `_substitutions`), the other of two concepts the question asks about where the point
    names just one: the validation set's contrast "The test set is used to tune hyperparameters" also keeps "The
    validation set is used once, at the end" from covering "The test set is used only once at the end". Such a
    sentence is not quoted: it may be right about the other concept."""
    said, named = content_stems(evidence), content_stems(point.text)
    borrowed = [(own, other) for own, other in exchanged if own <= named and not other <= named]
    return any(other <= said and not own <= said for own, other in [*_exchanged_by(point), *borrowed])


def _exchanged_by(point: KeyPoint) -> Iterator[tuple[frozenset[str], frozenset[str]]]:
    """The content stems of the point's concept and of the one its substitution contrasts put in its place
    (`contrasts.substitution`)."""
    for contrast in point.contrasts:
        terms = contrasts.substitution(contrast, point.text)
        if terms is not None:
            own, other = (frozenset(content_stems(term)) for term in terms)
            if own and other and own != other:
                yield own, other


def _substitutions(
    points: Sequence[KeyPoint], asked: Collection[str]
) -> list[tuple[frozenset[str], frozenset[str]]]:
    """The pairs of concepts the entry's substitution contrasts exchange (`_exchanged_by`) that the question names
    both of (`asked`, its content stems), both ways round. Pairs the question does not name are left out: a
    contrast putting "training" for "validation" in one point is no reason to doubt "cross-validation" elsewhere."""
    found = [
        pair
        for point in points
        for own, other in _exchanged_by(point)
        if own | other <= set(asked)
        for pair in ((own, other), (other, own))
    ]
    return list(dict.fromkeys(found))


def _in_doubt(result: KeyPointResult, clause: str) -> KeyPointResult:
    """`result`, marked as one the grader is unsure of because of `clause`: the card asks the candidate to check it."""
    quoted = clause.rstrip(" .")
    return result.model_copy(
        update={
            "confidence": contrasts.DOUBT_CONFIDENCE,
            "doubt": f"“{quoted}” may say the opposite of this point: check it against the reference.",
        }
    )


# A misconception is stated by words when one span holds at least MISCONCEPTION_RECALL of its words (question
# words aside) and MISCONCEPTION_RECALL_MARGIN more than of any key point: a sentence opening with "It" is far
# from the misconception as a sentence vector ("It is applied only at inference time, using the mean and variance
# of the test batch" against "At test time batch norm computes the mean and variance of the test batch": 0.69).
MISCONCEPTION_RECALL = 0.65
MISCONCEPTION_RECALL_MARGIN = 0.10


@dataclass(frozen=True)
class _SpanReading:
    """A span's content words, read once for all of an entry's misconceptions (`_said_in_words`)."""

    index: int
    words: np.ndarray
    owners: np.ndarray
    best: float  # the highest word recall of any key point in the span
    nearest: str  # the key point nearest the span as a sentence


def _span_readings(
    points: list[KeyPoint], usable: Iterable[int], vectors: _Vectors, asked: set[str]
) -> list[_SpanReading]:
    key_words = [point_words(p, asked) for p in vectors.point_words]
    readings = []
    for index in usable:
        words, owners = answer_words(vectors.span_words, [index], asked)
        best = max(match_point(k, words, owners).recall for k in key_words)
        nearest = points[int(np.argmax(vectors.spans[index] @ vectors.points.T))].text
        readings.append(_SpanReading(index, words, owners, best, nearest))
    return readings


def _said_in_words(
    misconception: str,
    misconception_words: WordVectors,
    readings: list[_SpanReading],
    spans: list[Span],
    asked: set[str],
) -> int | None:
    """The usable span that states the misconception by its words rather than any key point's, and is closer in
    wording to it than to its nearest key point, if one does."""
    wrong = point_words(misconception_words, asked)
    for span in readings:
        recall = match_point(wrong, span.words, span.owners).recall
        if (
            recall >= MISCONCEPTION_RECALL
            and recall >= span.best + MISCONCEPTION_RECALL_MARGIN
            and _closer_in_wording(spans[span.index].text, misconception, span.nearest)
        ):
            return span.index
    return None


def _closer_in_wording(span: str, wrong: str, right: str) -> bool:
    """Embeddings barely tell "A is X" from "A is Y" when X and Y are swapped definitions; the words that set
    the wrong claim apart from the right one decide."""
    words, wrong_words, right_words = content_stems(span), content_stems(wrong), content_stems(right)
    return len(words & (wrong_words - right_words)) > len(words & (right_words - wrong_words))
