"""The web page: a minimal chat interview on the same Session API as the terminal.

The page is served at once; the embedding model and the index warm up in a background thread.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import gradio as gr

from interviewer.errors import InterviewerError
from interviewer.models import SessionConfig, Turn
from interviewer.session import Session

if TYPE_CHECKING:
    from interviewer.services import Services

Chat = list[dict[str, str]]


def _messages(turns: list[Turn]) -> Chat:
    return [{"role": "assistant" if t.role == "interviewer" else "user", "content": t.text} for t in turns]


def build_app(services: Services) -> gr.Blocks:
    topics = services.bank.topics

    def start(chosen: list[str], count: float, follow_ups: float, mode: str) -> tuple[Any, Chat, str]:
        config = SessionConfig(
            topics=chosen or [],
            num_questions=int(count),
            max_follow_ups=int(follow_ups),
            mode=mode,
        )
        try:
            session = services.new_session(config)
            return session, _messages(session.start()), ""
        except InterviewerError as exc:
            return None, [{"role": "assistant", "content": str(exc)}], ""

    def reply(session: Session | None, chat: Chat, text: str) -> tuple[Any, Chat, str]:
        if session is None or session.finished:
            return (
                session,
                [*chat, {"role": "assistant", "content": "Press Start to begin an interview."}],
                text,
            )
        if not text.strip():
            return (
                session,
                [*chat, {"role": "assistant", "content": "Type an answer first, or use a button."}],
                text,
            )
        try:
            turns = session.answer(text)
        except InterviewerError as exc:  # the text stays in the box so nothing typed is lost
            return session, [*chat, {"role": "assistant", "content": str(exc)}], text
        return session, [*chat, {"role": "user", "content": text}, *_messages(turns)], ""

    def command(name: str) -> Any:
        def run(session: Session | None, chat: Chat) -> tuple[Any, Chat]:
            if session is None or session.finished:
                return session, chat
            return session, [*chat, *_messages(session.command(name))]  # type: ignore[arg-type]

        return run

    with gr.Blocks(title="interviewer: ML mock interviews") as page:
        gr.Markdown(
            "# ML mock interview\nChoose your settings, press **Start**, and answer in your own words."
        )
        with gr.Row():
            topic_box = gr.Dropdown(topics, multiselect=True, label="Topics (empty: all)")
            count_box = gr.Slider(1, 10, value=3, step=1, label="Questions")
            follow_box = gr.Slider(0, 3, value=1, step=1, label="Follow-ups per question")
            mode_box = gr.Radio(["study", "exam"], value="study", label="Mode")
        start_btn = gr.Button("Start", variant="primary")
        session_state = gr.State(None)
        chat = gr.Chatbot(label="Interview", height=480, sanitize_html=True)
        answer_box = gr.Textbox(
            label="Your answer", lines=4, placeholder="Type your answer, then press Send."
        )
        with gr.Row():
            send_btn = gr.Button("Send", variant="primary")
            buttons = {
                name: gr.Button(label)
                for name, label in [
                    ("skip", "Skip"),
                    ("hint", "Hint"),
                    ("repeat", "Repeat"),
                    ("dont_know", "I don't know"),
                    ("end", "End"),
                ]
            }
        start_btn.click(
            start, [topic_box, count_box, follow_box, mode_box], [session_state, chat, answer_box]
        )
        send_btn.click(reply, [session_state, chat, answer_box], [session_state, chat, answer_box])
        for name, button in buttons.items():
            button.click(command(name), [session_state, chat], [session_state, chat])
    return page


def warm_up(services: Services) -> threading.Thread:
    """Load the model and bring the index up to date without holding up the page."""
    thread = threading.Thread(target=services.ensure_index, name="warm-up", daemon=True)
    thread.start()
    return thread


def launch(services: Services, host: str | None = None, port: int | None = None) -> None:
    page = build_app(services)
    warm_up(services)
    page.queue(default_concurrency_limit=4).launch(
        server_name=host or services.settings.host,
        server_port=port or services.settings.port,
        share=False,
        show_error=True,
    )
