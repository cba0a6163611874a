"""Every coding question's reference solution runs and gives the expected result on its examples."""

from __future__ import annotations

import ast

import pytest

from interviewer.models import QuestionType

from .conftest import ROOT


def _coding_entries():
    from interviewer.content.loader import load_bank

    bank = load_bank(ROOT / "bank", ROOT / "rubrics")
    return [e for e in bank.entries.values() if e.type is QuestionType.CODING]


@pytest.mark.parametrize("entry", _coding_entries(), ids=lambda e: e.id)
def test_reference_solution_passes_its_examples(entry) -> None:
    namespace: dict = {}
    exec(compile(entry.solution, f"<{entry.id}>", "exec"), namespace)
    for example in entry.examples:
        result = eval(example.call, namespace)
        expected = ast.literal_eval(example.expected)
        if isinstance(result, float) or isinstance(expected, float):
            assert result == pytest.approx(expected, rel=1e-6, abs=1e-9), example.call
        else:
            assert result == expected, example.call
