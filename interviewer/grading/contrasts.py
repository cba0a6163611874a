"""Key points said wrongly, judged against the bank's contrasts: each key point may list the wrong versions a
candidate might say (its terms swapped, the claim negated, the direction reversed, a common wrong mechanism).

Each clause of the answer is compared with the key point, with its contrasts and with the entry's other key
points, by sentence vectors; the words that set the contrast apart from the point decide what the vectors blur.

- **Contradicted:** a clause near a contrast, clearly nearer to it than to the point, and sharing clearly more
  of the contrast's own words than of the point's, unless it states the contrast backwards (`swaps.find_swap`).
  The point earns nothing and the clause is quoted as a wrong claim, corrected by the point itself.
- **In doubt:** a clause that comes close to a contrast and a little nearer to it than to the point, but
  without that wording evidence. The point keeps its credit but is marked unsure, and the candidate is asked to
  check it: sentence vectors cannot tell "A, not B" from "B, not A" reliably, so a grade that says so beats a
  confident wrong one.

A **pair model** (`entailment`, a cross-encoder trained in this repository) then has the last word:

- **Doubts settled** (the default): a clause in doubt is read word by word against its contrast, and where the model
  finds it states the contrast, the point is contradicted.
- **Every contrast** (`every`): it also reads, for each contrast, the clause nearest to it, against the point and
  against that contrast: where it finds the clause contradicts the point and states the contrast by a wide
  margin, the point is contradicted, whatever the vectors said.

The thresholds were chosen on evals/ dev (docs/grader-notes.md, "Bank contrasts", "Issue 11, third session" and
"Issue 11, thirteenth session").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from interviewer.grading.swaps import both_named, find_swap
from interviewer.models import KeyPoint
from interviewer.text import content_stems, tokens

# Contradicted: similarity to the contrast at least CONTRADICTS_FLOOR and CONTRADICTS_MARGIN above the point's,
# no nearer another key point, and at least CONTRADICTS_WORDS more of the contrast's own words than the point's.
# On evals/ dev these flag no excellent, good or partial answer (docs/grader-notes.md).
CONTRADICTS_FLOOR = 0.45
CONTRADICTS_MARGIN = 0.10
CONTRADICTS_WORDS = 3
# ... or all of them, where the contrast is its point with one run of at most SUBSTITUTED_WORDS words put in another's
# place (`substitution`: "An array stores nodes connected by pointers …" for "A linked list stores …"): such a
# contrast has too few words of its own to reach CONTRADICTS_WORDS. Chosen on evals/ dev (docs/grader-notes.md,
# sixteenth session): lowering the bar for every contrast with few words of its own quoted right answers (rho
# 0.611 -> 0.605).
SUBSTITUTED_WORDS = 3
# In doubt: similarity to the contrast at least DOUBT_FLOOR, DOUBT_MARGIN above the point's and DOUBT_OTHERS
# above every other key point's, with at least one more of the contrast's own words than of the point's.
DOUBT_FLOOR = 0.65
DOUBT_MARGIN = 0.03
DOUBT_OTHERS = 0.05
# The pair model reads, for each contrast, the clause nearest to it when that clause is at least PAIR_FLOOR near
# (sentence cosine). It contradicts the point when P(contradicts | point, clause) >= PAIR_CONTRADICTS and
# P(entails | contrast, clause) is at least PAIR_MARGIN above P(entails | point, clause). Chosen on evals/ dev
# (docs/grader-notes.md, "Issue 11, third session").
PAIR_FLOOR = 0.45
PAIR_CONTRADICTS = 0.7
PAIR_MARGIN = 0.6
# ... and only a clause that shares at least PAIR_SHARED content words with the point or that contrast, not
# counting the question's own words: "Q-learning learns an action-value function" is near "Q-learning is
# on-policy…" by its subject alone, and the pair model took it for that contrast.
PAIR_SHARED = 2
# A clause in doubt is settled as a contradiction when P(entails | its contrast, clause) >= SETTLE_ENTAILS and the
# clause has at least SETTLE_WORDS more of the contrast's own words than of the point's (a doubt needs one). Chosen
# on evals/ dev, 467 answers (docs/grader-notes.md, "Issue 11, thirteenth session"): rho 0.638 unsettled; 0.5 / 2
# 0.668, 0.7 / 2 0.660, 0.9 / 2 0.658, 0.7 / 3 0.638, 0.5 / 1 0.666 but excellent answers >= 8 89% -> 86%. With
# one word the pair model took right clauses for contrasts ("Every element goes in and out of the heap once and
# the heap has at most k entries" for "… the heap holds all N elements at once").
SETTLE_ENTAILS = 0.5
SETTLE_WORDS = 2
# A key point in doubt is marked with this confidence.
DOUBT_CONFIDENCE = 0.4
# ... and keeps this share of its credit.
DOUBT_CREDIT = 0.5


class PairJudge(Protocol):
    """Reads (premise, clause) pairs: rows of P(entails), P(contradicts), P(neutral) (`entailment`)."""

    def judge_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray: ...


ENTAILS, CONTRADICTS = 0, 1  # columns of `PairJudge.judge_pairs`


@dataclass(frozen=True)
class ContrastMatch:
    """The clause of an answer nearest to one of a key point's contrasts, and how it was judged."""

    clause: str  # verbatim from the answer
    contrast: str
    contradicts: bool  # False: only in doubt


