"""Every way the LLM endpoint can fail ends the same way: the answer is kept, graded offline, labelled
`offline-fallback` with the reason, and the candidate is told. Over real HTTP, through a real session; the
last tests (a bug in our code, the lazy client) use a raising fake and a stand-in client class."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from interviewer.errors import LLMUnavailableError
from interviewer.grading.llm import LLMGrader
from interviewer.grading.offline import OfflineGrader
from interviewer.interview.follow_ups import LLMFollowUps
from interviewer.interview.session import Session
from interviewer.llm.chat_model import ChatModel, Message, OpenAIChatModel
from interviewer.models import Reference, SessionConfig
from interviewer.retrieval.store import InMemoryQuestionStore

from .openai_server import Received, Reply, closed_port_url, judgement, read_grading_request

ANSWER = (
    "Precision is TP / (TP + FP): of everything we flagged, the share that is right. "
    "Recall is TP / (TP + FN): of all real positives, the share we found."
)
SECRET = "sk-very-secret-test-key-123"


def start_session(url: str, bank, embedder, fake_embedder, follow_ups: int = 0, **chat_options) -> Session:
    chat = OpenAIChatModel(
        "test-model",
        base_url=url,
        api_key=SECRET,
        timeout=chat_options.pop("timeout", 5.0),
        retries=chat_options.pop("retries", 2),
        max_retry_wait=chat_options.pop("max_retry_wait", 5.0),
        backoff=0.01,
    )
    session = Session(
        bank,
        InMemoryQuestionStore(fake_embedder),
        LLMGrader(chat, OfflineGrader(embedder)),
        SessionConfig(question_ids=["precision-vs-recall"], num_questions=1, max_follow_ups=follow_ups),
        follow_ups=LLMFollowUps(chat),
    )
    session.start()
    return session


def good(received: Received) -> Reply:
    return Reply.json(judgement(read_grading_request(received), level=2))


FAULTS = {
    "timeout": ([Reply.json({}, delay=2.0)], {"timeout": 0.5}, "did not answer within 0.5 s", 1),
    "5xx": ([Reply.fail(503, "overloaded")] * 3, {}, "failed with HTTP 503", 3),
    "invalid JSON": (
        [Reply(content="Sure! Here is the grade: {key_points: [")] * 2,
        {},
        "invalid JSON, twice",
        2,
    ),
    "schema violation": (
        [Reply.json({"key_points": "all of them", "score": 10})] * 2,
        {},
        "did not match the schema, twice",
        2,
    ),
    "refusal": ([Reply(refusal="I can't help with grading this.")], {}, "refused to grade", 1),
    "finish_reason=length": (
        [Reply(content='{"key_points": [{"key_point": 1, "evid', finish_reason="length")],
        {},
        "token limit",
        1,
    ),
    "429 beyond the wait cap": (
        [Reply.fail(429, "slow down", headers={"retry-after": "3600"})],
        {},
        "rate limiting requests (it asked to wait 3600 s)",
        1,
    ),
}


@pytest.mark.parametrize("stream", [False, True], ids=["parse", "stream"])
@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_ends_in_an_offline_fallback_the_user_sees(
    llm, bank, embedder, fake_embedder, fault, stream, caplog
) -> None:
    replies, options, reason, requests = FAULTS[fault]
    llm.reply(*replies)
    session = start_session(llm.url, bank, embedder, fake_embedder, **options)
    caplog.set_level(logging.DEBUG)
    streamed: list[str] = []

    turns = session.answer(ANSWER, on_text=streamed.append if stream else None)

    record = session.transcript.questions[0]
    said = next(t for t in record.turns if t.role == "candidate")
    assert said.text == ANSWER  # the answer is kept
    grade = said.grade
    assert grade is not None and grade.grader == "offline-fallback"
    assert grade.fallback_reason is not None and reason in grade.fallback_reason
    assert grade.score > 0 and record.main_grade == grade  # graded offline, and counted
    feedback = next(t for t in turns if t.kind == "feedback")
    assert "offline-fallback" in feedback.text and reason in feedback.text
    assert len(llm.chat_requests) == requests
    assert all(r.body and r.body.get("stream", False) is stream for r in llm.chat_requests)
    # Neither the key nor the answer is written to the logs; the reason is.
    assert SECRET not in caplog.text and "of everything we flagged" not in caplog.text
    assert reason.split(" (")[0] in caplog.text


def test_connection_refused_falls_back(bank, embedder, fake_embedder) -> None:
    session = start_session(closed_port_url(), bank, embedder, fake_embedder)
    turns = session.answer(ANSWER)
    grade = session.transcript.questions[0].main_grade
    assert grade is not None and grade.grader == "offline-fallback"
    assert (
        grade.fallback_reason is not None
        and "could not be reached at http://127.0.0.1:" in grade.fallback_reason
    )
    assert session.transcript.questions[0].turns[1].text == ANSWER
    assert any("could not be reached" in t.text for t in turns)


def test_429_with_retry_after_is_waited_for_then_falls_back(llm, bank, embedder, fake_embedder) -> None:
    llm.reply(*[Reply.fail(429, "slow down", headers={"retry-after": "1"})] * 2)
    session = start_session(llm.url, bank, embedder, fake_embedder, retries=1)
    session.answer(ANSWER)
    grade = session.transcript.questions[0].main_grade
    assert grade is not None and grade.grader == "offline-fallback"
    assert grade.fallback_reason == "the LLM endpoint is rate limiting requests (it asked to wait 1 s)"
    first, second = llm.chat_requests
    assert second.at - first.at >= 0.95


def test_429_with_retry_after_then_success_grades_with_the_llm(llm, bank, embedder, fake_embedder) -> None:
    llm.reply(Reply.fail(429, "slow down", headers={"retry-after": "1"}))
    llm.responder = good
    session = start_session(llm.url, bank, embedder, fake_embedder)
    session.answer(ANSWER)
    grade = session.transcript.questions[0].main_grade
    assert grade is not None and grade.grader == "llm"
    first, second = llm.chat_requests
    assert second.at - first.at >= 0.95


def test_a_failing_follow_up_writer_asks_the_banks_probe(llm, bank, embedder, fake_embedder) -> None:
    def grade_then_fail(received: Received) -> Reply:
        if received.kind == "grade":
            follow_up = {"action": "follow_up", "key_point": 3}
            return Reply.json(judgement(read_grading_request(received), next_move=follow_up))
        return Reply.fail(500, "down")

    llm.responder = grade_then_fail
    session = start_session(llm.url, bank, embedder, fake_embedder, follow_ups=1)
    turns = session.answer(ANSWER)
    follow_up = next(t for t in turns if t.kind == "follow_up")
    entry = bank.get("precision-vs-recall")
    assert follow_up.text == entry.key_points[2].probe
    assert [r.kind for r in llm.chat_requests] == ["grade", "follow_up", "follow_up", "follow_up"]


def test_the_network_guard_stops_the_openai_client_reaching_out() -> None:
    """The autouse guard in conftest.py also covers the openai client: a real endpoint can never be reached."""
    from .conftest import NetworkBlocked

    chat = OpenAIChatModel("gpt-4o-mini", base_url="http://192.0.2.10/v1", api_key=SECRET, retries=0)
    with pytest.raises(Exception) as caught:
        chat.client.models.list()
    chain, error = [], caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(e, NetworkBlocked) for e in chain)


def test_retry_after_is_read_in_seconds_milliseconds_or_as_a_date() -> None:
    from email.utils import formatdate
    from types import SimpleNamespace

    from interviewer.llm.chat_model import _retry_after

    def wait(**headers: str) -> float | None:
        return _retry_after(SimpleNamespace(headers={k.replace("_", "-"): v for k, v in headers.items()}))

    assert wait(retry_after="2") == 2.0
    assert wait(retry_after_ms="1500", retry_after="9") == 1.5
    in_a_minute = wait(retry_after=formatdate(time.time() + 60, usegmt=True))
    assert in_a_minute is not None and 55 <= in_a_minute <= 61
    assert wait(retry_after="soon") is None and wait() is None


def test_after_a_timeout_the_next_calls_fall_back_at_once(llm, bank, embedder, fake_embedder) -> None:
    """A hung endpoint costs one timeout, not one per call: the follow-up and the next answer do not wait."""
    llm.responder = lambda received: Reply.json({}, delay=2.0)
    session = start_session(llm.url, bank, embedder, fake_embedder, follow_ups=1, timeout=0.5)
    started = time.perf_counter()
    turns = session.answer(ANSWER)
    assert time.perf_counter() - started < 1.9
    entry = bank.get("precision-vs-recall")
    assert turns[-1].kind == "follow_up" and turns[-1].text in {k.probe for k in entry.key_points}
    session.answer("Raising the threshold trades recall for precision.")
    later = session.transcript.questions[0].follow_up_grades[0]
    assert later.grader == "offline-fallback" and later.fallback_reason is not None
    assert "did not answer within 0.5 s moments ago" in later.fallback_reason
    assert len(llm.chat_requests) == 1


class _Raising(ChatModel):
    """A chat model that raises `error` on every call, recording that it was asked."""

    model = "raising"

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def parse(
        self, messages: list[Message], schema: Any, *, check: Any = None, on_partial: Any = None
    ) -> Any:
        self.calls += 1
        raise self.error


def _fallback_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "fell back to the offline grader" in r.getMessage()]


def test_an_unexpected_error_is_logged_with_its_traceback_and_the_answer_still_graded(
    bank, embedder, caplog
) -> None:
    entry = bank.get("precision-vs-recall")
    chat = _Raising(KeyError("a bug in our own code"))
    caplog.set_level(logging.DEBUG)
    grade = LLMGrader(chat, OfflineGrader(embedder)).grade(
        Reference.from_entry(entry), ANSWER, bank.rubric_for(entry.type, entry.rubric)
    )
    assert chat.calls == 1
    assert grade.grader == "offline-fallback" and grade.score > 0
    assert grade.fallback_reason == "the LLM grader failed unexpectedly (KeyError)"
    [record] = _fallback_records(caplog)
    assert record.levelno == logging.ERROR and record.exc_info and record.exc_info[0] is KeyError
    assert "Traceback" in caplog.text and "a bug in our own code" in caplog.text
    assert "of everything we flagged" not in caplog.text


def test_an_endpoint_fault_is_logged_by_its_reason_only(bank, embedder, caplog) -> None:
    entry = bank.get("precision-vs-recall")
    chat = _Raising(LLMUnavailableError("could not be reached at http://127.0.0.1:9/v1", "Start the server."))
    caplog.set_level(logging.DEBUG)
    grade = LLMGrader(chat, OfflineGrader(embedder)).grade(
        Reference.from_entry(entry), ANSWER, bank.rubric_for(entry.type, entry.rubric)
    )
    assert grade.fallback_reason == "the LLM endpoint could not be reached at http://127.0.0.1:9/v1"
    [record] = _fallback_records(caplog)
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "Traceback" not in caplog.text and "of everything we flagged" not in caplog.text


def test_threads_racing_for_the_lazy_openai_client_share_one(monkeypatch: pytest.MonkeyPatch) -> None:
    import openai

    built: list[object] = []

    class SlowClient:
        def __init__(self, **options: object) -> None:
            time.sleep(0.05)  # long enough for every thread to reach the check before the first one is done
            built.append(self)

    monkeypatch.setattr(openai, "OpenAI", SlowClient)
    chat = OpenAIChatModel("test-model", base_url="http://127.0.0.1:9/v1", api_key=SECRET)
    start = threading.Barrier(8)

    def client(_: int) -> object:
        start.wait()
        return chat.client

    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = list(pool.map(client, range(8)))
    assert len(built) == 1 and all(c is built[0] for c in clients)
