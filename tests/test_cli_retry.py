"""Try again in the terminal, through the real `interviewer` console script in a fresh data directory: `/retry`
during and after an interview, `practice --retry <question-id>` against the last attempt in History, and the
refusal in a running exam. Output goes to a pipe with NO_COLOR, so the word diff is marked [-old-] {+new+}.
"""

from __future__ import annotations

import re

import pytest

from interviewer.content.loader import Bank
from interviewer.interview.storage import SessionStore
from tests.cli_support import console_env, run

pytestmark = pytest.mark.slow

QUESTION = "precision-vs-recall"
POOR = "Precision is about positives."
BETTER = (
    "Precision is TP / (TP + FP): of the predicted positives, the share that are truly positive. "
    "Recall is TP / (TP + FN): of the actual positives, the share the model finds."
)


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """A fresh History each test, and a two-topic bank so the index builds in seconds."""
    return console_env(tmp_path, columns=100)


def test_retry_after_the_interview_then_retry_by_id_against_history(env, tmp_path, bank: Bank) -> None:
    args = ["practice", "--about", "precision and recall", "--questions", "1", "--follow-ups", "0"]
    first = run(env, *args, stdin=f"{POOR}\n.\n/retry\n{BETTER}\n.\n\n", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = first.stdout
    before = float(re.search(r"Score: ([\d.]+)/10", out).group(1))  # type: ignore[union-attr]
    assert "answer it again with /retry" in out
    retried = out.split("Trying again", 1)[1]
    assert "Question 1 of 1: What is the difference between precision and recall?" in retried
    after = float(re.search(r"Score: ([\d.]+)/10", retried).group(1))  # type: ignore[union-attr]
    assert after > before
    compared = " ".join(retried.split("Compared with your last attempt", 1)[1].split())
    assert compared.startswith(f": {before:g}/10 last time (") and f"{after:g}/10 now, +" in compared
    gained = compared.split("Key points gained:", 1)[1].split("What you changed", 1)[0]
    points = bank.get(QUESTION).key_points
    assert " ".join(points[1].text.split()) in gained and "(was missing, now covered)" in gained
    assert "Precision is [-about positives.-] {+TP / (TP + FP): of the predicted" in compared
    store = SessionStore(tmp_path / "data" / "sessions.sqlite3")
    assert len(store.history(owner=None, unowned=True)) == 2  # the interview and its retry, both in History

    # The latest attempt in History is the retry's: --retry compares with it.
    second = run(env, "practice", "--retry", QUESTION, stdin=f"{POOR}\n.\n\n", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    told = re.search(
        r"Trying again: your last attempt, on (\d+ \w{3} \d{4}, \d\d:\d\d), scored ([\d.]+)/10\.",
        second.stdout,
    )
    assert told is not None and float(told.group(2)) == after  # the retry's answer, the latest in History
    compared = " ".join(second.stdout.split("Compared with your last attempt", 1)[1].split())
    assert f"{after:g}/10 last time" in compared and "Key points lost:" in compared
    assert "Precision is [-TP / (TP + FP): of the predicted positives," in compared
    assert "finds.-] {+about positives.+}" in compared


def test_retry_during_an_interview_goes_back_to_the_open_question(env, tmp_path) -> None:
    args = "practice --topic evaluation-metrics --questions 2 --follow-ups 0 --seed 2".split()
    result = run(env, *args, stdin=f"{POOR}\n.\n/retry\n{BETTER}\n.\n/end\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    second = re.search(r"Question 2 of 2: ([^\n]+)", out).group(1)  # type: ignore[union-attr]
    after_retry = out.split("Compared with your last attempt", 1)[1]
    assert "Back to the interview." in after_retry
    assert (
        after_retry.split("Back to the interview.", 1)[1].split("You:", 1)[0].count(second) == 1
    )  # asked again
    assert "No earlier" not in out


def test_retry_is_refused_in_a_running_exam_and_an_unknown_id_says_how_to_list_them(env, tmp_path) -> None:
    args = "practice --mode exam --topic evaluation-metrics --questions 2 --follow-ups 0".split()
    result = run(env, *args, stdin=f"{POOR}\n.\n/retry\n/end\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Try again opens once this exam has ended" in " ".join(result.stdout.split())
    assert "Compared with" not in result.stdout

    unknown = run(env, "practice", "--retry", "no-such-question", stdin="", cwd=tmp_path)
    assert unknown.returncode != 0 and "interviewer bank list" in unknown.stderr
    clash = run(env, "practice", "--retry", QUESTION, "--mode", "exam", stdin="", cwd=tmp_path)
    assert clash.returncode != 0 and "--retry asks one question again, in study mode" in clash.stderr
