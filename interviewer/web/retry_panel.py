"""The page's "Try again": ask an answered question once more, as a one-question study session whose score card
shows what changed against the last attempt (`interview/retry.py`).

The buttons are plain HTML inside the score card and on each answered row of a report (in the Interview tab and
in History), each naming its session and question. One script on the page (`RETRY_HEAD`) catches their clicks
and presses a hidden Gradio button, whose event carries the two to the server (`/retry` for clients). The server
checks that the session is the visitor's, refuses a running exam's questions, looks up the visitor's last attempt
at the question among their own sessions, and starts the new session; the page then shows the Interview tab.

Why a new session and not the question asked again inside the interview it came from: the report a candidate
retries from, and its score, stay as they were; an interview still running keeps counting each question once
(it waits in History, and the notice links back to it); and every attempt is a dated row of its own in History.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gradio as gr

from interviewer.errors import InterviewerError
from interviewer.interview.report import local_time
from interviewer.interview.retry import COMPARISON_CSS, check_retry, last_attempt, retry_config
from interviewer.interview.scorecard import esc
from interviewer.models import Attempt, Transcript
from interviewer.web.views import resume_link
from interviewer.web.visitors import Visitor

if TYPE_CHECKING:
    from interviewer.web.actions import PageActions

RETRY_CSS = (
    COMPARISON_CSS
    + """
button.iv-retry { padding: 0.2em 0.9em; border-radius: 6px; border: 1px solid #4c78a8; background: #e8eefc;
  color: #1d3a8a; font-weight: 600; cursor: pointer; font-size: 0.9em; }
button.iv-retry:hover { background: #d3defa; }
.iv-retry-bar { margin: 0 0 0.4em; }
.iv-questions td button.iv-retry { display: block; margin-top: 0.3em; white-space: nowrap; }
"""
)

# A click on any Try again button: its session and question are kept for the hidden button's event (`wire_retry`),
# which reads them back in the browser before the server is called.
RETRY_HEAD = """
<script>
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("button.iv-retry") : null;
  if (!button) return;
  window.__ivRetry = { session: button.dataset.session || "", entry: button.dataset.entry || "" };
  document.querySelector("#iv-retry-go")?.click();
});
</script>
"""
READ_CLICKED_JS = """
(session, entry) => {
  const clicked = window.__ivRetry || { session: session, entry: entry };
  return [clicked.session, clicked.entry];
}
"""
SHOW_INTERVIEW_JS = """
() => {
  const tab = Array.from(document.querySelectorAll("button[role='tab']")).find((b) => b.textContent.trim() === "Interview");
  tab?.click();
  window.scrollTo({ top: 0 });
}
"""


@dataclass
class RetryInputs:
    """Hidden: the session and question of the Try again button clicked, and the button that sends them."""

    session: gr.Textbox
    entry: gr.Textbox
    go: gr.Button


def retry_inputs() -> RetryInputs:
    return RetryInputs(
        gr.Textbox(visible=False, elem_id="iv-retry-session"),
        gr.Textbox(visible=False, elem_id="iv-retry-entry"),
        gr.Button("Try again", visible="hidden", elem_id="iv-retry-go"),
    )


class RetryActions:
    """Starting a retry: the visitor's own session and question, their last attempt, a new session."""

    def __init__(self, actions: PageActions):
        self.actions = actions
        self.store = actions.registry.store

    def retry(self, session_id: str, entry_id: str, request: gr.Request | None = None) -> tuple[Any, ...]:
        """The Interview tab's view of a new one-question session on `entry_id`, asked in `session_id`; a refusal
        leaves the page as it was, with a notice."""
        visitor = self.actions.visitor(request)
        try:
            if not session_id or not entry_id:
                raise InterviewerError("Open an answered question first, then press its Try again button.")
            self.actions.check_owner(session_id, visitor)
            source = self.store.load(session_id)[0].transcript
            check_retry(source, entry_id)
            earlier = self.last_attempt(visitor, entry_id)
            session, _ = self.actions.registry.start(retry_config(entry_id, earlier), owner=visitor.owner)
        except InterviewerError as exc:
            return self._refused(str(exc))
        return self.actions.view(session, started_notice(source, session_id, earlier), answer="")

    def last_attempt(self, visitor: Visitor, entry_id: str) -> Attempt | None:
        """The visitor's most recent counted answer to the question, among their own sessions only."""
        summaries = self.store.history(limit=1000, owner=visitor.owner, unowned=visitor.sees_unowned)
        return last_attempt(self._transcripts([s.id for s in summaries]), entry_id)

    def _transcripts(self, ids: list[str]) -> Iterator[Transcript]:
        for session_id in ids:
            try:
                yield self.store.load(session_id)[0].transcript
            except InterviewerError:  # deleted since it was listed
                continue

    def _refused(self, notice: str) -> tuple[Any, ...]:
        """Everything as it was, but the notice."""
        from interviewer.web.actions import VIEW_SIZE

        return (gr.skip(), gr.skip(), gr.skip(), notice, *(gr.skip() for _ in range(VIEW_SIZE - 4)))


def started_notice(source: Transcript, source_id: str, earlier: Attempt | None) -> str:
    """What the notice says as a retry starts: what it is compared with, and the way back to an unfinished
    interview it was started from."""
    compared = (
        "Trying the question again: your new answer is compared with your last attempt "
        f"({earlier.grade.score:g}/10, {local_time(earlier.answered_at)})."
        if earlier
        else "Trying the question again: no earlier graded answer to it is on record, so there is nothing to "
        "compare with yet."
    )
    back = f" The interview you came from is kept: {resume_link(source_id)}." if not source.finished else ""
    return f'<p class="iv-info">{esc(compared)}{back}</p>'


def wire_retry(
    retry: RetryActions, inputs: RetryInputs, view: list[Any], session_id: gr.Textbox, remember_js: str
) -> None:
    """The hidden button's click sends the clicked button's session and question; then the page remembers the new
    session in its address (`remember_js`, given the session id) and shows the Interview tab."""
    inputs.go.click(
        retry.retry,
        [inputs.session, inputs.entry],
        view,
        js=READ_CLICKED_JS,
        api_name="retry",
        concurrency_id="grading",
    ).then(
        None,
        [session_id],
        None,
        js=f"(sid) => {{ ({remember_js.strip()})(sid); ({SHOW_INTERVIEW_JS.strip()})(); }}",
    )
