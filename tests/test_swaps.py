"""Key points made with a paired term exchanged ("L2 sets weights to zero") earn nothing and are named as errors."""

from __future__ import annotations

import pytest

from interviewer.grading.offline import OfflineGrader
from interviewer.grading.swaps import find_swap
from interviewer.models import Reference

L1_SPARSE = "L1 drives some weights to exactly zero, giving sparse models and feature selection."
L2_SHRINKS = "L2 shrinks all weights towards zero without usually making them exactly zero."


def test_two_definitions_joined_by_and_are_read_clause_by_clause() -> None:
    point = "Precision is the fraction of predicted positives that are truly positive."
    answer = (
        "Recall is the fraction of predicted positives that are truly positive, and precision is TP/(TP+FN)."
    )
    swap = find_swap(point, [answer])
    assert (
        swap is not None
        and swap.clause == "Recall is the fraction of predicted positives that are truly positive"
    )


def test_the_other_term_making_the_point_is_a_swap_and_names_both_terms() -> None:
    swap = find_swap(L1_SPARSE, ["L2 sets many weights to exactly zero, so it gives sparse models."])
    assert swap is not None
    assert swap.clause == "L2 sets many weights to exactly zero, so it gives sparse models."
    assert (swap.said, swap.meant) == ("L2", "L1")
    assert swap.correction(L1_SPARSE) == f"That is true of L1, not L2: {L1_SPARSE}"


@pytest.mark.parametrize(
    "answer",
    [
        "L1 sets many weights to exactly zero, while L2 shrinks all weights smoothly towards zero.",
        "L2 shrinks every weight a little. L1, by contrast, pushes some weights to exactly zero.",
        "Regularisation adds a penalty on the weights to the loss.",  # not about the point at all
    ],
)
def test_right_answers_and_unrelated_ones_are_not_swaps(answer: str) -> None:
    assert find_swap(L1_SPARSE, [answer]) is None
    assert find_swap(L2_SHRINKS, [answer]) is None


def test_a_point_that_names_both_terms_is_never_checked() -> None:
    assert find_swap("L1 gives sparse weights and L2 small ones.", ["L2 gives sparse weights."]) is None


def test_a_swapped_answer_loses_the_points_it_swapped_and_is_capped(embedder, bank) -> None:
    entry = bank.get("l1-vs-l2-regularization")
    rubric = bank.rubric_for(entry.type, entry.rubric)
    grader = OfflineGrader(embedder)
    swapped = (
        "L2 regularization sets many weights to exactly zero, so it gives sparse models and does feature "
        "selection. L1 shrinks all weights smoothly towards zero but never exactly to zero."
    )
    right = swapped.replace("L2", "Lx").replace("L1", "L2").replace("Lx", "L1")
    bad, good = (grader.grade(Reference.from_entry(entry), text, rubric) for text in (swapped, right))
    assert bad.score <= 3.0 < good.score
    assert [m.evidence for m in bad.misconceptions] == [
        "L2 regularization sets many weights to exactly zero, so it gives sparse models and does feature "
        "selection.",
        "L1 shrinks all weights smoothly towards zero",  # the clause, cut before "but"
    ]
    assert all(
        m.correction.startswith(("That is true of L1, not L2", "That is true of L2, not L1"))
        for m in bad.misconceptions
    )
