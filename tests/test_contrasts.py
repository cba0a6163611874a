"""The pair model's say on a key point's contrasts (`contrasts.judge` with `pairs`): settling the clauses the
vectors leave in doubt, and reading every contrast (`every`). With a fake pair model that records what it was
asked, and hand-made unit vectors standing in for sentence vectors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from interviewer.grading import contrasts
from interviewer.models import KeyPoint

POINT = KeyPoint(
    text="Bagging mainly reduces variance.",
    weight=1,
    # Not "Bagging mainly reduces bias.": a clause with the one word that puts a contrast in its point's place is
    # contradicted on wording alone (`test_a_contrast_that_puts_one_concept_in_anothers_place_…`).
    contrasts=["Bagging mainly lowers bias.", "Bagging increases variance."],
)
CLAUSES = ["Bagging is mostly a way to cut bias", "Trees are easy to read"]


class FakePairs:
    """Answers every pair with the row its premise is given; records the pairs it was asked."""

    def __init__(self, rows: dict[str, tuple[float, float, float]]):
        self.rows = rows
        self.asked: list[tuple[str, str]] = []

    def judge_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        self.asked += pairs
        return np.array([self.rows[premise] for premise, _ in pairs], dtype=np.float32)


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


# The point, and a second key point of the same entry; clause 0 sits halfway between the point and its first
# contrast (the vectors alone cannot tell), clause 1 is about something else.
POINTS = np.vstack([unit(1, 0, 0, 0), unit(0, 0, 0, 1)])
CONTRASTS = np.vstack([unit(1, 1, 0, 0), unit(1, 0, 1, 0)])
CLAUSE_VECTORS = np.vstack([unit(1, 0.9, 0, 0), unit(0, 0, 0.2, 1)])

SAYS_BIAS = {  # entails, contradicts, neutral
    POINT.text: (0.05, 0.90, 0.05),
    POINT.contrasts[0]: (0.85, 0.05, 0.10),
    POINT.contrasts[1]: (0.10, 0.30, 0.60),  # not what the clause says
}


def judge(pairs: FakePairs | None) -> contrasts.ContrastMatch | None:
    """Every contrast read (`INTERVIEWER_PAIR_MODEL=all`)."""
    return contrasts.judge(0, POINT, CLAUSES, POINTS, CLAUSE_VECTORS, CONTRASTS, pairs, every=True)


def test_the_pair_model_catches_a_contrast_the_vectors_only_doubt() -> None:
    assert judge(None) == contrasts.ContrastMatch(CLAUSES[0], POINT.contrasts[0], contradicts=False)
    pairs = FakePairs(SAYS_BIAS)
    assert judge(pairs) == contrasts.ContrastMatch(CLAUSES[0], POINT.contrasts[0], contradicts=True)
    # For each contrast, the clause nearest to it, against the point and that contrast; each pair once. Only
    # the first contrast's: the clause shares one word ("bagging") with the second and the point together.
    assert pairs.asked == [(POINT.text, CLAUSES[0]), (POINT.contrasts[0], CLAUSES[0])]


def test_a_clause_the_pair_model_reads_as_the_point_keeps_the_vectors_verdict() -> None:
    agrees = FakePairs({POINT.text: (0.9, 0.05, 0.05), **{c: (0.1, 0.8, 0.1) for c in POINT.contrasts}})
    assert judge(agrees) == judge(None)


def test_a_contradiction_without_a_clear_preference_for_the_contrast_is_not_enough() -> None:
    rows = {**SAYS_BIAS, POINT.contrasts[0]: (0.05 + contrasts.PAIR_MARGIN - 0.01, 0.5, 0.46)}
    assert judge(FakePairs(rows)) == judge(None)


def test_no_clause_near_a_contrast_asks_the_pair_model_nothing() -> None:
    pairs = FakePairs(SAYS_BIAS)
    far = np.vstack([unit(0, 0, 0, 1), unit(0, 0, 0.1, 1)])
    assert contrasts.judge(0, POINT, CLAUSES, POINTS, far, CONTRASTS, pairs, every=True) is None
    assert pairs.asked == []


def test_a_clause_sharing_only_the_subject_asked_about_is_not_read_by_the_pair_model() -> None:
    """ "Q-learning learns an action-value function" was read as "Q-learning is on-policy…": near it by its
    subject alone. The question's own words do not count towards the words a clause must share."""
    pairs = FakePairs(SAYS_BIAS)
    asked = frozenset({"bag"})  # "What does bagging do?": the clause shares only "bias" beyond it
    found = contrasts.judge(0, POINT, CLAUSES, POINTS, CLAUSE_VECTORS, CONTRASTS, pairs, asked, every=True)
    assert found == judge(None)  # the vectors' doubt stands; no contradiction from the pair model
    assert pairs.asked == []
    assert (
        judge(FakePairs(SAYS_BIAS)) is not None and judge(FakePairs(SAYS_BIAS)).contradicts
    )  # without `asked`


# Settling doubts (the default, `every` off): the same vectors, but a contrast and clause that share two of the
# contrast's own words ("bias", "shallow"), so the wording is enough for the pair model to be asked.
SETTLED = KeyPoint(
    text="Bagging mainly reduces variance.",
    weight=1,
    contrasts=["Bagging mainly reduces the bias of shallow learners.", "Bagging increases variance."],
)
SETTLED_CLAUSES = ["Bagging is a way to cut the bias of shallow trees", "Trees are easy to read"]
STATES_IT = {SETTLED.contrasts[0]: (0.5 + 0.01, 0.2, 0.29)}  # P(entails | contrast, clause) just over the bar
STATES_LITTLE = {SETTLED.contrasts[0]: (0.5 - 0.01, 0.2, 0.31)}


