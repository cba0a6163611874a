"""What the page's buttons do: each handler takes the session id and the inputs, and returns the page's view.

Handlers never keep a session themselves; they go through the `SessionRegistry`, so the same calls work
from the browser, from gradio_client, after a refresh and after a restart. Every refusal comes back as a
notice on the page with the typed answer left in its box.

Every handler that touches a session first checks, on the server, that it is the visitor's (`visitors`): a
session id alone opens nothing that belongs to someone else.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from interviewer.errors import InterviewerError, SessionNotFoundError
from interviewer.interview import policy
from interviewer.interview.limits import check_text
from interviewer.interview.registry import Reply, SessionRegistry
from interviewer.interview.report import report_fragment
from interviewer.interview.scorecard import esc
from interviewer.interview.session import ReplySink, Session
from interviewer.models import QuestionType, SessionConfig
from interviewer.services import QuestionMatch
from interviewer.web.guard import is_session_id
from interviewer.web.throttle import AnswerRate
from interviewer.web.views import (
    chat_of,
    clock_html,
    exam_in_progress,
    export_files,
    found_about,
    history_label,
    history_rows,
    inert_html,
    info_notice,
    latest_card,
    nothing_about,
    remove_exports,
    report_extras,
    resume_link,
)
from interviewer.web.visitors import Visitor, visitor_of

log = logging.getLogger(__name__)

GRADING_NOTE = "_Grading your answer…_"
KEEP = "keep"  # the answer box keeps its text
NOT_AN_ID = (
    "That is not an interview id (an id is 32 hex digits, as after ?session= in a link to one). "
    "Open the History tab to pick one of yours, or start a new interview."
)


def _address(request: gr.Request | None) -> str:
    """The client's address, for limits on visitors that carry no owner (scripts without a cookie)."""
    client = getattr(request, "client", None) if request is not None else None
    return f"address:{getattr(client, 'host', None) or 'unknown'}"


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


# Gradio builds a new component, and its config with a JSON schema, for every update it is sent (`gr.skip()`
# included): about 1 ms for a download button, 3 of them in every view. A plain value costs a tenth of that, so
# outputs whose value the page is known to show already go as plain values.
HIDDEN = None  # the value of a hidden download button: sent plain, it leaves the (hidden) button as it is


def _downloads(files: tuple[Any, ...] | None, hidden_already: bool = False) -> list[Any]:
    if files is None:
        if hidden_already:
            return [HIDDEN] * 3
        return [gr.DownloadButton(value=None, visible=False) for _ in range(3)]
    return [gr.DownloadButton(value=str(f), visible=True) for f in files]


COMMANDS = [
    ("skip", "Skip"),
    ("hint", "Hint"),
    ("repeat", "Repeat"),
    ("dont_know", "I don't know"),
    ("reveal", "Reveal answer"),
    ("end", "End"),
]
LABELS = dict(COMMANDS)


def _controls(session: Session | None, shown_running: bool = False) -> list[Any]:
    """The Hint and Reveal buttons (study mode only) and the set-up panel (folded while an interview runs).
    `shown_running`: the page shows this session running already, and it still runs, so nothing changes: the
    buttons go as plain values (their labels) and the panel is left as it is."""
    study = session is None or session.config.mode == "study"
    running = session is not None and not session.finished
    if shown_running and running:
        return [LABELS["hint"], LABELS["reveal"], gr.skip()]
    return [gr.Button(visible=study), gr.Button(visible=study), gr.Accordion(open=not running)]


# Seconds: while a grader that streams (an LLM's) writes the reply, the page shows its newest state at most this
# often, and a reply that comes whole within it in one step. Each step is a view Gradio processes (about 3 ms of
# the server's CPU); 0.1 s is still a smooth stream of an LLM's text.
STREAM_INTERVAL = 0.1


def paced(first: list[str], sink: queue.Queue[list[str] | None], interval: float) -> Iterator[list[str]]:
    """`first`, then what `sink` brings until None, each one unless a newer one comes before `interval` seconds
    have passed since the last one given (or the start). The one pending at the end is left out: the final view
    shows it. With `interval` 0, everything."""
    if interval <= 0:
        yield first
        yield from iter(sink.get, None)
        return
    pending: list[str] | None = first
    last = time.monotonic()
    while True:
        if pending is not None and time.monotonic() >= last + interval:
            yield pending
            pending, last = None, time.monotonic()
        wait = None if pending is None else max(0.0, last + interval - time.monotonic())
        try:
            item = sink.get(timeout=wait)
        except queue.Empty:
            continue
        if item is None:
            return
        pending = item


