"""The seam to a chat LLM: `ChatModel.parse(messages, schema)` returns a validated pydantic object, or raises an
`LLMError` whose short `reason` says what went wrong.

`OpenAIChatModel` talks to any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio, the llama.cpp
server) through the official `openai` client:

- structured output with `client.chat.completions.parse(response_format=Model)`; a server that rejects
  `json_schema` is asked again in JSON mode (`{"type": "json_object"}`, the schema in the prompt) and the reply
  is validated here, and later calls go straight to JSON mode;
- a reply that is not valid JSON or does not fit the schema is re-asked once, with the validation error; a
  second bad reply gives up;
- refusals and replies cut off at the token limit give up at once (asking again would not help);
- retries are ours, not the client's, so a `Retry-After` longer than `max_retry_wait` gives up at once instead
  of stalling an interview for minutes; a timed-out request is not retried (the user has waited long enough);
- with `on_partial`, the request streams and each partial JSON object is passed on as it grows;
- `write` asks for plain text (a conversation, not a form), streamed to `on_text` as it is written, with the
  same retries, cooldown and errors;
- after the endpoint timed out or stayed down through the retries, calls fail at once for `cooldown` seconds,
  so an interview does not wait through a timeout on every turn (and again for the follow-up question).

Nothing here logs the API key, the prompt or the reply: only reasons. A user name and password in the base URL
(`http://user:secret@proxy/v1`) are sent as HTTP basic auth, and never shown: the address is always shown
through `redact_credentials`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import BaseModel, ValidationError

from interviewer.errors import LLMConfigError, LLMReplyError, LLMUnavailableError

if TYPE_CHECKING:
    from openai import OpenAI
    from openai.types.chat import ChatCompletionMessageParam

    from interviewer.config import Settings

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")
Message = dict[str, str]
PartialSink = Callable[[dict[str, Any]], None]
"""Receives the reply parsed so far (a partial JSON object) each time more of it streams in."""
Check = Callable[[Any], None]
"""Raises ValueError when a parsed reply fits the schema but not the request (say, a key point is missing)."""
TextSink = Callable[[str], None]
"""Receives a plain-text reply written so far, each time more of it streams in."""

_REASK = (
    "Your reply could not be used: {problem}. Reply again with one JSON object that matches the required "
    "schema exactly, and nothing else."
)


# The user name and password of a URL ("http://user:secret@host"): up to the last "@" before the path.
_USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]*://)[^\s/?#]*@", re.IGNORECASE)


def redact_credentials(text: str) -> str:
    """`text` with the user name and password of every URL in it replaced by "***"."""
    return _USERINFO.sub(r"\1***@", text)


class ChatModel(ABC):
    """A chat LLM that answers with structured output."""

    model: str
    cooldown: float = 0.0
    """Seconds after the endpoint failed during which calls fail at once instead of waiting on it again."""

    @abstractmethod
    def parse(
        self,
        messages: list[Message],
        schema: type[T],
        *,
        check: Check | None = None,
        on_partial: PartialSink | None = None,
    ) -> T:
        """The reply as a `schema` object, temperature 0. Raises `LLMError` when no usable reply comes."""

    def write(self, messages: list[Message], *, on_text: TextSink | None = None) -> str:
        """A plain-text reply, temperature 0; with `on_text`, it receives the reply so far as it streams in.
        Raises `LLMError` when no usable reply comes.

        This default asks `parse` for a one-field object, so every chat model can write text; a backend with a
        plain-text call of its own (`OpenAIChatModel`) overrides it."""

        def stream(partial: dict[str, Any]) -> None:
            text = partial.get("text")
            if on_text is not None and isinstance(text, str):
                on_text(text)

        reply = self.parse(messages, WrittenText, on_partial=stream if on_text is not None else None)
        return reply.text


class WrittenText(BaseModel):
    """A plain-text reply, for chat models that only answer with structured output."""

    text: str


class _BadReply(Exception):
    """A reply worth one re-ask: `problem` is what was wrong with it."""

    def __init__(self, problem: str, reason: str):
        super().__init__(problem)
        self.problem = problem
        self.reason = reason


class OpenAIChatModel(ChatModel):
    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        retries: int = 2,
        max_retry_wait: float = 10.0,
        backoff: float = 0.5,
        cooldown: float = 30.0,
    ):
        self.model = model
        self.base_url = base_url
        self._api_key = api_key
        self.timeout = timeout
        self.retries = retries
        self.max_retry_wait = max_retry_wait
        self.backoff = backoff
        self.cooldown = cooldown
        self.json_schema = True  # False once the server has rejected response_format json_schema
        self._client: OpenAI | None = None
        self._client_lock = threading.Lock()
        self._down: tuple[float, str] | None = None  # (until when, why) after the endpoint failed

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIChatModel:
        return cls(
            settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
            timeout=settings.llm_timeout,
            retries=settings.llm_retries,
            max_retry_wait=settings.llm_max_retry_wait,
        )

    def __repr__(self) -> str:  # never shows the key, nor a password in the base URL
        return f"OpenAIChatModel(model={self.model!r}, base_url={self.where!r})"

    @property
    def client(self) -> OpenAI:
        """Built on first use, once: graders on several threads share one client and its connection pool.
        Local servers need no key, but the client insists on one."""
        client = self._client
        if client is None:
            with self._client_lock:
                client = self._client
                if client is None:
                    from openai import DefaultHttpxClient, OpenAI

                    # The client never sees the credentials in the URL, so its logs and errors cannot show them.
                    base_url, auth = _split_credentials(self.base_url)
                    client = self._client = OpenAI(
                        api_key=self._api_key or "not-needed",
                        base_url=base_url,
                        timeout=self.timeout,
                        max_retries=0,
                        http_client=DefaultHttpxClient(auth=auth) if auth else None,
                    )
        return client

    @property
    def where(self) -> str:
        """The endpoint's address as shown to people: without the credentials it may hold."""
        return redact_credentials(self.base_url or "https://api.openai.com/v1")

    # --- the one public method ----------------------------------------------------------------------

    def parse(
        self,
        messages: list[Message],
        schema: type[T],
        *,
        check: Check | None = None,
        on_partial: PartialSink | None = None,
    ) -> T:
        self._check_cooldown()
        conversation = list(messages)
        for attempt in (1, 2):
            try:
                reply = self._ask(conversation, schema, on_partial)
                if check is not None:
                    try:
                        check(reply)
                    except ValueError as exc:
                        raise _BadReply(str(exc), "gave a reply that did not fit the question") from None
                return reply
            except _BadReply as bad:
                if attempt == 2:
                    raise LLMReplyError(
                        f"{bad.reason}, twice",
                        "Try a stronger model (INTERVIEWER_LLM_MODEL); the answer was graded offline meanwhile.",
                    ) from None
                log.info("LLM reply unusable (%s); asking once more", bad.reason)
                conversation = [*messages, {"role": "user", "content": _REASK.format(problem=bad.problem)}]
        raise AssertionError("unreachable")

    def write(self, messages: list[Message], *, on_text: TextSink | None = None) -> str:
        """Plain text from `chat.completions.create`, streamed when `on_text` is given. Rate limits, server errors
        and refused connections are retried as for `parse`; a refusal, a reply cut off at the token limit or an
        empty reply raise `LLMReplyError` (asking again would not help)."""
        import openai

        self._check_cooldown()
        try:
            text, finish = self._with_retries(lambda: self._text_request(messages, on_text))
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            raise _config_error(exc, self.model) from None
        if finish == "length":
            raise _cut_off()
        if finish == "content_filter":
            raise _refused_to_write()
        if not text.strip():
            raise LLMReplyError(
                "gave an empty reply", "Try again, or try a stronger model (INTERVIEWER_LLM_MODEL)."
            )
        return text

    def _check_cooldown(self) -> None:
        if self._down is not None and time.monotonic() < self._down[0]:
            raise LLMUnavailableError(
                f"{self._down[1]} moments ago, so it was not asked again yet",
                f"It is tried again {self.cooldown:g} s after the failure.",
            )

    # --- one request --------------------------------------------------------------------------------

    def _text_request(self, messages: list[Message], on_text: TextSink | None) -> tuple[str, str | None]:
        """One plain-text request: the reply and its finish reason. A refusal raises `LLMReplyError`."""
        sent = cast("list[ChatCompletionMessageParam]", messages)
        if on_text is None:
            completion = self.client.chat.completions.create(model=self.model, messages=sent, temperature=0)
            reply = completion.choices[0]
            if reply.message.refusal:
                raise _refused_to_write()
            return reply.message.content or "", reply.finish_reason
        text, finish = "", None
        chunks = self.client.chat.completions.create(
            model=self.model, messages=sent, temperature=0, stream=True
        )
        with chunks:
            for chunk in chunks:
                if not chunk.choices:
                    continue
                piece = chunk.choices[0]
                if piece.delta.refusal:
                    raise _refused_to_write()
                if piece.delta.content:
                    text += piece.delta.content
                    on_text(text)
                finish = piece.finish_reason or finish
        return text, finish

    def _ask(self, messages: list[Message], schema: type[T], on_partial: PartialSink | None) -> T:
        import openai

        if self.json_schema:
            try:
                return self._with_retries(
                    lambda: self._request(messages, schema, on_partial, json_mode=False)
                )
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                if not _rejects_json_schema(exc):
                    raise _config_error(exc, self.model) from None
                log.info("The endpoint does not support json_schema; using JSON mode from now on")
                self.json_schema = False
        try:
            return self._with_retries(lambda: self._request(messages, schema, on_partial, json_mode=True))
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            raise _config_error(exc, self.model) from None

    def _request(
        self, messages: list[Message], schema: type[T], on_partial: PartialSink | None, *, json_mode: bool
    ) -> T:
        """One request. Structured mode lets the client build the strict schema and parse the reply; JSON mode
        puts the schema in the prompt and validates the reply here."""
        import openai

        response_format: Any = schema
        if json_mode:
            messages = [*messages, {"role": "system", "content": _json_mode_instruction(schema)}]
            response_format = {"type": "json_object"}
        try:
            if on_partial is not None:
                content, refusal, parsed = self._stream(messages, response_format, on_partial)
            else:
                completion = self.client.chat.completions.parse(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    response_format=response_format,
                    temperature=0,
                )
                message = completion.choices[0].message
                content, refusal, parsed = message.content, message.refusal, message.parsed
        except openai.LengthFinishReasonError:
            raise _cut_off() from None
        except openai.ContentFilterFinishReasonError:
            raise _refused() from None
        except ValidationError as exc:
            raise _bad_reply(exc) from None
        except ValueError:  # the streaming helper's partial JSON parser on a reply that is not JSON
            raise _BadReply("it was not valid JSON", "replied with invalid JSON") from None
        if refusal:
            raise _refused()
        if isinstance(parsed, schema):
            return parsed
        if not content or not content.strip():
            raise _BadReply("the reply was empty", "gave an empty reply")
        try:
            return schema.model_validate_json(content)
        except ValidationError as exc:
            raise _bad_reply(exc) from None

    def _stream(
        self, messages: list[Message], response_format: Any, on_partial: PartialSink
    ) -> tuple[str | None, str | None, object]:
        """Stream the reply with the client's helper, passing on each partial JSON object as it grows."""
        from jiter import from_json

        with self.client.chat.completions.stream(
            model=self.model,
            messages=messages,  # type: ignore[arg-type]
            response_format=response_format,
            temperature=0,
        ) as stream:
            for event in stream:
                if event.type != "content.delta":
                    continue
                try:
                    partial = from_json(event.snapshot.encode(), partial_mode="trailing-strings")
                except ValueError:
                    continue
                if isinstance(partial, dict):
                    on_partial(partial)
            message = stream.get_final_completion().choices[0].message
        return message.content, message.refusal, message.parsed

    def _with_retries(self, request: Callable[[], R]) -> R:
        """Run one request, retrying rate limits, server errors and failed connections."""
        import httpx2
        import openai

        failure: LLMUnavailableError | None = None
        for attempt in range(self.retries + 1):
            wait = self.backoff * 2**attempt
            try:
                return request()
            except (openai.APITimeoutError, httpx2.TimeoutException):
                raise self._mark_down(
                    LLMUnavailableError(
                        f"did not answer within {self.timeout:g} s",
                        "Check that the server is up and not overloaded, or raise INTERVIEWER_LLM_TIMEOUT.",
                    )
                ) from None
            except openai.RateLimitError as exc:
                asked = _retry_after(exc.response)
                if asked is not None and asked > self.max_retry_wait:
                    raise self._mark_down(_rate_limited(asked)) from None
                failure, wait = _rate_limited(asked), asked if asked is not None else wait
            except (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError) as exc:
                raise _config_error(exc, self.model) from None
            except openai.APIStatusError as exc:
                if exc.status_code in (400, 422):
                    raise  # the caller decides: no json_schema support, or a bad request
                if exc.status_code < 500 and exc.status_code not in (408, 409):
                    raise _config_error(exc, self.model) from None
                failure = LLMUnavailableError(
                    f"failed with HTTP {exc.status_code}",
                    "The server had an error; try again later, or check its logs.",
                )
            except (openai.APIConnectionError, httpx2.TransportError):
                failure = LLMUnavailableError(
                    f"could not be reached at {self.where}",
                    "Start the server, or fix OPENAI_BASE_URL; `interviewer doctor` checks the connection.",
                )
            if attempt < self.retries:
                log.info("LLM request failed (%s); retrying in %.1f s", failure.reason, wait)
                time.sleep(wait)
        assert failure is not None
        raise self._mark_down(failure)

    def _mark_down(self, failure: LLMUnavailableError) -> LLMUnavailableError:
        """Remember an endpoint that is down or overloaded, so the next turns fall back at once instead of each
        waiting through timeouts and retries again."""
        self._down = (time.monotonic() + self.cooldown, failure.reason)
        return failure


