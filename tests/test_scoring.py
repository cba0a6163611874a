"""The scoring rules both graders share (`interviewer/grading/scoring.py`) and the grade flags (`GradeFlag`)."""

from __future__ import annotations

import json

import pytest

from interviewer.grading.guards import check_answer
from interviewer.grading.scoring import (
    COVERAGE_GATE,
    COVERAGE_GATE_POWER,
    DRAFTED_GATE,
    coverage_gate,
    feedback,
    gate_note,
    misconception_factor,
    weighted_coverage,
)
from interviewer.interview import policy
from interviewer.models import (
    STOPS_GRADING,
    Grade,
    GradeFlag,
    KeyPoint,
    KeyPointResult,
    Reference,
)


def test_the_coverage_gate_falls_steeply_below_the_gate() -> None:
    assert coverage_gate(0.0) == 0.0
    assert COVERAGE_GATE_POWER > 1
    # Half the gate's coverage earns well under half of accuracy and focus: 0.125 at power 3.
    assert coverage_gate(COVERAGE_GATE / 2) == pytest.approx(0.5**COVERAGE_GATE_POWER)
    assert coverage_gate(COVERAGE_GATE / 2) < coverage_gate(0.9 * COVERAGE_GATE) < 1.0


def test_key_points_drafted_from_the_reference_keep_the_linear_gate() -> None:
    assert coverage_gate(DRAFTED_GATE / 2, drafted=True) == pytest.approx(0.5)
    assert coverage_gate(DRAFTED_GATE, drafted=True) == 1.0
    assert coverage_gate(DRAFTED_GATE, drafted=False) < 1.0
    assert coverage_gate(COVERAGE_GATE) == 1.0
    assert coverage_gate(0.95) == 1.0


def test_each_misconception_takes_half_and_two_leave_nothing() -> None:
    assert [misconception_factor(n) for n in range(4)] == [1.0, 0.5, 0.0, 0.0]


def test_coverage_is_the_weight_averaged_credit() -> None:
    points = [KeyPoint(text="central", weight=2), KeyPoint(text="minor", weight=0.5), KeyPoint(text="normal")]
    assert weighted_coverage(points, [1.0, 0.0, 0.5]) == pytest.approx((2 + 0.5) / 3.5)


def test_feedback_lists_what_was_covered_and_what_a_strong_answer_adds_weightiest_first() -> None:
    results = [
        KeyPointResult(text="minor, missing", weight=0.5, status="missing"),
        KeyPointResult(text="covered", weight=1, status="covered"),
        KeyPointResult(text="central, partly", weight=2, status="partial"),
        KeyPointResult(text="normal, missing", weight=1, status="missing"),
    ]
    reference = Reference(question="Q?", reference_answer="The model answer.")
    said = feedback(results, reference, "Summary.")
    assert said.strengths == ["covered"]
    assert said.missing == ["central, partly", "normal, missing", "minor, missing"]
    assert (said.model_answer, said.summary) == ("The model answer.", "Summary.")


def test_flags_are_stored_and_exported_as_the_same_strings() -> None:
    grade = Grade(score=0, grader="offline", flags=["near_empty"])
    assert grade.flags == [GradeFlag.NEAR_EMPTY]
    assert json.loads(grade.model_dump_json())["flags"] == ["near_empty"]
    assert grade.model_dump(mode="json")["flags"] == ["near_empty"]
    assert json.dumps(grade.model_dump()["flags"]) == '["near_empty"]'
    assert Grade.model_validate_json(grade.model_dump_json()) == grade
    assert (
        ", ".join(Grade(score=5, grader="llm", flags=["padding", "llm_capped"]).flags)
        == "padding, llm_capped"
    )


@pytest.mark.parametrize(
    ("answer", "flag"),
    [
        ("", GradeFlag.EMPTY),
        ("I don't know", GradeFlag.DONT_KNOW),
        ("...", GradeFlag.NEAR_EMPTY),
        ("What is a stack?", GradeFlag.COPIES_QUESTION),
    ],
)
def test_every_guard_flag_stops_grading(answer: str, flag: GradeFlag) -> None:
    stopped = check_answer("What is a stack?", answer)
    assert stopped is not None and stopped.flag is flag and flag in STOPS_GRADING


def test_the_stop_set_is_the_guards_and_off_topic_and_no_stopped_answer_is_followed_up() -> None:
    # copies_reference: the session's stop for the revealed reference answer pasted back
    assert {
        "empty",
        "near_empty",
        "dont_know",
        "copies_question",
        "copies_reference",
        "off_topic",
    } == STOPS_GRADING
    missed = [KeyPointResult(text="point", weight=1, status="missing", probe="What about the point?")]
    for flag in GradeFlag:
        state, _ = policy.start(("q1", "q2"), max_follow_ups=2)
        grade = Grade(score=0, grader="offline", key_points=missed, flags=[flag])
        asked = policy.after_answer(state, grade)[1].kind
        assert asked == ("ask" if flag in STOPS_GRADING else "follow_up"), flag


def test_the_gate_note_says_what_the_gate_took() -> None:
    assert gate_note(COVERAGE_GATE) == ""
    assert gate_note(COVERAGE_GATE / 2) == (
        " Counted at 12%: it counts in full once 75% of the key points' weight is made, and this answer made 38%."
    )
    assert "once 60%" in gate_note(0.3, drafted=True)
