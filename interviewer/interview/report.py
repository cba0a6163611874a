"""A finished (or unfinished) transcript as a report: Markdown, JSON and a self-contained HTML page.

All three carry the same summary (overall score, scores per topic and per criterion, strongest and
weakest key points) and the whole transcript. The HTML page needs nothing from the network: its style
is inline and its charts are inline SVG.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from markupsafe import Markup

from interviewer.interview.scorecard import CSS, SPEAKER, render_html
from interviewer.models import Grade, KeyPointResult, Transcript


def to_json(transcript: Transcript) -> str:
    data = transcript.model_dump(mode="json")
    data["overall_score"] = transcript.overall_score
    return json.dumps(data, indent=2, ensure_ascii=False)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines() or [""])


def _grade_lines(grade: Grade) -> list[str]:
    lines = [f"*Graded {grade.score}/10 by the {grade.grader} grader.*", ""]
    if grade.fallback_reason:
        lines += [f"*LLM grader unavailable: {grade.fallback_reason}.*", ""]
    if grade.flags:
        lines += [f"Flags: {', '.join(grade.flags)}", ""]
    if grade.criteria:
        lines += ["| criterion | level | score |", "| --- | --- | --- |"]
        lines += [f"| {c.name} | {c.level}/3 | {c.score}/10 |" for c in grade.criteria]
        lines.append("")
    for k in grade.key_points:
        mark = {"covered": "✅", "partial": "◐", "missing": "❌"}[k.status]
        evidence = f" — “{k.evidence}”" if k.evidence else ""
        lines.append(f"- {mark} {k.text}{evidence}")
    for m in grade.misconceptions:
        lines.append(f"- ⚠️ Wrong claim: “{m.quoted}” — {m.correction}")
    lines.append("")
    return lines


def to_markdown(transcript: Transcript) -> str:
    config = transcript.config
    lines = [
        f"# Interview report {transcript.session_id}",
        "",
        f"- Started: {transcript.started_at}"
        + (f", ended: {transcript.ended_at}" if transcript.ended_at else ""),
        f"- Mode: {config.mode}; questions: {len(transcript.questions)}; follow-ups per question: up to "
        f"{config.max_follow_ups}",
        f"- **Overall score: {transcript.overall_score}/10**",
        "",
        *_summary_lines(summarize(transcript)),
        "| # | question | topic | score |",
        "| --- | --- | --- | --- |",
    ]
    for n, q in enumerate(transcript.questions, start=1):
        status = "skipped" if q.skipped else f"{q.score}/10"
        question = q.question.replace("|", "\\|")
        lines.append(f"| {n} | {question} | {q.topic} | {status} |")
    lines.append("")
    for n, q in enumerate(transcript.questions, start=1):
        lines += [f"## {n}. {q.question}", "", f"*{q.type.value}, {q.topic}, difficulty {q.difficulty}*", ""]
        for turn in q.turns:
            if turn.kind == "feedback":
                continue  # the grade is shown with the answer it belongs to
            lines += [
                f"**{SPEAKER[turn.role]}** ({turn.kind.replace('_', ' ')}):",
                "",
                _quote(turn.text),
                "",
            ]
            if turn.grade:
                lines += _grade_lines(turn.grade)
        lines += [f"**Question score: {q.score}/10**", ""]
    return "\n".join(lines)


# --- summary ---------------------------------------------------------------------------------------------


@dataclass
class ReportSummary:
    overall: float
    by_topic: list[tuple[str, float]] = field(default_factory=list)
    by_criterion: list[tuple[str, float]] = field(default_factory=list)
    strongest: list[KeyPointResult] = field(default_factory=list)
    weakest: list[KeyPointResult] = field(default_factory=list)


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 1) if values else 0.0


def summarize(transcript: Transcript, top: int = 3) -> ReportSummary:
    """Scores per topic (skipped questions count 0) and per criterion (over main answers), and the key
    points best covered and most important missed (not recovered in a follow-up)."""
    topics: dict[str, list[float]] = {}
    criteria: dict[str, list[float]] = {}
    covered: list[KeyPointResult] = []
    missed: list[KeyPointResult] = []
    for q in transcript.questions:
        topics.setdefault(q.topic, []).append(q.score)
        if q.main_grade is None:
            continue
        for c in q.main_grade.criteria:
            criteria.setdefault(c.name, []).append(c.score)
        recovered = {k.text for g in q.follow_up_grades for k in g.key_points if k.status == "covered"}
        for k in q.main_grade.key_points:
            if k.status == "covered":
                covered.append(k)
            elif k.text not in recovered:
                missed.append(k)
    return ReportSummary(
        overall=transcript.overall_score,
        by_topic=[(t, _mean(v)) for t, v in topics.items()],
        by_criterion=[(c, _mean(v)) for c, v in criteria.items()],
        strongest=sorted(covered, key=lambda k: (-k.similarity, -k.weight))[:top],
        weakest=sorted(missed, key=lambda k: (-k.weight, k.status != "missing", k.similarity))[:top],
    )


def _summary_lines(summary: ReportSummary) -> list[str]:
    lines: list[str] = []
    for title, items in (("topic", summary.by_topic), ("criterion", summary.by_criterion)):
        if items:
            lines += [f"| {title} | mean score |", "| --- | --- |"]
            lines += [f"| {name} | {score}/10 |" for name, score in items]
            lines.append("")
    if summary.strongest:
        lines += ["**Strongest key points:**", ""] + [f"- {k.text}" for k in summary.strongest] + [""]
    if summary.weakest:
        lines += (
            ["**Weakest key points:**", ""] + [f"- {k.text} ({k.status})" for k in summary.weakest] + [""]
        )
    return lines


# --- HTML (templates/report.html.j2, templates/report_page.html.j2) -------------------------------------


def report_fragment(transcript: Transcript) -> str:
    """The report as an HTML fragment (the page shows it; `to_html` wraps it in a document)."""
    return render_html("report.html.j2", transcript=transcript, summary=summarize(transcript))


def to_html(transcript: Transcript) -> str:
    """A self-contained HTML page: inline style and charts, no scripts, nothing fetched."""
    return render_html(
        "report_page.html.j2", transcript=transcript, summary=summarize(transcript), css=Markup(CSS)
    )
