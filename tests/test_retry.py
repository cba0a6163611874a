"""Try again: the comparison of two attempts at a question, without Gradio, a model or Chroma.

Real sessions with a scripted grader (`tests/test_session.py`) give the transcripts; the comparison, the word diff,
the choice of the last attempt and the card the page shows are checked on them.
"""

from __future__ import annotations

import re

import pytest

from interviewer.interview.retry import (
    DiffOp,
    RetryRefusedError,
    attempts_in,
    check_retry,
    compare,
    comparison_for,
    comparison_html,
    last_attempt,
    retry_config,
    waiting_html,
    word_diff,
)
from interviewer.interview.session import Session
from interviewer.models import Attempt, Grade, KeyPointResult, MisconceptionFound, SessionConfig, Transcript
from interviewer.retrieval.store import InMemoryQuestionStore
from interviewer.web.views import latest_card
from tests.test_session import ScriptedGrader

QUESTION = "precision-vs-recall"  # four key points


@pytest.fixture
def store(bank, fake_embedder):
    s = InMemoryQuestionStore(fake_embedder)
    s.sync(bank.entries.values())
    return s


def played(bank, store, pattern: str, answer: str, *, started: str = "", **config: object) -> Transcript:
    """A finished one-question interview on QUESTION, its answer graded by `pattern` ("cpmm": covered, partial,
    missing, missing)."""
    settings = SessionConfig(question_ids=[QUESTION], num_questions=1, max_follow_ups=0, **config)
    session = Session(bank, store, ScriptedGrader([pattern]), settings)
    session.start()
    session.answer(answer)
    assert session.finished
    if started:
        session.transcript.started_at = started
    return session.transcript


def grade(statuses: dict[str, str], score: float, claims: tuple[str, ...] = ()) -> Grade:
    return Grade(
        score=score,
        grader="offline",
        key_points=[KeyPointResult(text=t, weight=1, status=s) for t, s in statuses.items()],
        misconceptions=[MisconceptionFound(text=c, correction="No.", evidence=c) for c in claims],
    )


def test_the_word_diff_marks_what_was_dropped_and_what_is_new() -> None:
    ops = word_diff(
        "Precision is TP over all positives.", "Precision is TP over predicted positives. Recall finds them."
    )
    assert ops == [
        DiffOp(kind="same", text="Precision is TP over "),
        DiffOp(kind="deleted", text="all "),
        DiffOp(kind="inserted", text="predicted "),
        DiffOp(kind="same", text="positives. "),
        DiffOp(kind="inserted", text="Recall finds them."),
    ]
    assert (ops[1].words, ops[1].space) == ("all", " ")  # the space goes outside the struck-out words


def test_a_rewritten_answer_is_not_cut_into_fragments_by_a_stray_shared_word() -> None:
    old = "I would use it when errors are big."
    new = "For regression, where big misses cost most: it is the loss whose minimiser is the mean."
    assert word_diff(old, new) == [DiffOp(kind="deleted", text=old + " "), DiffOp(kind="inserted", text=new)]


def test_words_dropped_at_the_end_stay_apart_from_the_new_ones() -> None:
    ops = word_diff("Recall is hard", "Recall is TP over actual positives.")
    assert ops[1:] == [
        DiffOp(kind="deleted", text="hard "),
        DiffOp(kind="inserted", text="TP over actual positives."),
    ]


def test_the_word_diff_keeps_line_breaks_and_says_when_nothing_changed() -> None:
    ops = word_diff("One line.\n\nTwo lines.", "One line.\n\nTwo short lines.")
    assert "".join(op.text for op in ops if op.kind != "deleted") == "One line.\n\nTwo short lines."
    assert [op.kind for op in ops] == ["same", "inserted", "same"]
    assert word_diff("Same words here.", "  Same words here.\n") == [
        DiffOp(kind="same", text="Same words here.")
    ]


def test_compare_lists_points_gained_and_lost_the_delta_and_wrong_claims() -> None:
    earlier = Attempt(
        entry_id=QUESTION,
        session_id="a" * 32,
        answered_at="2026-11-20T10:00:00+00:00",
        answer="Precision is about recall.",
        grade=grade({"P": "missing", "R": "partial", "T": "covered", "F": "covered"}, 3.1, ("swap",)),
    )
    new = grade({"P": "covered", "R": "covered", "T": "partial", "F": "covered", "new": "covered"}, 7.4)
    c = compare(earlier, "Precision is TP / (TP + FP).", new)
    assert [(p.text, p.before, p.after) for p in c.gained] == [
        ("P", "missing", "covered"),
        ("R", "partial", "covered"),
    ]
    assert [(p.text, p.before, p.after) for p in c.lost] == [("T", "covered", "partial")]
    assert (c.score_before, c.score_after, c.delta, c.delta_label) == (3.1, 7.4, 4.3, "+4.3")
    assert c.claims_fixed == ["swap"] and c.claims_new == []  # quoted as the candidate said it
    worse = compare(earlier, earlier.answer, grade({"P": "missing"}, 1.0))
    assert worse.delta_label == "-2.1" and worse.same_answer and not worse.gained and not worse.lost


