"""The download files of a finished interview: written when the transcript changes, not on every view."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from interviewer.models import Turn
from interviewer.web import views
from tests.test_web_report import transcript

LONG_AGO = 1_000_000_000  # epoch seconds: an mtime no write of today can leave behind


@pytest.fixture(autouse=True)
def export_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(views, "EXPORT_DIR", tmp_path / "exports")
    return tmp_path / "exports"


def age(files: tuple[Path, ...]) -> None:
    for f in files:
        os.utime(f, (LONG_AGO, LONG_AGO))


def mtimes(files: tuple[Path, ...]) -> list[float]:
    return [f.stat().st_mtime for f in files]


def test_a_second_view_with_no_change_does_not_rewrite_the_exports(export_dir: Path) -> None:
    t = transcript()
    files = views.export_files(t)
    assert [f.name for f in files] == [
        "interview-abc123.md",
        "interview-abc123.json",
        "interview-abc123.html",
    ]
    assert all(f.parent == export_dir / "abc123" for f in files)
    assert files[0].read_text(encoding="utf-8").startswith("# Interview report abc123")
    age(files)
    assert views.export_files(transcript()) == files  # an equal transcript, as a refreshed page rebuilds it
    assert mtimes(files) == [LONG_AGO] * 3


def test_a_changed_session_or_a_missing_file_rewrites_the_exports() -> None:
    t = transcript()
    files = views.export_files(t)
    age(files)
    t.questions[1].turns.append(Turn(role="candidate", kind="skip", text="A late remark."))
    views.export_files(t)
    assert all(m > LONG_AGO for m in mtimes(files))
    assert "A late remark." in files[0].read_text(encoding="utf-8")
    age(files)
    files[2].unlink()  # the temp folder was cleaned
    views.export_files(t)
    assert files[2].exists() and all(m > LONG_AGO for m in mtimes(files))
