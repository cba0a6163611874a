"""Try again on the page, in a real browser (Debian's Chromium, driven by Playwright): a poor answer, Try again from
the score card with a better one, the comparison and its word diff at 1280 px and on a phone (390 x 844), and Try
again from a History row.

Screenshots go to tests/artifacts/ and /tmp/shots/retry/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright

from interviewer.content.loader import Bank
from tests.test_browser import ARGS, ARTIFACTS, CHROMIUM, LOCAL, open_history_row, send, set_number
from tests.web_server import serve_in_process

pytestmark = pytest.mark.slow

SHOTS = Path("/tmp/shots/retry")
POOR = "Precision is about positives. <img src=x onerror=alert(1)>"
BETTER = (
    "Precision is TP / (TP + FP): of the predicted positives, the share that are truly positive.\n\n"
    "Recall is TP / (TP + FN): of the actual positives, the share the model finds. "
    "Which to favour depends on the cost of false positives against false negatives."
)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[str]:
    page, address = serve_in_process(tmp_path_factory.mktemp("retry-browser"), embedder)
    yield address
    page.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Chromium is missing: run `bash .ci/ensure-chromium`."
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, url: str) -> Iterator[Page]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    blocked: list[str] = []
    dialogs: list[str] = []

    def only_local(route: Any) -> None:
        if LOCAL.match(route.request.url) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    tab = context.new_page()

    def refuse(dialog: Dialog) -> None:  # an alert() from an answer's text would land here
        dialogs.append(dialog.message)
        dialog.dismiss()

    tab.on("dialog", refuse)
    tab.goto(url)
    expect(tab.locator("#iv-status")).to_contain_text("Grading is ready", timeout=60_000)
    yield tab
    context.close()
    assert blocked == [], f"the page tried to reach the network: {blocked}"
    assert dialogs == [], f"text from an answer ran as script: {dialogs}"


def shot(page: Page, name: str) -> None:
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    shutil.copy(path, SHOTS / name)


def start_on_precision(page: Page) -> None:
    set_number(page, "iv-count", 1)
    set_number(page, "iv-follow-ups", 0)
    page.locator("textarea[placeholder^='e.g. regularisation']").fill("precision and recall")
    page.click("#iv-start")
    expect(page.locator("#iv-chat")).to_contain_text(
        "Question 1 of 1: What is the difference between precision and recall?", timeout=30_000
    )


def test_try_again_from_the_card_shows_the_diff_at_desktop_and_phone_size(page: Page, bank: Bank) -> None:
    start_on_precision(page)
    send(page, POOR)
    card = page.locator("#iv-card")
    expect(card).to_contain_text("Key points", timeout=60_000)
    first = page.url.split("session=")[1]

    card.get_by_role("button", name="Try again").click()
    expect(card).to_contain_text("Trying again", timeout=30_000)
    expect(page.locator("#iv-notice")).to_contain_text("compared with your last attempt")
    expect(page.locator("#iv-chat")).not_to_contain_text("Precision is about positives")  # a new interview
    assert page.url.split("session=")[1] != first  # and the address names it, for a refresh

    send(page, BETTER)
    comparison = page.locator("[data-testid=comparison]")
    expect(comparison).to_contain_text("Compared with your last attempt", timeout=60_000)
    expect(comparison.locator("[data-testid=delta]")).to_contain_text("+")
    gained = comparison.locator("[data-testid=gained]")
    points = bank.get("precision-vs-recall").key_points
    expect(gained).to_contain_text(points[0].text)
    expect(gained).to_contain_text(points[1].text)
    diff = comparison.locator("[data-testid=diff]")
    expect(diff.locator("del").first).to_contain_text("about positives.")
    expect(diff.locator("del").first).to_contain_text("<img src=x onerror=alert(1)>")  # shown as text
    expect(diff.locator("ins").first).to_contain_text("TP / (TP + FP)")
    assert diff.locator("img").count() == 0
    assert diff.locator("del").first.evaluate("e => getComputedStyle(e).textDecorationLine") == "line-through"
    comparison.scroll_into_view_if_needed()
    shot(page, "retry-diff-1280.png")

    page.set_viewport_size({"width": 390, "height": 844})
    comparison.scroll_into_view_if_needed()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # nothing sticks out
    box = diff.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390  # the diff wraps on a phone
    assert box["height"] > 3 * 20  # over several lines
    page.screenshot(path=str(ARTIFACTS / "retry-diff-390.png"))  # the screen as the phone shows it
    shutil.copy(ARTIFACTS / "retry-diff-390.png", SHOTS / "retry-diff-390.png")
    shot(page, "retry-diff-390-full.png")


def test_try_again_from_a_history_row(page: Page, bank: Bank) -> None:
    start_on_precision(page)
    send(page, "Precision counts the predicted positives that are right.")
    expect(page.locator("#iv-report")).to_contain_text("Overall score", timeout=60_000)
    open_history_row(page, 0)
    report = page.locator("#iv-history-report")
    expect(report).to_contain_text("Interview report", timeout=15_000)
    row = report.locator("[data-testid=questions] tr", has_text="precision and recall")
    row.get_by_role("button", name="Try again").click()

    expect(page.get_by_role("tab", name="Interview")).to_have_attribute(
        "aria-selected", "true", timeout=30_000
    )
    expect(page.locator("#iv-card")).to_contain_text("Trying again", timeout=30_000)
    expect(page.locator("#iv-card")).to_contain_text(
        "Precision counts the predicted positives"
    )  # the answer then
    expect(page.locator("#iv-chat")).to_contain_text(
        "Question 1 of 1: What is the difference between precision"
    )
    shot(page, "retry-from-history-1280.png")
