"""Rendering a finished (or unfinished) transcript as Markdown and JSON."""

from __future__ import annotations

import json

from interviewer.models import Grade, Transcript

_SPEAKER = {"interviewer": "Interviewer", "candidate": "You"}


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
        lines.append(f"- ⚠️ Misconception: “{m.evidence}” — {m.correction}")
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
                f"**{_SPEAKER[turn.role]}** ({turn.kind.replace('_', ' ')}):",
                "",
                _quote(turn.text),
                "",
            ]
            if turn.grade:
                lines += _grade_lines(turn.grade)
        lines += [f"**Question score: {q.score}/10**", ""]
    return "\n".join(lines)
