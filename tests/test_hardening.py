"""A hosted page under attack, through its own protocol: malformed values, made-up ids, uploads, logins, floods.

The page runs as a real `python app.py` subprocess (its log is read for tracebacks); events are sent as raw
HTTP to Gradio's queue (`/gradio_api/queue/join`), since gradio_client itself refuses to send NaN or a lone
surrogate. Every endpoint's every input is fuzzed.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client

from tests.web_server import ServerProcess, wait_until_ready

pytestmark = pytest.mark.slow

BAD_VALUES: list[Any] = [
    None,
    float("nan"),
    float("inf"),
    -1,
    10**30,
    1e308,
    "",
    "zz",
    "../../etc/passwd",
    ["a"],
    {"a": 1},
    True,
    "\ud83d",
    "a" * 100_000,
]


class Site:
    def __init__(self, server: ServerProcess, client: Client):
        self.server, self.client, self.url = server, client, server.url
        info = client.view_api(return_format="dict", print_info=False)
        self.endpoints: dict[str, int] = {}
        config = httpx.get(f"{self.url}config").json()
        for dep in config["dependencies"]:
            if dep.get("api_name") and f"/{dep['api_name']}" in info["named_endpoints"]:
                self.endpoints[f"/{dep['api_name']}"] = dep["id"]
        self.inputs = {
            name: len(d["inputs"]) for d in config["dependencies"] for name in [f"/{d.get('api_name')}"]
        }

    def tracebacks(self) -> int:
        return self.server.log.read_text(errors="replace").count("Traceback")

    def join(self, api: str, data: list[Any], session_hash: str | None = None) -> httpx.Response:
        body = {
            "data": data,
            "fn_index": self.endpoints[api],
            "session_hash": session_hash or secrets.token_hex(8),
            "event_data": None,
            "trigger_id": None,
        }
        raw = json.dumps(
            body, allow_nan=True, ensure_ascii=True
        )  # NaN and lone surrogates as a script sends them
        return httpx.post(
            f"{self.url}gradio_api/queue/join", content=raw, headers={"content-type": "application/json"}
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    server = ServerProcess(tmp_path_factory.mktemp("hardening")).start()
    try:
        server.wait_served()
        yield Site(server, wait_until_ready(server.url))
    finally:
        server.stop()


GOOD_START = [["linear-models"], [], [], 2, 0, "study", 0, ""]


def test_every_malformed_value_on_every_endpoint_is_refused_with_a_reason_and_no_traceback(
    site: Site,
) -> None:
    before = site.tracebacks()
    refused, accepted = 0, []
    for api in site.endpoints:
        count = site.inputs[api]
        base = GOOD_START if count == len(GOOD_START) else [""] * count
        for position in range(count):
            for bad in BAD_VALUES:
                data = list(base)
                data[position] = bad
                response = site.join(api, data)
                if response.status_code in (400, 422):
                    refused += 1
                    assert _refusal_text(response).startswith("Refused"), response.text[:300]
                else:
                    assert response.status_code == 200, (api, position, repr(bad)[:30], response.text[:200])
                    accepted.append((api, position, repr(bad)[:30]))
    time.sleep(1.0)  # let accepted events run
    assert site.tracebacks() == before, site.server.log.read_text(errors="replace")[-3000:]
    assert refused > 150  # NaN, inf, wrong types and out-of-range numbers everywhere
    # what passes reaches a handler that refuses it in words (e.g. a time limit of 1e308 s): no traceback above
    assert len(accepted) < refused


def test_made_up_session_ids_are_refused_before_anything_keeps_them(site: Site) -> None:
    rss_before = _rss(site)
    for _ in range(60):
        made_up = secrets.token_hex(16) * (1 << 15)  # 1 MB
        response = site.join("/answer", [made_up, "some answer"])
        assert response.status_code in (413, 422)
    time.sleep(0.5)
    assert _rss(site) - rss_before < 30, "the server kept memory for made-up ids"


def test_an_unknown_id_shaped_session_id_gets_words_on_every_session_action_and_no_traceback(
    site: Site,
) -> None:
    before = site.tracebacks()
    unknown = secrets.token_hex(16)  # the shape of a real id, but nobody's
    said = site.client.predict(unknown, api_name="/open_report")[0]  # History's hidden pick, as a row click
    assert "No interview of yours has the id" in said
    for api, args in (("/resume", (unknown,)), ("/answer", (unknown, "an answer")), ("/end", (unknown,))):
        assert "No interview of yours has the id" in site.client.predict(*args, api_name=api)[3], api
    time.sleep(0.5)
    assert site.tracebacks() == before, site.server.log.read_text(errors="replace")[-3000:]


def _refusal_text(response: httpx.Response) -> str:
    """The refusal's words: Gradio's validation form (one verdict per input) or a sentence."""
    detail = response.json()["detail"]
    if isinstance(detail, list):
        return " ".join(v["message"] for v in detail if v["is_valid"] is False)
    return str(detail)


def _rss(site: Site) -> float:
    assert site.server.proc is not None
    status = Path(f"/proc/{site.server.proc.pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]) / 1024


def test_uploads_are_refused(site: Site) -> None:
    response = httpx.post(f"{site.url}gradio_api/upload", files={"files": ("a.txt", b"x" * 10_000_000)})
    assert response.status_code == 403 and "no uploads" in response.json()["detail"]


def test_gradio_monitoring_is_off(site: Site) -> None:
    """Gradio serves a traffic dashboard and summary unless told not to; the page keeps neither (and so does not
    rebuild the summary after every event)."""
    for path in ("monitoring", "monitoring/summary"):
        response = httpx.get(f"{site.url}{path}")
        assert response.status_code in (403, 404), (path, response.status_code, response.text[:200])
        assert "success_rate" not in response.text


def test_a_lone_surrogate_in_an_answer_is_refused_with_a_message_and_nothing_is_stored(site: Site) -> None:
    client = Client(site.url, verbose=False)
    out = client.predict(*GOOD_START, api_name="/start")
    session_id = out[0]
    before = site.tracebacks()
    response = site.join(
        "/answer", [session_id, "bias and variance 😀 then half \ud83d"], client.session_hash
    )
    assert response.status_code == 200
    time.sleep(0.5)
    stream = httpx.get(
        f"{site.url}gradio_api/queue/data", params={"session_hash": client.session_hash}, timeout=20
    )
    assert "not valid text" in stream.text and "half of an emoji" in stream.text
    assert site.tracebacks() == before
    from interviewer.interview.storage import SessionStore

    assert SessionStore(site.server.root / "data" / "sessions.sqlite3").answers(session_id) == []


def test_logins_are_refused_after_five_failures_from_one_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTERVIEWER_AUTH", "ada:lovelace")
    server = ServerProcess(tmp_path).start()
    try:
        server.wait_served()
        codes = [
            httpx.post(f"{server.url}login", data={"username": "ada", "password": f"guess{n}"}).status_code
            for n in range(8)
        ]
        assert codes[:5] == [400] * 5 and codes[5:] == [429] * 3
        locked = httpx.post(f"{server.url}login", data={"username": "ada", "password": "lovelace"})
        assert locked.status_code == 429 and "Too many failed logins" in locked.json()["detail"]
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tight_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A page with a queue of 1, one grading at a time and 3 answers a minute per visitor."""
    env = {
        "INTERVIEWER_QUEUE_SIZE": "1",
        "INTERVIEWER_WEB_CONCURRENCY": "1",
        "INTERVIEWER_ANSWERS_PER_MINUTE": "3",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        server = ServerProcess(tmp_path_factory.mktemp("tight")).start()
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    try:
        server.wait_served()
        yield Site(server, wait_until_ready(server.url))
    finally:
        server.stop()


def test_a_visitor_sending_answers_too_fast_is_told_to_wait_with_the_answer_kept(tight_site: Site) -> None:
    client = Client(tight_site.url, verbose=False)
    session_id = client.predict(*GOOD_START[:3], 10, 0, "study", 0, "", api_name="/start")[0]
    notices = [
        client.predict(session_id, f"answer {n}: weights shrink", api_name="/answer")[3] for n in range(4)
    ]
    assert all("answers in a minute" not in n for n in notices[:3])
    assert "That is more than 3 answers in a minute. Wait" in notices[3]
    from interviewer.interview.storage import SessionStore

    assert len(SessionStore(tight_site.server.root / "data" / "sessions.sqlite3").answers(session_id)) == 3


def test_a_full_queue_refuses_new_events_as_busy(tight_site: Site) -> None:
    start = [
        *GOOD_START[:7],
        "regularisation in linear models",
    ]  # each start searches the bank: a grading lane
    with ThreadPoolExecutor(max_workers=30) as pool:  # thirty candidates pressing Start at once
        responses = list(pool.map(lambda _: tight_site.join("/start", start), range(30)))
    codes = [r.status_code for r in responses]
    assert 200 in codes and 503 in codes, codes
    busy = next(r for r in responses if r.status_code == 503)
    assert "Queue is full" in busy.json()["detail"]  # the browser shows "This application is currently busy"


def test_gradio_has_the_2026_advisories_fixed() -> None:
    import gradio

    major, minor = (int(p) for p in gradio.__version__.split(".")[:2])
    assert (major, minor) >= (6, 16)
