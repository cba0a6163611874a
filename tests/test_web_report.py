"""The score card and the report (Markdown, JSON, self-contained HTML): escaping, evidence, summary, charts."""

from __future__ import annotations

import html
import json
import re
import time

import pytest

from interviewer.interview import report
from interviewer.interview.scorecard import highlight_evidence, markdown_html, score_card
from interviewer.models import (
    CriterionScore,
    Feedback,
    Grade,
    KeyPointResult,
    MisconceptionFound,
    QuestionRecord,
    QuestionType,
    SessionConfig,
    Transcript,
    Turn,
)

ATTACK = '<script>alert(1)</script> Precision is TP/(TP+FP). <img src=x onerror="alert(2)"> Recall is hard.'


def grade(score: float = 6.0, grader: str = "offline", **extra: object) -> Grade:
    return Grade.model_validate(
        {
            "score": score,
            "grader": grader,
            "criteria": [
                CriterionScore(id="correctness", name="Correctness", weight=0.5, level=2, score=6.7),
                CriterionScore(id="completeness", name="Completeness", weight=0.5, level=1, score=3.3),
            ],
            "key_points": [
                KeyPointResult(
                    text="Precision is TP/(TP+FP).",
                    weight=2,
                    status="covered",
                    evidence="Precision is TP/(TP+FP).",
                    similarity=0.9,
                ),
                KeyPointResult(
                    text="Recall is TP/(TP+FN).", weight=1, status="partial", evidence="Recall is hard."
                ),
                KeyPointResult(text="They trade off via the threshold.", weight=3, status="missing"),
            ],
            "misconceptions": [
                MisconceptionFound(
                    text="x", correction="Recall is not hard; it is TP/(TP+FN).", evidence="Recall is hard."
                )
            ],
            "feedback": Feedback(missing=["They trade off via the threshold."], summary="Half there."),
            **extra,
        }
    )


def transcript() -> Transcript:
    answer = Turn(role="candidate", kind="answer", text=ATTACK, grade=grade())
    first = QuestionRecord(
        entry_id="precision-vs-recall",
        question="What is the difference between precision and recall?",
        topic="evaluation-metrics",
        type=QuestionType.CONCEPT,
        difficulty=1,
        turns=[
            Turn(role="interviewer", kind="question", text="Question 1 of 2: precision vs recall?"),
            answer,
        ],
        main_grade=answer.grade,
        score=6.0,
    )
    second = QuestionRecord(
        entry_id="ridge-vs-lasso",
        question="Ridge or lasso?",
        topic="linear-models",
        type=QuestionType.CONCEPT,
        difficulty=2,
        turns=[Turn(role="interviewer", kind="question", text="Question 2 of 2: Ridge or lasso?")],
        skipped=True,
    )
    return Transcript(
        session_id="abc123",
        config=SessionConfig(),
        questions=[first, second],
        finished=True,
        started_at="2026-01-01T10:00:00+00:00",
    )


def test_the_score_card_escapes_the_answer_and_highlights_its_evidence() -> None:
    card = score_card(grade(), ATTACK, "Precision is **TP/(TP+FP)**. <b>bold?</b>", heading="Question 1")
    assert "<script>" not in card and "<img" not in card
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card
    assert '<mark class="covered">Precision is TP/(TP+FP).</mark>' in card
    assert card.count("Recall is hard.</mark>") == 1  # quoted twice (partial, misconception): marked once
    assert "6/10" in card and "offline grader" in card and "Correctness" in card
    assert "<b>missing</b>: They trade off via the threshold." in card
    assert "What a strong answer adds" in card and "Wrong claims" in card
    assert "<details><summary>Reference answer</summary><p>Precision is <strong>TP/(TP+FP)</strong>." in card
    assert "&lt;b&gt;bold?&lt;/b&gt;" in card  # raw HTML in Markdown is shown, not rendered


def test_the_card_names_the_fallback_grader_and_why() -> None:
    card = score_card(
        grade(grader="offline-fallback", fallback_reason="the LLM timed out after 30 s"), "a", None
    )
    assert "offline grader (fallback)" in card and "Why: the LLM timed out after 30 s" in card
    assert "LLM grader" in score_card(grade(grader="llm"), "a", None)


def test_evidence_not_found_in_the_answer_is_not_highlighted() -> None:
    g = grade()
    assert "<mark" not in highlight_evidence("Something else entirely.", g)


def test_markdown_never_passes_raw_html_or_javascript_links() -> None:
    out = markdown_html("<script>x()</script> [a](javascript:alert(1)) `code` $x$")
    assert "<script>" not in out and 'href="javascript' not in out and "<code>code</code>" in out


