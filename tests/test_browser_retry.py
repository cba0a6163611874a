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
from playwright.sync_api import Browser, Page, expect

from interviewer.content.loader import Bank
from tests.browser_support import (
    ARTIFACTS,
    PRECISION_AND_RECALL,
    open_history_row,
    open_page,
    send,
    shoot,
    start,
)
from tests.web_server import served

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
    with served(tmp_path_factory.mktemp("retry-browser"), embedder) as address:
        yield address


@pytest.fixture
def page(browser: Browser, url: str) -> Iterator[Page]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with open_page(browser, url, refuse_dialogs=True) as tab:  # an alert() from an answer's text fails
        yield tab


def shot(page: Page, name: str) -> None:
    shoot(page, name, also=SHOTS)


def start_on_precision(page: Page) -> None:
    start(page, 1, 0, about="precision and recall", first=PRECISION_AND_RECALL)


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
