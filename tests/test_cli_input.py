"""Invalid UTF-8 reaches the CLI from a command line or a pipe: every way in refuses it in words, no traceback.

Python hands such bytes to the program as stray surrogate code units (from argv) or raw bytes (from stdin);
`--answer-file` always refused them, and now `--answer`, stdin (`--answer-file -`), `ask` and the answers typed
into `practice` do too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.web_server import small_bank

BAD = b"overfitting means \xff\xfe memorising"


def run(args: list[bytes | str], tmp_path: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "INTERVIEWER_DATA_DIR": str(tmp_path / "data"),
        "INTERVIEWER_BANK_DIR": str(small_bank(tmp_path)),
        "HF_HUB_OFFLINE": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "interviewer.cli.main", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (
            ["grade", "--question-id", "l1-vs-l2-regularization", b"--answer", BAD],
            b"",
            "--answer text is not valid UTF-8",
        ),
        (
            ["grade", "--question-id", "l1-vs-l2-regularization", "--answer-file", "-"],
            BAD,
            "Cannot read the answer from stdin",
        ),
        (["ask", BAD], b"", "text to look for is not valid UTF-8"),
    ],
    ids=["--answer", "stdin", "ask"],
)
def test_invalid_utf8_is_refused_in_words(
    args: list[bytes | str], stdin: bytes, says: str, tmp_path: Path
) -> None:
    result = run(args, tmp_path, stdin)
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2 and says in err and "Traceback" not in err, err


def test_an_answer_file_with_invalid_utf8_is_refused_as_before(tmp_path: Path) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_bytes(BAD)
    result = run(
        ["grade", "--question-id", "l1-vs-l2-regularization", "--answer-file", str(answer)], tmp_path
    )
    err = result.stderr.decode("utf-8", "replace")
    assert (
        result.returncode == 2
        and "Check the path and that it is UTF-8 text" in err
        and "Traceback" not in err
    )


@pytest.mark.slow
def test_practice_refuses_an_invalid_answer_line_and_carries_on(tmp_path: Path) -> None:
    result = run(["practice", "--questions", "1", "--follow-ups", "0"], tmp_path, BAD + b"\n.\n/end\n")
    out = result.stdout.decode("utf-8", "replace") + result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0 and "Traceback" not in out, out[-2000:]
    assert "not valid text" in out and "That's the end of the interview" in out


def test_a_bad_setting_is_refused_in_words_naming_the_variable_and_its_values(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("INTERVIEWER_PAIR_MODEL", "sometimes")
    done = run(
        ["grade", "--question-id", "bias-variance", "--answer", "Bias is error from assumptions."], tmp_path
    )
    assert done.returncode == 2
    said = done.stderr.decode()
    assert "INTERVIEWER_PAIR_MODEL='sometimes': Input should be 'off', 'doubts' or 'all'" in said
    assert "Traceback" not in said
