"""The score card and the report (Markdown, JSON, self-contained HTML): escaping, evidence, summary, charts."""

from __future__ import annotations

import html
import json
import re

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
    assert summary.by_criterion == [("Correctness", 6.7), ("Completeness", 3.3)]
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
    assert html.unescape(_between(page, "<small>answer</small><p>", "</p>")) == QUOTED
