"""A finished (or unfinished) transcript as a report: Markdown, JSON and a self-contained HTML page.

All three carry the same summary (overall score, scores per topic and per criterion, strongest and
weakest key points), a table of the questions with each one's final score (follow-ups included; in exam mode
with the time spent on it), and the whole transcript with each question's reference answer. Every score shown
as a question's is its final score; a follow-up's grade is shown as what it is, the grade of one key point, and
an answer given after the reference answer was revealed as practice that does not count. Times are local.
The HTML page needs nothing from the network: its style is inline and its charts are inline SVG.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from markupsafe import Markup

from interviewer.interview.doubts import listed_flags, unsure_note
from interviewer.interview.scorecard import CSS, render_html
from interviewer.interview.session import closed_at, hints_taken, score_cap
from interviewer.models import Grade, KeyPointResult, QuestionRecord, Transcript, Turn


@dataclass(frozen=True)
class ReportExtras:
    """What a report shows beyond the transcript: each question's reference answer (by bank entry id) and the
    seconds spent on each question, in the order asked (`SessionSnapshot.seconds`)."""

    references: Mapping[str, str] = field(default_factory=dict)
    seconds: Sequence[float] = ()

    def seconds_for(self, number: int) -> float | None:
        """The seconds spent on question `number` (from 1), if known."""
        return self.seconds[number - 1] if 0 < number <= len(self.seconds) else None


NO_EXTRAS = ReportExtras()

# What each turn was, in plain English, by who said it and its kind.
TURN_LABEL = {
    "question": "Interviewer asked",
    "follow_up": "Interviewer followed up",
    "hint": "Interviewer gave a hint",
    "repeat": "Interviewer asked again",
    "feedback": "Interviewer's feedback",
    "answer": "You answered",
    "skip": "You skipped",
    "dont_know": "You said you don't know",
    "end": "You ended the interview",
}
REVEAL_LABEL = "Interviewer revealed the reference answer"
PRACTICE_LABEL = "You answered after the reveal (practice, not counted)"

AnswerKind = Literal["main", "follow_up", "practice"]


def local_time(iso: str | None) -> str:
    """An ISO timestamp (stored in UTC) as this computer's local time: "26 Nov 2026, 14:05"; '' if none."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.astimezone().strftime("%-d %b %Y, %H:%M")


def duration(seconds: float | None) -> str:
    """Seconds as "45 s" or "2 min 05 s"; '' when unknown."""
    if seconds is None:
        return ""
    whole = round(seconds)
    return f"{whole} s" if whole < 60 else f"{whole // 60} min {whole % 60:02d} s"


def answer_kinds(record: QuestionRecord) -> dict[int, AnswerKind]:
    """For each graded answer among the record's turns (by index): the main answer, a follow-up's answer (graded
    on one key point) or practice (given after the reveal closed the question)."""
    closed = closed_at(record)
    kinds: dict[int, AnswerKind] = {}
    asked: AnswerKind = "main"
    for i, turn in enumerate(record.turns):
        if turn.kind in ("question", "follow_up"):
            asked = "main" if turn.kind == "question" else "follow_up"
        elif turn.role == "candidate" and turn.grade is not None:
            kinds[i] = "practice" if closed is not None and i > closed else asked
    return kinds


def turn_label(record: QuestionRecord, index: int) -> str:
    """What the record's turn at `index` was, in plain English ("You answered", "Interviewer followed up")."""
    turn = record.turns[index]
    if turn.kind == "hint" and index == closed_at(record):
        return REVEAL_LABEL
    if answer_kinds(record).get(index) == "practice":
        return PRACTICE_LABEL
    return TURN_LABEL[turn.kind]


def question_status(record: QuestionRecord, is_open: bool = False) -> str:
    """The question's final score, said with what happened to it: "7.5/10", "skipped", "2/10, answer revealed";
    "not answered yet" for the open question of an unfinished interview."""
    if record.skipped and not record.revealed:
        return "skipped"
    if is_open and record.main_grade is None and not record.revealed:
        return "not answered yet"
    score = f"{record.score:g}/10"
    if taken := hints_taken(record):
        score += f", {taken} hint{'s' if taken > 1 else ''} (maximum {score_cap(record):g})"
    return f"{score}, answer revealed" if record.revealed else score


@dataclass(frozen=True)
class QuestionRow:
    """One row of the report's table of questions."""

    number: int
    question: str
    topic: str
    type: str
    status: str
    time: str


def question_rows(transcript: Transcript, extras: ReportExtras = NO_EXTRAS) -> list[QuestionRow]:
    exam = transcript.config.mode == "exam"
    last = len(transcript.questions)
    return [
        QuestionRow(
            number=n,
            question=q.question,
            topic=q.topic,
            type=q.type.value,
            status=question_status(q, is_open=not transcript.finished and n == last),
            time=duration(extras.seconds_for(n)) if exam else "",
        )
        for n, q in enumerate(transcript.questions, start=1)
    ]


