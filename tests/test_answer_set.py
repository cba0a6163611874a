"""Our graded ML answer set (evals/): it loads, it is well formed, its split is frozen, and its figures add up."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from interviewer.content.loader import Bank
from interviewer.errors import InterviewerError
from interviewer.evals import answer_set
from interviewer.evals.answer_set import GradedAnswer, Scored

from .conftest import ROOT

EVALS = ROOT / "evals"


def test_the_shipped_set_loads_with_every_kind_on_each_question(bank: Bank) -> None:
    answers = answer_set.load_answer_set(EVALS, bank.entries)
    assert len(answers) >= 400
    by_question = collections.defaultdict(set)
    for a in answers:
        by_question[a.question_id].add(a.kind)
    assert len(by_question) >= 50
    standard = set(answer_set.KIND_BANDS) - {"adversarial"}
    assert all(kinds >= standard for kinds in by_question.values())
    assert {bank.entries[q].type for q in by_question} >= {"concept", "applied", "coding", "behavioral"}


def test_the_split_is_by_question_and_both_halves_are_substantial(bank: Bank) -> None:
    answers = answer_set.load_answer_set(EVALS, bank.entries)
    halves = collections.defaultdict(set)
    for a in answers:
        halves[a.split].add(a.question_id)
    assert set(halves) == {"dev", "test"}
    assert not halves["dev"] & halves["test"]
    assert min(len(h) for h in halves.values()) >= 20


def _write_set(folder: Path, answers: str, split: str = "dev: [overfitting]\ntest: []\n") -> Path:
    (folder / "answers").mkdir(parents=True)
    (folder / "answers" / "a.yaml").write_text(answers, encoding="utf-8")
    (folder / "split.yaml").write_text(split, encoding="utf-8")
    return folder


def test_a_score_outside_its_kind_or_an_unknown_question_is_refused_with_where(tmp_path: Path) -> None:
    folder = _write_set(
        tmp_path,
        "- {question_id: overfitting, kind: swapped, score: 7, note: x, answer: y}\n"
        "- {question_id: no-such-entry, kind: good, score: 7, answer: y}\n",
    )
    with pytest.raises(InterviewerError) as caught:
        answer_set.load_answer_set(folder, ["overfitting"])
    message = str(caught.value)
    assert "a.yaml, answer 1: Value error, a swapped answer scores 0-2, not 7" in message
    assert "a.yaml, answer 2: no bank entry 'no-such-entry'" in message


def test_adversarial_answers_need_a_ceiling(tmp_path: Path) -> None:
    folder = _write_set(
        tmp_path, "- {question_id: overfitting, kind: adversarial, score: 1, note: x, answer: y}\n"
    )
    with pytest.raises(InterviewerError, match="carry a ceiling"):
        answer_set.load_answer_set(folder, ["overfitting"])


def _scored(kind: str, human: float, predicted: float, ceiling: float | None = None) -> Scored:
    note = None if kind in {"excellent", "good", "partial", "weak"} else "why"
    answer = GradedAnswer(question_id="q", kind=kind, score=human, answer="a", note=note, ceiling=ceiling)
    return Scored(answer, predicted)


def test_targets_and_kind_rows_count_what_the_issue_asks() -> None:
    scored = [
        _scored("excellent", 9.5, 9.0),
        _scored("excellent", 9.0, 7.0),
        _scored("swapped", 1.0, 2.0),
        _scored("wrong", 1.0, 8.5),
        _scored("one-error", 5.0, 6.0),
        _scored("adversarial", 1.0, 2.5, ceiling=2),
    ]
    rows = {r.kind: r for r in answer_set.kind_rows(scored)}
    assert rows["excellent"].mean == 8.0 and rows["excellent"].share_high == 0.5
    assert rows["wrong"].share_high == 1.0
    found = {t.name: t for t in answer_set.targets(scored)}
    assert found["wrong, swapped and misconception answers scored <= 3"].value == 0.5
    assert found["one-error answers scored <= 6"].met
    assert not found["excellent answers scored >= 8"].met
    assert str(found["adversarial answers over their ceiling"]) == (
        "NOT met: adversarial answers over their ceiling: 1 (goal 0)"
    )