def test_practice_after_the_reveal_and_a_running_exam_are_not_attempts(bank, store) -> None:
    answered = played(bank, store, "cmmm", "Precision is TP over predicted positives.")
    (attempt,) = attempts_in(answered)
    assert attempt.answer == "Precision is TP over predicted positives."
    assert attempt.grade == answered.questions[0].main_grade and attempt.grade.score > 0

    settings = SessionConfig(question_ids=[QUESTION], num_questions=1, max_follow_ups=0)
    revealed = Session(bank, store, ScriptedGrader(["cccc"]), settings)
    revealed.start()
    revealed.reveal()
    revealed.answer("Precision is TP/(TP+FP); recall is TP/(TP+FN).")  # graded as practice: 10/10
    assert attempts_in(revealed.transcript) == []
    assert last_attempt([revealed.transcript, answered], QUESTION) == attempt  # the practice is skipped

    ids = [QUESTION, "bias-variance-tradeoff"]
    exam_config = SessionConfig(question_ids=ids, num_questions=2, max_follow_ups=0, mode="exam")
    exam = Session(bank, store, ScriptedGrader(["cccc"]), exam_config)
    exam.start()
    exam.answer("An exam answer.")
    assert not exam.finished and attempts_in(exam.transcript) == []  # held until the end
    with pytest.raises(RetryRefusedError, match="once this exam has ended"):
        check_retry(exam.transcript, QUESTION)
    exam.command("end")
    assert [a.answer for a in attempts_in(exam.transcript)] == ["An exam answer."]
    check_retry(exam.transcript, QUESTION)  # once it has ended


def test_the_last_attempt_is_the_most_recent_across_sessions(bank, store) -> None:
    old = played(bank, store, "mmmm", "Old.", started="2026-11-01T09:00:00+00:00")
    recent = played(bank, store, "cmmm", "Recent.", started="2026-11-20T09:00:00+00:00")
    for listed in ([old, recent], [recent, old]):  # listed in any order
        found = last_attempt(listed, QUESTION)
        assert found is not None and found.answer == "Recent."
    assert last_attempt([old, recent], "bias-variance-tradeoff") is None
    with pytest.raises(RetryRefusedError, match="did not ask the question 'bias-variance-tradeoff'"):
        check_retry(recent, "bias-variance-tradeoff")


def test_a_retry_session_shows_the_comparison_on_its_card(bank, store) -> None:
    first = played(bank, store, "mmmm", "Precision is about <b>positives</b>.")
    earlier = last_attempt([first], QUESTION)
    config = retry_config(QUESTION, earlier)
    assert (config.question_ids, config.num_questions, config.max_follow_ups, config.mode) == (
        [QUESTION],
        1,
        0,
        "study",
    )

    retry = Session(bank, store, ScriptedGrader(["ccpm"]), config)
    retry.start()
    waiting = latest_card(retry.transcript, bank)
    assert "Trying again" in waiting and "scored <b>0/10</b>" in waiting
    assert "Precision is about &lt;b&gt;positives&lt;/b&gt;." in waiting  # the earlier answer, escaped
    retry.answer("Precision is TP / (TP + FP) <script>alert(1)</script>; recall is TP / (TP + FN).")
    comparison = comparison_for(retry.transcript)
    assert comparison is not None and comparison.delta == 6.7
    card = latest_card(retry.transcript, bank)
    points = [k.text for k in bank.get(QUESTION).key_points]
    assert 'data-testid="delta">+6.7</span>' in card
    gained = card.split('data-testid="gained">')[1].split("</ul>")[0]
    assert points[0] in gained and points[1] in gained and points[2] in gained and points[3] not in gained
    assert "Key points lost" not in card
    diff = card.split('data-testid="diff">')[1].split("</div>")[0]
    assert "<del>about &lt;b&gt;positives&lt;/b&gt;.</del>" in diff
    assert (
        "<ins>TP / (TP + FP) &lt;script&gt;alert(1)&lt;/script&gt;; recall is TP / (TP + FN).</ins>" in diff
    )
    assert "<script" not in card and "<b>positives" not in card
    assert f'data-entry="{QUESTION}">Try again</button>' in card  # and it can be tried again
    assert card.index("Compared with your last attempt") < card.index('class="iv-card"')


def test_the_comparison_escapes_key_points_and_claims() -> None:
    earlier = Attempt(
        entry_id="q",
        session_id="s",
        answered_at="2026-11-20T10:00:00+00:00",
        answer="x",
        grade=grade({"<img src=x onerror=alert(1)>": "missing"}, 0, ('"><script>',)),
    )
    html = comparison_html(compare(earlier, "y", grade({"<img src=x onerror=alert(1)>": "covered"}, 5)))
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>" not in html and "&#34;&gt;&lt;script&gt;" in html
    assert re.search(r"<del>x</del>\s*<ins>y</ins>", html)
    assert "No earlier graded answer" in waiting_html(None)


def test_the_pages_report_offers_try_again_on_answered_rows_and_the_export_does_not(bank, store) -> None:
    from interviewer.interview import report

    settings = SessionConfig(
        question_ids=[QUESTION, "bias-variance-tradeoff"], num_questions=2, max_follow_ups=0
    )
    session = Session(bank, store, ScriptedGrader(["cmmm"]), settings)
    session.start()
    session.answer("Precision is TP over predicted positives.")
    session.command("skip")  # the second question: nothing to try again
    page = report.report_fragment(session.transcript, retry_session=session.transcript.session_id)
    rows = re.findall(r"<tr><td>(\d)</td><td>(.*?)</td><td>.*?</td><td>(.*?)</td></tr>", page)
    assert [(n, "Try again</button>" in question, score) for n, question, score in rows] == [
        ("1", True, f"{session.transcript.questions[0].score:g}/10"),
        ("2", False, "skipped"),
    ]
    assert f'data-session="{session.transcript.session_id}" data-entry="{QUESTION}"' in page
    assert "iv-retry" not in report.to_html(session.transcript) + report.report_fragment(session.transcript)
