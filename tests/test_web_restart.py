"""A server restart resumes the interview: `python app.py` as a real subprocess, killed and started again."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.content.loader import Bank
from interviewer.interview.storage import SessionStore
from tests.web_server import ServerProcess, wait_until_ready
from tests.web_support import asked_entry, start, texts

pytestmark = pytest.mark.slow


def test_a_killed_server_resumes_the_session_and_grades_the_answer_it_was_given(
    tmp_path: Path, bank: Bank
) -> None:
    first = ServerProcess(tmp_path).start()
    try:
        first.wait_served()
        client = wait_until_ready(first.url)
        out = start(client)
        session_id = out[0]
        entry = asked_entry(bank, out[1])
        before = client.predict(session_id, entry.reference_answer, api_name="/answer")
        second_entry = asked_entry(bank, before[1])
    finally:
        first.stop(kill=True)  # no clean shutdown: as if the machine lost power

    # The server had written the second answer and died before grading it.
    store = SessionStore(tmp_path / "data" / "sessions.sqlite3")
    store.record_answer(session_id, 2, second_entry.reference_answer)
    store.close()

    second = ServerProcess(tmp_path).start()
    try:
        second.wait_served()
        client = wait_until_ready(second.url)
        resumed = client.predict(session_id, api_name="/resume")
        said = texts(resumed[1])
        assert said[: len(texts(before[1]))] == texts(before[1])  # everything before the crash is there
        assert second_entry.reference_answer in said  # the pending answer was graded on resume
        assert said[-1].startswith("That's the end of the interview")
        assert "Overall score" in resumed[5]
        reopened = SessionStore(tmp_path / "data" / "sessions.sqlite3")
        assert [status for _, status in reopened.answers(session_id)] == ["graded", "graded"]
    finally:
        second.stop()


def test_a_served_page_runs_each_model_pass_on_the_threads_it_is_given() -> None:
    import torch

    from interviewer.web.page import _model_threads

    before = torch.get_num_threads()
    try:
        _model_threads(1)
        assert torch.get_num_threads() == 1
        _model_threads(0)  # 0 leaves torch as it is
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
