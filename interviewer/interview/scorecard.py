"""The score card: one graded answer as HTML, for the page and for the HTML report.

The card and the report are Jinja2 templates (`templates/`) that escape every value, so an answer's HTML
or JavaScript is shown as text and never runs; the one exception is Markdown, rendered with raw HTML
turned off. This module holds the template environment both use.
"""

from __future__ import annotations

import html
import re
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from jinja2.ext import Extension
from markdown_it import MarkdownIt
from markupsafe import Markup

from interviewer.interview.doubts import UNSURE_LABEL, doubted_clauses, listed_flags, unsure_note
from interviewer.models import Grade

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")

STATUS_MARK = {"covered": "✔", "partial": "◐", "missing": "✘"}
GRADER_LABEL = {
    "llm": "LLM grader",
    "offline": "offline grader",
    "offline-fallback": "offline grader (fallback)",
}
SPEAKER = {"interviewer": "Interviewer", "candidate": "You"}

CSS = """
.iv-card, .iv-report { font-size: 15px; line-height: 1.45; }
.iv-card h4, .iv-report h4 { margin: 0.9em 0 0.3em; }
.iv-head { display: flex; align-items: baseline; gap: 0.8em; flex-wrap: wrap; }
.iv-score { font-size: 1.8em; font-weight: 700; }
.iv-grader { padding: 0.1em 0.6em; border-radius: 1em; background: #e8eefc; color: #1d3a8a; font-size: 0.85em; }
.iv-grader.offline-fallback { background: #fff3d6; color: #7a4b00; }
.iv-note { color: #7a4b00; font-size: 0.9em; }
.iv-criteria { border-collapse: collapse; width: 100%; }
.iv-criteria td { padding: 0.15em 0.4em; }
.iv-bar { background: #eee; border-radius: 3px; width: 100%; height: 0.8em; }
.iv-bar > span { display: block; height: 100%; border-radius: 3px; background: #4c78a8; }
.iv-kp { list-style: none; padding-left: 0; }
.iv-kp li { margin: 0.25em 0; }
.iv-kp .covered .iv-mark { color: #1a7f37; } .iv-kp .partial .iv-mark { color: #b26b00; }
.iv-kp .missing .iv-mark { color: #c62828; }
.iv-evidence { color: #555; font-style: italic; margin-left: 1.4em; }
.iv-answer { white-space: pre-wrap; border-left: 3px solid #ccc; padding-left: 0.7em; }
mark.covered { background: #c8f0d0; } mark.partial { background: #ffe8b0; } mark.misconception { background: #ffd0d0; }
mark.unsure { background: #dde6f0; }
.iv-unsure { padding: 0 0.5em; border-radius: 1em; background: #dde6f0; color: #2c3e50; font-size: 0.8em; }
.iv-doubt { color: #2c3e50; font-size: 0.9em; margin-left: 1.4em; }
.iv-unsure-note { color: #2c3e50; font-size: 0.9em; }
.iv-report table { border-collapse: collapse; } .iv-report th, .iv-report td { border: 1px solid #ddd; padding: 0.2em 0.5em; }
.iv-turn { margin: 0.4em 0; } .iv-who { font-weight: 600; }
.iv-score-what { color: #555; font-size: 0.9em; }
.iv-practice { padding: 0.1em 0.6em; border-radius: 1em; background: #f3e8ff; color: #5b2a86; font-size: 0.85em; }
.iv-chart-box { margin: 0.8em 0; } .iv-chart-title { font-weight: 600; margin-bottom: 0.2em; }
.iv-chart { display: block; max-width: 100%; height: auto; }
.iv-questions { width: 100%; margin: 0.6em 0; } .iv-questions th { text-align: left; }
.iv-reference { margin: 0.4em 0 1em; }
"""


def markdown_html(text: str) -> str:
    """Markdown to HTML with raw HTML shown as text, so nothing in `text` can run."""
    return _markdown.render(text)


def esc(text: object) -> str:
    """`text` escaped for HTML, for the few bits of markup built outside the templates."""
    return html.escape(str(text), quote=True)


