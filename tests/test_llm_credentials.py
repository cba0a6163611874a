"""A user name and password in the endpoint's address (`http://user:secret@proxy/v1`) show nowhere: not in
`interviewer doctor`, the logs, the score card, the database or the exported reports.

Over real HTTP, with canary credentials: the scripted server (graded by the LLM) and a port nothing listens on
(the fallback, whose reason names the address).
"""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
from pathlib import Path

from interviewer.config import Settings
from interviewer.interview.registry import SessionRegistry
from interviewer.interview.storage import SessionStore
from interviewer.llm.chat_model import OpenAIChatModel, redact_credentials
from interviewer.models import SessionConfig, Transcript
from interviewer.retrieval.store import InMemoryQuestionStore
from interviewer.services import Services
from interviewer.web import views

from .conftest import ROOT
from .openai_server import Received, Reply, closed_port_url, judgement, read_grading_request

USER = "canaryuser4b1d"
PASSWORD = "canarypw9f3e7a"
CANARIES = (USER, PASSWORD)
SCRIPT = str(Path(sys.executable).parent / "interviewer")
ANSWER = "Precision is TP / (TP + FP), the share of flagged items that really are positive."


def with_credentials(url: str) -> str:
    return url.replace("://", f"://{USER}:{PASSWORD}@", 1)


def test_redact_credentials_hides_the_user_and_password_of_every_url() -> None:
    text = (
        "at http://u:p%40ss@127.0.0.1:8000/v1 and https://token@host/v1?to=a@b, not http://host/v1 or a@b.com"
    )
    assert redact_credentials(text) == (
        "at http://***@127.0.0.1:8000/v1 and https://***@host/v1?to=a@b, not http://host/v1 or a@b.com"
    )
    assert redact_credentials("'http://user:p@ss@host/v1'") == "'http://***@host/v1'"
    chat = OpenAIChatModel("m", base_url=with_credentials("http://host/v1"))
    assert chat.where == "http://***@host/v1" and PASSWORD not in repr(chat)


def respond(received: Received) -> Reply:
    if received.kind == "grade":
        request = read_grading_request(received)
        return Reply.json(judgement(request, points={1: ("covered", ANSWER)}, level=2))
    return Reply.json({"question": "What happens to that share if you flag more items?"})


def doctor(url: str, tmp_path: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEWER_", "OPENAI_"))}
    env.update(
        OPENAI_BASE_URL=url,
        INTERVIEWER_LLM_MODEL="test-model",
        INTERVIEWER_LLM_RETRIES="0",
        INTERVIEWER_DATA_DIR=str(tmp_path / "data"),
        NO_COLOR="1",
    )
    result = subprocess.run(
        [SCRIPT, "doctor"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    return result.stdout + result.stderr


def interview(url: str, store: SessionStore, tmp_path: Path, bank, embedder) -> Transcript:
    """One answered question through the services the settings build, saved in the store."""
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        OPENAI_BASE_URL=url,
        llm_model="test-model",
        llm_retries=1,
        llm_timeout=30,  # a busy machine must not turn the graded session into a fallback
        _env_file=None,
    )
    services = Services(settings=settings, embedder=embedder, store=InMemoryQuestionStore(embedder))
    services.__dict__["bank"] = bank
    registry = SessionRegistry(services, store)
    config = SessionConfig(question_ids=["precision-vs-recall"], num_questions=1, max_follow_ups=1)
    session, _ = registry.start(config)
    registry.answer(session.transcript.session_id, ANSWER)
    return session.transcript


def test_the_password_in_the_endpoint_address_shows_nowhere(
    llm, bank, embedder, tmp_path, caplog, capfd, monkeypatch
) -> None:
    for logger in ("interviewer", "openai", "httpx2", "httpcore2"):  # the client's request logs too
        caplog.set_level(logging.DEBUG, logger=logger)
    monkeypatch.setattr(views, "EXPORT_DIR", tmp_path / "exports")
    llm.responder = respond
    up, down = with_credentials(llm.url), with_credentials(closed_port_url())

    shown = [doctor(up, tmp_path), doctor(down, tmp_path)]
    assert "ok    http://***@127.0.0.1:" in shown[0] and "A structured test call works" in shown[0]
    assert "FAIL  Could not connect to http://***@127.0.0.1:" in shown[1]

    store = SessionStore(tmp_path / "data" / "sessions.sqlite3")
    graded, fallen_back = (interview(url, store, tmp_path, bank, embedder) for url in (up, down))
    store.close()
    for transcript in (graded, fallen_back):
        shown.append(views.latest_card(transcript, bank))
        views.export_files(transcript)
    first_grade, fallback = (
        next(t.grade for t in x.questions[0].turns if t.grade) for x in (graded, fallen_back)
    )
    assert first_grade.grader == "llm", first_grade.fallback_reason
    assert fallback.grader == "offline-fallback"
    assert "could not be reached at http://***@127.0.0.1:" in (fallback.fallback_reason or "")
    # The credentials still reach the endpoint, as HTTP basic auth.
    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert [r.headers.get("authorization") for r in llm.requests] == [basic] * len(llm.requests)
    assert {r.kind for r in llm.chat_requests} == {"grade", "follow_up"}

    captured = capfd.readouterr()
    shown += [caplog.text, captured.out, captured.err]
    assert "LLM grading fell back to the offline grader" in caplog.text
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".sqlite3", ".md", ".json", ".html"}
    for canary in CANARIES:
        assert [line for text in shown for line in text.splitlines() if canary in line] == []
        assert [p.name for p in files if canary.encode() in p.read_bytes()] == []
