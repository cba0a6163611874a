"""What a hosted page refuses before Gradio sees it: malformed event values, uploads, and login floods.

Gradio checks an event's values inside its queue, and a value it cannot read (NaN, a list where a number goes,
a choice that is not offered) ends in a logged traceback and a bare "error". A page open to a cohort gets such
values from scripts, so `PageGuard`, an ASGI middleware in front of the page, reads each event as it joins the
queue and refuses a malformed one with HTTP 422 and a sentence saying what is wrong; nothing reaches a handler
and nothing is logged as a crash. It also keeps made-up session ids (anything but 32 hex digits) and oversized
text out of every per-session structure, refuses uploads (the page has no upload control), and refuses logins
from an address after `login_attempts` failures until `login_lockout_seconds` have passed.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# `new_session_id`: 128 bits as 32 hex digits; sessions saved by older releases have 12.
SESSION_ID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{12}")
SESSION_ID_FIELDS = frozenset({"iv-session-id", "iv-retry-session", "iv-history-pick"})
TRACKED_CLIENTS = 10_000  # addresses whose failed logins are remembered; the oldest are forgotten first


def is_session_id(value: object) -> bool:
    return isinstance(value, str) and SESSION_ID.fullmatch(value) is not None


@dataclass(frozen=True)
class GuardLimits:
    max_text_chars: int  # the longest text any box may send (the answer limit, plus room for a refusal)
    login_attempts: int = 5
    login_lockout_seconds: float = 60.0
    private_dir: Path | None = None  # served to no one directly (the exports: Gradio serves its own copies)

    @property
    def max_body_bytes(self) -> int:
        return self.max_text_chars * 12 + 65_536  # JSON may escape a character to 12 bytes (a \\u pair)


class LoginThrottle:
    """Failed logins per client address; after `attempts` of them, refusals until `lockout` seconds pass."""

    def __init__(self, attempts: int, lockout: float, clock: Callable[[], float] = time.monotonic):
        self.attempts, self.lockout, self.clock = attempts, lockout, clock
        self._failures: OrderedDict[str, tuple[int, float]] = (
            OrderedDict()
        )  # address -> (count, last failure)

    def wait_left(self, address: str) -> float:
        """Seconds until this address may try again (0: now)."""
        count, last = self._failures.get(address, (0, 0.0))
        if count < self.attempts:
            return 0.0
        left = last + self.lockout - self.clock()
        if left <= 0:
            self._failures.pop(address, None)
            return 0.0
        return left

    def failed(self, address: str) -> None:
        count, _ = self._failures.pop(address, (0, 0.0))
        self._failures[address] = (count + 1, self.clock())
        while len(self._failures) > TRACKED_CLIENTS:
            self._failures.popitem(last=False)

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)


def _choices(component: Any) -> list[Any]:
    return [c[1] if isinstance(c, (tuple, list)) else c for c in getattr(component, "choices", None) or []]


def _number_problem(value: Any, low: float | None, high: float | None) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "must be a number"
    if not math.isfinite(value):
        return "must be a finite number"
    if (low is not None and value < low) or (high is not None and value > high):
        return (
            f"must be between {low:g} and {high:g}"
            if low is not None and high is not None
            else "is out of range"
        )
    return None


def value_problem(component: Any, value: Any, limits: GuardLimits) -> str | None:
    """What is wrong with a value sent for an input component, or None when the page can take it."""
    elem_id = getattr(component, "elem_id", None)
    if elem_id in SESSION_ID_FIELDS:
        if value is None or is_session_id(value) or (value == "" and elem_id != "iv-history-pick"):
            return None
        return "must be a session id (32 hex digits)" + ("" if elem_id == "iv-history-pick" else " or empty")
    if isinstance(component, gr.State):
        return None  # held by the server; the client sends nothing that is used
    if isinstance(component, gr.Textbox):
        if not isinstance(value, str):
            return "must be text"
        if len(value) > limits.max_text_chars:
            return f"is longer than {limits.max_text_chars:,} characters"
        return None
    if isinstance(component, gr.Slider):
        return _number_problem(value, component.minimum, component.maximum)
    if isinstance(component, gr.Number):
        if value is None:
            return None
        return _number_problem(value, component.minimum, component.maximum)
    if isinstance(component, (gr.Dropdown, gr.CheckboxGroup)):
        multiple = isinstance(component, gr.CheckboxGroup) or getattr(component, "multiselect", False)
        allowed = _choices(component)
        values = value if multiple else [value]
        if not isinstance(values, list) or len(values) > len(allowed):
            return "must be a list of the offered choices"
        if any(v not in allowed for v in values if not (v is None and not multiple)):
            return f"must be one of {allowed}"
        return None
    if isinstance(component, gr.Radio):
        allowed = _choices(component)
        return None if value in allowed else f"must be one of {allowed}"
    return None


@dataclass(frozen=True)
class Refusal:
    """Why an event may not join the queue: a fault of the request as a whole (`detail`, HTTP 400), or of
    some of its values (`per_input`, one entry per input, HTTP 422 in Gradio's validation form, which
    gradio_client raises as a ValidationError naming the parameter and the page paints on the input)."""

    detail: str = ""
    per_input: tuple[dict[str, Any], ...] = ()

    @property
    def status(self) -> int:
        return 422 if self.per_input else 400

    @property
    def body(self) -> Any:
        return list(self.per_input) if self.per_input else self.detail


def event_problem(page: gr.Blocks, body: Any, limits: GuardLimits) -> Refusal | None:
    """What is wrong with an event's JSON body (`/queue/join`), or None when it may join the queue."""
    if not isinstance(body, dict):
        return Refusal("Refused: the request must be a JSON object.")
    fn_index = body.get("fn_index")
    if isinstance(fn_index, bool) or not isinstance(fn_index, int) or fn_index not in page.fns:
        return Refusal("Refused: fn_index does not name one of the page's events.")
    data = body.get("data")
    fn = page.fns[fn_index]
    if not isinstance(data, list) or len(data) != len(fn.inputs):
        return Refusal(f"Refused: this event takes {len(fn.inputs)} values in `data`.")
    names = list(fn.input_parameter_names or []) or [f"parameter_{n}" for n in range(len(fn.inputs))]
    verdicts, refused = [], False
    for number, (component, value) in enumerate(zip(fn.inputs, data, strict=True)):
        problem = value_problem(component, value, limits)
        refused = refused or problem is not None
        name = names[number] if number < len(names) else f"parameter_{number}"
        verdicts.append(
            {
                "__type__": "validate",
                "is_valid": problem is None,
                "message": f"Refused: {name} {problem}." if problem else "",
                "parameter_name": name,
            }
        )
    return Refusal(per_input=tuple(verdicts)) if refused else None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number this page takes")


