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
.iv-report table { border-collapse: collapse; } .iv-report th, .iv-report td { border: 1px solid #ddd; padding: 0.2em 0.5em; }
.iv-turn { margin: 0.4em 0; } .iv-who { font-weight: 600; }
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
_templates.globals.update(status_mark=STATUS_MARK, grader_label=GRADER_LABEL, speaker=SPEAKER)


def render_html(template: str, **context: Any) -> str:
    """`templates/<template>` rendered with `context`; a missing variable is an error, not an empty string."""
    return _templates.get_template(template).render(**context)


Segment = tuple[str, str | None]  # a piece of the answer and what it showed (covered, partial, misconception)


def evidence_segments(answer: str, grade: Grade) -> list[Segment]:
    """The answer cut into pieces, each sentence quoted as evidence tagged by what it showed."""
    spans: list[tuple[int, int, str]] = []
    quoted: list[tuple[str, str]] = [
        (k.evidence, k.status) for k in grade.key_points if k.evidence and k.status != "missing"
    ]
    quoted += [(m.evidence, "misconception") for m in grade.misconceptions if m.evidence]
    for evidence, kind in quoted:
        start = answer.find(evidence)
        if start >= 0:
            spans.append((start, start + len(evidence), kind))
    segments: list[Segment] = []
    cursor = 0
    for start, end, kind in sorted(spans):
        if start < cursor:
            continue  # the same sentence quoted twice: mark it once
        segments += [(answer[cursor:start], None), (answer[start:end], kind)]
        cursor = end
    segments.append((answer[cursor:], None))
    return segments


def highlight_evidence(answer: str, grade: Grade) -> str:
    """The answer, escaped, with each sentence quoted as evidence marked by what it showed."""
    parts = _templates.get_template("_parts.html.j2").module
    return str(parts.highlight(evidence_segments(answer, grade)))  # type: ignore[attr-defined]


def score_card(grade: Grade, answer: str, reference_answer: str | None, heading: str = "") -> str:
    """The full card shown after an answer in study mode."""
    return render_html(
        "scorecard.html.j2",
        grade=grade,
        segments=evidence_segments(answer, grade),
        reference_answer=reference_answer,
        heading=heading,
        flags=", ".join(grade.flags),
    )
