"""The Progress tab and "Practice what's due" through gradio_client against the real page (real MiniLM,
ChromaDB and SQLite, offline grading), with a password so that each user's progress is their own.

Each test plays as its own user, so the tests do not depend on one another's sessions.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from gradio_client import Client

from interviewer.content.loader import Bank
from tests.web_server import TOPICS
from tests.web_support import USERS, Site, play, site_with_users, start, texts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Site]:
    with site_with_users(tmp_path_factory.mktemp("progress"), embedder, USERS) as served:
        yield served


def session(client: Client, bank: Bank, answers: list[str]) -> list[tuple[str, str]]:
    """One study session on the first topic; each answer is "good" (the reference answer) or "poor". Returns
    the (entry id, question) asked, in order."""
    return [(entry.id, entry.question) for entry in play(client, bank, answers)]


def test_progress_across_three_sessions(site: Site, bank: Bank) -> None:
    ada = site.login("ada")
    last: dict[str, str] = {}  # question -> how its latest answer went
    for answers in (["poor", "poor"], ["poor", "good"], ["good", "good"]):
        for (_, question), kind in zip(session(ada, bank, answers), answers, strict=True):
            last[question] = kind

    summary, chart, due_list, missed, untried = ada.predict(api_name="/progress")
    due_list = html.unescape(due_list)
    assert "**3 sessions**, **6** questions tried" in summary
    assert re.search(r"\*\*\d+ s\*\* practised|\*\*\d+ min\*\* practised", summary)
    dots = re.findall(r"<title>(.*?)</title>", chart)
    assert len(dots) == 3 and all(d.startswith(f"{TOPICS[0]}: ") for d in dots)  # one topic, three sessions
    scores = [float(d.split(": ")[1].split("/10")[0]) for d in dots]
    assert scores[0] < scores[2] and "session 3" in dots[2]  # from two poor answers to two good ones
    assert "<polyline" in chart and f"{TOPICS[0]}: <b>{scores[2]:g}</b>/10" in chart
    assert "Key points you miss most" in missed and re.search(r"\(missed [12] of [123]; in “", missed)
    linear = sum(1 for e in bank.entries.values() if e.topic == TOPICS[1])
    assert f"<b>{TOPICS[1]}</b>: {linear} of {linear}" in untried  # the other topic: never tried
    due_now = re.findall(r'<li><span class="iv-due-now">due now</span>: (.*?) <span', due_list)
    assert sorted(due_now) == sorted(q for q, kind in last.items() if kind == "poor")


def test_a_poor_answer_is_due_and_practice_whats_due_starts_with_it(site: Site, bank: Bank) -> None:
    alan = site.login("alan")
    assert "come back here" in alan.predict(api_name="/due_line")  # nothing practised yet
    (poor, _), (_, good_question) = session(alan, bank, ["poor", "good"])

    assert alan.predict(api_name="/due_line") == "1 question is due for practice."
    summary, _, due_list, _, _ = alan.predict(api_name="/progress")
    due_list = html.unescape(due_list)
    assert "**1 question is due**" in summary
    due_now = re.findall(r'<li><span class="iv-due-now">due now</span>: (.*?) <span', due_list)
    assert due_now == [bank.get(poor).question]
    assert f"due in 8 days: {good_question}" in due_list  # the reference answer: Easy, days away

    out = start(alan, count=3, api_name="/practice_due")
    assert texts(out[1]) == [f"Question 1 of 1: {bank.get(poor).question}"]  # only the due one
    assert "Practising what's due: 1 due question" in html.unescape(out[3])
    out = alan.predict(out[0], bank.get(poor).reference_answer, api_name="/answer")
    assert texts(out[1])[-1].startswith("That's the end of the interview")
    assert alan.predict(api_name="/due_line").startswith("Nothing is due now: the next question comes back")


def test_a_second_user_sees_none_of_the_first_users_progress(site: Site, bank: Bank) -> None:
    session(site.login("edsger"), bank, ["poor"])
    grace = site.login("grace")
    summary, chart, due_list, missed, untried = grace.predict(api_name="/progress")
    assert summary.startswith("**No practice yet.**") and "Nothing is due yet" in summary
    assert chart == due_list == missed == untried == ""
    assert "come back here" in grace.predict(api_name="/due_line")
    out = start(grace, api_name="/practice_due")
    assert out[0] == "" and texts(out[1]) == []  # no interview started
    assert "Nothing is due yet" in html.unescape(out[3])