def _split_credentials(url: str | None) -> tuple[str | None, tuple[str, str] | None]:
    """The URL without its user name and password, and those two (decoded), for HTTP basic auth."""
    parts = urlsplit(url or "")
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url, None
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=host)), (unquote(user), unquote(password))


def _json_mode_instruction(schema: type[BaseModel]) -> str:
    import json

    return (
        "Reply with one JSON object that validates against this JSON Schema, and nothing else:\n"
        + json.dumps(schema.model_json_schema(), separators=(",", ":"))
    )


def _bad_reply(exc: ValidationError) -> _BadReply:
    errors = exc.errors(include_url=False, include_input=False)
    if any(e["type"] == "json_invalid" for e in errors):
        return _BadReply("it was not valid JSON", "replied with invalid JSON")
    listing = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}" for e in errors[:8])
    return _BadReply(
        f"it did not match the schema ({listing})", "replied with JSON that did not match the schema"
    )


def _cut_off() -> LLMReplyError:
    return LLMReplyError(
        "stopped at its token limit before finishing the reply (finish_reason=length)",
        "Use a model with a larger context or output limit.",
    )


def _refused() -> LLMReplyError:
    return LLMReplyError("refused to grade this answer", "The answer was graded offline instead.")


def _refused_to_write() -> LLMReplyError:
    return LLMReplyError(
        "refused to answer", "Ask in other words; the grader's own explanation is shown instead."
    )


