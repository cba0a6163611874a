"""Whole interviews through gradio_client against the real page (real MiniLM, real ChromaDB, real SQLite).

The server runs in this process on a free port, sharing the session's loaded model; its bank is a two-topic
copy so the index builds quickly.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_client import Client
from gradio_client.exceptions import ValidationError

from interviewer.content.loader import Bank
from interviewer.interview.storage import SessionStore
from tests.web_server import TOPICS, serve_in_process
from tests.web_support import asked_entry, start, texts

pytestmark = pytest.mark.slow


class Page:
    def __init__(self, page: gr.Blocks, url: str, root: Path):
        self.page, self.url, self.root = page, url, root
        self.store = SessionStore(root / "data" / "sessions.sqlite3")


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Page]:
    root = tmp_path_factory.mktemp("web")
    page, url = serve_in_process(root, embedder)
    yield Page(page, url, root)
    page.close()


@pytest.fixture
def client(web: Page) -> Client:
    return Client(web.url, verbose=False)


def test_study_session_shows_score_cards_and_ends_with_a_report_and_downloads(
    client: Client, bank: Bank
) -> None:
    out = start(client)
    session_id, chat = out[0], out[1]
    assert len(session_id) == 32 and texts(chat)[0].startswith("Question 1 of 2:")
    entry = asked_entry(bank, chat)

    out = client.predict(session_id, entry.reference_answer, api_name="/answer")
    said = texts(out[1])
    assert said[-3] == entry.reference_answer and said[-2].startswith("**Score: ")
    assert said[-1].startswith("Question 2 of 2:")
    card = out[4]
    assert "iv-score" in card and "offline grader" in card and "<b>covered</b>" in card
    assert '<mark class="covered">' in card  # the candidate's own sentence, highlighted as evidence
    assert "<summary>Reference answer</summary>" in card
    score = float(card.split('class="iv-score">')[1].split("/10")[0])
    assert score >= 6, card

    out = client.predict(session_id, api_name="/dont_know")
    assert texts(out[1])[-1].startswith("That's the end of the interview")
    report = out[5]
    assert "Overall score" in report and "<svg" in report and "Score per topic" in report
    assert entry.question in report
    md, js, html = (Path(d["value"]) for d in out[6:9])
    assert entry.question in md.read_text() and "Overall score" in md.read_text()
    data = json.loads(js.read_text())
    assert data["session_id"] == session_id and data["finished"] and len(data["questions"]) == 2
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and entry.question in page
    assert "<script" not in page and "<link" not in page and 'src="http' not in page  # self-contained


def test_exam_session_holds_feedback_until_the_report(client: Client, bank: Bank) -> None:
    out = start(client, mode="exam", follow_ups=1)
    session_id = out[0]
    for _ in range(6):
        if texts(out[1])[-1].startswith("That's the end"):
            break
        asked = texts(out[1])[-1]
        entry = asked_entry(bank, out[1])
        answer = entry.reference_answer if asked.startswith("Question") else "Some more detail about it."
        out = client.predict(session_id, answer, api_name="/answer")
        assert not any(t.startswith("**Score") for t in texts(out[1]))
        assert "Exam mode" in out[4]
    assert texts(out[1])[-1].startswith("That's the end")
    assert "iv-grade" in out[5] and "Overall score" in out[5]


def test_a_new_page_with_the_session_id_resumes_the_interview(client: Client, web: Page, bank: Bank) -> None:
    out = start(client)
    session_id = out[0]
    entry = asked_entry(bank, out[1])
    before = client.predict(session_id, entry.reference_answer, api_name="/answer")

    refreshed = Client(web.url, verbose=False)  # a new browser session: nothing carried over but the id
    resumed = refreshed.predict(session_id, api_name="/resume")
    assert texts(resumed[1]) == texts(before[1]) and resumed[4] == before[4]
    assert "Welcome back" in resumed[3]
    out = refreshed.predict(session_id, asked_entry(bank, resumed[1]).reference_answer, api_name="/answer")
    assert texts(out[1])[-1].startswith("That's the end")


def test_an_overlong_answer_is_refused_kept_and_never_recorded(client: Client, web: Page) -> None:
    out = start(client)
    session_id, chat = out[0], out[1]
    out = client.predict(session_id, "x" * 100_000, api_name="/answer")
    assert "100,000 characters; the limit is 8,000" in out[3]
    assert out[2] == {"__type__": "update"}  # the box is not touched: the typed text stays
    assert texts(out[1]) == texts(chat)
    assert web.store.answers(session_id) == []


def test_every_answer_is_written_to_sqlite(client: Client, web: Page) -> None:
    session_id = start(client)[0]
    client.predict(session_id, "Precision counts how many predicted positives are right.", api_name="/answer")
    assert web.store.answers(session_id) == [
        ("Precision counts how many predicted positives are right.", "graded")
    ]
    assert web.store.journal_mode == "wal"


def test_direct_rest_calls_cannot_skip_the_queue(client: Client, web: Page) -> None:
    session_id = start(client)[0]
    for route in ("run", "api"):
        request = urllib.request.Request(
            f"{web.url}gradio_api/{route}/answer",
            data=json.dumps({"data": [session_id, "an answer"]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as failure:
            urllib.request.urlopen(request, timeout=10)
        assert failure.value.code == 404 and "join the queue" in failure.value.read().decode()
    assert web.store.answers(session_id) == []


def test_ask_me_about_picks_matching_questions(client: Client) -> None:
    out = start(client, topics=[], ask_about="ROC curve and AUC")
    assert 'class="iv-info">Found 2 questions about “ROC curve and AUC”: ' in out[3]
    first = texts(out[1])[0].lower()
    listed = out[3].split("”: ", 1)[1].lower()  # the notice names the questions it found
    assert listed.count(" · ") == 1 and listed.count("roc") + listed.count("auc") >= 2
    assert "roc" in first or "auc" in first
    alone = start(client, topics=[], ask_about="precision and recall")  # the next match is far behind
    assert (
        "Found 1 question about “precision and recall”: What is the difference between precision" in alone[3]
    )


def test_ask_me_about_with_no_match_says_what_to_do(client: Client) -> None:
    out = start(client, topics=["linear-models"], ask_about="medieval french poetry and troubadours")
    assert 'class="iv-info">Nothing in the bank is close to “medieval french poetry' in out[3]
    assert "clear the" in out[3]
    assert out[0] == "" and out[1] == []
    escaped = start(client, topics=[], ask_about="<h1>zzqx</h1> <img src=x>")
    assert "<h1>" not in escaped[3] and "&lt;h1&gt;zzqx" in escaped[3]


def test_hint_reveal_and_exam_refusal(client: Client) -> None:
    session_id = start(client)[0]
    out = client.predict(session_id, api_name="/hint")
    assert texts(out[1])[-1].startswith("Hint: ")
    out = client.predict(session_id, api_name="/reveal")
    assert texts(out[1])[-1].startswith("Reference answer:")
    exam_id = start(client, mode="exam")[0]
    out = client.predict(exam_id, api_name="/reveal")
    assert "only in study mode" in out[3]
    out = client.predict(exam_id, api_name="/hint")
    assert "Hints are for study mode" in out[3]


def test_exam_time_limit_puts_a_clock_on_the_page(client: Client) -> None:
    out = start(client, mode="exam", time_limit=60)
    left = float(out[9].split('data-left="')[1].split('"')[0])  # seconds, so the browser's clock may differ
    assert 50 <= left <= 60
    out = start(client, mode="exam", time_limit=5)
    assert "between 10 and 3600 seconds" in out[3]


def test_history_lists_sessions_and_opens_their_reports(client: Client) -> None:
    session_id = start(client, count=1)[0]
    client.predict(session_id, api_name="/end")
    unfinished = start(client, count=2)[0]
    table, pick = client.predict(api_name="/history")
    labels = {value: label for label, value in pick["choices"]}
    assert session_id in labels and session_id not in labels[session_id]
    rows = table["data"] if isinstance(table, dict) else table
    assert table["headers"] == ["date", "score", "questions", "topics", "mode"]
    assert not any(session_id in str(cell) for row in rows for cell in row)  # no opaque ids
    finished_row, open_row = (rows[list(labels).index(i)] for i in (session_id, unfinished))
    assert finished_row[1] == "0/10" and finished_row[4] == "study" and finished_row[3] == TOPICS[0]
    assert open_row[1] == "0/10 so far"  # an unfinished session's score, so far
    report, *downloads = client.predict(session_id, api_name="/open_report")
    assert "Interview report" in report and '<table class="iv-questions"' in report
    assert Path(downloads[0]["value"]).read_text().startswith(f"# Interview report {session_id}")
    # only listed sessions open; a value that is not even an id is refused before it joins the queue
    with pytest.raises(ValidationError, match="session_id must be a session id"):
        client.predict("nosuchsession", api_name="/open_report")


def test_the_page_listens_on_loopback_only_without_a_share_link(web: Page) -> None:
    assert web.page.local_url.startswith("http://127.0.0.1:")  # type: ignore[union-attr]
    assert web.page.share_url is None and web.page.share is False


def test_a_password_is_required_when_configured(tmp_path: Path, embedder: Any) -> None:
    page, url = serve_in_process(tmp_path, embedder, auth="ada:lovelace")
    try:
        with pytest.raises(Exception, match=r"(?i)auth|login|401|credentials"):
            Client(url, verbose=False).predict(api_name="/status")
        with pytest.raises(ValueError):
            Client(url, verbose=False, auth=("ada", "wrong"))
        status, _ = Client(url, verbose=False, auth=("ada", "lovelace")).predict(api_name="/status")
        assert "Grading" in status
    finally:
        page.close()


def test_the_hint_cap(client: Client, bank: Bank) -> None:
    out = start(client, count=1)
    session_id, entry = out[0], asked_entry(bank, out[1])
    out = client.predict(session_id, api_name="/hint")
    assert texts(out[1])[-1].endswith("_1 hint taken: this question's maximum score is now 9/10._")
    out = client.predict(session_id, api_name="/hint")
    assert texts(out[1])[-1].endswith("_2 hints taken: this question's maximum score is now 8/10._")
    out = client.predict(session_id, entry.reference_answer, api_name="/answer")  # graded above 8 on its own
    feedback = texts(out[1])[-2]
    assert feedback.startswith("**Score: 8/10** (offline grader).")
    assert (
        "You took 2 hints, so this question's maximum is 8/10 (2 points off). Your answer itself graded"
        in feedback
    )
    card = out[4]
    assert 'class="iv-score">8/10<' in card
    assert "You took 2 hints, so this question&#39;s maximum is 8/10 (2 points off)." in card
    report = out[5]
    rows = re.findall(r"<tr><td>1</td><td>.*?</td><td>.*?</td><td>(.*?)</td></tr>", report)
    assert rows == ["8/10, 2 hints (maximum 8)"]
    assert texts(out[1])[-1].endswith("Your overall score is 8.0/10.")


def test_reveal_then_answer_is_practice_and_not_counted(client: Client, bank: Bank) -> None:
    out = start(client, count=2, follow_ups=1)
    session_id = out[0]
    entry = asked_entry(bank, out[1])
    first_sentence = entry.reference_answer.split(". ")[0] + "."
    out = client.predict(session_id, first_sentence, api_name="/answer")  # partly right: a follow-up comes
    follow_up = texts(out[1])[-1]
    assert not follow_up.startswith("Question 2")
    score = float(out[4].split('class="iv-score">')[1].split("/10")[0])
    out = client.predict(session_id, api_name="/reveal")
    assert texts(out[1])[-1].startswith("Reference answer:") and "now closed" in texts(out[1])[-1]
    out = client.predict(session_id, entry.reference_answer, api_name="/answer")  # pasted into the follow-up
    said = texts(out[1])
    assert said[-2].startswith("**Practice: 0/10, not counted, as you answered after the reveal**") and said[
        -1
    ].startswith("Question 2 of 2")
    assert "practice: not counted" in out[4]
    out = client.predict(session_id, api_name="/end")
    assert texts(out[1])[-1].endswith(f"Your overall score is {round((score + 0) / 2, 1)}/10.")
    report = out[5]
    assert "answer revealed" in report and "You answered after the reveal (practice, not counted)" in report
    rows = re.findall(r"<tr><td>1</td><td>.*?</td><td>.*?</td><td>(.*?)</td></tr>", report)
    assert rows == [f"{score:g}/10, answer revealed"]  # the question kept the score it had before the reveal