class _JoinLines(Extension):
    """Templates are written a tag a line, for reading; the HTML keeps the one-line shape it always had.

    Every line break and the indentation after it is dropped before the template is parsed, so a space
    wanted between two pieces is written inside a line (`{{ "\\n" }}` writes a line break)."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return _LINE_BREAK.sub("", source)


_LINE_BREAK = re.compile(r"\n\s*")
_templates = Environment(
    loader=PackageLoader("interviewer.interview", "templates"),
    autoescape=True,  # every value is escaped unless it is Markup (rendered Markdown, our own CSS)
    undefined=StrictUndefined,
    extensions=[_JoinLines],
)
_templates.filters["markdown"] = lambda text: Markup(markdown_html(text))
_templates.globals.update(
    status_mark=STATUS_MARK,
    grader_label=GRADER_LABEL,
    speaker=SPEAKER,
    unsure_label=UNSURE_LABEL,
    unsure_note=unsure_note,
)


def render_html(template: str, **context: Any) -> str:
    """`templates/<template>` rendered with `context`; a missing variable is an error, not an empty string."""
    return _templates.get_template(template).render(**context)


# A piece of the answer and what it showed: covered, partial, misconception, unsure (a doubted clause), None.
Segment = tuple[str, str | None]


def evidence_segments(answer: str, grade: Grade) -> list[Segment]:
    """The answer cut into pieces, each sentence quoted as evidence tagged by what it showed, and each clause
    the grader is unsure of tagged "unsure" (cut out of the sentence it lies in, unless that is a wrong claim)."""
    spans: list[tuple[int, int, str]] = []
    quoted: list[tuple[str, str]] = [
        (k.evidence, k.status) for k in grade.key_points if k.evidence and k.status != "missing"
    ]
    quoted += [(m.evidence, "misconception") for m in grade.misconceptions if m.evidence]
    for evidence, kind in quoted:
        start = answer.find(evidence)
        if start >= 0:
            spans.append((start, start + len(evidence), kind))
    # Each character of the answer: the span it is in (its start) and what that span showed.
    marks: list[tuple[int, str] | None] = [None] * len(answer)
    cursor = 0
    for start, end, kind in sorted(spans):
        if start < cursor:
            continue  # the same sentence quoted twice: mark it once
        marks[start:end] = [(start, kind)] * (end - start)
        cursor = end
    for clause in doubted_clauses(grade):
        start = answer.find(clause)
        if start >= 0:
            for i in range(start, start + len(clause)):
                under = marks[i]
                if under is None or under[1] != "misconception":
                    marks[i] = (-1 - start, UNSURE_LABEL)  # a key of its own, apart from any span's start
    segments: list[Segment] = []
    piece_start = 0
    for i in range(1, len(answer) + 1):
        if i == len(answer) or marks[i] != marks[piece_start]:
            mark = marks[piece_start]
            segments.append((answer[piece_start:i], mark[1] if mark else None))
            piece_start = i
    return segments


def highlight_evidence(answer: str, grade: Grade) -> str:
    """The answer, escaped, with each sentence quoted as evidence marked by what it showed."""
    parts = _templates.get_template("_parts.html.j2").module
    return str(parts.highlight(evidence_segments(answer, grade)))  # type: ignore[attr-defined]


def score_card(
    grade: Grade,
    answer: str,
    reference_answer: str | None,
    heading: str = "",
    *,
    kind: str = "main",
    question_score: float | None = None,
    hint_note: str = "",
) -> str:
    """The full card shown after an answer in study mode. `kind` is what the answer was: the question's main
    answer, a follow-up's (graded on one key point: the card's big number is then `question_score`, the
    question's score after it) or practice after the reveal (not counted). `hint_note` says what the hints
    taken cost; a main answer's card then shows the question's score, at most the maximum they left."""
    if kind == "main" and hint_note and question_score is None:
        raise ValueError("a card with a hint note needs the question's score")
    if kind == "follow_up" and question_score is None:
        raise ValueError("a follow-up's card needs the question's score")
    return render_html(
        "scorecard.html.j2",
        grade=grade,
        segments=evidence_segments(answer, grade),
        reference_answer=reference_answer,
        heading=heading,
        flags=", ".join(listed_flags(grade)),
        kind=kind,
        question_score=question_score,
        hint_note=hint_note,
    )