def _rate_limited(asked: float | None) -> LLMUnavailableError:
    after = f" (it asked to wait {asked:g} s)" if asked is not None else ""
    return LLMUnavailableError(
        f"is rate limiting requests{after}", "Wait a little, or use a plan or server with more capacity."
    )


def _retry_after(response: Any) -> float | None:
    """Seconds the server asks us to wait: `retry-after-ms`, `retry-after` seconds or an HTTP date."""
    headers = response.headers
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _rejects_json_schema(exc: Any) -> bool:
    text = str(getattr(exc, "body", "") or "") + str(getattr(exc, "message", ""))
    return any(word in text.lower() for word in ("response_format", "json_schema", "structured output"))


def _config_error(exc: Any, model: str) -> LLMConfigError:
    status = getattr(exc, "status_code", "?")
    if status == 401:
        return LLMConfigError("rejected the API key (HTTP 401)", "Check OPENAI_API_KEY.")
    if status == 403:
        return LLMConfigError("refused access (HTTP 403)", "Check that the key may use this model.")
    if status == 404:
        return LLMConfigError(
            f"does not serve the model {model!r} (HTTP 404)",
            "Set INTERVIEWER_LLM_MODEL to a model the endpoint serves; `interviewer doctor` lists them.",
        )
    return LLMConfigError(
        f"rejected the request (HTTP {status})",
        "Check INTERVIEWER_LLM_MODEL and OPENAI_BASE_URL with `interviewer doctor`.",
    )
