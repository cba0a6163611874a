"""Playing the real page through gradio_client, for the web tests: starting an interview, reading the chat, playing
a whole session, and a page with `INTERVIEWER_AUTH` users, each logging in with a client of their own."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gradio as gr
from gradio_client import Client

from interviewer.content.loader import Bank
from interviewer.interview.storage import SessionStore
from interviewer.models import BankEntry
from interviewer.retrieval.embeddings import Embedder
from tests.web_server import TOPICS, serve_in_process, wait_until_ready

USERS = {"ada": "lovelace", "grace": "hopper", "alan": "turing", "edsger": "dijkstra"}
POOR = "I think it has something to do with the data, but I am not sure."


def texts(chat: list[dict[str, Any]]) -> list[str]:
    """The text of each chat message (a message's content is a string or a list of parts)."""
    out = []
    for message in chat:
        content = message["content"]
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content)
        out.append(str(content))
    return out


def start(
    client: Client,
    *,
    mode: str = "study",
    count: int = 2,
    follow_ups: int = 0,
    topics: Sequence[str] = (TOPICS[0],),
    time_limit: int = 0,
    ask_about: str = "",
    api_name: str = "/start",
) -> tuple:
    """The set-up panel's Start (or another button taking its inputs, such as /practice_due)."""
    return client.predict(
        list(topics), [], [], count, follow_ups, mode, time_limit, ask_about, api_name=api_name
    )


def asked_entry(bank: Bank, chat: list[dict[str, Any]]) -> BankEntry:
    """The bank entry of the last question in the chat ("Question n of m: ...")."""
    question = next(t for t in reversed(texts(chat)) if t.startswith("Question ")).split(": ", 1)[1]
    return next(e for e in bank.entries.values() if e.question == question)


def play(
    client: Client, bank: Bank, answers: list[str], *, topic: str = TOPICS[0], poorly: Collection[str] = ()
) -> list[BankEntry]:
    """A study session on `topic` to its end, each answer "good" (the reference answer) or "poor" (`POOR`);
    a question in `poorly` is answered poorly whatever `answers` says. Returns the entries asked, in order."""
    out = start(client, topics=[topic], count=len(answers))
    session_id, asked = out[0], []
    for kind in answers:
        entry = asked_entry(bank, out[1])
        asked.append(entry)
        out = client.predict(
            session_id,
            entry.reference_answer if kind == "good" and entry.question not in poorly else POOR,
            api_name="/answer",
        )
    assert texts(out[1])[-1].startswith("That's the end of the interview")
    return asked


class Site:
    """The page serving with password users: its address, its data directory and its session store."""

    def __init__(self, page: gr.Blocks, url: str, root: Path, users: dict[str, str]):
        self.page, self.url, self.root, self.users = page, url, root, users
        self.store = SessionStore(root / "data" / "sessions.sqlite3")

    def login(self, user: str) -> Client:
        """A gradio_client logged in as `user`."""
        return Client(self.url, verbose=False, auth=(user, self.users[user]))


@contextmanager
def site_with_users(root: Path, embedder: Embedder, users: dict[str, str]) -> Iterator[Site]:
    """The page with these users (`INTERVIEWER_AUTH`), once grading is ready; closed after."""
    page, url = serve_in_process(root, embedder, auth=",".join(f"{u}:{p}" for u, p in users.items()))
    wait_until_ready(url, auth=next(iter(users.items())))
    yield Site(page, url, root, users)
    page.close()
