"""`interviewer doctor`: which grader answers will get, and whether its LLM endpoint and model work.

With an LLM it lists the endpoint's models, checks the configured one is among them, and makes one tiny
structured call, the kind grading makes.

Each check prints one line with what to do when it fails; the exit code is 0 when everything needed works and
1 otherwise, so scripts (and `make`) can rely on it. The API key is never printed, only whether it is set, and
the endpoint is shown without the user name and password its address may hold (`OpenAIChatModel.where`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from interviewer.config import Settings
from interviewer.errors import LLMError
from interviewer.llm.chat_model import OpenAIChatModel
from interviewer.models import FollowUpQuestion


@dataclass(frozen=True)
class Check:
    ok: bool
    text: str


@dataclass(frozen=True)
class Diagnosis:
    grader: str
    summary: str
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def render(self) -> str:
        lines = [f"Grader: {self.grader}. {self.summary}"]
        lines += [f"  {'ok  ' if c.ok else 'FAIL'}  {c.text}" for c in self.checks]
        return "\n".join(lines)


def diagnose(settings: Settings) -> Diagnosis:
    if not settings.uses_llm:
        why = (
            "INTERVIEWER_GRADER=offline."
            if settings.grader == "offline"
            else "No LLM endpoint is configured; set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local "
            "server) to grade with an LLM."
        )
        return Diagnosis("offline", why, [])
    if not settings.llm_configured:
        return Diagnosis(
            "llm",
            "INTERVIEWER_GRADER=llm, but no endpoint is configured.",
            [
                Check(
                    False,
                    "Set OPENAI_BASE_URL (a local server) or OPENAI_API_KEY (OpenAI), or unset INTERVIEWER_GRADER.",
                )
            ],
        )
    chat = OpenAIChatModel.from_settings(settings)
    summary = (
        f"Model {chat.model!r} at {chat.where}; API key {'set' if settings.llm_api_key else 'not set'}; "
        f"timeout {chat.timeout:g} s, {chat.retries} retries. The offline grader stands in when it fails."
    )
    return Diagnosis("llm", summary, _endpoint_checks(chat))


def _endpoint_checks(chat: OpenAIChatModel) -> list[Check]:
    import openai

    started = time.perf_counter()
    try:
        served = sorted(m.id for m in chat.client.models.list())
    except openai.APITimeoutError:
        return [Check(False, f"{chat.where} did not answer within {chat.timeout:g} s. Is the server up?")]
    except openai.APIConnectionError:
        return [
            Check(
                False,
                f"Could not connect to {chat.where}. Start the server, or fix OPENAI_BASE_URL "
                "(it usually ends in /v1).",
            )
        ]
    except openai.AuthenticationError:
        return [Check(False, f"{chat.where} rejected the API key (HTTP 401). Check OPENAI_API_KEY.")]
    except openai.NotFoundError:
        return [
            Check(
                False,
                f"{chat.where}/models does not exist (HTTP 404). Check OPENAI_BASE_URL: it usually ends in /v1.",
            )
        ]
    except openai.APIStatusError as exc:
        return [
            Check(False, f"{chat.where}/models failed with HTTP {exc.status_code}. Check the server's logs.")
        ]
    elapsed = 1000 * (time.perf_counter() - started)
    checks = [Check(True, f"{chat.where} answers: {len(served)} model(s) listed in {elapsed:.0f} ms.")]
    if chat.model in served:
        checks.append(Check(True, f"The model {chat.model!r} is served."))
        checks.append(_structured_output_check(chat))
    else:
        listing = ", ".join(served[:20]) + (" ..." if len(served) > 20 else "") or "none"
        checks.append(
            Check(
                False,
                f"The model {chat.model!r} is not served. Set INTERVIEWER_LLM_MODEL to one of: {listing}"
                + (" (with Ollama, `ollama pull` it first)." if not served else "."),
            )
        )
    return checks


def _structured_output_check(chat: OpenAIChatModel) -> Check:
    """One tiny structured call, as grading makes: the model must answer with JSON that fits a schema."""
    started = time.perf_counter()
    try:
        chat.parse(
            [
                {"role": "system", "content": "Reply with one JSON object and nothing else."},
                {"role": "user", "content": 'Ask the candidate whether they are ready: {"question": "..."}'},
            ],
            FollowUpQuestion,
        )
    except LLMError as exc:
        return Check(False, f"A test call failed: the endpoint {exc.reason}. {exc.advice}")
    elapsed = 1000 * (time.perf_counter() - started)
    mode = "json_schema" if chat.json_schema else "JSON mode (the server has no json_schema)"
    return Check(True, f"A structured test call works ({mode}) in {elapsed:.0f} ms.")
