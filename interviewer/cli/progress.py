"""`interviewer progress`: your progress across the terminal's sessions, and what is due for practice.

A thin face over `interview/progress.py` and `interview/schedule.py`, which the page's Progress tab uses too.
The terminal's sessions are those `interviewer practice` saves, into the same store as the page's; they have no
owner, like any session saved without a login or a browser id (`interview/storage.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from interviewer.cli import shared
from interviewer.errors import InterviewerError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from interviewer.interview.progress import Progress, TopicProgress
    from interviewer.interview.schedule import QuestionSchedule

BARS = "▁▂▃▄▅▆▇█"  # a sparkline on the fixed 0-10 scale, so two topics' bars compare


def progress(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    due_only: Annotated[bool, typer.Option("--due", help="Only what is due for practice.")] = False,
) -> None:
    """Your progress over the sessions practised in the terminal: each topic's score per session, what is due
    for practice (see `interviewer practice --due`), the key points you miss most, the questions never tried,
    and the time practised."""
    from interviewer.content.loader import load_bank
    from interviewer.interview.progress import progress as measure
    from interviewer.interview.progress import stored_sessions
    from interviewer.interview.schedule import due, schedules
    from interviewer.interview.storage import SessionStore

    settings = shared.settings()
    try:
        bank = load_bank(settings.bank_dir, settings.rubrics_dir)
        store = SessionStore(settings.sessions_db)
        try:
            snapshots = stored_sessions(store, owner=None, unowned=True)
        finally:
            store.close()
    except InterviewerError as exc:
        raise shared.fail(str(exc)) from None
    report = measure(snapshots, bank.entries)
    scheduled = schedules(report.attempts)
    now = datetime.now(UTC)
    if as_json:
        shared.print_json(
            {
                "sessions": report.sessions,
                "held_exams": report.held_exams,
                "seconds": report.seconds,
                "due": [s.model_dump(mode="json") for s in due(scheduled, now)],
                "scheduled": [s.model_dump(mode="json") for s in scheduled],
                "topics": [t.model_dump(mode="json") for t in report.topics],
                "missed": [m.model_dump(mode="json") for m in report.missed],
                "untried": [u.model_dump(mode="json") for u in report.untried],
            }
        )
        return
    show(report, scheduled, now, due_only=due_only)


def sparkline(scores: list[float]) -> str:
    return "".join(BARS[min(len(BARS) - 1, int(score / 10 * len(BARS)))] for score in scores)


def show(
    report: Progress, scheduled: list[QuestionSchedule], now: datetime, *, due_only: bool = False
) -> None:
    from rich.console import Console

    from interviewer.interview.progress import practised
    from interviewer.interview.schedule import due, due_line, nothing_due

    out = Console(highlight=False, emoji=False)
    held = f" ({report.held_exams} exam still running, counted once it ends)" if report.held_exams else ""
    if report.empty:
        out.print(f"No practice yet{held}. " + nothing_due([], now, report.untried_total))
        out.print("Start one with: interviewer practice --questions 3")
        return
    due_now = due(scheduled, now)
    if not due_only:
        out.print(
            f"[bold]Progress[/]: {report.sessions} session{'s' if report.sessions != 1 else ''}, "
            f"{len(report.attempts)} questions tried, {practised(report.seconds)} practised{held}."
        )
        out.print(_topics(report.topics))
    out.print()
    if due_now:
        out.print(_due_table(due_now, now))
        out.print("Practise them with: interviewer practice --due")
    else:
        out.print(
            due_line(scheduled, now) if scheduled else nothing_due(scheduled, now, report.untried_total)
        )
    if due_only:
        return
    if report.missed:
        out.print()
        out.print(_missed_table(report))
    _untried(out, report)


def _topics(topics: list[TopicProgress]) -> Table:
    from rich.table import Table

    table = Table(title="Score per topic, session by session (0-10)", title_justify="left", expand=False)
    for header, justify in (
        ("topic", "left"),
        ("sessions", "right"),
        ("trend", "left"),
        ("latest", "right"),
        ("change", "right"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for topic in topics:
        scores = [p.score for p in topic.points]
        change = f"{topic.change:+g}" if len(scores) > 1 else ""
        table.add_row(topic.topic, str(len(scores)), sparkline(scores[-12:]), f"{topic.latest:g}", change)
    return table


def _due_table(due_now: list[QuestionSchedule], now: datetime) -> Table:
    from rich.table import Table

    table = Table(title=f"Due for practice ({len(due_now)})", title_justify="left")
    table.add_column("question", overflow="fold")
    table.add_column("topic")
    table.add_column("last score", justify="right")
    table.add_column("tries", justify="right")
    for s in due_now:
        table.add_row(s.question, s.topic, f"{s.last_score:g}", str(s.attempts))
    return table


def _missed_table(report: Progress) -> Table:
    from rich.table import Table

    table = Table(title="Key points you miss most", title_justify="left")
    table.add_column("key point", overflow="fold", ratio=3)
    table.add_column("question", overflow="fold", ratio=2)
    table.add_column("missed", justify="right")
    for m in report.missed:
        table.add_row(m.key_point, m.question, f"{m.missed} of {m.graded}")
    return table


def _untried(out: Console, report: Progress) -> None:
    from rich.table import Table

    practised_topics = {a.topic for a in report.attempts}
    left = sorted(
        (u for u in report.untried if u.untried), key=lambda u: (u.topic not in practised_topics, u.topic)
    )
    if not left:
        return
    out.print()
    table = Table(title=f"Never tried: {report.untried_total} questions", title_justify="left")
    table.add_column("topic")
    table.add_column("never tried", justify="right")
    table.add_column("for example", overflow="fold")
    for u in left:  # the topics practised first; one question each, so a large bank stays a short table
        table.add_row(u.topic, f"{u.untried} of {u.total}", f"“{u.examples[0]}”" if u.examples else "")
    out.print(table)
