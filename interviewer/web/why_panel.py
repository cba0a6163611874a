"""The page's "Why did I lose points?": a button and a question box under the score card, and the replies.

The conversation is about the latest graded answer (the one the card shows), in study and exam mode; it starts
afresh when a new answer is graded. Conversations live in memory, a bounded number of them, and are never
saved: they read the grade and change nothing in the session. Replies stream as they are written.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from interviewer.content.loader import Bank
from interviewer.errors import InterviewerError
from interviewer.interview.explanation import WHY_QUESTION, latest_graded_answer
from interviewer.interview.scorecard import esc
from interviewer.interview.session import Session
from interviewer.interview.why import Explainer, WhyConversation, conversation_for

log = logging.getLogger(__name__)

KEPT_CONVERSATIONS = 256  # one per session at most; the oldest is forgotten first
SHOWN_CONCURRENCY = 8  # redrawing a conversation is cheap: its own lane, never behind gradings
THINKING = "_Looking at your grade…_"
OpenSession = Callable[[str, "gr.Request | None"], Session]
"""The visitor's session by id (refused, with an `InterviewerError`, when it is not theirs)."""

WHY_CSS = """
#iv-why { font-size: 14px; line-height: 1.45; border-left: 3px solid #4c78a8; padding-left: 0.8em; }
#iv-why .iv-why-asked { font-weight: 600; margin: 0.8em 0 0.3em; }
"""

Chat = list[dict[str, str]]


@dataclass
class WhyPanel:
    ask: gr.Button
    question: gr.Textbox
    chat: gr.Markdown  # the conversation: each question, then its reply


def why_panel() -> WhyPanel:
    """The button, the question box and the conversation, laid out under the score card."""
    ask = gr.Button(WHY_QUESTION, size="sm", elem_id="iv-why-ask")
    question = gr.Textbox(
        show_label=False,
        placeholder="Or ask your own question, then Enter",
        lines=1,
        max_lines=4,
        elem_id="iv-why-question",
    )
    chat = gr.Markdown(visible=False, sanitize_html=True, elem_id="iv-why")  # shown from the first question
    return WhyPanel(ask, question, chat)


class WhyActions:
    """The handlers: ask a question about the latest grade, and show the conversation about it."""

    def __init__(self, open_session: OpenSession, bank: Bank, explainer: Explainer):
        self.open_session = open_session
        self.bank = bank
        self.explainer = explainer
        self._conversations: OrderedDict[str, WhyConversation] = OrderedDict()
        self._guard = threading.Lock()

    def ask(
        self, session_id: str, question: str, request: gr.Request | None = None
    ) -> Iterator[tuple[Any, Any]]:
        """The conversation with the reply streaming in; the question box is emptied once it is answered (and
        keeps its text when the question is refused)."""
        try:
            if not session_id:
                raise InterviewerError("Press **Start** and answer a question first.")
            session = self.open_session(session_id, request)
            latest = latest_graded_answer(session.transcript, self.bank)
            conversation = conversation_for(latest, self._kept(session_id), self.explainer)
        except InterviewerError as exc:
            yield _chat([{"role": "assistant", "content": str(exc)}]), gr.skip()
            return
        self._keep(session_id, conversation)
        asked = question.strip() or WHY_QUESTION
        base = [*messages_of(conversation), {"role": "user", "content": asked}]
        sink: queue.Queue[str | None] = queue.Queue()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["reply"] = conversation.ask(asked, on_text=sink.put)
            except Exception as exc:
                outcome["error"] = exc
            finally:
                sink.put(None)

        threading.Thread(target=work, name=f"why-{session_id}", daemon=True).start()
        yield _chat([*base, {"role": "assistant", "content": THINKING}]), gr.skip()
        while (so_far := sink.get()) is not None:
            yield _chat([*base, {"role": "assistant", "content": so_far}]), gr.skip()
        error = outcome.get("error")
        if isinstance(error, InterviewerError):
            yield _chat([*messages_of(conversation), {"role": "assistant", "content": str(error)}]), gr.skip()
        elif error is not None:
            log.error("explaining a grade failed", exc_info=error)
            failed = "Something went wrong while explaining the grade. Ask again."
            yield _chat([*messages_of(conversation), {"role": "assistant", "content": failed}]), gr.skip()
        else:
            yield _chat(messages_of(conversation)), ""

    def shown(self, session_id: str, request: gr.Request | None = None) -> Any:
        """The conversation about the latest graded answer, hidden when there is none yet (after a new answer,
        a refresh or another session)."""
        try:
            session = self.open_session(session_id, request) if session_id else None
        except InterviewerError:
            session = None
        kept = self._kept(session_id) if session is not None else None
        latest = latest_graded_answer(session.transcript, self.bank) if session is not None else None
        if kept is None or latest is None or kept.graded.key != latest.key or not kept.exchanges:
            return gr.Markdown(value="", visible=False)
        return _chat(messages_of(kept))

    def _kept(self, session_id: str) -> WhyConversation | None:
        with self._guard:
            return self._conversations.get(session_id)

    def _keep(self, session_id: str, conversation: WhyConversation) -> None:
        with self._guard:
            self._conversations[session_id] = conversation
            self._conversations.move_to_end(session_id)
            while len(self._conversations) > KEPT_CONVERSATIONS:
                self._conversations.popitem(last=False)


def messages_of(conversation: WhyConversation) -> Chat:
    chat: Chat = []
    for exchange in conversation.exchanges:
        chat.append({"role": "user", "content": exchange.question})
        chat.append({"role": "assistant", "content": exchange.reply})
    return chat


def _chat(messages: Chat) -> Any:
    """The conversation as Markdown: each question of the candidate's in bold, then the reply."""
    parts = [
        f'<p class="iv-why-asked">You asked: {esc(m["content"])}</p>' if m["role"] == "user" else m["content"]
        for m in messages
    ]
    return gr.Markdown(value="\n\n".join(parts), visible=True)


def wire_why(why: WhyActions, panel: WhyPanel, session_id: gr.Textbox, card: gr.HTML) -> None:
    """Asking (the button, or Enter in the box) streams the reply in the grading lane; a new card shows the
    conversation about its answer, if any."""
    asking = ([session_id, panel.question], [panel.chat, panel.question])
    panel.ask.click(why.ask, *asking, api_name="why", concurrency_id="grading")
    panel.question.submit(why.ask, *asking, api_visibility="private", concurrency_id="grading")
    card.change(
        why.shown,
        [session_id],
        [panel.chat],
        api_visibility="private",
        concurrency_id="why-shown",
        concurrency_limit=SHOWN_CONCURRENCY,
        show_progress="hidden",
    )
