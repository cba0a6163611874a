"""Try again on the page, through gradio_client against the real server (real MiniLM, ChromaDB and SQLite).

Two users with `INTERVIEWER_AUTH`: one answers a question poorly, tries again with a better answer and sees what
changed; the other cannot retry her session's question. A running exam's questions cannot be retried until it
ends.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client

from interviewer.content.loader import Bank
from tests.web_support import USERS, Site, site_with_users, start, texts

pytestmark = pytest.mark.slow

QUESTION = "precision-vs-recall"
POOR = "Precision is about <b>positives</b>."
BETTER = (
    "Precision is TP / (TP + FP): of the predicted positives, the share that are truly positive. "
    "Recall is TP / (TP + FN): of the actual positives, the share the model finds."
)


def untouched(output: Any) -> bool:
    """Whether the handler left this output as it was (a skip; the chat's carries empty props)."""
    return isinstance(output, dict) and output.get("__type__") == "update"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Site]:
    """The page with two users (the `ada` and `grace` fixtures in conftest.py log in to it)."""
    two = {user: USERS[user] for user in ("ada", "grace")}
    with site_with_users(tmp_path_factory.mktemp("retry"), embedder, two) as served:
        yield served


def start_on_precision(client: Client, mode: str = "study", count: int = 1) -> tuple:
    """An interview whose first question is precision-vs-recall ("Ask me about" finds it alone)."""
    topics = ["evaluation-metrics"]
    out = start(client, topics=topics, count=count, mode=mode, ask_about="precision and recall")
    assert texts(out[1])[0].startswith(
        "Question 1 of 1: What is the difference between precision and recall?"
    )
    return out


def test_try_again_with_a_better_answer_shows_points_gained_the_delta_and_the_diff(
    site: Site, ada: Client, bank: Bank
) -> None:
    out = start_on_precision(ada)
    first_id = out[0]
    out = ada.predict(first_id, POOR, api_name="/answer")
    assert texts(out[1])[-1].startswith("That's the end of the interview")
    before = float(re.search(r'class="iv-score">([\d.]+)/10', out[4]).group(1))  # type: ignore[union-attr]
    assert f'data-session="{first_id}" data-entry="{QUESTION}">Try again</button>' in out[4]  # on the card
    assert f'data-entry="{QUESTION}">Try again</button>' in out[5]  # and on the report's row

    out = ada.predict(first_id, QUESTION, api_name="/retry")
    retry_id, chat, notice, card = out[0], texts(out[1]), out[3], out[4]
    assert retry_id not in ("", first_id) and len(retry_id) == 32
    assert chat == ["Question 1 of 1: What is the difference between precision and recall?"]
    assert f"compared with your last attempt ({before:g}/10" in notice
    assert "Trying again" in card and f"scored <b>{before:g}/10</b>" in card
    assert (
        html.escape(POOR, quote=False) in card and "<b>positives" not in card
    )  # the earlier answer, escaped

    out = ada.predict(retry_id, BETTER, api_name="/answer")
    card = out[4]
    after = float(re.search(r'class="iv-score">([\d.]+)/10', card).group(1))  # type: ignore[union-attr]
    delta = float(re.search(r'data-testid="delta">([+\-±\d.]+)<', card).group(1).replace("±", ""))  # type: ignore[union-attr]
    assert after > before and delta == pytest.approx(round(after - before, 1)) and delta > 0
    gained = card.split('data-testid="gained">')[1].split("</ul>")[0]
    points = bank.get(QUESTION).key_points
    assert points[0].text in gained and points[1].text in gained  # precision's and recall's definitions
    assert "Key points lost" not in card
    diff = card.split('data-testid="diff">')[1].split("</div>")[0]
    assert "<del>about &lt;b&gt;positives&lt;/b&gt;.</del>" in diff
    assert "<ins>TP / (TP + FP): of the predicted positives" in diff
    assert card.index("Compared with your last attempt") < card.index('class="iv-card"')

    # Both attempts are rows of History; the exported report has no buttons.
    assert {first_id, retry_id} <= {s.id for s in site.store.history(owner="user:ada", unowned=False)}
    ada.predict(api_name="/history")  # History lists it, so it may be opened
    report = ada.predict(retry_id, api_name="/open_report")
    assert f'data-session="{retry_id}" data-entry="{QUESTION}">Try again</button>' in report[0]
    assert "iv-retry" not in Path(report[3]["value"]).read_text()  # the HTML download


def test_another_user_cannot_retry_her_question(site: Site, ada: Client, grace: Client) -> None:
    ada_id = start_on_precision(ada)[0]
    ada.predict(ada_id, POOR, api_name="/answer")
    sessions = site.store.history(limit=1000, owner="user:grace", unowned=True)

    out = grace.predict(ada_id, QUESTION, api_name="/retry")
    assert "No interview of yours has the id" in out[3]
    assert untouched(out[0]) and untouched(out[1]) and untouched(out[4])  # nothing of hers shown or started
    assert site.store.history(limit=1000, owner="user:grace", unowned=True) == sessions
    assert POOR not in str(out)


def test_a_running_exam_cannot_be_retried_until_it_ends(site: Site, ada: Client, bank: Bank) -> None:
    out = ada.predict(["evaluation-metrics"], [], [], 2, 0, "exam", 0, "", api_name="/start")
    exam_id = out[0]
    question = texts(out[1])[0].split(": ", 1)[1]
    entry = next(e for e in bank.entries.values() if e.question == question)
    ada.predict(exam_id, "An answer in the exam.", api_name="/answer")

    out = ada.predict(exam_id, entry.id, api_name="/retry")
    assert "Try again opens once this exam has ended" in out[3]
    assert untouched(out[0]) and untouched(out[4])
    ada.predict(api_name="/history")
    opened = ada.predict(exam_id, api_name="/open_report")[0]
    assert "iv-retry" not in opened  # History's view of a running exam offers no Try again

    ada.predict(exam_id, api_name="/end")
    out = ada.predict(exam_id, entry.id, api_name="/retry")
    assert not untouched(out[0]) and out[0] not in ("", exam_id) and "Trying the question again" in out[3]
    assert "An answer in the exam." in out[4]  # the exam's answer, now it has ended, is the one compared with
