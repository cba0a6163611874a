"""A small OpenAI-compatible HTTP server for tests and benchmarks, scripted per test, recording every request.

It speaks `GET /v1/models` and `POST /v1/chat/completions`, with or without `stream: true` (server-sent
events), on 127.0.0.1 with a free port. The app talks to it through the real `openai` client, over real HTTP.

Replies come from a queue (`server.reply(...)`) and, when that is empty, from `server.responder`, a function of
the request. `Reply` covers the faults the app must survive: HTTP errors with headers, slow replies, refusals,
replies cut off at the token limit and malformed content.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any] | None
    at: float

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("messages", []))

    @property
    def prompt(self) -> str:
        """Every message's content, joined: what the model would read."""
        return "\n\n".join(str(m.get("content", "")) for m in self.messages)

    @property
    def kind(self) -> str:
        """'grade', 'verify' (the evidence verification call) or 'follow_up', from the schema asked for (in
        `response_format`, or in the prompt in JSON mode); 'text' for a request for plain text (no
        `response_format`: the "Why did I lose points?" conversation)."""
        if "response_format" not in (self.body or {}):
            return "text"
        asked = json.dumps((self.body or {}).get("response_format")) + self.prompt
        if "FollowUpQuestion" in asked:
            return "follow_up"
        return "verify" if "ClaimVerdicts" in asked else "grade"


@dataclass
class Reply:
    status: int = 200
    content: str | None = None
    refusal: str | None = None
    finish_reason: str = "stop"
    error: str = "scripted error"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def json(cls, obj: Any, **kwargs: Any) -> Reply:
        return cls(content=json.dumps(obj), **kwargs)

    @classmethod
    def fail(cls, status: int, error: str = "scripted error", **kwargs: Any) -> Reply:
        return cls(status=status, error=error, **kwargs)


Responder = Callable[[Received], Reply]


class OpenAIServer:
    def __init__(self, models: tuple[str, ...] = ("test-model",), latency: float = 0.0):
        self.models = list(models)
        self.latency = latency
        self.requests: list[Received] = []
        self.queue: deque[Reply] = deque()
        self.responder: Responder | None = None
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    # --- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> OpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    # --- scripting ----------------------------------------------------------------------------------

    def reply(self, *replies: Reply) -> None:
        self.queue.extend(replies)

    def reset(self, responder: Responder | None = None) -> None:
        with self._lock:
            self.requests.clear()
            self.queue.clear()
            self.responder = responder

    @property
    def chat_requests(self) -> list[Received]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _next_reply(self, received: Received) -> Reply:
        with self._lock:
            self.requests.append(received)
            if self.queue:
                return self.queue.popleft()
        if self.responder is not None:
            return self.responder(received)
        return Reply.fail(500, "no reply scripted for this request")


