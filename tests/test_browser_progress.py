"""The Progress tab in a real browser (Debian's Chromium driven by Playwright): its chart at 1280 px and at phone
size (390 x 844), the number due on the set-up panel, and "Practice what's due" from the tab.

Four sessions are played first through gradio_client, which sends no cookie, so they belong to no one and a page
without a password shows them to every browser. Screenshots go to tests/artifacts/ and /tmp/shots/progress/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client
from playwright.sync_api import Browser, Page, expect

from interviewer.content.loader import Bank
from tests.browser_support import open_page, shoot
from tests.web_server import TOPICS, served
from tests.web_support import play

pytestmark = pytest.mark.slow

SHOTS = Path("/tmp/shots/progress")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, embedder: Any, bank: Bank
) -> Iterator[tuple[str, set[str]]]:
    """The page, with four sessions played: the first topic from poor to better, and the second topic twice.
    Yields its address and the questions due: answered poorly, and not well since."""
    with served(tmp_path_factory.mktemp("browser-progress"), embedder) as url:
        client = Client(url, verbose=False)
        poor = play(client, bank, ["poor", "poor"], topic=TOPICS[0])
        play(client, bank, ["good"], topic=TOPICS[1])
        # This one may ask both poor ones again: the first stays poor, so at least one is due whatever is drawn.
        kept = poor[0].question
        good = play(client, bank, ["good", "good"], topic=TOPICS[0], poorly={kept})
        play(client, bank, ["good"], topic=TOPICS[1])
        yield url, {e.question for e in poor} - ({e.question for e in good} - {kept})


@pytest.fixture(params=[(1280, 1000), (390, 844)], ids=["desktop", "phone"])
def page(request: pytest.FixtureRequest, browser: Browser, server: tuple[str, set[str]]) -> Iterator[Page]:
    width, height = request.param
    with open_page(browser, server[0], width=width, height=height) as tab:
        yield tab


def test_the_progress_tab_plots_each_topic_and_practises_what_is_due(
    page: Page, server: tuple[str, set[str]]
) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 1280
    size = "phone" if width < 500 else "desktop"
    due_count = len(server[1])
    assert due_count >= 1
    noun = "question is" if due_count == 1 else "questions are"
    expect(page.locator("#iv-due-line")).to_contain_text(f"{due_count} {noun} due for practice")
    shoot(page, f"setup-due-{size}.png", also=SHOTS)

    page.get_by_role("tab", name="Progress").click()
    summary = page.locator("#iv-progress-summary")
    expect(summary).to_contain_text("4 sessions", timeout=15_000)
    expect(summary).to_contain_text(f"{due_count} {noun} due")
    chart = page.locator("svg.iv-progress-chart")
    expect(chart).to_be_visible()
    assert chart.locator("circle.iv-dot").count() == 4  # two sessions of each of two topics, and their lines
    assert chart.locator("polyline").count() == 2
    box = chart.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width  # it fits the screen
    assert box["height"] > 120  # and is still a chart to read, not a strip
    legend = page.locator("#iv-progress-chart .iv-legend")
    expect(legend).to_contain_text(f"{TOPICS[0]}:")
    expect(legend).to_contain_text(f"{TOPICS[1]}:")
    expect(page.locator("#iv-progress-due")).to_contain_text("due now")
    expect(page.locator("#iv-progress-missed")).to_contain_text("Key points you miss most")
    expect(page.locator("#iv-progress-untried")).to_contain_text("Never tried")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width  # nothing sticks out
    chart.scroll_into_view_if_needed()
    shoot(page, f"progress-{size}.png", also=SHOTS)

    page.click("#iv-progress-practice-due")
    chat = page.locator("#iv-chat")
    expect(chat).to_contain_text(f"Question 1 of {due_count}", timeout=30_000)  # on the Interview tab
    first = re.search(rf"Question 1 of {due_count}: (.+)", chat.inner_text())
    assert first is not None and first.group(1).strip() in server[1]
    expect(page.locator("#iv-notice")).to_contain_text("Practising what's due")
    page.click("#iv-end")
    expect(page.locator("#iv-report")).to_contain_text("Overall score", timeout=30_000)
    shoot(page, f"practice-due-{size}.png", also=SHOTS)
