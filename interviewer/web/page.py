"""The web page: set-up panel, chat, score cards, report and history, on the same Session API as the CLI.

Safe by default: bound to 127.0.0.1, no share link, every event goes through Gradio's queue (the REST
routes that would skip it are closed), answers are length-checked on the server, Markdown from answers is
sanitised, nothing typed is kept in the browser's storage (the session id rides in the address,
`?session=…`; a cookie holds only a random id telling browsers apart), a password can be required
(`INTERVIEWER_AUTH`), and each visitor sees and acts on their own sessions only (`visitors`). Malformed
events, uploads and login floods are refused before Gradio sees them (`guard`), answers are rate-limited per
visitor (`throttle`), and the queue is bounded. The page is
served at once; the embedding model and
the index load in a background thread and the page says when grading is ready.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
from gradio.utils import get_upload_folder
from starlette.middleware import Middleware

from interviewer.errors import InterviewerError
from interviewer.interview.registry import TIME_LIMIT_GRACE, SessionRegistry
from interviewer.interview.scorecard import CSS as CARD_CSS
from interviewer.interview.storage import SessionStore
from interviewer.models import QuestionType
from interviewer.retrieval.model_process import ProcessEmbedder
from interviewer.web.actions import COMMANDS, PageActions, WarmUp
from interviewer.web.guard import GuardLimits, PageGuard
from interviewer.web.progress_tab import CSS as PROGRESS_CSS
from interviewer.web.progress_tab import DueRow, ProgressActions, due_row, progress_tab, wire_progress
from interviewer.web.retry_panel import RETRY_CSS, RETRY_HEAD, RetryActions, retry_inputs, wire_retry
from interviewer.web.views import HISTORY_HEADERS, INTRO, sweep_exports
from interviewer.web.visitors import OWNER_COOKIE_SCRIPT
from interviewer.web.why_panel import WHY_CSS, WhyActions, WhyPanel, why_panel, wire_why

if TYPE_CHECKING:
    from interviewer.config import Settings
    from interviewer.services import Services

log = logging.getLogger(__name__)

MAX_UPLOAD = "1kb"
# Gradio keeps each browser session's last input values; this many sessions at most (its default is 10,000).
STATE_SESSIONS = 2000
# Gradio's queue rebuilds a monitoring summary (a pandas table of up to 10,000 past events) after every event: about
# 6.5 ms of the server's CPU per event once 10,000 are kept (docs/load-notes.md). The page serves no monitoring
# (`enable_monitoring=False`), so the summary is never rebuilt, and only the last thousand events are kept.
QUEUE_ENVIRONMENT = {"GRADIO_ANALYTICS_CACHE_FREQUENCY": str(2**31), "GRADIO_ANALYTICS_MAX_EVENTS": "1000"}


def guard_limits(settings: Settings) -> GuardLimits:
    """What `PageGuard` lets through (text up to 16 times the answer limit), and its login throttle."""
    return GuardLimits(
        # Longer than the answer limit, so an over-long answer still gets the page's own notice (text kept).
        max_text_chars=settings.max_answer_chars * 16,
        login_attempts=settings.login_attempts,
        login_lockout_seconds=settings.login_lockout_seconds,
        private_dir=settings.exports_dir,
    )


LIGHT_CONCURRENCY = 8  # status polls and history reads: cheap, never queued behind gradings

CSS = (
    CARD_CSS
    + WHY_CSS
    + RETRY_CSS
    + PROGRESS_CSS
    + """