def settle(pairs: FakePairs | None, point: KeyPoint = SETTLED) -> contrasts.ContrastMatch | None:
    clauses = SETTLED_CLAUSES if point is SETTLED else CLAUSES
    return contrasts.judge(0, point, clauses, POINTS, CLAUSE_VECTORS, CONTRASTS, pairs)


def test_a_doubt_the_pair_model_reads_as_the_contrast_is_a_contradiction() -> None:
    assert settle(None) == contrasts.ContrastMatch(
        SETTLED_CLAUSES[0], SETTLED.contrasts[0], contradicts=False
    )
    pairs = FakePairs(STATES_IT)
    assert settle(pairs) == contrasts.ContrastMatch(
        SETTLED_CLAUSES[0], SETTLED.contrasts[0], contradicts=True
    )
    assert pairs.asked == [(SETTLED.contrasts[0], SETTLED_CLAUSES[0])]  # one pair: the doubt's, nothing else


def test_a_doubt_the_pair_model_does_not_read_as_the_contrast_stays_a_doubt() -> None:
    assert settle(FakePairs(STATES_LITTLE)) == settle(None)


def test_a_doubt_resting_on_one_word_is_not_settled() -> None:
    """ "Every element goes in and out of the heap once" was taken for "the heap holds all N elements at once"."""
    pairs = FakePairs({**SAYS_BIAS, POINT.contrasts[0]: (0.99, 0.0, 0.01)})
    assert settle(pairs, POINT) == contrasts.ContrastMatch(CLAUSES[0], POINT.contrasts[0], contradicts=False)
    assert pairs.asked == []


def test_without_every_contrast_a_clause_in_no_doubt_asks_the_pair_model_nothing() -> None:
    pairs = FakePairs(SAYS_BIAS)
    far = np.vstack([unit(0, 0, 0, 1), unit(0, 0, 0.1, 1)])
    assert contrasts.judge(0, POINT, CLAUSES, POINTS, far, CONTRASTS, pairs) is None
    assert pairs.asked == []


def test_a_clause_that_denies_a_contrast_is_in_doubt_not_contradicted() -> None:
    """Sharing a contrast's words to deny it is no wrong claim."""
    point = KeyPoint(
        text="Features may only use data up to the forecast time.",
        weight=1,
        contrasts=[
            "Rolling means over a centred window are safe features.",
            "Future values make good features.",
        ],
    )
    says, denies = "Rolling windows should be centred on t", "Rolling windows must end at t, not be centred"
    for clause, contradicts in ((says, True), (denies, False)):
        found = contrasts.judge(
            0, point, [clause, "Trees are easy to read"], POINTS, CLAUSE_VECTORS, CONTRASTS
        )
        assert found == contrasts.ContrastMatch(clause, point.contrasts[0], contradicts=contradicts)


def test_a_clause_is_read_against_every_contrast_not_only_the_nearest() -> None:
    """From the fresh-g dev answers, written blind: a swapped SVM answer's clause was nearest, as a vector, to the
    contrast it has no words of, and escaped; it has the words of the next one."""
    point = KeyPoint(
        text="Support vectors are the training points that lie on the margin or violate it.",
        contrasts=[
            "Support vectors are the class means that the SVM uses to place the hyperplane.",
            "Support vectors are the correctly classified points well outside the margin.",
        ],
    )
    clause = "They are the correctly classified points sitting well outside the margin"
    points = np.vstack([unit(1, 0, 0, 0), unit(0, 0, 0, 1)])
    contrast_vectors = np.vstack([unit(1, 1, 0, 0), unit(1, 0, 1, 0)])
    clause_vector = unit(1, 0.75, 0.7, 0)
    assert float(clause_vector @ contrast_vectors[0]) > float(clause_vector @ contrast_vectors[1])
    found = contrasts.judge(0, point, [clause], points, clause_vector[None, :], contrast_vectors)
    assert found == contrasts.ContrastMatch(clause, point.contrasts[1], contradicts=True)


def test_a_contrast_that_puts_one_concept_in_anothers_place_needs_only_that_word() -> None:
    """From the fresh-n dev answers, written blind: "An array … is a set of elements connected by pointers, so
    reaching index i means following the chain" against the contrast "An array stores nodes connected by pointers
    …". The contrast differs from its point by one word, so the three words asked of other contrasts cannot be
    found; having that word, and not the point's, is all the wording there is."""
    point = KeyPoint(
        text="A linked list stores nodes connected by pointers, so reaching the i-th element takes O(n).",
        contrasts=["An array stores nodes connected by pointers, so reaching the i-th element takes O(n)."],
    )
    points = np.vstack([unit(1, 0, 0), unit(0, 0, 1)])
    contrast_vectors = unit(1, 1, 0)[None, :]
    clause_vector = unit(0.6, 1, 0.2)[None, :]
    says = (
        "An array is a set of elements connected by pointers, so reaching index i means following the chain"
    )
    also_names = "An array, like a linked list, is a set of elements connected by pointers"
    found = contrasts.judge(0, point, [says], points, clause_vector, contrast_vectors)
    assert found == contrasts.ContrastMatch(says, point.contrasts[0], contradicts=True)
    found = contrasts.judge(0, point, [also_names], points, clause_vector, contrast_vectors)
    assert found is None or not found.contradicts


def test_a_substitution_is_one_run_of_words_put_in_anothers_place() -> None:
    linked = "A linked list stores nodes connected by pointers, so reaching the i-th element takes O(n)."
    assert contrasts.substitution(linked.replace("A linked list", "An array"), linked) == (
        "linked list",
        "array",
    )
    assert (
        contrasts.substitution(
            "Reaching the i-th element of a linked list takes O(1), as in an array.", linked
        )
        is None
    )
    assert contrasts.substitution(linked, linked) is None
