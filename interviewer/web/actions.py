"""What the page's buttons do: each handler takes the session id and the inputs, and returns the page's view.

Handlers never keep a session themselves; they go through the `SessionRegistry`, so the same calls work
from the browser, from gradio_client, after a refresh and after a restart. Every refusal comes back as a
notice on the page with the typed answer left in its box.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from interviewer.errors import InterviewerError
from interviewer.interview import policy
from interviewer.interview.registry import Reply, SessionRegistry
from interviewer.interview.report import report_fragment
from interviewer.interview.scorecard import esc
from interviewer.interview.session import Session
from interviewer.models import QuestionType, SessionConfig
from interviewer.web.views import (
    chat_of,
    clock_html,
    export_files,
    history_label,
    history_rows,
    latest_card,
    report_extras,
    resume_link,
)

log = logging.getLogger(__name__)

GRADING_NOTE = "_Grading your answer…_"
KEEP = "keep"  # the answer box keeps its text


@dataclass
class WarmUp:
    """Whether the model and the index are loaded, so the page can say when grading is ready."""

    done: threading.Event = field(default_factory=threading.Event)
    error: str | None = None

    def status(self) -> str:
        if self.error:
            return f"⚠️ Grading could not start: {self.error}"
        if self.done.is_set():
            return "✅ Grading is ready."
        return "⏳ Loading the grading model and the question index… Set up your interview meanwhile."


def _downloads(files: tuple[Any, ...] | None) -> list[Any]:
    if files is None:
        return [gr.DownloadButton(value=None, visible=False) for _ in range(3)]
    return [gr.DownloadButton(value=str(f), visible=True) for f in files]


def _controls(session: Session | None) -> list[Any]:
    study = session is None or session.config.mode == "study"
    running = session is not None and not session.finished
    return [gr.Button(visible=study), gr.Button(visible=study), gr.Accordion(open=not running)]


VIEW_SIZE = 13  # the number of outputs `PageActions.view` returns


class PageActions:
    """The handlers behind the interview and history tabs."""

    def __init__(self, registry: SessionRegistry, warm: WarmUp):
        self.registry = registry
        self.services = registry.services
        self.warm = warm

    # --- views --------------------------------------------------------------------------------------

    def view(self, session: Session | None, notice: str = "", answer: str = KEEP) -> tuple[Any, ...]:
        """Outputs of the interview tab: id, chat, answer box, notice, card, report, 3 downloads, clock, then
        the Hint and Reveal buttons (study mode only) and the set-up panel (folded while an interview runs)."""
        box: Any = gr.skip() if answer == KEEP else answer
        if session is None:
            return ("", [], box, notice, "", "", *_downloads(None), clock_html(None), *_controls(None))
        t = session.transcript
        finished = session.finished
        extras = report_extras(t, self.services.bank, session.seconds) if finished else None
        return (
            t.session_id,
            chat_of(t),
            box,
            notice,
            latest_card(t, self.services.bank),
            report_fragment(t, extras) if extras else "",
            *_downloads(export_files(t, extras) if extras else None),
            clock_html(self.registry.deadline(session)),
            *_controls(session),
        )

    def _refusal(self, session_id: str, notice: str) -> tuple[Any, ...]:
        """The current view with a notice; the answer box is left as it is."""
        try:
            session = self.registry.get(session_id) if session_id else None
        except InterviewerError:
            session = None
        return self.view(session, notice)

    # --- interview tab ------------------------------------------------------------------------------

    def start(
        self,
        topics: list[str] | None,
        types: list[str] | None,
        difficulties: list[str] | None,
        count: float,
        follow_ups: float,
        mode: str,
        time_limit: float | None,
        ask_about: str,
    ) -> tuple[Any, ...]:
        try:
            limit = int(time_limit or 0)
            if limit and not 10 <= limit <= 3600:
                raise InterviewerError("The time limit must be between 10 and 3600 seconds, or 0 for none.")
            config = SessionConfig(
                topics=topics or [],
                types=[QuestionType(t) for t in types or []],
                difficulties=[int(d) for d in difficulties or []],
                num_questions=int(count),
                max_follow_ups=int(follow_ups),
                mode=mode,
                time_limit_seconds=limit if (limit and mode == "exam") else None,
            )
            notice = ""
            if ask_about.strip():
                ids = self.find_questions(ask_about, config)
                config = config.model_copy(update={"question_ids": ids})
                notice = f"Found {len(ids)} question(s) about “{ask_about.strip()}”."
            session, _ = self.registry.start(config)
        except InterviewerError as exc:
            return self.view(None, str(exc))
        return self.view(session, notice, answer="")

    def find_questions(self, text: str, config: SessionConfig) -> list[str]:
        """Ids of the bank questions about free text, within the chosen filters (the services rank them)."""
        matches = self.services.find_questions(
            text,
            topics=config.topics,
            types=config.types,
            difficulties=config.difficulties,
            limit=config.num_questions,
        )
        if not matches:
            raise InterviewerError(
                f"No questions in the bank match “{text.strip()}” with these filters. "
                "Try other words, widen the topics, or clear the “Ask me about” box."
            )
        return [m.entry.id for m in matches]

    def answer(self, session_id: str, text: str) -> Iterator[tuple[Any, ...]]:
        """Grade an answer, showing the feedback as the grader streams it (study mode)."""
        if not session_id:
            yield self.view(None, "Press **Start** to begin an interview.")
            return
        if not text.strip():
            yield self._refusal(
                session_id, "Type an answer first, or use a button (Skip, I don't know, End)."
            )
            return
        try:
            session = self.registry.get(session_id)
        except InterviewerError as exc:
            yield self.view(None, str(exc))
            return
        if session.finished:
            yield self.view(session, "This interview has ended. Press **Start** for a new one.")
            return
        try:
            session.check_answer_limits(text)  # before the chat shows it, so the text stays in the box
        except InterviewerError as exc:
            yield self.view(session, str(exc))
            return
        base = chat_of(session.transcript)
        base.append({"role": "user", "content": text})
        sink: queue.Queue[list[str] | None] = queue.Queue()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["reply"] = self.registry.answer(session_id, text, on_reply=sink.put)
            except Exception as exc:
                outcome["error"] = exc
            finally:
                sink.put(None)

        threading.Thread(target=work, name=f"grade-{session_id}", daemon=True).start()
        waiting = [*base, {"role": "assistant", "content": GRADING_NOTE}]
        yield (gr.skip(), waiting, *(gr.skip() for _ in range(VIEW_SIZE - 2)))
        while (so_far := sink.get()) is not None:
            if session.config.mode == "study":  # exam mode holds feedback until the end
                # each message of the reply in a bubble of its own: the feedback, then the next question
                shown = [*base, *({"role": "assistant", "content": m} for m in so_far)]
                yield (gr.skip(), shown, *(gr.skip() for _ in range(VIEW_SIZE - 2)))
        error = outcome.get("error")
        if isinstance(error, InterviewerError):
            yield self._refusal(session_id, str(error))
        elif error is not None:
            log.error("grading failed", exc_info=error)
            yield self._refusal(
                session_id,
                "Something went wrong while grading. Your answer is still in the box: send it again.",
            )
        else:
            reply: Reply = outcome["reply"]
            yield self.view(self.registry.get(session_id), reply.notice, answer="")

    def command(self, name: policy.Command | str) -> Any:
        def run(session_id: str) -> tuple[Any, ...]:
            if not session_id:
                return self.view(None, "Press **Start** to begin an interview.")
            try:
                if name == "reveal":
                    reply = self.registry.reveal(session_id)
                else:
                    reply = self.registry.command(session_id, name)  # type: ignore[arg-type]
                return self.view(self.registry.get(session_id), reply.notice)
            except InterviewerError as exc:
                return self._refusal(session_id, str(exc))

        run.__name__ = name
        return run

    def resume(self, session_id: str, request: gr.Request) -> tuple[Any, ...]:
        """Open the session named in the box or in the page's address (`?session=…`), if any."""
        wanted = session_id or (request.query_params.get("session", "") if request else "")
        if not wanted:
            return self.view(None)
        try:
            return self.view(
                self.registry.get(wanted), "Welcome back: the interview carries on where you left it."
            )
        except InterviewerError as exc:
            return self.view(None, str(exc))

    # --- status and history -------------------------------------------------------------------------

    def status(self) -> tuple[str, Any]:
        """The readiness line; the timer that polls it stops once grading is ready (or failed)."""
        settled = self.warm.done.is_set() or self.warm.error is not None
        return self.warm.status(), gr.Timer(active=not settled)

    def history(self) -> tuple[list[list[object]], list[str], Any]:
        """The History table (readable rows, no ids), the ids of its rows in order (kept in the browser's
        session state), and the sessions a row click may open."""
        summaries = self.registry.store.history()
        choices = [(history_label(s), s.id) for s in summaries]
        return history_rows(summaries), [s.id for s in summaries], gr.Dropdown(choices=choices, value=None)

    def pick_row(self, ids: list[str], event: gr.SelectData) -> Any:
        """The session of the clicked row: the event gives the row's index in the table's data."""
        row = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        if not isinstance(row, int) or not 0 <= row < len(ids):
            return gr.skip()
        return ids[row]

    def open_report(self, session_id: str | None) -> tuple[Any, ...]:
        if not session_id:
            return "<p>Click a session in the table to open its report.</p>", *_downloads(None)
        try:
            snapshot, _ = self.registry.store.load(session_id)
        except InterviewerError as exc:
            return f"<p>{esc(str(exc))}</p>", *_downloads(None)
        t = snapshot.transcript
        extras = report_extras(t, self.services.bank, snapshot.seconds)
        head = "" if t.finished else f"<p>This interview is not finished. {resume_link(t.session_id)}.</p>"
        return head + report_fragment(t, extras), *_downloads(export_files(t, extras))

    def redraw_chat(self, session_id: str) -> Any:
        """The chat as the saved transcript has it: after the chat's own clear button, which would empty it.
        Read from the store, so this light call never waits for, or starts, a grading."""
        if not session_id:
            return []
        try:
            snapshot, _ = self.registry.store.load(session_id)
        except InterviewerError:
            return gr.skip()
        return chat_of(snapshot.transcript)
