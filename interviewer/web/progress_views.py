"""What the Progress tab shows: pure HTML of a candidate's `Progress` and schedule.

The chart is inline SVG: a line per topic, a dot per session, on a fixed 0-10 scale. It scales with its box
(its viewBox is small, so its words stay readable at phone width), needs no script, and a dot's tooltip says
the topic, the score, the date and how many questions it averages. Everything from a session (questions, key
points, topics) is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from interviewer.interview.progress import Progress, TopicProgress, practised
from interviewer.interview.schedule import QuestionSchedule, due, nothing_due, when
from interviewer.interview.scorecard import esc

COLOURS = (  # Tableau 10: told apart by most colour-blind readers, and on white
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
WIDTH, HEIGHT = 400, 220  # the chart's own units; it is drawn at the width of its box
LEFT, RIGHT, TOP, BOTTOM = 36, 10, 10, 24
SHOWN_SESSIONS = 30  # the chart shows the latest sessions only, so dots stay apart at phone width

CSS = """
#iv-progress-chart { max-width: 560px; }
.iv-progress h4 { margin: 0.9em 0 0.3em; }
.iv-progress ul { padding-left: 1.2em; margin: 0.3em 0; }
.iv-progress li { margin: 0.25em 0; }
.iv-legend { list-style: none; padding-left: 0 !important; display: flex; flex-wrap: wrap; gap: 0.2em 1.2em; }
.iv-swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 50%; margin-right: 0.35em;
  vertical-align: -0.1em; }
