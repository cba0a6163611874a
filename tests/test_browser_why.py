"""Why did I lose points, on the page, in a real browser (Debian's Chromium, driven by Playwright): offline,
and with the scripted OpenAI-compatible server as the LLM, in study and exam mode.

Screenshots of the explanation at 1280 and 390 pixels wide go to tests/artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from interviewer.content.loader import Bank
from tests.browser_support import ARTIFACTS, PRECISION_AND_RECALL, open_page, send, start
from tests.openai_server import OpenAIServer, Received, Reply, judgement, read_grading_request
from tests.web_server import served

pytestmark = pytest.mark.slow

WEAK = (
    "Precision is TP / (TP + FN), the share of the real positives that the model flags. "
    "Recall is how many positives we find. "
    "Raising the threshold increases recall and lowers precision."
)
EXPLANATION = (
    "Your sentence on precision gives the formula for recall, so it earned nothing. Your recall sentence was too "
    "vague to count. Add what recall is a share of, and how the threshold trades the two."
)
# Records every text the conversation showed, as it changed, so a test can check what was ever on screen.
WATCH_WHY = """
() => {
  window.__whySeen = [];
  const watch = () => {
    const box = document.querySelector("#iv-why");
    if (!box) return setTimeout(watch, 50);
    new MutationObserver(() => window.__whySeen.push(box.innerText))
      .observe(box, {subtree: true, childList: true, characterData: true});
  };
  watch();
}
"""


@pytest.fixture(scope="module")
def offline_url(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[str]:
    with served(tmp_path_factory.mktemp("why-offline"), embedder) as url:
        yield url


@pytest.fixture(scope="module")
def llm_url(
    tmp_path_factory: pytest.TempPathFactory, embedder: Any, llm_server: OpenAIServer
) -> Iterator[str]:
    with served(
        tmp_path_factory.mktemp("why-llm"),
        embedder,
        OPENAI_BASE_URL=llm_server.url,
        llm_model="test-model",
        llm_timeout=10,
    ) as url:
        yield url


@pytest.fixture
def offline_page(browser: Browser, offline_url: str) -> Iterator[Page]:
    with open_page(browser, offline_url) as page:
        yield page


@pytest.fixture
def llm_page(browser: Browser, llm_url: str, llm: OpenAIServer) -> Iterator[Page]:
    with open_page(browser, llm_url) as page:
        yield page


def start_on_precision_and_recall(page: Page, mode: str = "study") -> None:
    """One question, chosen by "Ask me about…": precision-vs-recall; one follow-up, so the interview goes on."""
    about = "the difference between precision and recall"
    start(page, 1, 1, mode=mode, about=about, first=PRECISION_AND_RECALL)


def ask_why(page: Page, question: str = "") -> None:
    if question:
        page.locator("#iv-why-question textarea").fill(question)
    page.click("#iv-why-ask")


def test_offline_why_explains_each_key_point_on_the_page(offline_page: Page, bank: Bank) -> None:
    page = offline_page
    start_on_precision_and_recall(page)
    expect(page.locator("#iv-why")).to_be_hidden()  # nothing to show before a question is asked
    send(page, WEAK)
    expect(page.locator("#iv-card")).to_contain_text("Key points", timeout=60_000)
    ask_why(page)
    why = page.locator("#iv-why")
    expect(why).to_contain_text("Graded by the offline grader", timeout=30_000)
    expect(why).to_contain_text("Why did I lose points?")  # the question, as asked
    expect(why).to_contain_text("Your words:")
    # The reversed threshold is in doubt (the pair model, which called it wrong, is off by default).
    expect(why).to_contain_text(
        "“Raising the threshold increases recall and lowers precision” may say the opposite"
    )
    expect(why).to_contain_text("Words of this point your answer never uses")
    expect(why).to_contain_text("Recall, not Precision:")  # the wrong claim and its correction
    page.locator("#iv-why-ask").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "why-offline-1280.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    why.scroll_into_view_if_needed()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # nothing sticks out
    page.screenshot(path=str(ARTIFACTS / "why-offline-390.png"), full_page=True)

    # The next answer starts a new conversation: the old one goes.
    send(page, "Precision is TP / (TP + FP).")
    expect(page.locator("#iv-chat")).to_contain_text("end of the interview", timeout=60_000)
    expect(why).to_be_hidden()


def test_offline_why_in_an_exam_shows_no_reference_score_or_key_point(offline_page: Page, bank: Bank) -> None:
    page = offline_page
    entry = bank.get("precision-vs-recall")
    start_on_precision_and_recall(page, mode="exam")
    send(page, WEAK)
    expect(page.locator("#iv-answer textarea")).to_have_value("", timeout=60_000)  # graded; the box emptied
    ask_why(page)
    why = page.locator("#iv-why")
    expect(why).to_contain_text("Exam mode", timeout=30_000)
    expect(why).to_contain_text("Raising the threshold increases recall and lowers precision")  # their words
    text = page.locator("body").inner_text()
    assert "/10" not in why.inner_text()
    for point in entry.key_points:
        assert point.text not in text
    assert entry.reference_answer[:60] not in text
    page.screenshot(path=str(ARTIFACTS / "why-offline-exam-1280.png"), full_page=True)


def script(reply: str):
    def respond(received: Received) -> Reply:
        if received.kind == "text":
            return Reply(content=reply, delay=0.3)
        if received.kind == "grade":
            request = read_grading_request(received)
            follow_up = {"action": "follow_up", "key_point": 2}
            return Reply.json(judgement(request, points={}, level=1, next_move=follow_up))
        return Reply.json({"question": "What is recall a share of?"})

    return respond


def test_with_an_llm_the_reply_streams_onto_the_page(llm_page: Page, llm: OpenAIServer, bank: Bank) -> None:
    page = llm_page
    llm.responder = script(EXPLANATION)
    start_on_precision_and_recall(page)
    send(page, WEAK)
    expect(page.locator("#iv-card")).to_contain_text("Key points", timeout=60_000)
    ask_why(page, "Why did my precision sentence earn nothing?")
    why = page.locator("#iv-why")
    expect(why).to_contain_text(EXPLANATION, timeout=30_000)
    expect(why).to_contain_text("Why did my precision sentence earn nothing?")
    expect(page.locator("#iv-why-question textarea")).to_have_value("")
    (request,) = [r for r in llm.chat_requests if r.kind == "text"]
    assert request.body is not None and request.body["stream"] is True
    entry = bank.get("precision-vs-recall")
    assert entry.reference_answer in request.prompt and WEAK in request.prompt
    page.screenshot(path=str(ARTIFACTS / "why-llm-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    why.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "why-llm-390.png"), full_page=True)


def test_with_an_llm_in_an_exam_the_reference_never_reaches_the_model_or_the_screen(
    llm_page: Page, llm: OpenAIServer, bank: Bank
) -> None:
    page = llm_page
    entry = bank.get("precision-vs-recall")
    secret = "the share of the actual positives that the model found"
    assert secret in " ".join(entry.reference_answer.split())
    llm.responder = script(
        f"Your recall sentence was vague. In fact recall is {secret}. {entry.reference_answer}"
    )
    start_on_precision_and_recall(page, mode="exam")
    page.evaluate(WATCH_WHY)
    send(page, WEAK)
    expect(page.locator("#iv-chat")).to_contain_text("What is recall a share of?", timeout=60_000)
    ask_why(page)
    why = page.locator("#iv-why")
    expect(why).to_contain_text("The rest of this reply was withheld", timeout=30_000)
    expect(why).to_contain_text("Your recall sentence was vague.")
    seen = page.evaluate("() => window.__whySeen")
    assert seen, "the conversation never changed on screen"
    for text in [*seen, page.locator("body").inner_text()]:
        assert "actual positives that the model found" not in " ".join(text.split())
        assert entry.key_points[0].text not in text
    (request,) = [r for r in llm.chat_requests if r.kind == "text"]
    assert "actual positives that the model found" not in request.prompt
    assert not any(k.text in request.prompt for k in entry.key_points)
    page.screenshot(path=str(ARTIFACTS / "why-llm-exam-1280.png"), full_page=True)