def _wording(clause: str, wrong: str, right: str) -> int:
    """How many more of the words that set `wrong` apart from `right` the clause has than the other way round.
    A paired concept whose partner the clause names too says nothing either way ("for spam filtering precision"
    beside "recall matters more" is no sign of "in a spam filter, recall is the metric to favour")."""
    words, wrong_words, right_words = content_stems(clause), content_stems(wrong), content_stems(right)
    words -= both_named(clause)
    return len(words & (wrong_words - right_words)) - len(words & (right_words - wrong_words))


def contradicts(clause: str, wrong: str, right: str, to_wrong: float, to_right: float) -> bool:
    """Whether `clause` says the `wrong` claim rather than the `right` one, given its cosines to both."""
    if to_wrong < CONTRADICTS_FLOOR or to_wrong - to_right < CONTRADICTS_MARGIN:
        return False
    apart = content_stems(wrong) - content_stems(right)
    needed = len(apart) if apart and substitution(wrong, right) else CONTRADICTS_WORDS
    return _wording(clause, wrong, right) >= min(CONTRADICTS_WORDS, needed)


ARTICLES = frozenset({"a", "an", "the"})


def substitution(wrong: str, right: str) -> tuple[str, str] | None:
    """The words `wrong` puts in place of `right`'s, as (right's, wrong's), where `wrong` is `right` with one run of
    at most `SUBSTITUTED_WORDS` words put in another's place, articles aside ("An array stores nodes …" for "A linked
    list stores nodes …" gives ("linked list", "array")); else None."""
    w = [t for t in tokens(wrong) if t not in ARTICLES]
    r = [t for t in tokens(right) if t not in ARTICLES]
    start = 0
    while start < min(len(w), len(r)) and w[start] == r[start]:
        start += 1
    end = 0
    while end < min(len(w), len(r)) - start and w[-1 - end] == r[-1 - end]:
        end += 1
    put, was = w[start : len(w) - end], r[start : len(r) - end]
    if not (0 < len(put) <= SUBSTITUTED_WORDS and 0 < len(was) <= SUBSTITUTED_WORDS):
        return None
    return " ".join(was), " ".join(put)


def judge(
    index: int,
    point: KeyPoint,
    clauses: list[str],
    points: np.ndarray,
    clause_vectors: np.ndarray,
    contrast_vectors: np.ndarray,
    pairs: PairJudge | None = None,
    asked: frozenset[str] = frozenset(),
    every: bool = False,
) -> ContrastMatch | None:
    """The clause that contradicts `point` (key point `index` of the entry, whose key points are the vectors
    `points`) through one of its contrasts, or else one that leaves it in doubt, or None. With `pairs`, the
    pair model settles a doubt, and with `every` it reads every contrast too; `asked` are the question's content
    stems."""
    if not point.contrasts or not clauses:
        return None
    found = _by_vectors(index, point, clauses, points, clause_vectors, contrast_vectors)
    if found is not None and found.contradicts and find_swap(found.contrast, [found.clause], asked=asked):
        # It states the contrast backwards ("rolling windows must end at t, not be centred" against "rolling means
        # over a centred window are safe"): it shares the contrast's words to deny it, so it is in doubt at most.
        return ContrastMatch(found.clause, found.contrast, contradicts=False)
    if pairs is None or (found is not None and found.contradicts):
        return found
    if (
        found is not None
        and _wording(found.clause, found.contrast, point.text) >= SETTLE_WORDS
        and _states(found, pairs)
    ):
        return ContrastMatch(found.clause, found.contrast, contradicts=True)
    if not every:
        return found
    return _by_pairs(point, clauses, clause_vectors, contrast_vectors, pairs, asked) or found


