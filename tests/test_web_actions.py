"""The page's handlers without a server (real SQLite): the answer handler streams the feedback as a streaming
grader writes it, the exam clock, the History tab and what the views show."""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from interviewer.content.loader import Bank
from interviewer.grading.grader import Grader
from interviewer.interview import registry as registry_module
from interviewer.interview.follow_ups import ProbeFollowUps
from interviewer.interview.registry import (
    TIME_LIMIT_GRACE,
    TIMES_UP_ANSWER,
    TIMES_UP_SKIP,
    SessionRegistry,
)
from interviewer.interview.storage import SessionStore
from interviewer.models import Grade, Reference, Rubric
from interviewer.web.actions import GRADING_NOTE, VIEW_SIZE, PageActions, WarmUp, paced
from interviewer.web.views import INTRO, clock_html
from tests.test_web_storage import make_services


class StreamingGrader(Grader):
    """Writes its feedback in three pieces through `on_text`, as the LLM grader does, then grades offline."""

    name = "llm"
    streams = True

    def __init__(self, inner: Grader):
        self.inner = inner
        self.streamed: list[str] = []

    def grade(self, reference: Reference, answer: str, rubric: Rubric, *, on_text=None) -> Grade:
        for so_far in ("Good", "Good start: you defined", "Good start: you defined precision."):
            if on_text is not None:
                self.streamed.append(so_far)
                on_text(so_far)
        return self.inner.grade(reference, answer, rubric).model_copy(update={"grader": "llm"})


def actions(tmp_path: Path, bank: Bank) -> tuple[PageActions, StreamingGrader]:
    services = make_services(tmp_path, bank)
    grader = StreamingGrader(services.grader)
    services.__dict__["grader"] = grader
    page = PageActions(SessionRegistry(services, SessionStore(tmp_path / "s.sqlite3")), WarmUp())
    page.stream_interval = 0  # every step of the stream shown, however fast the fakes stream
    return page, grader


def chat_texts(view: tuple) -> list[str]:
    return [m["content"] for m in view[1]]


def start(page: PageActions, mode: str) -> str:
    view = page.start(["evaluation-metrics"], [], [], 2, 0, mode, 0, "")
    assert len(view) == VIEW_SIZE and view[0]
    return view[0]


def test_study_answers_show_the_feedback_while_it_streams(tmp_path: Path, bank: Bank) -> None:
    page, grader = actions(tmp_path, bank)
    session_id = start(page, "study")
    views = list(page.answer(session_id, "Precision is TP / (TP + FP)."))
    assert all(len(v) == VIEW_SIZE for v in views)
    assert chat_texts(views[0])[-2:] == ["Precision is TP / (TP + FP).", GRADING_NOTE]
    streamed = [chat_texts(v)[-1] for v in views[1:-1]]
    assert any(s.startswith("Good start: you defined precision.") for s in streamed)
    final = chat_texts(views[-1])
    assert (
        final[-1].startswith("Question 2 of 2") and "llm" in final[-2]
    )  # the feedback, then what comes next
    assert views[-1][2] == ""  # the answer box is cleared only once the answer is graded
    assert "LLM grader" in views[-1][4] and len(grader.streamed) == 3


def test_a_reply_that_comes_within_the_interval_is_shown_in_one_view(tmp_path: Path, bank: Bank) -> None:
    page, grader = actions(tmp_path, bank)
    page.stream_interval = 5.0  # far longer than the fakes take
    session_id = start(page, "study")
    (view,) = list(page.answer(session_id, "Precision is TP / (TP + FP)."))
    assert chat_texts(view)[-1].startswith("Question 2 of 2") and len(grader.streamed) == 3
    assert view[2] == ""  # the final view: the box cleared
    # the session still runs, as the page showed it: its controls go as plain values, not rebuilt components
    assert view[-3:] == ("Hint", "Reveal answer", {"__type__": "update"})


def test_a_grader_that_does_not_stream_is_shown_in_one_view_whatever_the_interval(
    tmp_path: Path, bank: Bank
) -> None:
    services = make_services(tmp_path, bank)  # the offline grader: its reply comes whole
    page = PageActions(SessionRegistry(services, SessionStore(tmp_path / "s.sqlite3")), WarmUp())
    page.stream_interval = 0  # a streaming grader's every step would be a view
    session_id = start(page, "study")
    (view,) = list(page.answer(session_id, "Precision is TP / (TP + FP)."))
    texts = chat_texts(view)
    assert texts[-1].startswith("Question 2 of 2") and GRADING_NOTE not in texts
    assert texts[-3] == "Precision is TP / (TP + FP)." and view[2] == ""  # the answer shown, the box cleared


