"""The page in a real browser: Debian's Chromium driven by Playwright (never `playwright install`).

`make test` installs Chromium first (`.ci/ensure-packages`, apt-get as root). Requests that would leave
127.0.0.1 are aborted, so the browser reaches nothing but the page. Screenshots and the downloaded
transcript are written to tests/artifacts/ (ignored by git).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from interviewer.content.loader import Bank
from tests.browser_support import ARTIFACTS, open_history_row, open_page, send, set_number, start
from tests.web_server import served

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[str]:
    if url := os.environ.get("INTERVIEWER_BROWSER_URL"):  # drive a page already serving, e.g. from `make run`
        yield url
        return
    with served(tmp_path_factory.mktemp("browser"), embedder) as url:
        yield url


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    with open_page(browser, server) as tab:
        yield tab


def current_entry(page: Page, bank: Bank, number: int, total: int):
    text = page.locator("#iv-chat").inner_text()
    question = text.split(f"Question {number} of {total}: ", 1)[1].splitlines()[0].strip()
    return next(e for e in bank.entries.values() if e.question == question)


def bot_messages(page: Page) -> list[str]:
    return page.locator("#iv-chat .message.bot").all_inner_texts()


def test_a_two_question_session_with_score_card_report_refresh_and_download(page: Page, bank: Bank) -> None:
    expect(page.locator("#iv-chat")).to_contain_text("Welcome")  # a one-line introduction on a first visit
    expect(page.locator("footer")).not_to_contain_text("API")  # no "Use via API" on a candidate's page
    start(page)
    first = current_entry(page, bank, 1, 2)
    send(page, first.reference_answer)
    card = page.locator("#iv-card")
    expect(card).to_contain_text("Key points", timeout=30_000)
    expect(card).to_contain_text("offline grader")
    expect(card.locator("mark.covered").first).to_be_visible()
    expect(card.locator("details summary")).to_have_text("Reference answer")
    expect(page.locator("#iv-chat")).to_contain_text("Question 2 of 2")
    feedback, question = bot_messages(page)[-2:]  # the next question in a bubble of its own
    assert feedback.startswith("Score: ") and "Question 2" not in feedback
    assert question.startswith("Question 2 of 2: ")
    clear = page.locator("#iv-chat button[aria-label=Clear]")  # the trash icon would wipe the question
    assert clear.count() == 0 or not clear.first.is_visible()
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
    expect(report.locator("[data-testid=questions] tr")).to_have_count(3)  # the per-question table
    expect(report.locator("details.iv-reference").first).to_be_attached()  # the reference answers
    expect(report.locator(".iv-who", has_text="You answered").first).to_be_visible()
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
    expect(page.locator("#iv-time-limit")).to_be_hidden()  # the time limit is for exams only
    page.locator("#iv-mode label", has_text="exam").click()
    expect(page.locator("#iv-time-limit")).to_be_visible()
    expect(page.locator("#iv-time-limit")).to_contain_text("2 s late")  # the grace period, said
    set_number(page, "iv-time-limit", 10)
    start(page, questions=1)
    expect(page.locator(".iv-clock")).to_contain_text("Time left: 0:", timeout=5_000)
    expect(page.locator("#iv-hint")).to_be_hidden()  # no hints or answers in an exam
    expect(page.locator("#iv-reveal")).to_be_hidden()
    page.locator("#iv-answer textarea").fill("An answer typed just before the time ran out.")
    expect(page.locator("#iv-notice")).to_contain_text("Time's up", timeout=30_000)
    expect(page.locator("#iv-chat")).to_contain_text("That's the end of the interview", timeout=30_000)
    expect(page.locator("#iv-chat")).to_contain_text("An answer typed just before the time ran out.")
    report = page.locator("#iv-report")
    expect(report.locator("[data-testid=questions] th", has_text="Time")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "exam-times-up.png"), full_page=True)


def test_history_rows_open_their_reports(page: Page, bank: Bank) -> None:
    start(page, questions=1)
    asked = current_entry(page, bank, 1, 1)
    page.click("#iv-end")
    expect(page.locator("#iv-report")).to_contain_text("Overall score", timeout=30_000)
    session_id = page.url.split("session=")[1]
    open_history_row(page, 0)  # the latest first
    table = page.locator("#iv-history")
    expect(table).not_to_contain_text(session_id)  # no opaque ids
    expect(table.locator("thead")).to_contain_text("date")
    report = page.locator("#iv-history-report")
    expect(report).to_contain_text("Interview report", timeout=15_000)
    expect(report).to_contain_text(asked.question)
    page.screenshot(path=str(ARTIFACTS / "history.png"), full_page=True)


def test_a_phone_sized_session(page: Page, bank: Bank) -> None:
    """390 x 844: the buttons fit, the score card is close below them, the charts fit; History opens."""
    page.set_viewport_size({"width": 390, "height": 844})
    start(page, questions=2)
    send(page, current_entry(page, bank, 1, 2).reference_answer[:200])
    card = page.locator("#iv-card")
    expect(card).to_contain_text("Key points", timeout=30_000)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # nothing sticks out
    buttons = [page.locator(f"#iv-{name}") for name in ("send", "skip", "hint", "repeat", "dont_know", "end")]
    for button in buttons:
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    below_send = card.bounding_box()["y"] - page.locator("#iv-send").bounding_box()["y"]  # type: ignore[index]
    assert below_send < 200, below_send  # not seven full-width buttons between: the commands are compact
    page.locator("#iv-answer textarea").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "phone-score-card.png"))
    page.click("#iv-end")
    report = page.locator("#iv-report")
    expect(report).to_contain_text("Overall score", timeout=30_000)
    for chart in report.locator("svg.iv-chart").all():
        box = chart.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390  # charts scale to fit
    report.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "phone-report.png"), full_page=True)
    open_history_row(page, 0)
    expect(page.locator("#iv-history-report")).to_contain_text("Interview report", timeout=15_000)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "phone-history.png"), full_page=True)
