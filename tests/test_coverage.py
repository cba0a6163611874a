"""`interviewer bank coverage`: which bank entry covers each question of a document, by source or similarity."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from interviewer.content.coverage import DEFAULT_THRESHOLD, check_coverage, ref_matches
from interviewer.content.documents import parse_file
from interviewer.models import SearchHit

from .conftest import ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "coverage"
SEED_NAMED = FIXTURES / "000_0ecf241cda0c52bc.txt"  # numbered like the seed the bank cites, our own wording
MOCK = FIXTURES / "mock-screen.txt"
SCRIPT = str(Path(sys.executable).parent / "interviewer")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEWER_", "OPENAI_"))}
    data = tmp_path_factory.mktemp("coverage-data")
    environment.update({"INTERVIEWER_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"})
    return environment


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SCRIPT, *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.mark.parametrize(
    ("bank_ref", "found_ref", "same"),
    [
        ("Q5", "Q5", True),
        ("Q5", "Q15", False),
        ("Algorithms Q1", "Machine Learning Algorithms Interview Questions Q1", True),
        ("Algorithms Q1", "Machine Learning Algorithm Coding Questions Q1", False),
        ("Coding Q1", "Machine Learning Algorithm Coding Questions Q1", True),
        ("Know Statistics bullet 3", "Know Statistics bullet 3", True),
        ("Know Statistics bullet 3", "Know Statistics question 3", False),
        ("Know How to Visualize bullets 1-3", "Know How to Visualize bullet 2", True),
        ("Good Questions to Ask question 2", "Good Questions to Ask the Interviewer question 2", True),
        ("Interview FAQs question 1", "Machine Learning Interview Questions and Answers question 1", False),
    ],
)
def test_a_bank_ref_may_shorten_the_heading_but_not_change_the_place(bank_ref, found_ref, same) -> None:
    assert ref_matches(bank_ref, found_ref) is same


def test_every_bank_source_ref_names_a_place(bank) -> None:
    """A ref coverage cannot read (a typo such as 'Q 5' or 'bulet 3') would silently cover nothing."""
    bad = [
        f"{e.id}: {s.document} {s.ref!r}"
        for e in bank.entries.values()
        for s in e.sources
        if not re.search(r"(?:^|\s)(?:Q|question|bullets?|paragraphs?) ?\d+(?:-\d+)?$", s.ref)
    ]
    assert bad == []


def test_sources_cover_without_asking_the_index(bank) -> None:
    asked: list[str] = []

    def nearest(text: str) -> SearchHit | None:
        asked.append(text)
        return SearchHit(entry_id="knn-vs-kmeans", question="x", similarity=0.99)

    report = check_coverage([parse_file(SEED_NAMED)], bank, nearest)
    assert [(r.ref, r.entry_id, r.how) for r in report.rows] == [
        ("Q5", "precision-vs-recall", "source"),
        ("Q12", "probability-vs-likelihood", "source"),
        ("Q47", "alphago-approach", "source"),
    ]
    assert asked == []


def test_similarity_covers_only_at_or_above_the_threshold(bank) -> None:
    scores = {
        "How do precision and recall differ?": 0.9,
        "How often should a beekeeper inspect a hive during the summer?": 0.6,
        "Can you explain the trade-off between bias and variance?": 0.75,
    }
    report = check_coverage(
        [parse_file(MOCK)],
        bank,
        lambda text: SearchHit(entry_id="bias-variance-tradeoff", question="x", similarity=scores[text]),
        threshold=0.75,
    )
    assert [(r.ref, r.how, r.similarity) for r in report.rows] == [
        ("Q1", "similarity", 0.9),
        ("Q2", None, 0.6),
        ("Q3", "similarity", 0.75),
    ]
    assert [r.question for r in report.uncovered] == [
        "How often should a beekeeper inspect a hive during the summer?"
    ]
    assert report.counts() == {
        "questions": 3,
        "covered": 2,
        "by_source": 0,
        "by_similarity": 2,
        "uncovered": 1,
    }


def test_cli_names_the_uncovered_question_and_exits_1(env) -> None:
    result = run(env, "bank", "coverage", str(MOCK), str(SEED_NAMED))
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "Q1: ok  precision-vs-recall (similarity" in out
    assert "Q3: ok  bias-variance-tradeoff (similarity" in out
    assert "Q5: ok  precision-vs-recall (source)" in out
    assert "Q2: UNCOVERED; nearest " in out
    assert f"Not covered by the bank:\n  {MOCK}:6 Q2: How often should a beekeeper inspect a hive" in out
    assert out.rstrip().endswith(
        f"6 questions in 2 document(s): 5 covered (3 by source reference, 2 by similarity >= "
        f"{DEFAULT_THRESHOLD:.2f}), 1 uncovered"
    )


def test_cli_json(embedder, settings, monkeypatch) -> None:
    # In process, with the session's model, to spare a second model load; the script is exercised above.
    from typer.testing import CliRunner

    from interviewer.cli import main as cli
    from interviewer.cli import shared
    from interviewer.retrieval.store import InMemoryQuestionStore
    from interviewer.services import Services

    services = Services(settings=settings, embedder=embedder, store=InMemoryQuestionStore(embedder))
    monkeypatch.setattr(shared, "services", lambda: services)
    result = CliRunner().invoke(cli.app, ["bank", "coverage", str(MOCK), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert {k: report[k] for k in ("questions", "covered", "by_source", "by_similarity", "uncovered")} == {
        "questions": 3,
        "covered": 2,
        "by_source": 0,
        "by_similarity": 2,
        "uncovered": 1,
    }
    uncovered = [r for r in report["rows"] if r["entry_id"] is None]
    assert [(r["file"], r["ref"], r["line"], r["question"]) for r in uncovered] == [
        (str(MOCK), "Q2", 6, "How often should a beekeeper inspect a hive during the summer?")
    ]
    assert uncovered[0]["similarity"] < DEFAULT_THRESHOLD and uncovered[0]["nearest"]
    covered = {r["ref"]: (r["entry_id"], r["how"]) for r in report["rows"] if r["entry_id"]}
    assert covered == {
        "Q1": ("precision-vs-recall", "similarity"),
        "Q3": ("bias-variance-tradeoff", "similarity"),
    }
    assert report["threshold"] == DEFAULT_THRESHOLD


def test_cli_all_covered_by_source_exits_0_without_touching_the_index(tmp_path: Path, env) -> None:
    fresh = {**env, "INTERVIEWER_DATA_DIR": str(tmp_path / "data")}
    result = run(fresh, "bank", "coverage", str(SEED_NAMED))
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith(
        "3 covered (3 by source reference, 0 by similarity >= 0.75), 0 uncovered"
    )
    assert not (tmp_path / "data" / "chroma").exists()  # a read-only check writes no index


def test_cli_unreadable_document_is_an_error(env, tmp_path: Path) -> None:
    result = run(env, "bank", "coverage", str(tmp_path / "missing.txt"))
    assert result.returncode == 2
    assert "missing.txt: cannot be read" in result.stderr
