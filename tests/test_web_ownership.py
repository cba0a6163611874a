"""Whose data is it: each candidate sees and acts on their own sessions only, checked on the server.

Through gradio_client against the real page (real MiniLM, ChromaDB and SQLite): two users with
`INTERVIEWER_AUTH`, each seeing only their own History and refused every action on the other's session; an
unfinished exam opened from History without its grades; deleting a session. Without a password, the browser's
`iv_owner` cookie keeps one browser's History from another's (also in Chromium, where the page sets it).
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest
from gradio.utils import get_upload_folder
from gradio_client import Client
from pydantic import SecretStr

from interviewer.content.loader import Bank
from interviewer.interview.registry import SessionRegistry
from interviewer.interview.session import new_session_id
from interviewer.interview.storage import SessionStore
from interviewer.web.actions import PageActions, WarmUp
from interviewer.web.views import EXAM_HELD
from interviewer.web.visitors import OWNER_COOKIE
from tests.test_web_storage import make_services
from tests.web_server import TOPICS, serve_in_process
from tests.web_support import USERS, Site, asked_entry, site_with_users, start, texts

pytestmark = pytest.mark.slow

NOT_YOURS = "No interview of yours has the id"
COMMANDS = ("/skip", "/hint", "/repeat", "/dont_know", "/reveal", "/end")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Site]:
    """The page with two users (the `ada` and `grace` fixtures in conftest.py log in to it)."""
    two = {user: USERS[user] for user in ("ada", "grace")}
    with site_with_users(tmp_path_factory.mktemp("owners"), embedder, two) as served:
        yield served


def listed(client: Client) -> dict[str, str]:
    """The History a client sees: session id -> its one-line label."""
    _, pick = client.predict(api_name="/history")
    return {value: label for label, value in pick["choices"]}


def served_copies(session_id: str) -> list[Path]:
    """The copies of a session's exports that Gradio serves the download buttons from."""
    return list(Path(get_upload_folder()).glob(f"*/interview-{session_id}.*"))


def test_each_user_sees_only_their_own_and_every_action_on_anothers_session_is_refused(
    site: Site, ada: Client, grace: Client, bank: Bank
) -> None:
    out = start(ada)
    ada_id = out[0]
    ada.predict(ada_id, asked_entry(bank, out[1]).reference_answer, api_name="/answer")
    grace_id = start(grace)[0]
    ada_list, grace_list = listed(ada), listed(grace)
    assert ada_id in ada_list and grace_id in grace_list and not set(ada_list) & set(grace_list)
    before = site.store.load(ada_id)[0].model_dump_json()
    answers = site.store.answers(ada_id)

    for attempt in (
        grace.predict(ada_id, api_name="/resume"),
        grace.predict(ada_id, "Precision is TP / (TP + FP).", api_name="/answer"),
        grace.predict(ada_id, "   ", api_name="/answer"),  # an empty answer's refusal shows no one's chat
        *(grace.predict(ada_id, api_name=name) for name in COMMANDS),
    ):
        session_id, chat, _, notice = attempt[:4]
        assert session_id == "" and chat == [] and attempt[4] == "" and attempt[5] == ""  # no card, no report
        assert [d["value"] for d in attempt[6:9]] == [None, None, None]  # and nothing to download
        assert NOT_YOURS in notice or "Type an answer first" in notice
    # Her History never offers it; asked for anyway, it is refused in words.
    assert NOT_YOURS in grace.predict(ada_id, api_name="/open_report")[0]
    assert NOT_YOURS in grace.predict(ada_id, api_name="/delete_session")[0]
    assert site.store.load(ada_id)[0].model_dump_json() == before and site.store.answers(ada_id) == answers

    # Her own session still works for Ada; its downloads are not Grace's to fetch.
    out = ada.predict(ada_id, api_name="/end")
    assert texts(out[1])[-1].startswith("That's the end") and out[6]["value"]
    export = site.root / "data" / "exports" / ada_id / f"interview-{ada_id}.md"
    assert export.exists()
    raw = httpx.get(f"{site.url}gradio_api/file={export}", cookies=grace.cookies)
    assert raw.status_code in (403, 404) and "Interview report" not in raw.text
    assert ada_id not in listed(grace)


def test_a_session_saved_without_an_owner_opens_for_no_one_on_a_password_page(
    site: Site, ada: Client
) -> None:
    ada_id = start(ada)[0]
    legacy = site.store.load(ada_id)[0]
    legacy.transcript.session_id = "0123456789ab"  # an id as older releases made them, saved with no owner
    site.store.save(legacy)
    assert site.store.owner_of("0123456789ab") is None
    assert "0123456789ab" not in listed(ada)
    out = ada.predict("0123456789ab", api_name="/resume")
    assert out[0] == "" and NOT_YOURS in out[3]