def test_paced_shows_the_newest_state_at_most_once_per_interval() -> None:
    sink: queue.Queue[list[str] | None] = queue.Queue()

    def produce() -> None:
        for item, pause in ((["a"], 0.0), (["a", "b"], 0.0), (["a", "b", "c"], 0.8), (["d"], 0.0)):
            time.sleep(pause)
            sink.put(item)
        sink.put(None)

    threading.Thread(target=produce).start()
    shown = list(paced(["note"], sink, 0.3))
    # "note" and ["a"] are superseded within 0.3 s; ["a", "b"] waits the interval out; ["d"] is left to the end
    assert shown == [["a", "b"], ["a", "b", "c"]]
    sink.put(["x"])
    sink.put(None)
    assert list(paced(["note"], sink, 0)) == [["note"], ["x"]]  # interval 0: everything


def test_exam_answers_stream_nothing_to_the_page(tmp_path: Path, bank: Bank) -> None:
    page, grader = actions(tmp_path, bank)
    session_id = start(page, "exam")
    views = list(page.answer(session_id, "Precision is TP / (TP + FP)."))
    shown = [t for v in views for t in chat_texts(v) if isinstance(t, str)]
    assert not any("Good start" in t for t in shown)
    assert grader.streamed == []  # the session does not even ask an exam grader to stream


def test_an_empty_answer_gets_a_message_and_no_session_gets_told_to_start(tmp_path: Path, bank: Bank) -> None:
    page, _ = actions(tmp_path, bank)
    session_id = start(page, "study")
    (view,) = list(page.answer(session_id, "   \n "))
    assert "Type an answer first" in view[3] and len(chat_texts(view)) == 1
    (view,) = list(page.answer("", "An answer."))
    assert "Press **Start**" in view[3]


def test_an_overlong_answer_never_shows_in_the_chat(tmp_path: Path, bank: Bank) -> None:
    page, grader = actions(tmp_path, bank)
    session_id = start(page, "study")
    (view,) = list(page.answer(session_id, "word " * 20_000))
    assert "100,000 characters; the limit is 8,000" in view[3]
    assert len(chat_texts(view)) == 1 and grader.streamed == []
    assert view[2] == {"__type__": "update"}  # the answer box is left as typed
    assert page.registry.store.answers(session_id) == []  # nothing was written either


def test_the_limit_comes_from_the_settings_for_every_face(tmp_path: Path, bank: Bank) -> None:
    page, _ = actions(tmp_path, bank)
    page.services.settings.max_answer_chars = 50  # before anything reads the limits
    session_id = start(page, "study")
    (view,) = list(page.answer(session_id, "x" * 51))
    assert "51 characters; the limit is 50" in view[3]
    assert page.services.answer_limits.max_chars == 50