def test_summary_has_topics_criteria_and_strongest_and_weakest_points() -> None:
    summary = report.summarize(transcript())
    assert summary.overall == 3.0
    assert summary.by_topic == [("evaluation-metrics", 6.0), ("linear-models", 0.0)]
    assert [(c.title, c.items) for c in summary.by_rubric] == [
        ("Score per criterion: concept questions", [("Correctness", 6.7), ("Completeness", 3.3)])
    ]
    assert [k.text for k in summary.strongest] == ["Precision is TP/(TP+FP)."]
    assert [k.text for k in summary.weakest] == ["They trade off via the threshold.", "Recall is TP/(TP+FN)."]


def test_the_html_report_is_self_contained_and_safe() -> None:
    page = report.to_html(transcript())
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "<script" not in page and "<img" not in page and "<link" not in page
    assert page.count("<svg") == 2 and 'aria-label="Score per topic"' in page
    assert "Overall score" in page and "3/10" in page and "Weakest key points" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert re.search(r"evaluation-metrics.*?<rect[^>]*width=\"180\.0\"", page)  # 6/10 of a 300px bar


def test_markdown_and_json_reports_carry_the_summary_and_transcript() -> None:
    md = report.to_markdown(transcript())
    assert "| evaluation-metrics | 6.0/10 |" in md and "| Correctness | 6.7/10 |" in md
    assert "**Weakest key points:**" in md and ATTACK.splitlines()[0] in md
    data = json.loads(report.to_json(transcript()))
    assert data["overall_score"] == 3.0 and data["questions"][1]["skipped"] is True


QUOTED = """I'd say "<script>steal()</script>" & <b onclick="go()">it's bold</b>"""


def _between(page: str, start: str, end: str) -> str:
    found = re.search(re.escape(start) + "(.*?)" + re.escape(end), page, re.S)
    assert found, f"{start!r} not in the page"
    return found.group(1)


def test_script_and_quotes_in_an_answer_are_escaped_in_the_card_and_the_report() -> None:
    card = score_card(grade(), QUOTED, None, heading='Question "1"')
    t = transcript()
    t.questions[0].turns[1].text = QUOTED
    page = report.to_html(t)
    for out in (card, page):
        assert "<script" not in out and "<b onclick" not in out and 'onclick="' not in out
        assert "&lt;script&gt;steal()&lt;/script&gt;" in out
    assert 'Question "1"' not in card
    # what a reader sees is exactly what was typed
    assert html.unescape(_between(card, "data-testid='answer'>", "</div>")) == QUOTED
    assert html.unescape(_between(page, '<span class="iv-who">You answered</span><p>', "</p>")) == QUOTED


# --- the grader unsure of a key point ----------------------------------------------------------------------

DOUBT = "“Recall is hard” may say the opposite of this point: check it against the reference."
NOTE_ONE = "The grader is unsure about 1 key point: check it against the reference answer."


def unsure_grade(points: int = 1) -> Grade:
    """`grade()` with its first `points` key points in doubt (the partial one first), flagged unsure."""
    g = grade(flags=["misconception", "unsure"])
    order = [1, 0, 2][:points]
    doubted = [
        k.model_copy(update={"confidence": 0.5, "doubt": DOUBT}) if i in order else k
        for i, k in enumerate(g.key_points)
    ]
    return g.model_copy(update={"key_points": doubted, "misconceptions": []})


def unsure_transcript(g: Grade) -> Transcript:
    t = transcript()
    t.questions[0].turns[1].grade = g
    t.questions[0].main_grade = g
    return t


def test_the_card_says_which_key_point_the_grader_is_unsure_of() -> None:
    card = score_card(unsure_grade(), ATTACK, "Recall is TP/(TP+FN).")
    assert f'<p class="iv-unsure-note">{NOTE_ONE}</p>' in card
    assert '<b>partial</b> <span class="iv-unsure">unsure</span>: Recall is TP/(TP+FN).' in card
    assert f'<div class="iv-doubt">{html.escape(DOUBT, quote=True)}</div>' in card
    assert card.count('class="iv-unsure"') == 1 and "<b>missing</b>: They trade off" in card
    # the flag is said in words, not listed as "unsure"
    assert "Flags: misconception</p>" in card and "Flags: misconception, unsure" not in card
    # the clause in doubt is marked in the answer, apart from the evidence around it
    assert '<mark class="unsure">Recall is hard</mark><mark class="partial">.</mark>' in card
    assert '<mark class="covered">Precision is TP/(TP+FP).</mark>' in card


def test_the_unsure_line_counts_the_key_points_in_doubt() -> None:
    two = score_card(unsure_grade(points=2), ATTACK, None)
    assert "The grader is unsure about 2 key points: check them against the reference answer." in two
    assert two.count('class="iv-unsure"') == 2 and "point(s)" not in two
    flag_only = score_card(grade(flags=["unsure"]), ATTACK, None)
    assert (
        "The grader is unsure about part of this grade: check it against the reference answer." in flag_only
    )