def _states(doubt: ContrastMatch, pairs: PairJudge) -> bool:
    """Whether the pair model reads the clause in doubt as stating its contrast."""
    return float(pairs.judge_pairs([(doubt.contrast, doubt.clause)])[0, ENTAILS]) >= SETTLE_ENTAILS


def _by_pairs(
    point: KeyPoint,
    clauses: list[str],
    clause_vectors: np.ndarray,
    contrast_vectors: np.ndarray,
    pairs: PairJudge,
    asked: frozenset[str] = frozenset(),
) -> ContrastMatch | None:
    """The clause nearest to one of the point's contrasts, if the pair model finds it contradicts the point and
    states that contrast. Each contrast is judged on its own, so `trusted` (one contrast at a time on the
    reference answer) checks exactly what grading will."""
    nearest = (clause_vectors @ contrast_vectors.T).argmax(axis=0)
    said = content_stems(point.text) - asked
    read_now = [
        (k, clauses[int(c)])
        for k, c in enumerate(nearest)
        if float(clause_vectors[c] @ contrast_vectors[k]) >= PAIR_FLOOR
        and len(content_stems(clauses[int(c)]) & (said | content_stems(point.contrasts[k])) - asked)
        >= PAIR_SHARED
    ]
    if not read_now:
        return None
    wanted = list(
        dict.fromkeys(pair for k, c in read_now for pair in ((point.text, c), (point.contrasts[k], c)))
    )
    read = dict(zip(wanted, pairs.judge_pairs(wanted), strict=True))
    for k, clause in read_now:
        to_point, to_contrast = read[(point.text, clause)], read[(point.contrasts[k], clause)]
        preferred = float(to_contrast[ENTAILS] - to_point[ENTAILS])
        if to_point[CONTRADICTS] >= PAIR_CONTRADICTS and preferred >= PAIR_MARGIN:
            return ContrastMatch(clause, point.contrasts[k], contradicts=True)
    return None


def _by_vectors(
    index: int,
    point: KeyPoint,
    clauses: list[str],
    points: np.ndarray,
    clause_vectors: np.ndarray,
    contrast_vectors: np.ndarray,
) -> ContrastMatch | None:
    """`judge` by sentence vectors and wording alone. Each clause is read against every contrast, nearest first:
    a point's contrasts often say one wrong thing in several ways, and the nearest as a vector need not be the one
    whose words the clause has ("the well-classified points sitting far out beyond the margin" is nearest "the
    class means that the SVM uses", and has the words of "the correctly classified points well outside the
    margin")."""
    to_points = clause_vectors @ points.T
    to_point = to_points[:, index]
    others = np.delete(to_points, index, axis=1)
    to_others = others.max(axis=1) if others.shape[1] else np.full(len(clauses), -1.0)
    to_contrast = clause_vectors @ contrast_vectors.T
    doubt: ContrastMatch | None = None
    for c, clause in enumerate(clauses):
        for k in np.argsort(-to_contrast[c]):
            near, contrast = float(to_contrast[c, k]), point.contrasts[int(k)]
            if near >= float(to_others[c]) and contradicts(
                clause, contrast, point.text, near, float(to_point[c])
            ):
                return ContrastMatch(clause, contrast, contradicts=True)
            if (
                doubt is None
                and near >= DOUBT_FLOOR
                and near - float(to_point[c]) >= DOUBT_MARGIN
                and near - float(to_others[c]) >= DOUBT_OTHERS
                and _wording(clause, contrast, point.text) >= 1
            ):
                doubt = ContrastMatch(clause, contrast, contradicts=False)
    return doubt


def trusted(
    index: int,
    point: KeyPoint,
    reference_clauses: list[str],
    points: np.ndarray,
    reference_vectors: np.ndarray,
    contrast_vectors: np.ndarray,
    pairs: PairJudge | None = None,
    asked: frozenset[str] = frozenset(),
    every: bool = False,
) -> list[int]:
    """The contrasts of `point` that its entry's own reference answer does not trip (as a contradiction or a
    doubt). A contrast the right answer seems to state is one this check cannot tell apart from the point, so
    it is not used: 86 of 190 reference answers were put in doubt before this rule (docs/grader-notes.md)."""
    return [
        k
        for k, contrast in enumerate(point.contrasts)
        if judge(
            index,
            point.model_copy(update={"contrasts": [contrast]}),
            reference_clauses,
            points,
            reference_vectors,
            contrast_vectors[k : k + 1],
            pairs,
            asked,
            every,
        )
        is None
    ]
