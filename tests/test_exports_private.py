"""Where downloads live: under the data directory, private to the server's user, never through a planted
symlink, and gone after `INTERVIEWER_RETENTION_DAYS` or when their interview is deleted."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from interviewer.config import Settings
from interviewer.errors import InterviewerError
from interviewer.web import views
from tests.test_web_report import transcript

DAY = 86400


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_exports_are_written_under_the_data_directory_with_private_permissions(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    assert settings.exports_dir == tmp_path / "data" / "exports"
    files = views.export_files(transcript(), root=settings.exports_dir)
    assert all(f.parent.parent == settings.exports_dir for f in files)
    assert mode(settings.exports_dir) == 0o700 and mode(files[0].parent) == 0o700
    assert [mode(f) for f in files] == [0o600] * 3


def test_a_planted_symlink_is_refused_and_nothing_is_written_where_it_points(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "exports", tmp_path / "attacker"
    root.mkdir()
    elsewhere.mkdir()
    t = transcript()
    (root / t.session_id).symlink_to(elsewhere)
    with pytest.raises(InterviewerError, match="symbolic link"):
        views.export_files(t, root=root)
    assert list(elsewhere.iterdir()) == []
    linked_root = tmp_path / "linked"
    linked_root.symlink_to(elsewhere)
    with pytest.raises(InterviewerError, match="symbolic link"):
        views.export_files(t, root=linked_root)
    assert list(elsewhere.iterdir()) == []


def test_removing_a_linked_export_removes_the_link_only(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "exports", tmp_path / "keep"
    root.mkdir()
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("keep me")
    (root / ("a" * 32)).symlink_to(elsewhere)
    views.remove_exports("a" * 32, root)
    assert not (root / ("a" * 32)).exists() and (elsewhere / "precious.txt").exists()


def test_exports_older_than_the_retention_are_removed_with_gradios_copies(tmp_path: Path) -> None:
    root, served = tmp_path / "exports", tmp_path / "gradio"
    old, fresh = transcript(), transcript().model_copy(update={"session_id": "f" * 32})
    old_files = views.export_files(old, root=root)
    views.export_files(fresh, root=root)
    copy = served / "0123abcd" / old_files[0].name
    copy.parent.mkdir(parents=True)
    copy.write_text("a copy Gradio serves")
    long_ago = time.time() - 31 * DAY
    for path in (root / old.session_id, copy):
        os.utime(path, (long_ago, long_ago))
    assert views.sweep_exports(root, retention_days=30, served_from=served) == 1
    assert not (root / old.session_id).exists() and not copy.exists()
    assert (root / fresh.session_id).exists()
    assert Settings(_env_file=None).retention_days == 30


def test_retention_days_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVIEWER_RETENTION_DAYS", "7")
    assert Settings(_env_file=None).retention_days == 7
