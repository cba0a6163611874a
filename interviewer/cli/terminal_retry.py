"""Try again in the terminal: `/retry` asks the latest answered question once more, and `interviewer practice
--retry <question-id>` starts with it; after the new answer the terminal prints what changed against the last
attempt (`interview/retry.py`): the score delta, key points gained and lost, and the two answers word by word,
struck out in red where only the last answer had them and green where the new one does.

As on the page, a retry is a one-question study session of its own, saved to the same History. In an exam that is
still running `/retry` is refused (its grades are held until the end); once it ends, `/retry` works on its
questions too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from interviewer.errors import InterviewerError
from interviewer.interview.report import local_time
from interviewer.interview.retry import (
    AttemptComparison,
    attempts_in,
    check_retry,
    comparison_for,
    last_attempt,
    retry_config,
)
from interviewer.interview.scorecard import STATUS_MARK
from interviewer.interview.storage import SessionStore
from interviewer.models import Attempt, SessionConfig, Transcript

if TYPE_CHECKING:
    from interviewer.cli.terminal import CtrlC
    from interviewer.interview.session import Session
    from interviewer.services import Services

RETRY = "/retry"
STATUS_WORD = {"covered": "covered", "partial": "partly covered", "missing": "missing"}
STATUS_STYLE = {"covered": "green", "partial": "yellow", "missing": "red"}
STOPS = ("/end", "/skip")  # leave a retry and go back to the interview


def stored_last_attempt(store: SessionStore, entry_id: str) -> Attempt | None:
    """The terminal's last attempt at a question: among the sessions saved without an owner (the terminal's; a
    page without a password shows the same), the most recent."""

    def transcripts() -> Iterator[Transcript]:
        for summary in store.history(limit=1000, owner=None, unowned=True):
            try:
                yield store.load(summary.id)[0].transcript
            except InterviewerError:
                continue

    return last_attempt(transcripts(), entry_id)


def latest_attempt(session: Session) -> Attempt:
    """The session's most recently answered question, as `/retry` asks it again; refused in an exam still running
    and before any answer."""
    transcript = session.transcript
    if transcript.config.mode == "exam" and not transcript.finished:
        check_retry(transcript, "")  # raises, saying why and when it opens
    attempts = attempts_in(transcript)
    if not attempts:
        raise InterviewerError("Answer a question first: /retry then asks it again and shows what changed.")
    return attempts[-1]


def print_comparison(out: Console, comparison: AttemptComparison) -> None:
    """The comparison under the new answer's feedback. Where the terminal shows no colour (NO_COLOR, or output
    to a file), the diff marks words as [-only in the last answer-] and {+new this time+}."""
    styled = out.color_system is not None
    out.print()
    head = Text("Compared with your last attempt", style="bold")
    head.append(": ", style="bold")
    head.append(f"{comparison.score_before:g}/10 last time ({comparison.earlier_when}), ")
    head.append(f"{comparison.score_after:g}/10 now, ")
    colour = "green" if comparison.delta > 0 else "red" if comparison.delta < 0 else ""
    head.append(comparison.delta_label, style=f"bold {colour}".strip())
    out.print(head)
    for title, changes in (("Key points gained:", comparison.gained), ("Key points lost:", comparison.lost)):
        if not changes:
            continue
        out.print(title, style="bold")
        points = Table.grid(padding=(0, 1))  # a point that wraps stays indented under its mark
        points.add_column(no_wrap=True)
        points.add_column()
        for change in changes:
            text = Text(f"{change.text} ")
            text.append(f"(was {STATUS_WORD[change.before]}, now {STATUS_WORD[change.after]})", style="dim")
            points.add_row(Text(f"  {STATUS_MARK[change.after]}", style=STATUS_STYLE[change.after]), text)
        out.print(points)
    if not comparison.gained and not comparison.lost:
        out.print("The same key points as last time.")
    for claim in comparison.claims_fixed:
        out.print(f"No longer in your answer, a wrong claim you made last time: “{claim}”", markup=False)
    for claim in comparison.claims_new:
        out.print(f"A wrong claim this time (see above): “{claim}”", style="red", markup=False)
    if comparison.same_answer:
        out.print("Your answer is word for word the one you gave last time.")
        return
    key = "red, struck out" if styled else "[- -]"
    new = "green" if styled else "{+ +}"
    out.print(f"What you changed ({key}: only in your last answer; {new}: new this time):", style="bold")
    diff = Text()
    for op in comparison.diff:
        if op.kind == "same":
            diff.append(op.text)
        elif op.kind == "deleted":
            diff.append(op.words if styled else f"[-{op.words}-]", style="red strike")
            diff.append(op.space)
        else:
            diff.append(op.words if styled else f"{{+{op.words}+}}", style="green")
            diff.append(op.space)
    out.print(diff)


def print_comparison_of(out: Console, session: Session) -> None:
    """A retry session's comparison, once its answer is graded (nothing for any other session)."""
    comparison = comparison_for(session.transcript)
    if comparison is not None:
        print_comparison(out, comparison)


