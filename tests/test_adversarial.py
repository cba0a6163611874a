"""Tricks on the offline grader, with the real model: none may lift a weak answer by more than one point."""

from __future__ import annotations

import pytest

from interviewer.evals.adversarial import MASTER_KEYS, MAX_LIFT, TRICKS, cases
from interviewer.grading.offline import OfflineGrader


@pytest.fixture(scope="module")
def grader(embedder) -> OfflineGrader:
    return OfflineGrader(embedder)


@pytest.fixture(scope="module")
def graded_cases(bank):
    found = cases(bank)
    assert len(found) >= 8, "the bank entries the suite uses are missing"
    return found


@pytest.fixture(scope="module")
def weak_scores(grader, graded_cases) -> dict[str, float]:
    return {c.name: grader.grade(c.reference, c.weak, rubric).score for c, rubric in graded_cases}


def test_weak_answers_earn_some_credit_but_not_full_marks(weak_scores) -> None:
    """Lifts are only meaningful if there is room above the weak answer and credit to lose."""
    assert all(score < 8 for score in weak_scores.values()), weak_scores
    assert sum(score > 0 for score in weak_scores.values()) >= len(weak_scores) - 1, weak_scores


@pytest.mark.parametrize("trick", sorted(TRICKS))
def test_no_trick_lifts_a_weak_answer_by_more_than_a_point(trick, grader, graded_cases, weak_scores) -> None:
    lifts = {}
    for case, rubric in graded_cases:
        tricked = grader.grade(case.reference, TRICKS[trick](case), rubric).score
        lifts[case.name] = round(tricked - weak_scores[case.name], 1)
    assert max(lifts.values()) <= MAX_LIFT, lifts


@pytest.mark.parametrize("key", MASTER_KEYS)
def test_a_master_key_alone_scores_zero(key, grader, graded_cases) -> None:
    for case, rubric in graded_cases:
        grade = grader.grade(case.reference, key, rubric)
        assert grade.score == 0 and "near_empty" in grade.flags, (case.name, grade.flags)


def test_stuffed_keywords_and_injected_instructions_are_flagged_and_never_evidence(
    grader, graded_cases
) -> None:
    for case, rubric in graded_cases:
        for trick, flag in (("keyword stuffing", "keyword_stuffing"), ("injected instructions", "injection")):
            answer = TRICKS[trick](case)
            grade = grader.grade(case.reference, answer, rubric)
            assert flag in grade.flags, (case.name, trick, grade.flags)
            added = answer[len(case.weak) :]
            assert all(k.evidence is None or k.evidence not in added for k in grade.key_points), case.name


def test_a_swapped_definition_is_caught_as_a_misconception(grader, graded_cases) -> None:
    caught = 0
    for case, rubric in graded_cases:
        grade = grader.grade(case.reference, case.swapped, rubric)
        caught += bool(grade.misconceptions)
    assert caught >= len(graded_cases) - 2, caught
