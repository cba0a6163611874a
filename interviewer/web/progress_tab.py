"""The Progress tab and "Practice what's due": a thin face over `interview/progress.py` and `schedule.py`.

Progress counts the visitor's own sessions only, chosen the way History chooses them (`visitors`): the login
name with a password, else the browser's id. "Practice what's due" starts an interview from the questions due
(then the weakest), with the set-up panel's mode, follow-ups, number of questions and filters; when nothing is
due it starts nothing and says what to do. The set-up panel and the tab both say how many questions are due.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import gradio as gr

from interviewer.errors import InterviewerError
from interviewer.interview.progress import Progress, progress, stored_sessions
from interviewer.interview.schedule import QuestionSchedule, due_line, due_session, schedules
from interviewer.web import progress_views
from interviewer.web.actions import PageActions, setup_config
from interviewer.web.views import info_notice

CSS = (
    progress_views.CSS
    + """
#iv-due { align-items: center; gap: 8px; }
#iv-due-line p { margin: 0; }
"""
)
# After "Practice what's due" on the Progress tab: show the interview it started.
SHOW_INTERVIEW_JS = """
() => {
  const tab = Array.from(document.querySelectorAll('[role="tab"]')).find((b) => b.textContent.trim() === "Interview");
  tab?.click();
}
"""


def utc_now() -> datetime:
    return datetime.now(UTC)


class SetupLike(Protocol):
    """The set-up panel as this tab needs it (`page.SetupPanel`): its inputs, in `practice_due`'s order."""

    inputs: list[Any]
    due: DueRow


@dataclass
class DueRow:
    """On the set-up panel: how many questions are due, and the button that practises them."""

    line: gr.Markdown
    button: gr.Button


@dataclass
class ProgressTab:
    tab: gr.Tab
    summary: gr.Markdown
    practise: gr.Button
    chart: gr.HTML
    due: gr.HTML
    missed: gr.HTML
    untried: gr.HTML
    refresh: gr.Button

    @property
    def outputs(self) -> list[Any]:
        return [self.summary, self.chart, self.due, self.missed, self.untried]


def due_row() -> DueRow:
    with gr.Row(elem_id="iv-due"):
        button = gr.Button(
            "Practice what's due", size="sm", scale=0, min_width=170, elem_id="iv-practice-due"
        )
        line = gr.Markdown(elem_id="iv-due-line")
    return DueRow(line, button)


def progress_tab() -> ProgressTab:
    with gr.Tab("Progress") as tab:
        summary = gr.Markdown(elem_id="iv-progress-summary")
        with gr.Row():
            practise = gr.Button(
                "Practice what's due",
                variant="primary",
                size="sm",
                scale=0,
                min_width=200,
                elem_id="iv-progress-practice-due",
            )
        chart = gr.HTML(elem_id="iv-progress-chart")
        due = gr.HTML(elem_id="iv-progress-due")
        missed = gr.HTML(elem_id="iv-progress-missed")
        untried = gr.HTML(elem_id="iv-progress-untried")
        refresh = gr.Button("Refresh", size="sm")
    return ProgressTab(tab, summary, practise, chart, due, missed, untried, refresh)


class ProgressActions:
    """The handlers: the visitor's progress, what is due, and starting a session from it."""

    def __init__(self, actions: PageActions, clock: Callable[[], datetime] = utc_now):
        self.actions = actions
        self.bank = actions.services.bank
        self.clock = clock

    def _measure(self, request: gr.Request | None) -> tuple[Progress, list[QuestionSchedule]]:
        visitor = self.actions.visitor(request)
        snapshots = stored_sessions(
            self.actions.registry.store, owner=visitor.owner, unowned=visitor.sees_unowned
        )
        report = progress(snapshots, self.bank.entries)
        return report, schedules(report.attempts)

    def show(self, request: gr.Request | None = None) -> tuple[str, str, str, str, str]:
        """The tab: summary (Markdown), chart, due list, most-missed key points, never-tried questions."""
        report, scheduled = self._measure(request)
        now = self.clock()
        return (
            progress_views.summary(report, scheduled, now),
            progress_views.chart(report.topics, report.sessions),
            progress_views.due_list(scheduled, now),
            progress_views.missed_list(report),
            progress_views.untried_list(report),
        )

    def due_line(self, request: gr.Request | None = None) -> str:
        """The set-up panel's line on what is due."""
        _, scheduled = self._measure(request)
        if not scheduled:
            return "_Questions you answer come back here when they are due, the ones you got wrong first._"
        return due_line(scheduled, self.clock())

    def practice_due(
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
        """Start an interview from what is due (the set-up panel's inputs, less "Ask me about")."""
        try:
            config = setup_config(topics, types, difficulties, count, follow_ups, mode, time_limit)
            report, scheduled = self._measure(request)
            chosen, told = due_session(
                config, scheduled, self.bank.entries, self.clock(), report.untried_total
            )
            if chosen is None:
                return self.actions.view(None, info_notice(told))
            session, _ = self.actions.registry.start(chosen, owner=self.actions.visitor(request).owner)
        except InterviewerError as exc:
            return self.actions.view(None, str(exc))
        return self.actions.view(session, info_notice(told), answer="")


def wire_progress(
    page: gr.Blocks,
    actions: ProgressActions,
    tab: ProgressTab,
    setup: SetupLike,
    report: gr.HTML,
    view: list[Any],
    session_id: gr.Textbox,
    remember_session_js: str,
) -> None:
    """The tab's reads in the light lane; "Practice what's due" (either button) starts an interview in the
    grading lane and shows the whole interview view, as Start does. The set-up panel's line on what is due is
    read when the page loads, when the Progress tab opens, and when an interview's report appears."""
    light: dict[str, Any] = {"concurrency_id": "light", "concurrency_limit": 8, "show_progress": "hidden"}
    due = setup.due
    tab.tab.select(actions.show, None, tab.outputs, api_name="progress", **light)
    tab.refresh.click(actions.show, None, tab.outputs, api_visibility="private", **light)
    page.load(actions.due_line, None, [due.line], api_name="due_line", **light)
    for event in (tab.tab.select, report.change):
        event(actions.due_line, None, [due.line], api_visibility="private", **light)
    for button, name in ((due.button, "practice_due"), (tab.practise, None)):
        started = button.click(
            actions.practice_due,
            setup.inputs,
            view,
            api_name=name,
            api_visibility="public" if name else "private",
            concurrency_id="grading",
        ).then(None, [session_id], None, js=remember_session_js)
        if button is tab.practise:
            started = started.then(None, None, None, js=SHOW_INTERVIEW_JS)