#iv-status { font-weight: 600; }
#iv-notice p { color: #b00020; font-weight: 600; }
#iv-notice p.iv-info { color: inherit; font-weight: 400; }
.iv-clock { font-size: 1.2em; font-weight: 700; color: #7a4b00; }
.iv-clock.iv-times-up { color: #b00020; }
/* The chat's own clear (trash) button would wipe the question from view: the transcript is the record. */
#iv-chat button[aria-label="Clear"], #iv-chat button[title="Clear"] { display: none !important; }
/* The clock and the notice take no room while they are empty. */
#iv-clock:has(#iv-clock-box:empty), #iv-notice:not(:has(p)) { display: none; }
/* Commands: small buttons that wrap, three to a line on a phone, so the score card is close below. */
#iv-commands { gap: 6px; flex-wrap: wrap; }
#iv-commands > button { flex: 1 1 90px; min-width: 90px !important; }
@media (max-width: 640px) {
  #iv-chat { height: 340px !important; max-height: 340px !important; }
  .iv-card, .iv-report { font-size: 14px; }
  #iv-history table, #iv-history table * { font-size: 12px; font-family: inherit !important; }
  #iv-history th, #iv-history td { padding: 4px !important; }
}
"""
)

# The exam clock counts down in the browser, from the seconds left when the question arrived (so the browser's
# clock need not agree with the server's), and at zero says time is up and sends what is typed (or skips an
# empty box). The address keeps the session id so a refresh carries on; nothing goes to localStorage.
HEAD = """
<script>
(() => {
  const fmt = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  setInterval(() => {
    const clock = document.querySelector(".iv-clock[data-left]");
    if (!clock) return;
    if (!clock.dataset.until) clock.dataset.until = String(Date.now() + Number(clock.dataset.left) * 1000);
    const ms = Number(clock.dataset.until) - Date.now();
    if (ms > 0) {
      clock.textContent = `Time left: ${fmt(Math.ceil(ms / 1000))}`;
      return;
    }
    if (clock.dataset.fired === "yes") return;
    clock.dataset.fired = "yes";
    const box = document.querySelector("#iv-answer textarea");
    const typed = Boolean(box && box.value.trim());
    clock.classList.add("iv-times-up");
    clock.textContent = typed ? "Time's up: sending your answer…" : "Time's up: skipping this question…";
    document.querySelector(typed ? "#iv-send" : "#iv-skip")?.click();
  }, 250);
})();
</script>
"""

# System fonts: the default theme would fetch Google Fonts, and the page should work offline.
THEME = gr.themes.Default(
    font=["system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "Menlo", "Consolas", "monospace"],
)

LATEX_DELIMITERS: list[dict[str, str | bool]] = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
    {"left": "\\(", "right": "\\)", "display": False},
    {"left": "\\[", "right": "\\]", "display": True},
]

REMEMBER_SESSION_JS = """
(sid) => {
  const url = new URL(window.location.href);
  if (sid) { url.searchParams.set("session", sid); } else { url.searchParams.delete("session"); }
  window.history.replaceState(null, "", url);
}
"""


@dataclass
class SetupPanel:
    """The interview's settings and the Start button, folded away while an interview runs."""

    accordion: gr.Accordion
    inputs: list[Any]  # in the order `PageActions.start` takes them
    start: gr.Button
    due: DueRow  # how many questions are due, and "Practice what's due"


@dataclass
class InterviewPanel:
    """The chat, the answer box and its buttons, the score card, the report and its downloads."""

    chat: gr.Chatbot
    clock: gr.HTML
    notice: gr.Markdown
    answer: gr.Textbox
    send: gr.Button
    buttons: dict[str, gr.Button]
    card: gr.HTML
    report: gr.HTML
    downloads: list[gr.DownloadButton]
    why: WhyPanel  # "Why did I lose points?" under the card


@dataclass
class HistoryTab:
    tab: gr.Tab
    refresh: gr.Button
    table: gr.Dataframe
    ids: gr.State  # the session id of each row, in order: the table itself shows none
    pick: gr.Dropdown  # hidden: the session a row click chose (and the one `/open_report` is asked for)
    report: gr.HTML
    downloads: list[gr.DownloadButton]
    delete: gr.Button  # shown with an opened report; asks for a confirmation before anything is deleted
    confirm: gr.Row
    delete_for_good: gr.Button
    keep: gr.Button


def build_app(services: Services, store: SessionStore | None = None, warm: WarmUp | None = None) -> gr.Blocks:
    """The page. Without `warm` it starts warming up at once; `launch` passes one and warms up after serving."""
    store = store or SessionStore(services.settings.sessions_db)
    if warm is None:
        warm = WarmUp()
        warm_up(services, warm)
    actions = PageActions(SessionRegistry(services, store), warm)

    with gr.Blocks(title="interviewer: ML mock interviews", analytics_enabled=False) as page:
        gr.Markdown("# ML mock interview")
        status = gr.Markdown(warm.status(), elem_id="iv-status")
        session_id = gr.Textbox(visible=False, elem_id="iv-session-id")
        with gr.Tab("Interview"):
            setup = _setup_panel(services.bank.topics)
            interview = _interview_panel()
        history = _history_tab()
        progress = progress_tab()
        retry = retry_inputs()  # hidden: what a Try again button (score card, report rows) sends
        view = _wire_interview(page, actions, session_id, setup, interview)
        wire_retry(RetryActions(actions), retry, view, session_id, REMEMBER_SESSION_JS)
        progress_actions = ProgressActions(actions)
        wire_progress(
            page, progress_actions, progress, setup, interview.report, view, session_id, REMEMBER_SESSION_JS
        )
        why = WhyActions(
            lambda sid, request: actions.session(sid, actions.visitor(request)),
            services.bank,
            services.explainer,
        )
        wire_why(why, interview.why, session_id, interview.card)
        _wire_status_and_history(page, actions, status, history)
    # api_open=False: the REST routes that would run an event outside the queue answer 404.
    # max_size: past it, a new event is refused and the browser says the page is busy and to try again.
    for name, value in QUEUE_ENVIRONMENT.items():  # read when the queue is made
        os.environ.setdefault(name, value)
    page.queue(
        default_concurrency_limit=services.settings.web_concurrency,
        api_open=False,
        max_size=services.settings.queue_size,
    )
    return page


def _setup_panel(topics: list[str]) -> SetupPanel:
    with gr.Accordion("Set up", open=True) as accordion:
        with gr.Row():
            topic_choice = gr.Dropdown(topics, multiselect=True, label="Topics (empty: all)")
            types = gr.Dropdown(
                [t.value for t in QuestionType], multiselect=True, label="Question types (empty: all)"
            )
            difficulty = gr.CheckboxGroup(
                [("easy", "1"), ("medium", "2"), ("hard", "3")], label="Difficulty (none: all)"
            )
        with gr.Row():
            count = gr.Slider(1, 20, value=3, step=1, label="Questions", elem_id="iv-count")
            follow_ups = gr.Slider(
                0, 3, value=1, step=1, label="Follow-ups per question", elem_id="iv-follow-ups"
            )
            mode = gr.Radio(
                [("study: feedback after each answer", "study"), ("exam: feedback at the end", "exam")],
                value="study",
                label="Mode",
                elem_id="iv-mode",
            )
            time_limit = gr.Number(
                0,
                precision=0,
                minimum=0,
                label="Exam time limit per question (seconds, 0: none)",
                info=f"At zero the page sends what you typed; an answer more than {TIME_LIMIT_GRACE:g} s late "
                "counts as skipped.",
                visible=False,  # exam mode only
                elem_id="iv-time-limit",
            )
        mode.change(
            lambda chosen: gr.Number(visible=chosen == "exam"),
            mode,
            time_limit,
            api_visibility="private",
            concurrency_id="light",
            concurrency_limit=LIGHT_CONCURRENCY,
            show_progress="hidden",
        )
        ask_about = gr.Textbox(
            label="Ask me about… (optional)",
            placeholder="e.g. regularisation in linear models; finds matching questions in the bank",
        )
        start = gr.Button("Start", variant="primary", elem_id="iv-start")
        due = due_row()
    inputs = [topic_choice, types, difficulty, count, follow_ups, mode, time_limit, ask_about]
    return SetupPanel(accordion, inputs, start, due)


def _interview_panel() -> InterviewPanel:
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(
                label="Interview",
                height=460,
                sanitize_html=True,
                render_markdown=True,
                allow_tags=False,
                feedback_options=None,
                latex_delimiters=LATEX_DELIMITERS,
                group_consecutive_messages=False,  # the next question in a bubble of its own
                buttons=["copy", "copy_all"],  # no share button (and the clear button is hidden: see CSS)
                placeholder=INTRO,  # shown while the chat is empty: a first visit
                elem_id="iv-chat",
            )
            clock = gr.HTML(elem_id="iv-clock")
            notice = gr.Markdown(elem_id="iv-notice")
            answer = gr.Textbox(
                label="Your answer (Markdown, code blocks and $math$ welcome)",
                lines=6,
                max_lines=30,
                placeholder="Type your answer (several lines are fine), then press Send.",
                elem_id="iv-answer",
            )
            send = gr.Button("Send", variant="primary", elem_id="iv-send")
            with gr.Row(elem_id="iv-commands"):
                buttons = {
                    name: gr.Button(label, size="sm", min_width=90, elem_id=f"iv-{name}")
                    for name, label in COMMANDS
                }
        with gr.Column(scale=2):
            card = gr.HTML(label="Score card", elem_id="iv-card")
            why = why_panel()
    report = gr.HTML(elem_id="iv-report")
    with gr.Row():
        downloads = [
            gr.DownloadButton(f"Download {kind}", visible=False, elem_id=f"iv-download-{ext}")
            for kind, ext in (("Markdown", "md"), ("JSON", "json"), ("HTML", "html"))
        ]
    return InterviewPanel(chat, clock, notice, answer, send, buttons, card, report, downloads, why)


def _history_tab() -> HistoryTab:
    with gr.Tab("History") as tab:
        gr.Markdown("Your past interviews, the latest first. Click one to see its report.")
        table = gr.Dataframe(
            headers=HISTORY_HEADERS,
            interactive=False,
            wrap=True,
            column_widths=["26%", "17%", "18%", "25%", "14%"],  # fits a phone's 390 px without a scroll
            buttons=[],
            elem_id="iv-history",
        )
        refresh = gr.Button("Refresh", size="sm")
        ids = gr.State([])
        # Any value: the server checks the id and its owner (`Actions.open_report`), and says so when it is not
        # one of the visitor's sessions, instead of Gradio refusing it with a traceback in the log.
        pick = gr.Dropdown(
            [], label="Session", visible=False, allow_custom_value=True, elem_id="iv-history-pick"
        )
        report = gr.HTML(elem_id="iv-history-report")
        with gr.Row():
            downloads = [
                gr.DownloadButton(f"Download {kind}", visible=False) for kind in ("Markdown", "JSON", "HTML")
            ]
        delete = gr.Button(
            "Delete this interview", variant="stop", size="sm", visible=False, elem_id="iv-history-delete"
        )
        with gr.Row(visible=False, elem_id="iv-history-confirm") as confirm:
            gr.Markdown("Delete this interview, its answers and its downloads for good?")
            delete_for_good = gr.Button(
                "Yes, delete it", variant="stop", size="sm", elem_id="iv-history-delete-yes"
            )
            keep = gr.Button("Keep it", size="sm", elem_id="iv-history-keep")
    return HistoryTab(
        tab, refresh, table, ids, pick, report, downloads, delete, confirm, delete_for_good, keep
    )


def _wire_interview(
    page: gr.Blocks, actions: PageActions, session_id: gr.Textbox, setup: SetupPanel, ui: InterviewPanel
) -> list[Any]:
    """The interview's events, all in the "grading" queue lane; each returns the whole view (the outputs,
    returned for other events that show a session)."""
    view = [
        *(session_id, ui.chat, ui.answer, ui.notice, ui.card, ui.report, *ui.downloads, ui.clock),
        *(ui.buttons["hint"], ui.buttons["reveal"], setup.accordion),
    ]
    setup.start.click(actions.start, setup.inputs, view, api_name="start", concurrency_id="grading").then(
        None, [session_id], None, js=REMEMBER_SESSION_JS
    )
    ui.send.click(actions.answer, [session_id, ui.answer], view, api_name="answer", concurrency_id="grading")
    for name, button in ui.buttons.items():
        button.click(actions.command(name), [session_id], view, api_name=name, concurrency_id="grading")
    page.load(actions.resume, [session_id], view, api_name="resume", concurrency_id="grading").then(
        None, [session_id], None, js=REMEMBER_SESSION_JS
    )
    ui.chat.clear(
        actions.redraw_chat,
        [session_id],
        [ui.chat],
        api_visibility="private",
        concurrency_id="light",
        concurrency_limit=LIGHT_CONCURRENCY,
    )
    return view


def _wire_status_and_history(
    page: gr.Blocks, actions: PageActions, status: gr.Markdown, history: HistoryTab
) -> None:
    """Status polls and history reads are cheap: their own queue lane, never behind gradings."""
    light: dict[str, Any] = {
        "concurrency_id": "light",
        "concurrency_limit": LIGHT_CONCURRENCY,
        "show_progress": "hidden",
    }
    timer = gr.Timer(1.0)
    page.load(actions.status, None, [status, timer], api_name="status", **light)
    timer.tick(actions.status, None, [status, timer], api_visibility="private", **light)
    listing = [history.table, history.ids, history.pick]
    history.tab.select(actions.history, None, listing, api_name="history", **light)
    history.refresh.click(actions.history, None, listing, api_visibility="private", **light)
    opened = [history.report, *history.downloads, history.delete, history.confirm]
    history.table.select(
        actions.pick_row, [history.ids], [history.pick], api_visibility="private", **light
    ).then(
        actions.open_report, [history.pick], opened, api_name="open_row", api_visibility="private", **light
    )
    # For clients: open a session listed by `/history` (a session not listed is refused).
    history.pick.input(actions.open_report, [history.pick], opened, api_name="open_report", **light)
    # Delete asks first; only "Yes, delete it" reaches the server, which checks the session is the visitor's.
    folded = [history.delete, history.confirm]
    history.delete.click(
        lambda: (gr.Button(visible=False), gr.Row(visible=True)),
        None,
        folded,
        api_visibility="private",
        **light,
    )
    history.keep.click(
        lambda: (gr.Button(visible=True), gr.Row(visible=False)),
        None,
        folded,
        api_visibility="private",
        **light,
    )
    history.delete_for_good.click(
        actions.delete_session,
        [history.pick],
        [*opened, *listing],
        api_name="delete_session",
        concurrency_id="grading",  # it waits for a grading of the session to finish
        show_progress="hidden",
    )


def warm_up(services: Services, warm: WarmUp | None = None) -> threading.Thread:
    """Load the model and bring the index up to date without holding up the page."""
    warm = warm or WarmUp()

    def run() -> None:
        try:
            services.ensure_index()
            services.embedder.embed(["warm up the model"])  # an unchanged index embeds nothing
            _ = services.grader
            if not isinstance(services.embedder, ProcessEmbedder):  # the child set its own at start
                _model_threads(services.settings.model_threads)
            warm.done.set()
        except Exception as exc:
            log.exception("warm-up failed")
            warm.error = str(exc)
            return
        try:  # the pair model (1.5 s) after "ready": a grading that comes first waits for it, not every start
            if services.pair_model is not None:
                services.pair_model.load()  # in this process: its passes too run on INTERVIEWER_MODEL_THREADS
                _model_threads(services.settings.model_threads)
        except Exception as exc:  # each grading says so too (an `InterviewerError`, the answer kept)
            log.exception("the pair model failed to load")
            warm.error = str(exc)
        try:  # the grading work per bank entry: kept (under a second), then what was not (behind gradings)
            work = services.prepare_grading()
            if work is not None and services.settings.prepare_entries:
                work.complete()
        except Exception:
            log.exception("preparing the grading work per entry failed; first answers will do it")

    thread = threading.Thread(target=run, name="warm-up", daemon=True)
    thread.start()
    return thread


def _model_threads(threads: int) -> None:
    """For a model in the page's own process (the embedder with `INTERVIEWER_MODEL_PROCESS=false`, the pair model
    always): once the index is built, each model pass runs on `threads` cores (`INTERVIEWER_MODEL_THREADS`; 0
    leaves torch's default of every core)."""
    if threads:
        import torch

        torch.set_num_threads(threads)


def _sweep_hourly(settings: Settings) -> None:
    """Remove exports older than `INTERVIEWER_RETENTION_DAYS`: now, and every hour while the page runs."""
    while True:
        try:
            sweep_exports(
                settings.exports_dir, settings.retention_days, served_from=Path(get_upload_folder())
            )
        except (OSError, InterviewerError):
            log.exception("removing old exports failed")
        time.sleep(3600)


def launch(
    services: Services, host: str | None = None, port: int | None = None, *, block: bool = True
) -> gr.Blocks:
    """Serve the page, then warm up (so loading the model does not slow the page's start).

    With `block=False` it returns once the server is up (for tests)."""
    settings = services.settings
    auth = settings.auth_pairs or None
    warm = WarmUp()
    page = build_app(services, warm=warm)
    page.launch(
        server_name=host or settings.host,
        server_port=port or settings.port,
        share=False,
        auth=auth,
        show_error=False,
        enable_monitoring=False,  # Gradio's /monitoring dashboard is on unless turned off
        ssr_mode=False,
        prevent_thread_lock=True,
        run_history=False,  # Gradio would otherwise keep every call's inputs (answers) in localStorage
        footer_links=["gradio", "settings"],  # no "Use via API" on a candidate's page
        css=CSS,
        head=HEAD + OWNER_COOKIE_SCRIPT + RETRY_HEAD,
        theme=THEME,
        max_file_size=MAX_UPLOAD,  # the page has no upload control; `PageGuard` refuses uploads anyway
        state_session_capacity=STATE_SESSIONS,
        # Gradio copies the downloads from here into its cache; `PageGuard` serves nothing from here directly.
        allowed_paths=[str(settings.exports_dir)],
        app_kwargs={"middleware": [Middleware(PageGuard, page=page, limits=guard_limits(settings))]},
    )
    sweeper = threading.Thread(target=_sweep_hourly, args=(settings,), name="export-sweep", daemon=True)
    sweeper.start()
    warm_up(services, warm)
    if block:
        page.block_thread()
    return page
