"""The Progress tab in a real browser (Debian's Chromium driven by Playwright): its chart at 1280 px and at phone
size (390 x 844), the number due on the set-up panel, and "Practice what's due" from the tab.

Three sessions are played first through gradio_client, which sends no cookie, so they belong to no one and a page
without a password shows them to every browser. Screenshots go to tests/artifacts/ and /tmp/shots/progress/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client
from playwright.sync_api import Browser, Page, expect, sync_playwright

from interviewer.content.loader import Bank
from tests.test_browser import ARGS, ARTIFACTS, CHROMIUM, LOCAL
from tests.web_server import TOPICS, serve_in_process

pytestmark = pytest.mark.slow

SHOTS = Path("/tmp/shots/progress")
POOR = "I think it has something to do with the data, but I am not sure."


def texts(chat: list[dict[str, Any]]) -> list[str]:
    return [
        "".join(p.get("text", "") for p in m["content"])
        if isinstance(m["content"], list)
        else str(m["content"])
        for m in chat
    ]


def play(client: Client, bank: Bank, topic: str, answers: list[str]) -> list[str]:
    """A study session on `topic`, each answer "good" (the reference answer) or "poor"; the questions asked."""
    out = client.predict([topic], [], [], len(answers), 0, "study", 0, "", api_name="/start")
    session_id, questions = out[0], []
    for kind in answers:
        question = next(t for t in reversed(texts(out[1])) if t.startswith("Question ")).split(": ", 1)[1]
        entry = next(e for e in bank.entries.values() if e.question == question)
        questions.append(question)
        out = client.predict(
            session_id, entry.reference_answer if kind == "good" else POOR, api_name="/answer"
        )
    return questions


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, embedder: Any, bank: Bank
) -> Iterator[tuple[str, set[str]]]:
    """The page, with three sessions played: the first topic from poor to good, and the second topic twice.
    Yields its address and the questions due: answered poorly, and not well since."""
    page, url = serve_in_process(tmp_path_factory.mktemp("browser-progress"), embedder)
    client = Client(url, verbose=False)
    poor = play(client, bank, TOPICS[0], ["poor", "poor"])
    play(client, bank, TOPICS[1], ["good"])
    good = play(client, bank, TOPICS[0], ["good", "good"])  # may ask a poor one again, and so take it off
    play(client, bank, TOPICS[1], ["good"])
    yield url, set(poor) - set(good)
    page.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=[(1280, 1000), (390, 844)], ids=["desktop", "phone"])
def page(request: pytest.FixtureRequest, browser: Browser, server: tuple[str, set[str]]) -> Iterator[Page]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    blocked: list[str] = []

    def only_local(route: Any) -> None:
        if LOCAL.match(route.request.url) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    tab = context.new_page()
    tab.goto(server[0])
    expect(tab.locator("#iv-status")).to_contain_text("Grading is ready", timeout=60_000)
    yield tab
    context.close()
    assert blocked == [], f"the page tried to reach the network: {blocked}"


def shoot(page: Page, name: str) -> None:
    for folder in (ARTIFACTS, SHOTS):
        page.screenshot(path=str(folder / name), full_page=True)


def test_the_progress_tab_plots_each_topic_and_practises_what_is_due(
    page: Page, server: tuple[str, set[str]]
) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 1280
    size = "phone" if width < 500 else "desktop"
    due_count = len(server[1])
    assert due_count >= 1
    noun = "question is" if due_count == 1 else "questions are"
    expect(page.locator("#iv-due-line")).to_contain_text(f"{due_count} {noun} due for practice")
    shoot(page, f"setup-due-{size}.png")

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
    shoot(page, f"progress-{size}.png")

    page.click("#iv-progress-practice-due")
    chat = page.locator("#iv-chat")
    expect(chat).to_contain_text(f"Question 1 of {due_count}", timeout=30_000)  # on the Interview tab
    first = re.search(rf"Question 1 of {due_count}: (.+)", chat.inner_text())
    assert first is not None and first.group(1).strip() in server[1]
    expect(page.locator("#iv-notice")).to_contain_text("Practising what's due")
    page.click("#iv-end")
    expect(page.locator("#iv-report")).to_contain_text("Overall score", timeout=30_000)
    shoot(page, f"practice-due-{size}.png")
