"""Bank files at their edges: 10,000 entries into a real ChromaDB, a repeated key, an empty file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from interviewer.content.loader import load_bank
from interviewer.retrieval.store import ChromaQuestionStore

from .conftest import ROOT, FakeEmbedder

ENTRIES = 10_000


def _one_entry() -> dict:
    return yaml.safe_load((ROOT / "bank" / "linear-models.yaml").read_text(encoding="utf-8"))[0]


def test_ten_thousand_entries_validate_and_index_in_batches(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    template = {k: v for k, v in _one_entry().items() if k != "variant_of"}
    entries = [
        {**template, "id": f"generated-{n:05d}", "question": f"{template['question']} (case {n})"}
        for n in range(ENTRIES)
    ]
    (bank / "many.yaml").write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")
    loaded = load_bank(bank, ROOT / "rubrics")  # what `bank validate` checks
    assert len(loaded) == ENTRIES
    embedder = FakeEmbedder()
    store = ChromaQuestionStore.embedded(embedder, str(tmp_path / "chroma"), "questions")
    report = store.sync(loaded.entries.values())
    assert len(report.added) == ENTRIES and store.count() == ENTRIES
    assert max(len(batch) for batch in embedder.batches) <= 2 * 2000
    again = store.sync(loaded.entries.values())
    assert len(again.unchanged) == ENTRIES and not again.added


def _validate(bank: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "INTERVIEWER_BANK_DIR": str(bank),
        "INTERVIEWER_RUBRICS_DIR": str(ROOT / "rubrics"),
        "PATH": "/usr/bin",
    }
    return subprocess.run(
        [sys.executable, "-m", "interviewer.cli.main", "bank", "validate"],
        capture_output=True,
        text=True,
        env=env,
        cwd=bank.parent,
        timeout=120,
    )


def test_a_repeated_key_inside_an_entry_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    text = yaml.safe_dump([_one_entry()], sort_keys=False)
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  question:"))
    lines.insert(at + 1, "  question: A second question that would silently win?")
    (bank / "dup.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _validate(bank)
    assert result.returncode != 0
    assert (
        f"dup.yaml: broken YAML at line {at + 2}" in result.stderr
        and "duplicate key 'question'" in result.stderr
    )


def test_an_empty_bank_file_is_an_error_naming_it(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    shutil.copy(ROOT / "bank" / "linear-models.yaml", bank / "linear-models.yaml")
    (bank / "empty.yaml").write_text("# nothing yet\n", encoding="utf-8")
    result = _validate(bank)
    assert result.returncode != 0 and "empty.yaml: line 1: the file is empty" in result.stderr
