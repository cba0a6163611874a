"""The page's answer handler streams the feedback as a streaming grader writes it (no server, real SQLite)."""

from __future__ import annotations

from pathlib import Path

from interviewer.content.loader import Bank
from interviewer.grading.grader import Grader
from interviewer.interview.registry import SessionRegistry
from interviewer.interview.storage import SessionStore
from interviewer.models import Grade, Reference, Rubric
from interviewer.web.actions import GRADING_NOTE, VIEW_SIZE, PageActions, WarmUp
from tests.test_web_storage import make_services


class StreamingGrader(Grader):
    """Writes its feedback in three pieces through `on_text`, as the LLM grader does, then grades offline."""

    name = "llm"

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
    return PageActions(SessionRegistry(services, SessionStore(tmp_path / "s.sqlite3")), WarmUp()), grader


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
