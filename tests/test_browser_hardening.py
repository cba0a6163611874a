"""What a hosted page reflects, in a real browser: links and answers carrying HTML show it as text, and the page
reaches nothing off this machine. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.test_browser import ARGS, ARTIFACTS, CHROMIUM
from tests.web_server import serve_in_process

pytestmark = pytest.mark.slow

INJECTED = '<h1 id="pwn">Pwned</h1><a id="pwn-link" href="http://example.com">x</a><img src="http://example.com/a.png">'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[str]:
    page, address = serve_in_process(tmp_path_factory.mktemp("hardening-browser"), embedder)
    yield address
    page.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Chromium is missing: run `bash .ci/ensure-chromium`."
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=[1280, 390], ids=["wide", "phone"])
def tab(request: pytest.FixtureRequest, browser: Browser, server: str) -> Iterator[tuple[Page, list[str]]]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": request.param, "height": 1000})
    blocked: list[str] = []

    def only_local(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.width = request.param  # type: ignore[attr-defined]
    yield page, blocked
    context.close()


def test_html_in_a_session_link_is_not_put_on_the_page(tab: tuple[Page, list[str]], server: str) -> None:
    page, blocked = tab
    page.goto(f"{server}?session={quote(INJECTED)}")
    notice = page.locator("#iv-notice")
    expect(notice).to_contain_text("not an interview id", timeout=60_000)
    expect(page.locator("#pwn")).to_have_count(0)
    expect(page.locator("#pwn-link")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / f"hardening-session-link-{page.width}.png"), full_page=True)  # type: ignore[attr-defined]
    assert blocked == []


def test_an_img_in_an_answer_is_not_loaded_in_the_chat(tab: tuple[Page, list[str]], server: str) -> None:
    page, blocked = tab
    page.goto(server)
    expect(page.locator("#iv-status")).to_contain_text("Grading is ready", timeout=60_000)
    page.locator("#iv-start").click()
    expect(page.locator("#iv-chat")).to_contain_text("Question 1", timeout=30_000)
    page.locator("#iv-answer textarea").fill(
        'Regularisation <img id="pwn-img" src="http://example.com/x.png"> shrinks weights'
    )
    page.locator("#iv-send").click()
    expect(page.locator("#iv-chat")).to_contain_text("shrinks weights", timeout=60_000)
    expect(page.locator("#iv-chat img[src*='example.com']")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / f"hardening-img-answer-{page.width}.png"), full_page=True)  # type: ignore[attr-defined]
    assert blocked == []


def test_half_an_emoji_is_refused_with_the_answer_still_in_the_box(
    tab: tuple[Page, list[str]], server: str
) -> None:
    page, blocked = tab
    page.goto(server)
    expect(page.locator("#iv-status")).to_contain_text("Grading is ready", timeout=60_000)
    page.locator("#iv-start").click()
    expect(page.locator("#iv-chat")).to_contain_text("Question 1", timeout=30_000)
    box = page.locator("#iv-answer textarea")
    box.fill("bias and variance")
    box.evaluate(
        "(el) => { el.value = el.value + ' \\ud83d'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    page.locator("#iv-send").click()
    expect(page.locator("#iv-notice")).to_contain_text("not valid text", timeout=30_000)
    assert box.input_value().startswith("bias and variance")
    page.screenshot(path=str(ARTIFACTS / f"hardening-surrogate-{page.width}.png"), full_page=True)  # type: ignore[attr-defined]
    assert blocked == []


def test_html_in_ask_me_about_is_shown_as_text(tab: tuple[Page, list[str]], server: str) -> None:
    page, blocked = tab
    page.goto(server)
    expect(page.locator("#iv-status")).to_contain_text("Grading is ready", timeout=60_000)
    page.get_by_label("Ask me about… (optional)").fill(
        '<h1 id="pwn-ask">zzqx</h1><img src="http://example.com/b.png">'
    )
    page.locator("#iv-start").click()
    expect(page.locator("#iv-notice")).to_contain_text('<h1 id="pwn-ask">zzqx</h1>', timeout=30_000)
    expect(page.locator("#pwn-ask")).to_have_count(0)
    expect(page.locator("img[src*='example.com']")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / f"hardening-ask-about-{page.width}.png"), full_page=True)  # type: ignore[attr-defined]
    assert blocked == []