VIEW_SIZE = 13  # the number of outputs `PageActions.view` returns


def _opened(html: str, files: tuple[Any, ...] | None = None, deletable: bool = False) -> tuple[Any, ...]:
    """Outputs of History's report area: the report, its 3 downloads, the Delete button and its (folded)
    confirmation."""
    return html, *_downloads(files), gr.Button(visible=deletable), gr.Row(visible=False)


class PageActions:
    """The handlers behind the interview and history tabs."""

    def __init__(self, registry: SessionRegistry, warm: WarmUp):
        self.registry = registry
        self.services = registry.services
        self.warm = warm
        self.password_page = bool(self.services.settings.auth_pairs)
        self.exports = self.services.settings.exports_dir
        self.answer_rate = AnswerRate(self.services.settings.answers_per_minute)
        self.stream_interval = STREAM_INTERVAL

    # --- whose session ------------------------------------------------------------------------------

    def visitor(self, request: gr.Request | None) -> Visitor:
        return visitor_of(request, self.password_page)

    def check_owner(self, session_id: str, visitor: Visitor) -> None:
        """Refuse a session that is not the visitor's, in the same words as one that does not exist. A value
        that is not an id at all is refused without being looked up, kept or repeated on the page."""
        if not is_session_id(session_id):
            raise InterviewerError(NOT_AN_ID)
        if not visitor.may_open(self.registry.store.owner_of(session_id)):
            raise SessionNotFoundError(session_id)

    def session(self, session_id: str, visitor: Visitor) -> Session:
        """The visitor's session by id (refused when it is someone else's)."""
        self.check_owner(session_id, visitor)
        return self.registry.get(session_id)

    # --- views --------------------------------------------------------------------------------------

    def view(
        self, session: Session | None, notice: str = "", answer: str = KEEP, *, was_running: bool = False
    ) -> tuple[Any, ...]:
        """Outputs of the interview tab: id, chat, answer box, notice, card, report, 3 downloads, clock, then
        the Hint and Reveal buttons (study mode only) and the set-up panel (folded while an interview runs).
        `was_running`: the page shows this session running (an answer to it), so its downloads are hidden
        already, and stay so (as plain values, `HIDDEN`), and its controls stay as they are, while it runs."""
        box: Any = gr.skip() if answer == KEEP else answer
        if session is None:
            return ("", [], box, notice, "", "", *_downloads(None), clock_html(None), *_controls(None))
        t = session.transcript
        finished = session.finished
        extras = report_extras(t, self.services.bank, session.seconds) if finished else None
        files = export_files(t, extras, root=self.exports) if extras else None
        return (
            t.session_id,
            chat_of(t),
            box,
            notice,
            latest_card(t, self.services.bank),
            report_fragment(t, extras, retry_session=t.session_id) if extras else "",
            *_downloads(files, hidden_already=was_running),
            clock_html(self.registry.deadline(session)),
            *_controls(session, shown_running=was_running),
        )

    def _refusal(self, session_id: str, notice: str, visitor: Visitor) -> tuple[Any, ...]:
        """The current view with a notice; the answer box is left as it is."""
        try:
            session = self.session(session_id, visitor) if session_id else None
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
        request: gr.Request | None = None,
    ) -> tuple[Any, ...]:
        try:
            config = setup_config(topics, types, difficulties, count, follow_ups, mode, time_limit)
            notice = ""
            check_text(ask_about or "", "The “Ask me about” text")
            if ask_about.strip():
                matches = self.find_questions(ask_about, config)
                if not matches:
                    return self.view(None, info_notice(nothing_about(ask_about)))
                config = config.model_copy(update={"question_ids": [m.entry.id for m in matches]})
                notice = info_notice(found_about(ask_about, [m.entry.question for m in matches]))
            session, _ = self.registry.start(config, owner=self.visitor(request).owner)
        except InterviewerError as exc:
            return self.view(None, str(exc))
        return self.view(session, notice, answer="")

    def find_questions(self, text: str, config: SessionConfig) -> list[QuestionMatch]:
        """The bank questions about free text, within the chosen filters (the services rank them)."""
        return self.services.find_questions(
            text,
            topics=config.topics,
            types=config.types,
            difficulties=config.difficulties,
            limit=config.num_questions,
        )

    def answer(
        self, session_id: str, text: str, request: gr.Request | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """Grade an answer: one view with the reply, or, from a grader that streams, the feedback as it is written
        (study mode)."""
        visitor = self.visitor(request)
        if not session_id:
            yield self.view(None, "Press **Start** to begin an interview.")
            return
        if not text.strip():
            yield self._refusal(
                session_id, "Type an answer first, or use a button (Skip, I don't know, End).", visitor
            )
            return
        try:
            session = self.session(session_id, visitor)
        except InterviewerError as exc:
            yield self.view(None, str(exc))
            return
        if session.finished:
            yield self.view(session, "This interview has ended. Press **Start** for a new one.")
            return
        try:
            session.check_answer_limits(text)  # before the chat shows it, so the text stays in the box
            self.answer_rate.check(visitor.owner or _address(request))
        except InterviewerError as exc:
            yield self.view(session, str(exc))
            return
        outcome: dict[str, Any] = {}

        def work(on_reply: ReplySink | None) -> None:
            try:
                outcome["reply"] = self.registry.answer(session_id, text, on_reply=on_reply)
            except Exception as exc:
                outcome["error"] = exc

        if self.services.grader.streams:
            yield from self._streamed(session, text, work)
        else:  # the reply comes whole (the offline grader): one view, and no thread or views while it is graded
            work(None)
        error = outcome.get("error")
        if isinstance(error, InterviewerError):
            yield self._refusal(session_id, str(error), visitor)
        elif error is not None:
            log.error("grading failed", exc_info=error)
            yield self._refusal(
                session_id,
                "Something went wrong while grading. Your answer is still in the box: send it again.",
                visitor,
            )
        else:
            reply: Reply = outcome["reply"]
            yield self.view(self.registry.get(session_id), reply.notice, answer="", was_running=True)

    def _streamed(
        self, session: Session, text: str, work: Callable[[ReplySink | None], None]
    ) -> Iterator[tuple[Any, ...]]:
        """The views while a grader that streams (an LLM's) writes the reply: `work` grades in a thread of its own,
        and the page shows the reply so far, paced (`paced`). Under load, views cost the server more than the
        grading: a grader whose reply comes whole is shown in one view instead (`answer`)."""
        session_id = session.transcript.session_id
        base = chat_of(session.transcript)
        base.append({"role": "user", "content": inert_html(text)})
        sink: queue.Queue[list[str] | None] = queue.Queue()

        def run() -> None:
            try:
                work(sink.put)
            finally:
                sink.put(None)

        study = session.config.mode == "study"
        # What the page shows already, sent again as plain values: Gradio rebuilds a component for every update,
        # `gr.skip()` included (0.3-1 ms each, a chat 3 ms: bench/page_updates.py); a plain value costs 0.15-0.25 ms.
        # The card stays a skip: the final view draws it. A study session has no clock: its box is empty, as
        # `clock_html(None)` draws it. All read before the grading thread starts changing the session.
        shown = (
            text,
            "",
            gr.skip(),
            "",
            *_downloads(None, hidden_already=True),
            clock_html(None) if study else gr.skip(),
            *_controls(session, shown_running=True),
        )
        threading.Thread(target=run, name=f"grade-{session_id}", daemon=True).start()
        # Each message of the reply in a bubble of its own (the feedback, then the next question); exam mode
        # holds feedback until the end, and shows only the note. The answer box keeps the text meanwhile.
        for so_far in paced([GRADING_NOTE], sink, self.stream_interval):
            if study or so_far == [GRADING_NOTE]:
                yield (session_id, [*base, *({"role": "assistant", "content": m} for m in so_far)], *shown)

    def command(self, name: policy.Command | str) -> Any:
        def run(session_id: str, request: gr.Request | None = None) -> tuple[Any, ...]:
            visitor = self.visitor(request)
            if not session_id:
                return self.view(None, "Press **Start** to begin an interview.")
            try:
                self.check_owner(session_id, visitor)
                if name == "reveal":
                    reply = self.registry.reveal(session_id)
                else:
                    reply = self.registry.command(session_id, name)  # type: ignore[arg-type]
                return self.view(self.registry.get(session_id), reply.notice)
            except InterviewerError as exc:
                return self._refusal(session_id, str(exc), visitor)

        run.__name__ = name
        return run

    def resume(self, session_id: str, request: gr.Request | None = None) -> tuple[Any, ...]:
        """Open the session named in the box or in the page's address (`?session=…`), if any."""
        wanted = session_id or (request.query_params.get("session", "") if request else "")
        if not wanted:
            return self.view(None)
        try:
            return self.view(
                self.session(wanted, self.visitor(request)),
                "Welcome back: the interview carries on where you left it.",
            )
        except InterviewerError as exc:
            return self.view(None, str(exc))

    # --- status and history -------------------------------------------------------------------------

    def status(self) -> tuple[str, Any]:
        """The readiness line; the timer that polls it stops once grading is ready (or failed)."""
        settled = self.warm.done.is_set() or self.warm.error is not None
        return self.warm.status(), gr.Timer(active=not settled)

    def history(self, request: gr.Request | None = None) -> tuple[list[list[object]], list[str], Any]:
        """The visitor's History table (readable rows, no ids), the ids of its rows in order (kept in the
        browser's session state), and the sessions a row click may open."""
        visitor = self.visitor(request)
        summaries = self.registry.store.history(owner=visitor.owner, unowned=visitor.sees_unowned)
        choices = [(history_label(s), s.id) for s in summaries]
        return history_rows(summaries), [s.id for s in summaries], gr.Dropdown(choices=choices, value=None)

    def pick_row(self, ids: list[str], event: gr.SelectData) -> Any:
        """The session of the clicked row: the event gives the row's index in the table's data."""
        row = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        if not isinstance(row, int) or not 0 <= row < len(ids):
            return gr.skip()
        return ids[row]

    def open_report(self, session_id: str | None, request: gr.Request | None = None) -> tuple[Any, ...]:
        """A session's report and downloads, with a Delete button. An exam still running shows only its
        questions and your answers: its grades would help with the rest."""
        if not session_id:
            return _opened("<p>Click a session in the table to open its report.</p>")
        try:
            self.check_owner(session_id, self.visitor(request))
            snapshot, _ = self.registry.store.load(session_id)
        except InterviewerError as exc:
            return _opened(f"<p>{esc(str(exc))}</p>")
        t = snapshot.transcript
        if t.config.mode == "exam" and not t.finished:
            return _opened(exam_in_progress(t), deletable=True)
        extras = report_extras(t, self.services.bank, snapshot.seconds)
        head = "" if t.finished else f"<p>This interview is not finished. {resume_link(t.session_id)}.</p>"
        report = report_fragment(t, extras, retry_session=t.session_id)  # each answered row: Try again
        return _opened(head + report, export_files(t, extras, root=self.exports), deletable=True)

    def delete_session(self, session_id: str | None, request: gr.Request | None = None) -> tuple[Any, ...]:
        """Delete one of the visitor's sessions: its answers, its saved state and its downloads. Returns History's
        report area (saying so) and the History listing without it."""
        if not session_id:
            done = "<p>Click a session in the table first, then delete it.</p>"
        else:
            try:
                self.check_owner(session_id, self.visitor(request))
                self.registry.delete(session_id)
                remove_exports(
                    session_id, self.exports, served_from=Path(get_upload_folder())
                )  # Gradio's copies too
                done = "<p>The interview was deleted, with its answers, report and downloads.</p>"
            except InterviewerError as exc:
                done = f"<p>{esc(str(exc))}</p>"
        return *_opened(done), *self.history(request)

    def redraw_chat(self, session_id: str, request: gr.Request | None = None) -> Any:
        """The chat as the saved transcript has it: after the chat's own clear button, which would empty it.
        Read from the store, so this light call never waits for, or starts, a grading."""
        if not session_id:
            return []
        try:
            self.check_owner(session_id, self.visitor(request))
            snapshot, _ = self.registry.store.load(session_id)
        except InterviewerError:
            return gr.skip()
        return chat_of(snapshot.transcript)


def setup_config(
    topics: list[str] | None,
    types: list[str] | None,
    difficulties: list[str] | None,
    count: float,
    follow_ups: float,
    mode: str,
    time_limit: float | None,
) -> SessionConfig:
    """The session the set-up panel's inputs ask for (Start and "Practice what's due" both read them)."""
    limit = int(time_limit or 0)
    if limit and not 10 <= limit <= 3600:
        raise InterviewerError("The time limit must be between 10 and 3600 seconds, or 0 for none.")
    return SessionConfig(
        topics=topics or [],
        types=[QuestionType(t) for t in types or []],
        difficulties=[int(d) for d in difficulties or []],
        num_questions=int(count),
        max_follow_ups=int(follow_ups),
        mode=mode,
        time_limit_seconds=limit if (limit and mode == "exam") else None,
    )
