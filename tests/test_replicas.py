"""Two replicas behind nginx, as deploy/README.md sets them up for a group: real PostgreSQL, a real
`chroma run` server, two `interviewer serve` processes and Debian's nginx, all on 127.0.0.1
(tests/replica_support.py).

The page is driven through nginx with gradio_client, which keeps the cookie nginx routes by, as browsers do.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from gradio_client import Client

from interviewer.content.loader import Bank
from interviewer.interview.storage import SessionStore
from tests.postgres_support import running_postgres
from tests.replica_support import (
    Proxy,
    Replica,
    replica,
    run_with_env_file,
    running_chroma,
    running_nginx,
    stop,
    wait_for_http,
)
from tests.web_server import small_bank, wait_until_ready
from tests.web_support import asked_entry, start, texts

pytestmark = pytest.mark.slow

ROUTE_COOKIE = "iv_replica"


@dataclass
class Group:
    """The deployment: nginx in front, the two replicas behind it, and a store on their shared database."""

    proxy: Proxy
    replicas: list[Replica]
    store: SessionStore

    def replica_at(self, address: str) -> Replica:
        return next(r for r in self.replicas if r.address == address)


def index(first: Replica, bank_dir: Path) -> None:
    """`interviewer index` against the Chroma server, with the first replica's env file, before any serves."""
    log = first.root / "index.log"
    process = run_with_env_file(first.env_file, "index", bank_dir, log, first.root)
    try:
        assert process.wait(timeout=300) == 0, log.read_text()[-3000:]
    finally:
        stop(process)
    assert "added " in log.read_text()


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Group]:
    root = tmp_path_factory.mktemp("group")
    bank_dir = small_bank(root)
    with running_postgres() as postgres, running_chroma(root) as chroma_port:
        database = postgres.create_database()
        replicas = [replica(root, f"replica-{n}", database, chroma_port) for n in (1, 2)]
        index(replicas[0], bank_dir)
        store = SessionStore(database)
        try:
            for each in replicas:
                each.start(bank_dir)
            for each in replicas:
                assert each.process is not None
                wait_for_http(each.url, each.process, each.log)
                wait_until_ready(each.url)
            with running_nginx(replicas) as proxy:
                yield Group(proxy, replicas, store)
        finally:
            store.close()
            for each in replicas:
                each.stop()


def browser(proxy: Proxy, route: str | None = None) -> Client:
    """A page opened through nginx; with `route`, by a browser that already holds that routing cookie."""
    return Client(proxy.url, verbose=False, httpx_kwargs={"cookies": {ROUTE_COOKIE: route} if route else {}})


def browsers_on_each_replica(group: Group) -> dict[str, Client]:
    """New browsers through nginx until one has landed on each replica; by replica address."""
    found: dict[str, Client] = {}
    for _ in range(40):  # each lands on either replica at random: 40 misses in a row do not happen
        client = browser(group.proxy)
        served = set(group.proxy.replicas_for(client.cookies[ROUTE_COOKIE]))
        assert len(served) == 1, served  # loading the page took several requests, all to one replica
        found.setdefault(served.pop(), client)
        if len(found) == len(group.replicas):
            return found
    pytest.fail(f"nginx sent 40 new browsers to {set(found)} only")


def test_nginx_gives_a_browser_a_routing_cookie_and_keeps_it_on_one_replica(group: Group) -> None:
    with urllib.request.urlopen(group.proxy.url, timeout=10) as first_visit:
        cookie = first_visit.headers.get("Set-Cookie", "")
    route = cookie.split(";")[0].removeprefix(f"{ROUTE_COOKIE}=")
    assert len(route) == 32 and cookie.endswith("; Path=/; HttpOnly; SameSite=Lax"), cookie
    returning = urllib.request.Request(group.proxy.url, headers={"Cookie": f"{ROUTE_COOKIE}={route}"})
    with urllib.request.urlopen(returning, timeout=10) as again:
        assert again.headers.get("Set-Cookie") is None  # the cookie it has is kept

    browsers = browsers_on_each_replica(group)
    assert set(browsers) == {r.address for r in group.replicas}
    for address, client in browsers.items():
        out = start(client)  # a queued event and its streamed result: two requests that must meet
        assert texts(out[1])[0].startswith("Question 1 of 2:")
        assert set(group.proxy.replicas_for(client.cookies[ROUTE_COOKIE])) == {address}


def test_a_session_carries_on_through_nginx_after_its_replica_is_killed(group: Group, bank: Bank) -> None:
    """The candidate's replica dies between two answers. The other replica, which had opened the same session
    before the first answer (a stale copy in its memory), serves the rest of it from the shared database."""
    browsers = browsers_on_each_replica(group)
    candidate = browsers[group.replicas[0].address]
    route = candidate.cookies[ROUTE_COOKIE]
    home, other = group.replicas[0], group.replicas[1]

    out = start(candidate)
    session_id = out[0]
    first = asked_entry(bank, out[1])
    peek = browsers[other.address].predict(session_id, api_name="/resume")  # the other replica holds it now
    assert texts(peek[1]) == texts(out[1])
    before = candidate.predict(session_id, first.reference_answer, api_name="/answer")
    said = texts(before[1])
    assert said[-3] == first.reference_answer and said[-2].startswith("**Score: ")
    second = asked_entry(bank, before[1])
    assert group.store.answers(session_id) == [(first.reference_answer, "graded")]
    requests_before = len(group.proxy.replicas_for(route))

    home.stop(kill=True)  # kill -9: no goodbye to nginx or the database
    assert home.process is not None and home.process.returncode == -9

    refreshed = browser(group.proxy, route)  # the same browser reloads the page
    resumed = refreshed.predict(session_id, api_name="/resume")
    assert texts(resumed[1]) == said  # the first answer and its feedback are all there
    assert resumed[4] == before[4] and "Welcome back" in resumed[3]
    out = refreshed.predict(session_id, second.reference_answer, api_name="/answer")
    assert texts(out[1])[-1].startswith("That's the end of the interview")
    assert "Overall score" in out[5]
    report = Path(out[6]["value"]).read_text()  # a download, fetched through nginx from the other replica
    assert first.question in report and second.question in report

    # The log lists requests as they end: the dead replica's open streams first, then the reloaded page.
    routed = group.proxy.replicas_for(route)[requests_before:]
    failover = routed.index(f"{home.address}, {other.address}")  # refused by the dead one, sent to the other
    assert all(r.endswith(other.address) for r in routed[failover:])
    saved = group.store.load_saved(session_id).snapshot.transcript
    assert saved.finished and [q.entry_id for q in saved.questions] == [first.id, second.id]
    assert all(q.main_grade is not None for q in saved.questions)
    assert group.store.answers(session_id) == [
        (first.reference_answer, "graded"),
        (second.reference_answer, "graded"),
    ]