def _handler_for(server: OpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            received = Received("GET", self.path, _lower(self.headers), None, time.monotonic())
            with server._lock:
                server.requests.append(received)
            if self.path.rstrip("/").endswith("/models"):
                data = [{"id": m, "object": "model", "created": 0, "owned_by": "test"} for m in server.models]
                self._send_json(200, {"object": "list", "data": data})
            else:
                self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            received = Received("POST", self.path, _lower(self.headers), body, time.monotonic())
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                return
            reply = server._next_reply(received)
            time.sleep(server.latency + reply.delay)
            try:
                if reply.status != 200:
                    error = {"error": {"message": reply.error, "type": "scripted", "code": reply.status}}
                    self._send_json(reply.status, error, reply.headers)
                elif body.get("stream"):
                    self._send_stream(body, reply)
                else:
                    self._send_json(200, _completion(body, reply), reply.headers)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                pass

        def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _send_stream(self, body: dict[str, Any], reply: Reply) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.end_headers()
            model = body.get("model", "")
            if reply.refusal:
                deltas: list[dict[str, Any]] = [{"role": "assistant", "refusal": reply.refusal}]
            else:
                text = reply.content or ""
                step = max(1, len(text) // 8)
                deltas = [{"role": "assistant", "content": ""}] + [
                    {"content": text[i : i + step]} for i in range(0, len(text), step)
                ]
            for delta in deltas:
                self._event(_chunk(model, delta, None))
            self._event(_chunk(model, {}, reply.finish_reason))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _event(self, obj: Any) -> None:
            self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
            self.wfile.flush()

    return Handler


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", ""),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content, "refusal": reply.refusal},
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunk(model: str, delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def closed_port_url() -> str:
    """A base URL on a port nothing listens on: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# --- reading a grading request, for scripted graders -------------------------------------------------

_OPEN = re.compile(r"<<<ANSWER ([0-9a-f]{16})>>>")


@dataclass(frozen=True)
class GradingRequest:
    """What a grading prompt asked: the candidate's text (between the markers) and what to judge."""

    answer: str
    key_point_count: int
    criterion_ids: list[str]
    open_marker: str
    close_marker: str


def read_grading_request(received: Received) -> GradingRequest:
    text = received.prompt
    found = _OPEN.search(text)
    assert found, "no answer markers in the grading prompt"
    code = found.group(1)
    open_marker, close_marker = f"<<<ANSWER {code}>>>", f"<<<END ANSWER {code}>>>"
    block = re.search(re.escape(open_marker) + r"\n(.*)\n" + re.escape(close_marker) + r"\n", text, re.DOTALL)
    assert block, "the answer is not between its markers"
    count = re.search(r"Judge key points 1 to (\d+)", text)
    ids = re.search(r"and the criteria\s+(.+?), each once", text, re.DOTALL)
    assert count and ids
    return GradingRequest(
        answer=block.group(1),
        key_point_count=int(count.group(1)),
        criterion_ids=[c.strip() for c in ids.group(1).split(",")],
        open_marker=open_marker,
        close_marker=close_marker,
    )


def judgement(
    request: GradingRequest,
    *,
    points: dict[int, tuple[str, str]] | None = None,
    level: int = 0,
    feedback: str = "Scripted feedback.",
    next_move: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A grading reply: `points` maps key point number to (status, evidence); others are missing."""
    points = points or {}
    return {
        "key_points": [
            {
                "key_point": n,
                "evidence": points.get(n, ("missing", ""))[1],
                "status": points.get(n, ("missing", ""))[0],
            }
            for n in range(1, request.key_point_count + 1)
        ],
        "misconceptions": [],
        "criteria": [
            {"criterion": c, "rationale": f"Scripted rationale for {c}.", "level": level}
            for c in request.criterion_ids
        ],
        "feedback": feedback,
        "next_move": next_move or {"action": "move_on", "key_point": None},
    }


# --- reading a verification request, for scripted verifiers ------------------------------------------

_ITEM = re.compile(
    r"### Item (\d+)\nKey point: (.*?)\nClaim: the clause states this key point (fully|at least in part)\.\n"
    r"Clause:\n<<<CLAUSE ([0-9a-f]{16})>>>\n(.*?)\n<<<END CLAUSE \4>>>",
    re.DOTALL,
)


@dataclass(frozen=True)
class VerificationItem:
    """One claim put to the verifier: that `clause` states `key_point` (fully: covered; in part: partial)."""

    item: int
    key_point: str
    status: str
    clause: str


def read_verification_request(received: Received) -> list[VerificationItem]:
    """The items of a verification prompt, each read from between its clause markers."""
    items = [
        VerificationItem(
            int(m.group(1)), m.group(2), "covered" if m.group(3) == "fully" else "partial", m.group(5)
        )
        for m in _ITEM.finditer(received.prompt)
    ]
    assert items, "no items in the verification prompt"
    assert [i.item for i in items] == list(range(1, len(items) + 1))
    return items


def verdicts(items: list[VerificationItem], confirm: Callable[[VerificationItem], bool]) -> Reply:
    """A verification reply: "yes" for the items `confirm` accepts, "no" for the others, reason first."""
    return Reply.json(
        {
            "verdicts": [
                {
                    "item": i.item,
                    "reason": "Scripted: the clause says this." if confirm(i) else "Scripted: it does not.",
                    "verdict": "yes" if confirm(i) else "no",
                }
                for i in items
            ]
        }
    )


def verdicts_for(
    received: Received, confirm: Callable[[VerificationItem], bool] = lambda item: True
) -> Reply:
    """The verifier's reply to a verification request: its items, each confirmed or not by `confirm` (all, by
    default: a fooled verifier, which confirms the decoys too, so the grader discards its verdicts), as
    `verdicts` words it. The decoys are items whose key point is a misconception of the question."""
    return verdicts(read_verification_request(received), confirm)


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}
