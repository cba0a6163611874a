"""The LLM path through the real `interviewer` console script: doctor, grade with a fallback, eval with threads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT
from .openai_server import Received, Reply, closed_port_url, judgement, read_grading_request

SCRIPT = str(Path(sys.executable).parent / "interviewer")
SECRET = "sk-cli-secret-never-printed"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEWER_", "OPENAI_"))}
    environment.update(
        {"INTERVIEWER_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}
    )
    return environment


def run(env: dict[str, str], *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SCRIPT, *args], env={**env, **extra_env}, capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def test_doctor_without_an_endpoint_says_the_offline_grader_is_active(env) -> None:
    result = run(env, "doctor")
    assert result.returncode == 0, result.stderr
    assert "Grader: offline." in result.stdout and "OPENAI_BASE_URL" in result.stdout


def test_doctor_checks_the_endpoint_and_the_model(env, llm) -> None:
    llm.responder = lambda received: Reply.json({"question": "Ready?"})
    ok = run(
        env, "doctor", OPENAI_BASE_URL=llm.url, OPENAI_API_KEY=SECRET, INTERVIEWER_LLM_MODEL="test-model"
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Grader: llm." in ok.stdout and "API key set" in ok.stdout
    assert "2 model(s) listed" in ok.stdout and "The model 'test-model' is served." in ok.stdout
    assert "A structured test call works (json_schema)" in ok.stdout
    assert SECRET not in ok.stdout + ok.stderr
    assert [r.path for r in llm.requests] == ["/v1/models", "/v1/chat/completions"]
    assert llm.requests[0].headers["authorization"] == f"Bearer {SECRET}"

    llm.reset(lambda received: Reply(content="I am ready!"))
    chatty = run(
        env,
        "doctor",
        OPENAI_BASE_URL=llm.url,
        INTERVIEWER_LLM_MODEL="test-model",
        INTERVIEWER_LLM_RETRIES="0",
    )
    assert chatty.returncode == 1
    assert "FAIL  A test call failed: the endpoint replied with invalid JSON, twice." in chatty.stdout

    wrong = run(env, "doctor", OPENAI_BASE_URL=llm.url, INTERVIEWER_LLM_MODEL="llama3")
    assert wrong.returncode == 1
    assert "FAIL  The model 'llama3' is not served" in wrong.stdout
    assert "INTERVIEWER_LLM_MODEL to one of: other-model, test-model" in wrong.stdout

    down = run(env, "doctor", OPENAI_BASE_URL=closed_port_url())
    assert down.returncode == 1 and "Could not connect to http://127.0.0.1:" in down.stdout


def test_grade_shows_the_fallback_and_its_reason(env, llm) -> None:
    llm.responder = lambda received: Reply.fail(503, "overloaded")
    result = run(
        env,
        "grade",
        "--question-id",
        "precision-vs-recall",
        "--answer",
        "Precision is TP/(TP+FP); recall is TP/(TP+FN).",
        OPENAI_BASE_URL=llm.url,
        INTERVIEWER_LLM_MODEL="test-model",
        INTERVIEWER_LLM_RETRIES="0",
    )
    assert result.returncode == 0, result.stderr
    assert "[offline-fallback grader]" in result.stdout
    assert (
        "The LLM grader was unavailable (the LLM endpoint failed with HTTP 503); graded offline."
        in result.stdout
    )
    assert len(llm.chat_requests) == 1


def test_eval_grades_with_the_llm_in_parallel(env, llm, tmp_path: Path) -> None:
    def grade(received: Received) -> Reply:
        request = read_grading_request(received)
        first = request.answer.split(".")[0] + "."
        return Reply.json(judgement(request, points={1: ("covered", first)}, level=2), delay=0.3)

    llm.responder = grade
    reference = (
        "A stack is a last-in, first-out collection. Push adds an item on top. Pop removes the top item."
    )
    records = [
        {
            "question": "What is a stack?",
            "reference": reference,
            "answer": f"A stack is a last-in, first-out collection of items, number {i}. Pop takes the newest.",
            "score": i % 5,
            "max_score": 5,
        }
        for i in range(8)
    ]
    data = tmp_path / "stack.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "pred.jsonl"
    result = run(
        env,
        "eval",
        str(data),
        "--concurrency",
        "4",
        "--out",
        str(out),
        "--json",
        OPENAI_BASE_URL=llm.url,
        INTERVIEWER_LLM_MODEL="test-model",
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["grader"] == "llm" and figures["n"] == 8
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["answer"] for r in rows] == [r["answer"] for r in records]  # order kept
    assert {r["grader"] for r in rows} == {"llm"}
    starts = sorted(r.at for r in llm.chat_requests)
    assert len(starts) == 8
    assert starts[3] - starts[0] < 0.3  # four requests were in flight at once
