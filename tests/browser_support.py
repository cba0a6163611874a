"""Driving the page in Debian's Chromium through Playwright (never `playwright install`), for the browser tests.

A page opened here aborts every request that would leave 127.0.0.1 and fails its test if there was one, so no
browser test can reach the network. Screenshots go to tests/artifacts/ (ignored by git); `make test` installs
Chromium first (`.ci/ensure-packages`, apt-get as root).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Dialog, Page, Route, expect, sync_playwright

from interviewer.config import PROJECT_DIR

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
PRECISION_AND_RECALL = "What is the difference between precision and recall?"


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    assert CHROMIUM.exists(), (
        "Chromium is missing: run `bash .ci/ensure-packages` (apt-get install -y chromium)."
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def keep_local(context: BrowserContext) -> list[str]:
    """Aborts every request of `context` that would leave this machine; returns the list each is added to."""
    blocked: list[str] = []

    def only_local(route: Route) -> None:
        if LOCAL.match(route.request.url) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    return blocked


def goto_ready(page: Page, url: str) -> None:
    """Opens `url` and waits until the page says grading is ready (the first visit builds the index)."""
    page.goto(url)
    expect(page.locator("#iv-status")).to_contain_text("Grading is ready", timeout=60_000)


@contextmanager
def open_page(
    browser: Browser, url: str, *, width: int = 1280, height: int = 1000, refuse_dialogs: bool = False
) -> Iterator[Page]:
    """The page at `url` in a fresh browser context, once grading is ready. On leaving, fails if the page tried
    to reach the network, and with `refuse_dialogs`, if a dialog opened (an alert() from an answer's text)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(accept_downloads=True, viewport={"width": width, "height": height})
    blocked = keep_local(context)
    dialogs: list[str] = []
    tab = context.new_page()
    if refuse_dialogs:

        def refuse(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        tab.on("dialog", refuse)
    goto_ready(tab, url)
    yield tab
    context.close()
    assert blocked == [], f"the page tried to reach the network: {blocked}"
    assert dialogs == [], f"text from an answer ran as script: {dialogs}"


def shoot(page: Page, name: str, *, also: Path | None = None) -> None:
    """A full-page screenshot in tests/artifacts/, and a copy in `also` (a folder to look at) if given."""
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    if also is not None:
        also.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, also / name)


def set_number(page: Page, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def start(
    page: Page,
    questions: int = 2,
    follow_ups: int = 0,
    *,
    mode: str = "study",
    about: str = "",
    first: str = "",
) -> None:
    """Sets up an interview on the set-up panel and starts it; waits for "Question 1 of <questions>: <first>".
    `about` goes in "Ask me about…"."""
    if mode == "exam":
        page.locator("#iv-mode label", has_text="exam").click()
    set_number(page, "iv-count", questions)
    set_number(page, "iv-follow-ups", follow_ups)
    if about:
        page.locator("textarea[placeholder^='e.g. regularisation']").fill(about)
    page.click("#iv-start")
    asked = f"Question 1 of {questions}" + (f": {first}" if first else "")
    expect(page.locator("#iv-chat")).to_contain_text(asked, timeout=30_000)


def send(page: Page, answer: str) -> None:
    page.locator("#iv-answer textarea").fill(answer)
    page.click("#iv-send")


def open_history_row(page: Page, row: int) -> None:
    page.get_by_role("tab", name="History").click()
    table = page.locator("#iv-history")
    expect(table).to_contain_text("/10", timeout=15_000)
    table.locator(f"[data-testid=cell-{row}-1]").click()  # the row's score