.iv-muted { color: #666; font-size: 0.9em; }
.iv-due-now { font-weight: 600; }
/* At phone width the chart is drawn at about 0.8 of its own units: larger words keep its axes readable. */
@media (max-width: 640px) { .iv-progress-chart text { font-size: 16px; } }
"""


def short_date(moment: datetime) -> str:
    return moment.astimezone().strftime("%-d %b")


def summary(report: Progress, scheduled: Sequence[QuestionSchedule], now: datetime) -> str:
    """The tab's opening lines (Markdown): sessions, questions, time practised and what is due."""
    if report.empty:
        held = (
            f" Your exam still running counts once it ends ({report.held_exams})."
            if report.held_exams
            else ""
        )
        return f"**No practice yet.**{held} " + nothing_due([], now, report.untried_total)
    sessions = f"{report.sessions} session{'s' if report.sessions != 1 else ''}"
    tried = len(report.attempts)
    lines = [
        f"**{sessions}**, **{tried}** question{'s' if tried != 1 else ''} tried, "
        f"**{practised(report.seconds)}** practised."
    ]
    if report.held_exams:
        noun = "exam is" if report.held_exams == 1 else "exams are"
        lines.append(f"{report.held_exams} {noun} still running: counted once it ends.")
    count = len(due(scheduled, now))
    if count:
        noun = "question is" if count == 1 else "questions are"
        lines.append(f"**{count} {noun} due** for practice: press **Practice what's due**.")
    else:
        lines.append(nothing_due(scheduled, now, report.untried_total))
    return "\n\n".join(lines)


def chart(topics: Sequence[TopicProgress], sessions: int) -> str:
    """Each topic's score session by session, as an SVG line chart with an HTML legend; '' with no topics."""
    if not topics:
        return ""
    first = max(1, sessions - SHOWN_SESSIONS + 1)
    span = max(1, sessions - first)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(number: int) -> float:
        return LEFT + (plot_w / 2 if sessions == first else plot_w * (number - first) / span)

    def y(score: float) -> float:
        return TOP + plot_h * (1 - max(0.0, min(10.0, score)) / 10)

    parts = []
    for level in (0, 2.5, 5, 7.5, 10):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(level):.1f}" y2="{y(level):.1f}" stroke="#e3e3e3"/>'
            f'<text x="{LEFT - 5}" y="{y(level) + 4:.1f}" text-anchor="end" fill="#666">{level:g}</text>'
        )
    step = max(1, round((sessions - first + 1) / 8))  # at most about 8 session numbers under the axis
    for number in range(first, sessions + 1):
        if (number - first) % step == 0 or number == sessions:
            parts.append(
                f'<text x="{x(number):.1f}" y="{HEIGHT - 4}" text-anchor="middle" fill="#666">{number}</text>'
            )
    legend = []
    for index, topic in enumerate(topics):
        colour = COLOURS[index % len(COLOURS)]
        shown = [p for p in topic.points if p.session_number >= first]
        if len(shown) > 1:
            points = " ".join(f"{x(p.session_number):.1f},{y(p.score):.1f}" for p in shown)
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        for p in shown:
            noun = "question" if p.questions == 1 else "questions"
            tip = f"{topic.topic}: {p.score:g}/10 on {short_date(p.at)} (session {p.session_number}, {p.questions} {noun})"
            parts.append(
                f'<circle class="iv-dot" cx="{x(p.session_number):.1f}" cy="{y(p.score):.1f}" r="4.5" '
                f'fill="{colour}" stroke="#fff" stroke-width="1.5"><title>{esc(tip)}</title></circle>'
            )
        change = ""
        if len(topic.points) > 1:
            change = f", {topic.change:+g} since the first" if topic.change else ", as at the first"
        legend.append(
            f'<li><span class="iv-swatch" style="background:{colour}"></span>{esc(topic.topic)}: '
            f"<b>{topic.latest:g}</b>/10{change}</li>"
        )
    label = "Score per topic, session by session, on a scale of 0 to 10"
    svg = (
        f'<svg class="iv-chart iv-progress-chart" role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" font-family="sans-serif" font-size="12" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )
    older = f" (the latest {SHOWN_SESSIONS} of {sessions} sessions)" if first > 1 else ""
    return (
        f'<figure class="iv-chart-box iv-progress"><figcaption class="iv-chart-title">Score per topic (0-10), '
        f"session by session{older}</figcaption>"
        f'{svg}<ul class="iv-legend">{"".join(legend)}</ul></figure>'
    )


def due_list(scheduled: Sequence[QuestionSchedule], now: datetime, shown: int = 12) -> str:
    """The questions tried, the soonest due first: when each is due and how the last try went."""
    if not scheduled:
        return ""
    items = []
    for s in list(scheduled)[:shown]:
        moment = when(s.due_at, now)
        due_text = '<span class="iv-due-now">due now</span>' if moment == "now" else f"due {moment}"
        tries = "try" if s.attempts == 1 else "tries"
        items.append(
            f"<li>{due_text}: {esc(s.question)} "
            f'<span class="iv-muted">({esc(s.topic)}; last {s.last_score:g}/10, {s.attempts} {tries})</span></li>'
        )
    more = f'<p class="iv-muted">and {len(scheduled) - shown} more.</p>' if len(scheduled) > shown else ""
    return f'<div class="iv-progress"><h4>When each question comes back</h4><ul>{"".join(items)}</ul>{more}</div>'


def missed_list(report: Progress) -> str:
    if not report.missed:
        return ""
    items = [
        f'<li>{esc(m.key_point)} <span class="iv-muted">(missed {m.missed} of {m.graded}; in “{esc(m.question)}”)</span></li>'
        for m in report.missed
    ]
    return f'<div class="iv-progress"><h4>Key points you miss most</h4><ul>{"".join(items)}</ul></div>'


def untried_list(report: Progress) -> str:
    """Questions never tried, per topic: the topics practised first, then the rest."""
    if report.empty:
        return ""
    practised_topics = {a.topic for a in report.attempts}
    left = sorted(
        (u for u in report.untried if u.untried), key=lambda u: (u.topic not in practised_topics, u.topic)
    )
    if not left:
        return '<div class="iv-progress"><h4>Never tried</h4><p>You have tried every question in the bank.</p></div>'
    items = {
        u.topic: f"<li><b>{esc(u.topic)}</b>: {u.untried} of {u.total}"
        + (
            f' <span class="iv-muted">e.g. {"; ".join(f"“{esc(q)}”" for q in u.examples)}</span>'
            if u.examples
            else ""
        )
        + "</li>"
        for u in left
    }
    near = "".join(item for topic, item in items.items() if topic in practised_topics)
    # The topics not practised yet fold away: with the whole bank listed, a phone scrolls for pages.
    rest = [item for topic, item in items.items() if topic not in practised_topics]
    folded = (
        f"<details><summary>{len(rest)} topic{'s' if len(rest) != 1 else ''} you have not practised yet</summary>"
        f"<ul>{''.join(rest)}</ul></details>"
        if rest
        else ""
    )
    return (
        f'<div class="iv-progress"><h4>Never tried: {report.untried_total} questions</h4>'
        f"{f'<ul>{near}</ul>' if near else ''}{folded}</div>"
    )
