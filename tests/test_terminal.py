"""`interviewer practice` in a real terminal: tmux runs it, and the test types as a candidate would (a
two-paragraph answer sent by a line holding only ".", then /why) and reads the screen.

`make test` installs tmux when it is missing (`.ci/ensure-packages`).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .cli_support import SCRIPT

pytestmark = pytest.mark.slow

FIRST = "F1 is the harmonic mean of precision and recall, 2PR/(P+R)."
SECOND = "It ignores true negatives, so it suits problems where the positives are rare."


class Terminal:
    """One tmux session on a server of its own, running one command in a 100 x 50 window."""

    def __init__(self, name: str):
        assert shutil.which("tmux"), (
            "tmux is missing: run `bash .ci/ensure-packages` (apt-get install -y tmux)."
        )
        self.socket = name

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True)
        return done.stdout

    def start(self, command: str) -> None:
        self.tmux("new-session", "-d", "-s", "iv", "-x", "100", "-y", "50", command)
        self.tmux("set-option", "-t", "iv", "remain-on-exit", "on")  # the screen stays readable after the end

    def type(self, line: str) -> None:
        """A line as typed: its text literally, then Enter."""
        if line:
            self.tmux("send-keys", "-t", "iv", "-l", line)
        self.tmux("send-keys", "-t", "iv", "Enter")

    def screen(self) -> str:
        """Everything printed so far, with lines wrapped by the terminal joined again."""
        return self.tmux("capture-pane", "-p", "-J", "-S", "-3000", "-t", "iv")

    def wait_for(self, text: str, *, after: int = 0, timeout: float = 180) -> str:
        """Waits until `text` shows on the screen beyond its first `after` characters; returns the screen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown[after:]:
                return shown
            time.sleep(0.5)
        raise AssertionError(f"{text!r} never showed; the screen:\n{self.screen()}")

    def dead(self) -> bool:
        return self.tmux("display-message", "-p", "-t", "iv", "#{pane_dead}").strip() == "1"

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal(f"iv-test-{os.getpid()}")
    yield term
    term.close()


def test_a_two_paragraph_answer_and_why_in_tmux(terminal: Terminal, tmp_path: Path) -> None:
    save = tmp_path / "interview.json"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "INTERVIEWER_DATA_DIR": str(tmp_path / "data"),
        "HF_HUB_OFFLINE": "1",
    }
    args = ["practice", "--about", "F1 score", "--questions", "1", "--follow-ups", "0", "--save", str(save)]
    command = shlex.join(["env", "-i", *(f"{k}={v}" for k, v in env.items()), SCRIPT, *args])
    terminal.start(command)
    terminal.wait_for("Question 1 of 1: What is the F1 score")

    for line in (FIRST, "", SECOND, "."):  # two paragraphs, then the line that sends them
        terminal.type(line)
    shown = terminal.wait_for("Overall score")
    assert "Score:" in shown and "offline grader" in shown
    assert "Covered:" in shown and "F1 is the harmonic mean of precision and recall." in shown
    assert "press Enter to finish" in terminal.wait_for("press Enter to finish")

    before = len(terminal.screen())
    terminal.type("/why")
    shown = terminal.wait_for("Graded by the offline grader", after=before)
    why = shown[before:]
    assert "Why " in why and "/10" in why and "Key points" in why
    assert "“F1 is the harmonic mean of precision and recall, 2PR/(P+R).”" in why  # the clause it matched

    terminal.type("")  # Enter: finished
    deadline = time.monotonic() + 30
    while not terminal.dead() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert terminal.dead(), terminal.screen()
    saved = json.loads(save.read_text())
    turns = saved["questions"][0]["turns"]
    assert [t["kind"] for t in turns][:3] == ["question", "answer", "feedback"]
    assert turns[1]["text"] == f"{FIRST}\n\n{SECOND}"  # both paragraphs, as typed