def overall_label(transcript: Transcript) -> str:
    """The overall score, "so far" while the interview is unfinished."""
    return f"{transcript.overall_score:g}/10" + ("" if transcript.finished else " so far")


def to_json(transcript: Transcript, extras: ReportExtras = NO_EXTRAS) -> str:
    """The transcript as JSON, with the overall score, and beside each grade the grader is unsure of, the line
    a person is shown about it (`unsure_note`); each key point in doubt carries its own `doubt`. Each question
    carries its reference answer and the seconds spent on it when known; each graded answer its `answer_kind`
    (main, follow_up or practice: after the reveal, not counted)."""
    data = transcript.model_dump(mode="json")
    data["overall_score"] = transcript.overall_score
    for n, (q, q_data) in enumerate(zip(transcript.questions, data["questions"], strict=True), start=1):
        if q.entry_id in extras.references:
            q_data["reference_answer"] = extras.references[q.entry_id]
        if (spent := extras.seconds_for(n)) is not None:
            q_data["seconds"] = spent
        for i, kind in answer_kinds(q).items():
            q_data["turns"][i]["answer_kind"] = kind
        pairs = [(q.main_grade, q_data["main_grade"])]
        pairs += zip(q.follow_up_grades, q_data["follow_up_grades"], strict=True)
        pairs += [(t.grade, t_data["grade"]) for t, t_data in zip(q.turns, q_data["turns"], strict=True)]
        for grade, grade_data in pairs:
            if grade is not None and (note := unsure_note(grade)):
                grade_data["unsure_note"] = note
    return json.dumps(data, indent=2, ensure_ascii=False)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines() or [""])


def grade_headline(grade: Grade, kind: AnswerKind = "main") -> str:
    """What a grade is, said so that only a main answer's grade reads as the question's score."""
    if kind == "follow_up":
        point = grade.key_points[0].status if grade.key_points else "graded"
        return f"Follow-up on one key point: {point} ({grade.score:g}/10 for that point)"
    if kind == "practice":
        return f"Practice: {grade.score:g}/10, not counted"
    return f"{grade.score:g}/10"


def _grade_lines(grade: Grade, kind: AnswerKind = "main") -> list[str]:
    lines = [f"*{grade_headline(grade, kind)}, graded by the {grade.grader} grader.*", ""]
    if grade.fallback_reason:
        lines += [f"*LLM grader unavailable: {grade.fallback_reason}.*", ""]
    if unsure := unsure_note(grade):
        lines += [f"**{unsure}**", ""]
    if flags := listed_flags(grade):
        lines += [f"Flags: {', '.join(flags)}", ""]
    if grade.criteria:
        lines += ["| criterion | level | score |", "| --- | --- | --- |"]
        lines += [f"| {c.name} | {c.level}/3 | {c.score}/10 |" for c in grade.criteria]
        lines.append("")
    for k in grade.key_points:
        mark = {"covered": "✅", "partial": "◐", "missing": "❌"}[k.status]
        evidence = f" — “{k.evidence}”" if k.evidence else ""
        lines.append(f"- {mark} {k.text}{evidence}")
        if k.doubt:
            lines.append(f"  - Unsure: {k.doubt}")
    for m in grade.misconceptions:
        lines.append(f"- ⚠️ Wrong claim: “{m.quoted}” — {m.correction}")
    lines.append("")
    return lines


def to_markdown(
    transcript: Transcript, extras: ReportExtras = NO_EXTRAS, *, with_transcript: bool = True
) -> str:
    """The report in Markdown; without the transcript, only its head, summary and table of questions."""
    config = transcript.config
    started, ended = local_time(transcript.started_at), local_time(transcript.ended_at)
    exam = config.mode == "exam"
    lines = [
        f"# Interview report {transcript.session_id}",
        "",
        f"- Started: {started}" + (f", ended: {ended}" if ended else " (not finished)"),
        f"- Mode: {config.mode}; questions: {len(transcript.questions)}; follow-ups per question: up to "
        f"{config.max_follow_ups}",
        f"- **Overall score: {overall_label(transcript)}**",
        "",
        *_summary_lines(summarize(transcript)),
        "| # | question | topic | score |" + (" time |" if exam else ""),
        "| --- | --- | --- | --- |" + (" --- |" if exam else ""),
    ]
    rows = question_rows(transcript, extras)
    for row in rows:
        question = row.question.replace("|", "\\|")
        time = f" {row.time} |" if exam else ""
        lines.append(f"| {row.number} | {question} | {row.topic} | {row.status} |{time}")
    lines.append("")
    if not with_transcript:
        return "\n".join(lines)
    for n, q in enumerate(transcript.questions, start=1):
        lines += [f"## {n}. {q.question}", "", f"*{q.type.value}, {q.topic}, difficulty {q.difficulty}*", ""]
        kinds = answer_kinds(q)
        for i, turn in enumerate(q.turns):
            if turn.kind == "feedback":
                continue  # the grade is shown with the answer it belongs to
            lines += [f"**{turn_label(q, i)}:**", "", _quote(_reveal_free(q, i, turn, extras)), ""]
            if turn.grade:
                lines += _grade_lines(turn.grade, kinds.get(i, "main"))
        row = rows[n - 1]
        lines += [f"**Question score: {row.status}**" + (f" (time: {row.time})" if row.time else ""), ""]
        if reference := extras.references.get(q.entry_id):
            lines += ["**Reference answer:**", "", _quote(reference), ""]
    return "\n".join(lines)


