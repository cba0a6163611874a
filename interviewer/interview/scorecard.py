"""The score card: one graded answer as HTML, for the page and for the HTML report.

Everything the candidate or a model wrote is escaped here (or rendered by Markdown with raw HTML turned
off), so an answer's HTML or JavaScript is shown as text and never runs.
"""

from __future__ import annotations

import html

from markdown_it import MarkdownIt

from interviewer.models import Grade, KeyPointResult

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")

STATUS_MARK = {"covered": "✔", "partial": "◐", "missing": "✘"}
GRADER_LABEL = {
    "llm": "LLM grader",
    "offline": "offline grader",
    "offline-fallback": "offline grader (fallback)",
}

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
    return html.escape(str(text), quote=True)


def grader_badge(grade: Grade) -> str:
    label = GRADER_LABEL[grade.grader]
    note = f'<div class="iv-note">Why: {esc(grade.fallback_reason)}</div>' if grade.fallback_reason else ""
    return f'<span class="iv-grader {grade.grader}">{label}</span>{note}'


def highlight_evidence(answer: str, grade: Grade) -> str:
    """The answer, escaped, with each sentence quoted as evidence marked by what it showed."""
    spans: list[tuple[int, int, str]] = []
    quoted: list[tuple[str, str]] = [
        (k.evidence, k.status) for k in grade.key_points if k.evidence and k.status != "missing"
    ]
    quoted += [(m.evidence, "misconception") for m in grade.misconceptions if m.evidence]
    for evidence, kind in quoted:
        start = answer.find(evidence)
        if start >= 0:
            spans.append((start, start + len(evidence), kind))
    out, cursor = [], 0
    for start, end, kind in sorted(spans):
        if start < cursor:
            continue  # the same sentence quoted twice: mark it once
        out.append(esc(answer[cursor:start]))
        out.append(f'<mark class="{kind}">{esc(answer[start:end])}</mark>')
        cursor = end
    out.append(esc(answer[cursor:]))
    return "".join(out)


def _key_point(k: KeyPointResult) -> str:
    evidence = f'<div class="iv-evidence">“{esc(k.evidence)}”</div>' if k.evidence else ""
    return (
        f'<li class="{k.status}"><span class="iv-mark">{STATUS_MARK[k.status]}</span> '
        f"<b>{k.status}</b>: {esc(k.text)}{evidence}</li>"
    )


def criteria_table(grade: Grade) -> str:
    if not grade.criteria:
        return ""
    rows = "".join(
        f"<tr><td>{esc(c.name)}</td><td style='width:40%'><div class='iv-bar'><span style='width:{c.score * 10:.0f}%'>"
        f"</span></div></td><td>{c.score:g}/10</td></tr>"
        for c in grade.criteria
    )
    return f'<table class="iv-criteria">{rows}</table>'


def score_card(grade: Grade, answer: str, reference_answer: str | None, heading: str = "") -> str:
    """The full card shown after an answer in study mode."""
    parts = [
        '<div class="iv-card">',
        f"<h3>{esc(heading)}</h3>" if heading else "",
        f'<div class="iv-head"><span class="iv-score">{grade.score:g}/10</span>{grader_badge(grade)}</div>',
    ]
    if grade.feedback.summary:
        parts.append(f"<p>{esc(grade.feedback.summary)}</p>")
    if grade.flags:
        parts.append(f'<p class="iv-note">Flags: {esc(", ".join(grade.flags))}</p>')
    parts.append(criteria_table(grade))
    if grade.key_points:
        parts.append("<h4>Key points</h4><ul class='iv-kp'>")
        parts += [_key_point(k) for k in grade.key_points]
        parts.append("</ul>")
    parts.append(
        f"<h4>Your answer</h4><div class='iv-answer' data-testid='answer'>{highlight_evidence(answer, grade)}</div>"
    )
    if grade.misconceptions:
        parts.append("<h4>Misconceptions</h4><ul>")
        parts += [f"<li>You said “{esc(m.evidence)}”. {esc(m.correction)}</li>" for m in grade.misconceptions]
        parts.append("</ul>")
    adds = grade.feedback.missing or [k.text for k in grade.missed]
    if adds:
        parts.append("<h4>What a strong answer adds</h4><ul>")
        parts += [f"<li>{esc(a)}</li>" for a in adds]
        parts.append("</ul>")
    if reference_answer:
        parts.append(
            f"<details><summary>Reference answer</summary>{markdown_html(reference_answer)}</details>"
        )
    parts.append("</div>")
    return "".join(parts)