async def _respond(send: Send, status: int, detail: Any) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class PageGuard:
    """ASGI middleware: see the module docstring. `page` is the Blocks whose events it checks."""

    def __init__(self, app: ASGIApp, *, page: gr.Blocks, limits: GuardLimits):
        self.app, self.page, self.limits = app, page, limits
        self.logins = LoginThrottle(limits.login_attempts, limits.login_lockout_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "") if scope["type"] == "http" else ""
        if "file=" in path and self._private(path.split("file=", 1)[1]):
            await _respond(send, 404, "File not found.")
            return
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        if path.endswith("/upload"):
            await _respond(send, 403, "This page takes no uploads.")
        elif path.endswith("/login"):
            await self._login(scope, receive, send)
        elif path.endswith("/queue/join"):
            await self._join(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _private(self, requested: str) -> bool:
        if self.limits.private_dir is None:
            return False
        private = os.path.realpath(self.limits.private_dir)
        target = os.path.realpath(requested)
        return target == private or target.startswith(private + os.sep)

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        address = (scope.get("client") or ("unknown",))[0]
        if (left := self.logins.wait_left(address)) > 0:
            await _respond(
                send,
                429,
                f"Too many failed logins from your address. Wait {math.ceil(left)} s and try again.",
            )
            return
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] == 400:  # Gradio's answer to wrong credentials
            self.logins.failed(address)
        elif status and status[0] < 300:
            self.logins.succeeded(address)

    async def _join(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limits.max_body_bytes:
                await _respond(send, 413, "Refused: the event is larger than any this page takes.")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        raw = b"".join(chunks)
        try:
            body = json.loads(raw, parse_constant=_reject_constant)
        except ValueError as exc:
            await _respond(send, 400, f"Refused: the event is not valid JSON ({exc}).")
            return
        if refusal := event_problem(self.page, body, self.limits):
            await _respond(send, refusal.status, refusal.body)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
