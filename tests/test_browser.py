"""The page in a real browser: Debian's Chromium driven by Playwright (never `playwright install`).

`make test` installs Chromium first (`.ci/ensure-chromium`, apt-get as root). Requests that would leave
127.0.0.1 are aborted, so the browser reaches nothing but the page. Screenshots and the downloaded
transcript are written to tests/artifacts/ (ignored by git).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from interviewer.config import PROJECT_DIR
from interviewer.content.loader import Bank
from tests.web_server import serve_in_process

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_DIR / "tests" / "artifacts"
LOCAL = re.compile(r"^(https?|wss?)://127\.0\.0\.1[:/]")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[str]:
    if url := os.environ.get("INTERVIEWER_BROWSER_URL"):  # drive a page already serving, e.g. from `make run`
        yield url
        return
    page, url = serve_in_process(tmp_path_factory.mktemp("browser"), embedder)
    yield url
    page.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), (
        "Chromium is missing: run `bash .ci/ensure-chromium` (apt-get install -y chromium)."
    )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 1000})
    blocked: list[str] = []

    def only_local(route: Any) -> None:
        if LOCAL.match(route.request.url) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    tab = context.new_page()
    tab.goto(server)
    expect(tab.locator("#iv-status")).to_contain_text("Grading is ready", timeout=60_000)
    yield tab
    context.close()
    assert blocked == [], f"the page tried to reach the network: {blocked}"


def set_number(page: Page, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def start(page: Page, questions: int = 2, follow_ups: int = 0) -> None:
    set_number(page, "iv-count", questions)
    set_number(page, "iv-follow-ups", follow_ups)
    page.click("#iv-start")
    expect(page.locator("#iv-chat")).to_contain_text(f"Question 1 of {questions}", timeout=30_000)


def current_entry(page: Page, bank: Bank, number: int, total: int):
    text = page.locator("#iv-chat").inner_text()
    question = text.split(f"Question {number} of {total}: ", 1)[1].splitlines()[0].strip()
    return next(e for e in bank.entries.values() if e.question == question)


def send(page: Page, answer: str) -> None:
    page.locator("#iv-answer textarea").fill(answer)
    page.click("#iv-send")


def test_a_two_question_session_with_score_card_report_refresh_and_download(page: Page, bank: Bank) -> None:
    start(page)
    first = current_entry(page, bank, 1, 2)
    send(page, first.reference_answer)
    card = page.locator("#iv-card")
    expect(card).to_contain_text("Key points", timeout=30_000)
    expect(card).to_contain_text("offline grader")
    expect(card.locator("mark.covered").first).to_be_visible()
    expect(card.locator("details summary")).to_have_text("Reference answer")
    expect(page.locator("#iv-chat")).to_contain_text("Question 2 of 2")
    page.screenshot(path=str(ARTIFACTS / "study-score-card.png"), full_page=True)

    assert "session=" in page.url  # the address carries the session, so a refresh resumes it
    page.reload()
    expect(page.locator("#iv-chat")).to_contain_text("Question 2 of 2", timeout=30_000)
    expect(page.locator("#iv-notice")).to_contain_text("Welcome back")
    expect(page.locator("#iv-card")).to_contain_text("Key points")

    second = current_entry(page, bank, 2, 2)
    send(page, second.reference_answer)
    report = page.locator("#iv-report")
    expect(report).to_contain_text("Overall score", timeout=30_000)
    expect(report.locator("svg.iv-chart").first).to_be_visible()
    expect(report).to_contain_text(first.question)
    expect(report).to_contain_text("Strongest key points")
    page.screenshot(path=str(ARTIFACTS / "study-report.png"), full_page=True)

    with page.expect_download() as info:
        page.click("#iv-download-md")
    saved = ARTIFACTS / "transcript.md"
    info.value.save_as(saved)
    text = saved.read_text()
    assert text.startswith("# Interview report") and first.question in text and second.question in text
    stored = page.evaluate("() => JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})")
    assert first.reference_answer[:30] not in stored and "Score" not in stored  # no answers in the browser


def test_html_and_script_in_an_answer_never_run(page: Page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    start(page, questions=1)
    attack = (
        '<img src=x onerror="window.__xss = 1; alert(1)">\n'
        "<script>window.__xss = 2; alert(2)</script>\n"
        '<a href="javascript:window.__xss=3">link</a>\n\n'
        "**Bold** words, inline math $x^2$ and code:\n\n```python\nprint(1)\n```"
    )
    send(page, attack)
    expect(page.locator("#iv-card")).to_contain_text("Your answer", timeout=30_000)
    chat = page.locator("#iv-chat")
    expect(chat.locator("strong", has_text="Bold").first).to_be_visible()  # Markdown renders
    expect(chat.locator("pre code", has_text="print(1)").first).to_be_visible()  # code blocks render
    expect(chat.locator(".katex").first).to_be_attached()  # math renders
    expect(page.locator("#iv-card [data-testid=answer]")).to_contain_text("<script>")  # shown as text
    page.click("#iv-end")
    expect(page.locator("#iv-report")).to_contain_text("Overall score", timeout=30_000)
    links = chat.locator("a", has_text="link")
    if links.count():  # the sanitiser may drop the link or only its javascript: address
        links.first.click()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "answer-with-html.png"), full_page=True)
    assert page.evaluate("() => window.__xss") is None
    assert dialogs == []
    assert (
        page.locator("#iv-chat [onerror], #iv-chat script, #iv-report script, #iv-card script").count() == 0
    )


def test_a_100k_character_paste_gets_the_message_and_keeps_the_text(page: Page) -> None:
    start(page, questions=1)
    huge = "gradient descent " * 5_883 + "ok"  # 100,013 characters
    box = page.locator("#iv-answer textarea")
    box.evaluate(
        "(el, text) => { el.value = text; el.dispatchEvent(new Event('input', {bubbles: true})); }", huge
    )
    page.click("#iv-send")
    expect(page.locator("#iv-notice")).to_contain_text("the limit is 8,000", timeout=30_000)
    assert box.input_value() == huge
    assert page.locator(".toast-body").count() == 0  # no error pop-up from the server
    expect(page.locator("#iv-chat")).not_to_contain_text("gradient descent gradient")
    page.screenshot(path=str(ARTIFACTS / "answer-too-long.png"))


def test_the_exam_clock_sends_the_typed_answer_when_time_runs_out(page: Page) -> None:
    page.locator("#iv-mode label", has_text="exam").click()
    set_number(page, "iv-time-limit", 10)
    start(page, questions=1)
    expect(page.locator(".iv-clock")).to_contain_text("Time left: 0:", timeout=5_000)
    expect(page.locator("#iv-hint")).to_be_hidden()  # no hints or answers in an exam
    expect(page.locator("#iv-reveal")).to_be_hidden()
    page.locator("#iv-answer textarea").fill("An answer typed just before the time ran out.")
    expect(page.locator("#iv-chat")).to_contain_text("That's the end of the interview", timeout=30_000)
    expect(page.locator("#iv-chat")).to_contain_text("An answer typed just before the time ran out.")


def test_history_opens_a_past_report(page: Page) -> None:
    start(page, questions=1)
    page.click("#iv-end")
    expect(page.locator("#iv-report")).to_contain_text("Overall score", timeout=30_000)
    session_id = page.url.split("session=")[1]
    page.get_by_role("tab", name="History").click()
    expect(page.locator("#iv-history")).to_contain_text(session_id, timeout=15_000)
    page.locator("#iv-history-pick input").click()
    page.get_by_role("option", name=session_id).click()
    page.click("#iv-history-open")
    expect(page.locator("#iv-history-report")).to_contain_text(f"Session {session_id}", timeout=15_000)
    page.screenshot(path=str(ARTIFACTS / "history.png"), full_page=True)