def _reveal_free(record: QuestionRecord, index: int, turn: Turn, extras: ReportExtras) -> str:
    """A turn's text; the reveal's is left at a note when the reference answer follows the question."""
    if index == closed_at(record) and record.entry_id in extras.references:
        return "(the reference answer, below)"
    return turn.text


# --- summary ---------------------------------------------------------------------------------------------


@dataclass
class CriteriaChart:
    """Mean criterion scores over the main answers graded by one rubric (one set of criteria): each rubric
    has its own words for what it measures, so each gets its own chart, named by its question types."""

    title: str
    items: list[tuple[str, float]]


@dataclass
class ReportSummary:
    overall: float
    by_topic: list[tuple[str, float]] = field(default_factory=list)
    by_rubric: list[CriteriaChart] = field(default_factory=list)
    strongest: list[KeyPointResult] = field(default_factory=list)
    weakest: list[KeyPointResult] = field(default_factory=list)


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 1) if values else 0.0


def _types_title(types: list[str]) -> str:
    names = list(dict.fromkeys(types))
    said = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Score per criterion: {said} questions"


def summarize(transcript: Transcript, top: int = 3) -> ReportSummary:
    """Final scores per topic (follow-ups included; skipped questions count 0), scores per criterion (over
    main answers, a chart per rubric), and the key points best covered and most important missed (not
    recovered in a follow-up)."""
    topics: dict[str, list[float]] = {}
    rubrics: dict[tuple[str, ...], tuple[list[str], dict[str, list[float]]]] = {}
    covered: list[KeyPointResult] = []
    missed: list[KeyPointResult] = []
    for q in transcript.questions:
        topics.setdefault(q.topic, []).append(q.score)
        if q.main_grade is None:
            continue
        if q.main_grade.criteria:
            key = tuple(f"{c.id}:{c.name}" for c in q.main_grade.criteria)
            types, criteria = rubrics.setdefault(key, ([], {}))
            types.append(q.type.value)
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
        by_rubric=[
            CriteriaChart(_types_title(types), [(c, _mean(v)) for c, v in criteria.items()])
            for types, criteria in rubrics.values()
        ],
        strongest=sorted(covered, key=lambda k: (-k.similarity, -k.weight))[:top],
        weakest=sorted(missed, key=lambda k: (-k.weight, k.status != "missing", k.similarity))[:top],
    )


def _summary_lines(summary: ReportSummary) -> list[str]:
    lines: list[str] = []
    if summary.by_topic:
        lines += ["| topic | mean score |", "| --- | --- |"]
        lines += [f"| {name} | {score}/10 |" for name, score in summary.by_topic]
        lines.append("")
    for chart in summary.by_rubric:
        lines += [f"**{chart.title}**", "", "| criterion | mean score |", "| --- | --- |"]
        lines += [f"| {name} | {score}/10 |" for name, score in chart.items]
        lines.append("")
    if summary.strongest:
        strongest = [f"- {k.text}{' (the grader is unsure)' if k.doubt else ''}" for k in summary.strongest]
        lines += ["**Strongest key points:**", "", *strongest, ""]
    if summary.weakest:
        weakest = [
            f"- {k.text} ({k.status}{', the grader is unsure' if k.doubt else ''})" for k in summary.weakest
        ]
        lines += ["**Weakest key points:**", "", *weakest, ""]
    return lines


# --- HTML (templates/report.html.j2, templates/report_page.html.j2) -------------------------------------


def _html_context(
    transcript: Transcript, extras: ReportExtras, retry_session: str | None = None
) -> dict[str, object]:
    return {
        "retry_session": retry_session,
        "transcript": transcript,
        "summary": summarize(transcript),
        "rows": question_rows(transcript, extras),
        "references": extras.references,
        "started": local_time(transcript.started_at),
        "overall_label": overall_label(transcript),
        "answer_kinds": answer_kinds,
        "turn_label": turn_label,
        "closed_at": closed_at,
        "grade_headline": grade_headline,
    }


def report_fragment(
    transcript: Transcript, extras: ReportExtras = NO_EXTRAS, *, retry_session: str | None = None
) -> str:
    """The report as an HTML fragment (the page shows it; `to_html` wraps it in a document). With
    `retry_session`, each answered question's row has a Try again button (the page's, `web/retry_panel.py`)."""
    return render_html("report.html.j2", **_html_context(transcript, extras, retry_session))


def to_html(transcript: Transcript, extras: ReportExtras = NO_EXTRAS) -> str:
    """A self-contained HTML page: inline style and charts, no scripts, nothing fetched."""
    return render_html("report_page.html.j2", css=Markup(CSS), **_html_context(transcript, extras))
