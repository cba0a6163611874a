"""`interviewer progress` and `interviewer practice --due` through the real console script, in a fresh data
directory with a two-topic bank: terminal sessions are saved in the same store as the page's, and counted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from interviewer.interview.storage import SessionStore
from tests.cli_support import console_env, run
from tests.web_server import TOPICS

pytestmark = pytest.mark.slow

POOR = "I am not sure, something about the data.\n.\n"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Wide enough that no question is wrapped across lines."""
    return console_env(tmp_path_factory.mktemp("cli-progress"), columns=300)


def asked(out: str) -> list[str]:
    return [q.strip() for q in re.findall(r"^Question \d+ of \d+: (.+)$", out, flags=re.MULTILINE)]


def test_terminal_sessions_are_kept_counted_and_practised_when_due(env: dict[str, str]) -> None:
    empty = run(env, "progress")
    assert empty.returncode == 0, empty.stderr
    assert "No practice yet" in empty.stdout and "interviewer practice --questions 3" in empty.stdout
    nothing = run(env, "practice", "--due")
    assert nothing.returncode == 1 and "Nothing is due yet" in nothing.stderr

    practice = ["practice", "--topic", TOPICS[0], "--questions", "2", "--follow-ups", "0"]
    first = run(env, *practice, "--seed", "1", stdin=POOR * 2)
    assert first.returncode == 0, first.stderr
    second = run(env, *practice, "--seed", "2", stdin=POOR * 2)
    assert second.returncode == 0, second.stderr

    store = SessionStore(Path(env["INTERVIEWER_DATA_DIR"]) / "sessions.sqlite3")
    history = store.history(owner=None, unowned=True)  # what History lists on a page without a password
    store.close()
    assert len(history) == 2 and all(s.finished and s.topics == TOPICS[0] for s in history)

    shown = run(env, "progress")
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "Progress: 2 sessions, 4 questions tried" in out
    topic_row = next(line for line in out.splitlines() if line.strip("│ ").startswith(TOPICS[0]))
    assert re.search(r"│\s+2\s+│\s+[▁▂▃▄▅▆▇█]{2}\s+│", topic_row)  # two sessions, a two-bar sparkline
    due_questions = set(asked(first.stdout) + asked(second.stdout))
    assert f"Due for practice ({len(due_questions)})" in out  # every poor answer is due
    assert "Practise them with: interviewer practice --due" in out
    assert "Key points you miss most" in out and "Never tried" in out
    assert re.search(rf"│ {TOPICS[1]} +│ +(\d+) of \1 │ “", out)  # the other topic: none tried

    data = json.loads(run(env, "progress", "--json").stdout)
    assert data["sessions"] == 2 and {d["question"] for d in data["due"]} == due_questions
    assert [len(t["points"]) for t in data["topics"]] == [2]

    due = run(env, "practice", "--due", "--questions", "2", "--follow-ups", "0", stdin=POOR * 2)
    assert due.returncode == 0, due.stderr
    assert "Practising what's due: 2 due questions, the longest waiting first." in due.stdout
    assert set(asked(due.stdout)) <= due_questions and len(asked(due.stdout)) == 2
    assert "Progress: 3 sessions" in run(env, "progress").stdout