def test_a_grade_without_doubt_shows_no_unsure_wording() -> None:
    plain = grade(flags=["padding"])
    card = score_card(plain, ATTACK, None)
    t = unsure_transcript(plain)
    md, page = report.to_markdown(t), report.to_html(t).split("</style>")[1]  # the style names the classes
    for out in (card, md, page):
        assert "unsure" not in out.lower() and "iv-doubt" not in out
    assert "Flags: padding" in card and "Flags: padding" in md
    assert "unsure_note" not in report.to_json(t)


def test_the_reports_carry_each_doubt_and_the_unsure_line() -> None:
    t = unsure_transcript(unsure_grade())
    md = report.to_markdown(t)
    assert f"**{NOTE_ONE}**" in md and "Flags: misconception\n" in md and "unsure\n" not in md
    assert f"- ◐ Recall is TP/(TP+FN). — “Recall is hard.”\n  - Unsure: {DOUBT}" in md
    assert "- Recall is TP/(TP+FN). (partial, the grader is unsure)" in md  # among the weakest points
    page = report.to_html(t)
    assert f'<p class="iv-unsure-note">{NOTE_ONE}</p>' in page and "mark.unsure" in page
    assert '<b>partial</b> <span class="iv-unsure">unsure</span>: Recall is TP/(TP+FN).' in page
    assert f'<div class="iv-doubt">{html.escape(DOUBT, quote=True)}</div>' in page
    data = json.loads(report.to_json(t))
    for g in (data["questions"][0]["main_grade"], data["questions"][0]["turns"][1]["grade"]):
        assert g["unsure_note"] == NOTE_ONE and "unsure" in g["flags"]
        assert [k["doubt"] for k in g["key_points"]] == [None, DOUBT, None]
        assert [k["confidence"] for k in g["key_points"]] == [1.0, 0.5, 1.0]
    assert "unsure_note" not in data["questions"][0]["turns"][0]


# --- what a new user stumbled on: one vocabulary per chart, final scores, a table, local times, plain labels ----


def criteria(*names: str) -> list[CriterionScore]:
    return [
        CriterionScore(id=n.lower(), name=n, weight=1 / len(names), level=2, score=6.0 + i)
        for i, n in enumerate(names)
    ]


def mixed_transcript(mode: str = "study") -> Transcript:
    """A concept question answered, then followed up; a system-design question; a question still open."""
    main = grade(score=4.0).model_copy(update={"criteria": criteria("Correctness", "Completeness")})
    follow_up = Grade(
        score=10,
        grader="offline",
        key_points=[KeyPointResult(text="They trade off via the threshold.", weight=3, status="covered")],
    )
    first = QuestionRecord(
        entry_id="precision-vs-recall",
        question="What is the difference between precision and recall?",
        topic="evaluation-metrics",
        type=QuestionType.CONCEPT,
        difficulty=1,
        turns=[
            Turn(role="interviewer", kind="question", text="Question 1 of 3: precision vs recall?"),
            Turn(role="candidate", kind="answer", text="Precision is TP/(TP+FP).", grade=main),
            Turn(role="interviewer", kind="follow_up", text="And the threshold?", key_point="threshold"),
            Turn(
                role="candidate",
                kind="answer",
                text="Raising it trades recall for precision.",
                grade=follow_up,
            ),
        ],
        main_grade=main,
        follow_up_grades=[follow_up],
        score=6.5,
    )
    design = grade(score=7.0).model_copy(
        update={"criteria": criteria("Components and trade-offs", "Soundness")}
    )
    second = QuestionRecord(
        entry_id="design-a-feature-store",
        question="Design a feature store.",
        topic="ml-system-design",
        type=QuestionType.SYSTEM_DESIGN,
        difficulty=3,
        turns=[
            Turn(role="interviewer", kind="question", text="Question 2 of 3: Design a feature store."),
            Turn(role="candidate", kind="answer", text="Offline and online stores.", grade=design),
        ],
        main_grade=design,
        score=7.0,
    )
    third = QuestionRecord(
        entry_id="ridge-vs-lasso",
        question="Ridge or lasso?",
        topic="linear-models",
        type=QuestionType.CONCEPT,
        difficulty=2,
        turns=[Turn(role="interviewer", kind="question", text="Question 3 of 3: Ridge or lasso?")],
    )
    return Transcript(
        session_id="abc123",
        config=SessionConfig(mode=mode),
        questions=[first, second, third],
        started_at="2026-01-01T10:00:00+00:00",
    )


