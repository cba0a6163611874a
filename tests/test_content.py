"""The bank and rubric loader: everything shipped is valid, and bad files fail naming file, entry and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from interviewer.content.loader import load_bank
from interviewer.errors import ContentError
from interviewer.models import QuestionType

from .conftest import ROOT

GOOD_ENTRY = """\
- id: {id}
  question: What is overfitting?
  reference_answer: A model fits noise in the training data and does worse on new data.
  key_points:
    - text: The model fits noise in the training data.
      weight: 1
      probe: What does the model learn that it should not?
  type: {type}
  topic: ml-fundamentals
  difficulty: 1
  tip: Define it, then say how you detect it.
"""


def _bank_dir(tmp_path: Path, *files: tuple[str, str]) -> Path:
    bank_dir = tmp_path / "bank"
    bank_dir.mkdir()
    for name, text in files:
        (bank_dir / name).write_text(text, encoding="utf-8")
    return bank_dir


def _problems(bank_dir: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_bank(bank_dir, ROOT / "rubrics")
    return caught.value.problems


def test_shipped_bank_and_rubrics_are_valid(bank) -> None:
    assert len(bank) >= 20
    assert {e.type for e in bank.entries.values()} == set(QuestionType)
    for qtype in QuestionType:
        assert bank.rubric_for(qtype).criteria


def test_every_probe_is_a_question(bank) -> None:
    for entry in bank.entries.values():
        for point in entry.key_points:
            assert point.probe is None or point.probe.rstrip().endswith("?"), (entry.id, point.probe)


def test_a_valid_file_loads(tmp_path: Path) -> None:
    bank = load_bank(
        _bank_dir(tmp_path, ("a.yaml", GOOD_ENTRY.format(id="overfitting", type="concept"))), ROOT / "rubrics"
    )
    assert list(bank.entries) == ["overfitting"]


def test_missing_field_names_file_entry_and_field(tmp_path: Path) -> None:
    text = GOOD_ENTRY.format(id="overfitting", type="concept").replace(
        "  tip: Define it, then say how you detect it.\n", ""
    )
    problems = _problems(_bank_dir(tmp_path, ("metrics.yaml", text)))
    assert len(problems) == 1
    assert "metrics.yaml" in problems[0] and "'overfitting'" in problems[0] and "`tip`" in problems[0]
    assert "Field required" in problems[0]


def test_duplicate_id_is_reported_with_both_files(tmp_path: Path) -> None:
    entry = GOOD_ENTRY.format(id="overfitting", type="concept")
    problems = _problems(_bank_dir(tmp_path, ("a.yaml", entry), ("b.yaml", entry)))
    assert len(problems) == 1
    assert "b.yaml" in problems[0] and "duplicate id" in problems[0] and "a.yaml" in problems[0]


def test_broken_yaml_gives_the_line(tmp_path: Path) -> None:
    broken = GOOD_ENTRY.format(id="overfitting", type="concept") + "  tip: [unclosed\n"
    problems = _problems(_bank_dir(tmp_path, ("broken.yaml", broken)))
    assert len(problems) == 1
    assert "broken.yaml" in problems[0] and "broken YAML at line" in problems[0]


def test_unknown_type_lists_the_allowed_ones(tmp_path: Path) -> None:
    problems = _problems(_bank_dir(tmp_path, ("a.yaml", GOOD_ENTRY.format(id="overfitting", type="trivia"))))
    assert len(problems) == 1
    assert "`type`" in problems[0] and "'concept'" in problems[0] and "'overfitting'" in problems[0]


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    bad_type = GOOD_ENTRY.format(id="one", type="trivia")
    no_tip = GOOD_ENTRY.format(id="two", type="concept").replace(
        "  tip: Define it, then say how you detect it.\n", ""
    )
    problems = _problems(_bank_dir(tmp_path, ("a.yaml", bad_type + no_tip)))
    assert len(problems) == 2


def test_a_rubric_must_cover_every_type(tmp_path: Path) -> None:
    rubrics = tmp_path / "rubrics"
    shutil.copytree(ROOT / "rubrics", rubrics)
    (rubrics / "coding.yaml").unlink()
    bank_dir = _bank_dir(tmp_path, ("a.yaml", GOOD_ENTRY.format(id="overfitting", type="concept")))
    with pytest.raises(ContentError) as caught:
        load_bank(bank_dir, rubrics)
    assert any("coding" in p and "no rubric" in p for p in caught.value.problems)


def test_coding_entries_need_a_solution(tmp_path: Path) -> None:
    problems = _problems(_bank_dir(tmp_path, ("a.yaml", GOOD_ENTRY.format(id="overfitting", type="coding"))))
    assert any("solution" in p for p in problems)