class StreamingFollowUps(ProbeFollowUps):
    """Streams the bank's probe in three pieces, as the LLM follow-up writer does."""

    def write(self, question, answer, probe, *, on_text=None):
        for end in (len(probe) // 3, 2 * len(probe) // 3, len(probe)):
            if on_text is not None:
                on_text(probe[:end])
        return probe


def test_the_next_question_streams_in_a_bubble_of_its_own(tmp_path: Path, bank: Bank) -> None:
    page, _ = actions(tmp_path, bank)
    page.services.__dict__["follow_ups"] = StreamingFollowUps()
    view = page.start(["evaluation-metrics"], [], [], 1, 1, "study", 0, "precision and recall")
    views = list(page.answer(view[0], "Precision is TP / (TP + FP)."))
    final = chat_texts(views[-1])
    feedback, follow_up = final[-2], final[-1]
    assert feedback.startswith("**Score: ") and follow_up.endswith("?") and follow_up not in feedback
    streamed = [chat_texts(v) for v in views[1:-1]]
    assert any(c[-2] == feedback and follow_up.startswith(c[-1]) and c[-1] != follow_up for c in streamed)
    assert not any("?" in c[-1] and "Score:" in c[-1] for c in streamed)  # never the two in one bubble


def test_a_time_limit_sends_a_times_up_notice_and_allows_a_small_grace(
    tmp_path: Path, bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert TIME_LIMIT_GRACE <= 2  # a 20 s limit no longer takes a 24 s answer
    page, _ = actions(tmp_path, bank)
    now = [1_000_000.0]
    monkeypatch.setattr(registry_module.time, "time", lambda: now[0])
    view = page.start(["evaluation-metrics"], [], [], 4, 0, "exam", 20, "")
    session_id = view[0]
    assert float(re.search(r'data-left="([0-9.]+)"', view[9]).group(1)) == pytest.approx(20, abs=1)

    now[0] += 20.3  # the page's clock reached zero and sent the answer
    *_, sent = page.answer(session_id, "Precision is TP / (TP + FP).")
    assert sent[3] == TIMES_UP_ANSWER
    record = page.registry.get(session_id).transcript.questions[0]
    assert record.main_grade is not None and not record.skipped  # graded

    now[0] += 20 + TIME_LIMIT_GRACE + 1  # too late: more than the grace after the limit
    *_, late = page.answer(session_id, "Recall is TP / (TP + FN).")
    assert "Time ran out" in late[3] and page.registry.get(session_id).transcript.questions[1].skipped

    now[0] += 20  # the clock reached zero with an empty box: the page skips
    skipped = page.command("skip")(session_id)
    assert skipped[3] == TIMES_UP_SKIP
    now[0] += 3  # before the limit, a skip is just a skip
    assert page.command("end")(session_id)[3] == ""


def test_the_clock_carries_the_seconds_left_not_the_servers_time() -> None:
    assert 'data-left="12.5"' in clock_html(1012.5, now=1000.0)
    assert 'data-left="0.0"' in clock_html(990.0, now=1000.0) and "deadline" not in clock_html(
        1012.5, now=1000
    )


def test_history_rows_are_readable_and_a_click_opens_the_report(tmp_path: Path, bank: Bank) -> None:
    page, _ = actions(tmp_path, bank)
    done = start(page, "study")
    page.command("end")(done)
    open_id = start(page, "study")
    list(page.answer(open_id, "Precision is TP / (TP + FP)."))
    rows, ids, pick = page.history()
    assert ids == [open_id, done]
    for row in rows:
        assert not any(session_id in str(cell) for cell in row for session_id in ids)  # no opaque ids
        date, score, _, topics, mode = row
        assert re.fullmatch(r"\d{1,2} \w{3} \d{4}, \d{2}:\d{2}", date) and mode == "study"
        assert topics == "evaluation-metrics" and score.endswith(("/10", "/10 so far"))
    assert rows[0][2] == 2 and rows[0][1].endswith("/10 so far") and rows[1][1] == "0/10"
    assert [value for _, value in pick.choices] == ids
    assert all(session_id not in label for label, _ in pick.choices for session_id in ids)

    assert page.pick_row(ids, SimpleNamespace(index=[1, 3])) == done  # the row clicked, whatever the column
    report, *downloads = page.open_report(done)
    assert "Interview report" in report and "Overall score" in report and downloads[0].visible
    report, *_ = page.open_report(open_id)
    assert "This interview is not finished" in report and "so far" in report


def test_a_finished_view_carries_reference_answers_and_the_intro_is_the_empty_chats(
    tmp_path: Path, bank: Bank
) -> None:
    page, _ = actions(tmp_path, bank)
    session_id = start(page, "exam")
    list(page.answer(session_id, "Precision is TP / (TP + FP)."))
    view = page.command("end")(session_id)
    entry = bank.get(page.registry.get(session_id).transcript.questions[0].entry_id)
    assert "Reference answer" in view[5] and entry.reference_answer.split("\n")[0][:40] in view[5]
    assert "<th>Time</th>" in view[5]  # exam mode: time spent per question
    data = json.loads(Path(view[7].value["path"]).read_text())
    assert data["questions"][0]["reference_answer"] == entry.reference_answer
    assert data["questions"][0]["seconds"] >= 0
    assert page.redraw_chat(session_id) == view[1]  # the chat's clear button cannot wipe the interview
    assert "press **Start**" in INTRO and len(INTRO) < 120  # one line