EXTRAS = report.ReportExtras(
    references={"precision-vs-recall": "Precision is **TP/(TP+FP)**; recall is TP/(TP+FN)."},
    seconds=(95.0, 42.4),
)


def test_each_rubric_gets_its_own_criteria_chart() -> None:
    summary = report.summarize(mixed_transcript())
    assert [c.title for c in summary.by_rubric] == [
        "Score per criterion: concept questions",
        "Score per criterion: system-design questions",
    ]
    page = report.report_fragment(mixed_transcript())
    assert page.count("<svg") == 3 and 'aria-label="Score per criterion: system-design questions"' in page
    md = report.to_markdown(mixed_transcript())
    assert "**Score per criterion: concept questions**\n" in md and "| Soundness | 7.0/10 |" in md


def test_charts_scale_to_the_width_they_are_given() -> None:
    page = report.report_fragment(mixed_transcript())
    assert 'viewBox="0 0 350 ' in page and ".iv-chart { display: block; max-width: 100%; height: auto; }" in (
        report.CSS
    )
    # 6.5/10 of a 300 px bar: the question's final score, follow-up included
    assert re.search(r"evaluation-metrics</text>.*?<rect[^>]*width=\"195\.0\"", page)


def test_the_page_report_has_the_table_of_questions_with_final_scores() -> None:
    page = report.report_fragment(mixed_transcript())
    table = _between(page, '<table class="iv-questions" data-testid="questions">', "</table>")
    rows = re.findall(r"<tr><td>(\d)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table)
    assert [(n, score) for n, _, _, score in rows] == [
        ("1", "6.5/10"),
        ("2", "7/10"),
        ("3", "not answered yet"),
    ]
    assert "<th>Time</th>" not in table  # study mode: no time column
    assert 'Overall score <span class="iv-score" data-testid="overall">4.5/10 so far</span>' in page


def test_a_follow_up_grade_never_reads_as_the_questions_score() -> None:
    t = mixed_transcript()
    page = report.report_fragment(t)
    assert "<b>Follow-up on one key point: covered (10/10 for that point)</b>" in page
    assert "<b>10/10</b>" not in page and "<b>4/10</b>" in page
    md = report.to_markdown(t)
    assert "*Follow-up on one key point: covered (10/10 for that point), graded by the offline grader.*" in md
    assert "**Question score: 6.5/10**" in md
    follow_up = t.questions[0].turns[3]
    card = score_card(follow_up.grade, follow_up.text, None, kind="follow_up", question_score=6.5)
    assert '<span class="iv-score">6.5/10</span>' in card and "10/10" not in card
    assert "This follow-up was about one key point: <b>covered</b>." in card


def test_exam_reports_show_the_time_spent_on_each_question() -> None:
    t = mixed_transcript(mode="exam")
    page = report.report_fragment(t, EXTRAS)
    table = _between(page, 'data-testid="questions">', "</table>")
    assert "<th>Time</th>" in table and "<td>1 min 35 s</td>" in table and "<td>42 s</td>" in table
    assert (
        "| 1 | What is the difference between precision and recall? | evaluation-metrics | 6.5/10 | 1 min 35 s |"
        in (report.to_markdown(t, EXTRAS))
    )
    assert json.loads(report.to_json(t, EXTRAS))["questions"][0]["seconds"] == 95.0


def test_labels_are_plain_english() -> None:
    t = mixed_transcript()
    page, md = report.report_fragment(t), report.to_markdown(t)
    for label in ("Interviewer asked", "You answered", "Interviewer followed up"):
        assert f'<span class="iv-who">{label}</span>' in page and f"**{label}:**" in md
    assert "You answer<" not in page and "follow up)" not in md and "(answer)" not in md


def test_the_exports_include_the_reference_answers() -> None:
    t = mixed_transcript()
    md = report.to_markdown(t, EXTRAS)
    assert "**Reference answer:**\n\n> Precision is **TP/(TP+FP)**; recall is TP/(TP+FN)." in md
    page = report.to_html(t, EXTRAS)
    assert '<details class="iv-reference"><summary>Reference answer</summary><p>Precision is <strong>' in page
    data = json.loads(report.to_json(t, EXTRAS))
    assert data["questions"][0]["reference_answer"] == EXTRAS.references["precision-vs-recall"]
    assert "reference_answer" not in data["questions"][1]  # not in the bank any more: left out


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_times_are_local_not_iso_utc(new_york) -> None:
    t = mixed_transcript()
    assert report.local_time(t.started_at) == "1 Jan 2026, 05:00"
    page, md = report.report_fragment(t), report.to_markdown(t)
    assert "started 1 Jan 2026, 05:00 (not finished)" in page and "- Started: 1 Jan 2026, 05:00" in md
    assert "T10:00:00" not in page and "T10:00:00" not in md
