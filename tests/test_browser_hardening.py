"""What a hosted page reflects, in a real browser: links and answers carrying HTML show it as text, and the page
reaches nothing off this machine. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser_support import ARTIFACTS, goto_ready, keep_local, send, shoot
from tests.web_server import served

pytestmark = pytest.mark.slow

INJECTED = '<h1 id="pwn">Pwned</h1><a id="pwn-link" href="http://example.com">x</a><img src="http://example.com/a.png">'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[str]:
    with served(tmp_path_factory.mktemp("hardening-browser"), embedder) as address:
        yield address


@pytest.fixture(params=[1280, 390], ids=["wide", "phone"])
def tab(request: pytest.FixtureRequest, browser: Browser, server: str) -> Iterator[tuple[Page, list[str]]]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": request.param, "height": 1000})
    blocked = keep_local(context)  # each test asserts it stayed empty
    page = context.new_page()
    page.width = request.param  # type: ignore[attr-defined]
    yield page, blocked
    context.close()


def start_as_set_up(page: Page, url: str) -> None:
    """Starts an interview with the set-up panel as it opens."""
    goto_ready(page, url)
    page.locator("#iv-start").click()
    expect(page.locator("#iv-chat")).to_contain_text("Question 1", timeout=30_000)


def test_html_in_a_session_link_is_not_put_on_the_page(tab: tuple[Page, list[str]], server: str) -> None:
    page, blocked = tab
    page.goto(f"{server}?session={quote(INJECTED)}")
    notice = page.locator("#iv-notice")
    expect(notice).to_contain_text("not an interview id", timeout=60_000)
    expect(page.locator("#pwn")).to_have_count(0)
    expect(page.locator("#pwn-link")).to_have_count(0)
    shoot(page, f"hardening-session-link-{page.width}.png")  # type: ignore[attr-defined]
    assert blocked == []


def test_an_img_in_an_answer_is_not_loaded_in_the_chat(tab: tuple[Page, list[str]], server: str) -> None:
    page, blocked = tab
    start_as_set_up(page, server)
    send(page, 'Regularisation <img id="pwn-img" src="http://example.com/x.png"> shrinks weights')
    expect(page.locator("#iv-chat")).to_contain_text("shrinks weights", timeout=60_000)
    expect(page.locator("#iv-chat img[src*='example.com']")).to_have_count(0)
    shoot(page, f"hardening-img-answer-{page.width}.png")  # type: ignore[attr-defined]
    assert blocked == []


def test_half_an_emoji_is_refused_with_the_answer_still_in_the_box(
    tab: tuple[Page, list[str]], server: str
) -> None:
    page, blocked = tab
    start_as_set_up(page, server)
    box = page.locator("#iv-answer textarea")
    box.fill("bias and variance")
    box.evaluate(
        "(el) => { el.value = el.value + ' \\ud83d'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    page.locator("#iv-send").click()
    expect(page.locator("#iv-notice")).to_contain_text("not valid text", timeout=30_000)
    assert box.input_value().startswith("bias and variance")
    shoot(page, f"hardening-surrogate-{page.width}.png")  # type: ignore[attr-defined]
    assert blocked == []


def test_html_in_ask_me_about_is_shown_as_text(tab: tuple[Page, list[str]], server: str) -> None:
    page, blocked = tab
    goto_ready(page, server)
    page.get_by_label("Ask me about… (optional)").fill(
        '<h1 id="pwn-ask">zzqx</h1><img src="http://example.com/b.png">'
    )
    page.locator("#iv-start").click()
    expect(page.locator("#iv-notice")).to_contain_text('<h1 id="pwn-ask">zzqx</h1>', timeout=30_000)
    expect(page.locator("#pwn-ask")).to_have_count(0)
    expect(page.locator("img[src*='example.com']")).to_have_count(0)
    shoot(page, f"hardening-ask-about-{page.width}.png")  # type: ignore[attr-defined]
    assert blocked == []