def test_session_ids_carry_128_random_bits(ada: Client) -> None:
    ids = [start(ada, count=1)[0] for _ in range(2)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and ids[0] != ids[1]  # 32 hex digits: 128 bits
    many = {new_session_id() for _ in range(2000)}
    assert len(many) == 2000 and {len(i) for i in many} == {32}
    assert {c for i in many for c in i} == set(
        "0123456789abcdef"
    )  # every digit used: not a counter or a clock


def test_an_unfinished_exam_opened_from_history_shows_no_grade_or_key_point(ada: Client, bank: Bank) -> None:
    out = start(ada, mode="exam", count=2)
    exam_id = out[0]
    entry = asked_entry(bank, out[1])
    answer = entry.reference_answer.split(". ")[0] + "."  # partly right: some key points are missed
    ada.predict(exam_id, answer, api_name="/answer")
    secrets_of_the_grade = [k.text for k in entry.key_points] + [
        html.escape(k.text) for k in entry.key_points
    ]

    table, pick = ada.predict(api_name="/history")
    row = [value for _, value in pick["choices"]].index(exam_id)  # the rows are in the list's order
    assert table["data"][row][1] == EXAM_HELD and EXAM_HELD in pick["choices"][row][0]  # no score so far
    report, *downloads = ada.predict(exam_id, api_name="/open_report")  # (buttons are not in the API)
    assert "This exam is still running" in report and html.escape(entry.question) in report
    assert html.escape(answer) in report  # the candidate's own words are theirs to see
    assert not any(point in report for point in secrets_of_the_grade)
    assert "/10" not in report and "covered" not in report and "missing" not in report
    assert len(downloads) == 3 and not any(d.get("visible") for d in downloads)

    ada.predict(exam_id, api_name="/end")  # once it ends, the same row shows the grades
    report, *downloads = ada.predict(exam_id, api_name="/open_report")
    assert (
        downloads[0]["value"] and "/10" in report and any(point in report for point in secrets_of_the_grade)
    )


def test_deleting_a_session_removes_it_its_answers_and_its_downloads(
    site: Site, ada: Client, bank: Bank
) -> None:
    out = start(ada, count=1)
    session_id = out[0]
    out = ada.predict(session_id, asked_entry(bank, out[1]).reference_answer, api_name="/answer")
    assert texts(out[1])[-1].startswith("That's the end")
    assert session_id in listed(ada)
    ada.predict(session_id, api_name="/open_report")
    assert (site.root / "data" / "exports" / session_id).exists() and served_copies(session_id)

    report, *downloads, _, pick = ada.predict(session_id, api_name="/delete_session")
    assert "The interview was deleted" in report
    assert session_id not in [value for _, value in pick["choices"]]
    assert len(downloads) == 3 and not any(d.get("visible") for d in downloads)
    assert not site.store.exists(session_id) and site.store.answers(session_id) == []
    assert not (site.root / "data" / "exports" / session_id).exists() and served_copies(session_id) == []
    assert session_id not in listed(ada)
    assert NOT_YOURS in ada.predict(session_id, api_name="/resume")[3]


def test_the_server_refuses_anothers_session_whatever_the_page_offers(tmp_path: Path, bank: Bank) -> None:
    """The handlers themselves, as a forged request would reach them: not only what the page lists."""
    services = make_services(tmp_path, bank)
    services.settings = services.settings.model_copy(update={"auth": SecretStr("ada:x,grace:y")})
    store = SessionStore(tmp_path / "s.sqlite3")
    page = PageActions(SessionRegistry(services, store), WarmUp())
    as_ada, as_grace = gr.Request(username="ada"), gr.Request(username="grace")
    ada_id = page.start([TOPICS[0]], [], [], 1, 0, "study", 0, "", as_ada)[0]
    page.command("end")(ada_id, as_ada)

    report, *downloads, delete, _ = page.open_report(ada_id, as_grace)
    assert NOT_YOURS in report and not any(d.visible for d in downloads) and not delete.visible
    assert page.open_report(ada_id, as_ada)[4].visible  # her own: the Delete button shows
    assert page.redraw_chat(ada_id, as_grace) != page.redraw_chat(ada_id, as_ada)
    assert NOT_YOURS in page.delete_session(ada_id, as_grace)[0] and store.exists(ada_id)
    assert page.history(as_grace)[1] == [] and page.history(as_ada)[1] == [ada_id]
    assert page.history(None)[1] == []  # on a password page, a request with no login owns nothing
    assert "Interview report" in page.open_report(ada_id, as_ada)[0]
    assert "The interview was deleted" in page.delete_session(ada_id, as_ada)[0]
    assert not store.exists(ada_id)


def test_without_a_password_each_browser_keeps_its_own_history(tmp_path: Path, embedder: Any) -> None:
    page, url = serve_in_process(tmp_path, embedder)
    try:

        def browser(owner: str) -> Client:
            return Client(url, verbose=False, httpx_kwargs={"cookies": {OWNER_COOKIE: owner}})

        first, second = secrets.token_hex(16), secrets.token_hex(16)
        mine = start(browser(first))[0]
        assert set(listed(browser(second))) == set()
        assert NOT_YOURS in browser(second).predict(mine, api_name="/resume")[3]
        later = browser(first)  # a later visit from the same browser: the cookie is still there
        assert set(listed(later)) == {mine}
        assert "Welcome back" in later.predict(mine, api_name="/resume")[3]
        # A client that sends no cookie saves sessions with no owner: listed for every browser, no password.
        anyone = start(Client(url, verbose=False))[0]
        assert set(listed(browser(second))) == {anyone} and set(listed(later)) == {mine, anyone}
    finally:
        page.close()


def test_in_chromium_the_page_remembers_its_browser_and_asks_before_deleting(
    tmp_path: Path, embedder: Any
) -> None:
    """The cookie is the page's own doing: a second browser sees none of the first's History, a later visit
    from the first sees it all, and Delete asks before it deletes."""
    from playwright.sync_api import BrowserContext, expect, sync_playwright

    from tests.browser_support import ARGS, CHROMIUM, LOCAL

    assert CHROMIUM.exists(), (
        "Chromium is missing: run `bash .ci/ensure-packages` (apt-get install -y chromium)."
    )
    server, url = serve_in_process(tmp_path, embedder)

    def visit(context: BrowserContext, address: str = url):
        context.route("**/*", lambda r: r.continue_() if LOCAL.match(r.request.url) else r.abort())
        tab = context.new_page()
        tab.goto(address)
        expect(tab.locator("#iv-status")).to_contain_text("Grading is ready", timeout=60_000)
        return tab

    def history_of(tab):
        tab.get_by_role("tab", name="History").click()
        table = tab.locator("#iv-history")
        expect(table.locator("thead")).to_contain_text("date", timeout=15_000)
        return table

    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            first = chromium.new_context()
            tab = visit(first)
            tab.locator("#iv-count input[type=number]").fill("1")
            tab.locator("#iv-count input[type=number]").press("Enter")
            tab.click("#iv-start")
            expect(tab.locator("#iv-chat")).to_contain_text("Question 1 of 1", timeout=30_000)
            tab.click("#iv-end")
            expect(tab.locator("#iv-report")).to_contain_text("Overall score", timeout=30_000)
            session_id = tab.url.split("session=")[1]
            owner = [c["value"] for c in first.cookies() if c["name"] == OWNER_COOKIE]
            assert len(owner) == 1 and re.fullmatch(r"[0-9a-f]{32}", owner[0])

            stranger = visit(chromium.new_context(), f"{url}?session={session_id}")
            expect(stranger.locator("#iv-notice")).to_contain_text(NOT_YOURS, timeout=15_000)
            expect(stranger.locator("#iv-chat")).not_to_contain_text("Question 1 of 1")
            expect(history_of(stranger)).not_to_contain_text("/10")

            again = visit(first, f"{url}?session={session_id}")  # a later visit from the first browser
            expect(again.locator("#iv-notice")).to_contain_text("Welcome back", timeout=15_000)
            table = history_of(again)
            expect(table).to_contain_text("0/10", timeout=15_000)
            table.locator("[data-testid=cell-0-1]").click()
            expect(again.locator("#iv-history-report")).to_contain_text("Interview report", timeout=15_000)
            again.click("#iv-history-delete")
            expect(again.locator("#iv-history-confirm")).to_contain_text("for good?")
            again.click("#iv-history-keep")  # nothing is deleted until confirmed
            expect(again.locator("#iv-history-confirm")).to_be_hidden()
            assert server_store(tmp_path).exists(session_id)
            again.click("#iv-history-delete")
            again.click("#iv-history-delete-yes")
            expect(again.locator("#iv-history-report")).to_contain_text(
                "The interview was deleted", timeout=15_000
            )
            expect(table).not_to_contain_text("/10")
            assert not server_store(tmp_path).exists(session_id)
            chromium.close()
    finally:
        server.close()


def server_store(root: Path) -> SessionStore:
    return SessionStore(root / "data" / "sessions.sqlite3")