def retry_in_terminal(
    services: Services,
    session: Session,
    stream: TextIO,
    ctrl_c: CtrlC,
    history: SessionStore | None = None,
) -> None:
    """`/retry`: the session's latest answered question asked again, in a one-question session of its own
    (saved to `history`), then the comparison; then back to the interview, which waits where it was."""
    from interviewer.cli.terminal import COMMANDS, console, is_why, read_answer, show

    out = console()
    try:
        earlier = latest_attempt(session)
        retry = services.new_session(retry_config(earlier.entry_id, earlier))
        turns = retry.start()
    except InterviewerError as exc:
        out.print(str(exc), style="yellow")
        return
    if history is not None:
        history.save(retry.snapshot())
    out.print(
        f"\nTrying again (your last attempt scored {earlier.grade.score:g}/10). Answer as before; /end leaves the "
        "retry.",
        style="bold",
    )
    show(turns)
    while not retry.finished:
        out.print("\nYou (trying again):", style="bold")
        try:
            with ctrl_c.reading():
                text = read_answer(stream)
        except KeyboardInterrupt:
            text = None
        if text is None or text in STOPS:
            out.print("Left the retry.")
            break
        try:
            if text in COMMANDS:
                turns = retry.command(COMMANDS[text])  # type: ignore[arg-type]
            elif is_why(text) or text == RETRY:
                out.print(
                    f"{text.split()[0]} waits until this retry is graded; answer, or /end.", style="yellow"
                )
                continue
            else:
                turns = retry.answer(text)
        except InterviewerError as exc:
            out.print(str(exc), style="yellow")
            continue
        if history is not None:
            history.save(retry.snapshot())
        show([t for t in turns if t.kind != "end"])  # the retry's own end: the interview goes on
        print_comparison_of(out, retry)
    if not session.finished:
        asked = [t for t in session.transcript.questions[-1].turns if t.kind in ("question", "follow_up")]
        out.print("\nBack to the interview.", style="bold")
        show(asked[-1:])


def retry_from_history(services: Services, entry_id: str) -> tuple[SessionConfig, str]:
    """`practice --retry <id>`: the one-question session on the question, compared with its last attempt in the
    terminal's History, and a line saying which attempt that is (or that there is none)."""
    services.bank.get(entry_id)  # an unknown id fails here, saying how to list the ids
    store = SessionStore(services.settings.sessions_db)
    try:
        earlier = stored_last_attempt(store, entry_id)
    finally:
        store.close()
    if earlier is None:
        told = (
            "No earlier graded answer to this question is in your History, so there is nothing to compare with "
            "yet."
        )
    else:
        when = local_time(earlier.answered_at)
        told = f"Trying again: your last attempt, on {when}, scored {earlier.grade.score:g}/10."
    return retry_config(entry_id, earlier), told
