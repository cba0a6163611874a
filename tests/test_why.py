"""Why did I lose points, offline: the grade's own reasons, point by point, and what an exam still running
keeps back. Through the real offline grader (MiniLM) and the terminal's `/why`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from interviewer.grading.offline import OfflineGrader
from interviewer.interview.explanation import (
    WHY_QUESTION,
    GradedAnswer,
    explain,
    latest_graded_answer,
    missing_words,
)
from interviewer.interview.session import Session
from interviewer.interview.why import (
    MAX_QUESTIONS,
    OFFLINE_NOTE,
    WITHHELD,
    OfflineExplainer,
    ReferenceGuard,
    WhyConversation,
)
from interviewer.models import (
    Grade,
    GradeFlag,
    KeyPointResult,
    MisconceptionFound,
    SessionConfig,
)
from interviewer.retrieval.store import InMemoryQuestionStore

from .conftest import ROOT
from .web_server import small_bank

SCRIPT = str(Path(sys.executable).parent / "interviewer")

# Precision defined as recall (a key point stated backwards), recall left vague, and the threshold's effect
# reversed (one of the point's contrasts, which the grader is unsure of).
WEAK = (
    "Precision is TP / (TP + FN), the share of the real positives that the model flags. "
    "Recall is how many positives we find. "
    "Raising the threshold increases recall and lowers precision."
)


def point_block(text: str, point: str) -> str:
    """The lines the explanation gives one key point: its line and the details under it."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if point in line)
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("   ")), len(lines))
    return "\n".join(lines[start:end])


def session(
    bank, embedder, fake_embedder, mode: str = "study", ids: tuple[str, ...] = ("precision-vs-recall",)
):
    s = Session(
        bank,
        InMemoryQuestionStore(fake_embedder),
        OfflineGrader(embedder),
        SessionConfig(question_ids=list(ids), num_questions=len(ids), max_follow_ups=0, mode=mode),
    )
    s.start()
    return s


@pytest.fixture(scope="module")
def graded_weak(bank, embedder) -> GradedAnswer:
    """The weak answer, graded by the real offline grader in study mode."""
    from .conftest import FakeEmbedder

    s = session(bank, embedder, FakeEmbedder())
    s.answer(WEAK)
    graded = latest_graded_answer(s.transcript, bank)
    assert graded is not None and not graded.withheld
    return graded


def test_a_wrong_claim_is_named_with_what_fired_it_and_its_correction(graded_weak, bank) -> None:
    grade = graded_weak.grade
    assert grade.misconceptions, "the grader should read the swapped definition as a wrong claim"
    text = explain(graded_weak)
    wrong = text.split("**Wrong claims**", 1)[1]
    claim = grade.misconceptions[0]
    assert f"You said “{claim.quoted}”" in wrong
    assert "states a key point backwards" in wrong  # what fired: the swap check
    assert claim.correction in wrong
    assert "takes 3 points off the score, which it also caps: at 6 for one" in wrong
    recall = bank.get("precision-vs-recall").key_points[1].text
    said = point_block(text, recall)
    assert "✘ **Not made**" in said and "You stated this point wrongly, so it earned nothing" in said


def test_a_doubt_is_named_with_the_clause_and_its_confidence(graded_weak) -> None:
    doubted = [k for k in graded_weak.grade.key_points if k.doubt]
    assert doubted, "the reversed threshold claim should leave the grader unsure"
    text = explain(graded_weak)
    point = doubted[0]
    assert f"Unsure (confidence {100 * point.confidence:.0f}%): {point.doubt}" in text
    assert "Raising the threshold increases recall and lowers precision" in text


def test_the_missing_words_of_each_point_not_made_are_listed(graded_weak) -> None:
    text = explain(graded_weak)
    f1 = next(k for k in graded_weak.grade.key_points if "F1" in k.text)
    assert f1.status == "missing"
    assert "Words of this point your answer never uses: *f1*, *score*, *curve*" in point_block(text, f1.text)
    made = [k for k in graded_weak.grade.key_points if k.status == "covered"]
    assert made and all(
        "never uses" not in point_block(text, k.text) for k in made
    )  # a point made lists none


def test_missing_words_skip_what_the_answer_or_the_question_says() -> None:
    words = missing_words(
        "Recall is the fraction of actual positives that the model finds.",
        "Recall counts the positives found by the model.",
        "What is recall?",
    )
    assert words == [
        "fraction",
        "actual",
        "finds",
    ]  # "recall" is in both, "positives" and "model" in the answer


def test_the_explanation_carries_the_score_criteria_and_what_to_add(graded_weak) -> None:
    text = explain(graded_weak)
    assert text.startswith(f"**Why {graded_weak.grade.score:g}/10.** Graded by the offline grader.")
    assert "**Criteria**" in text and "level" in text
    for point in graded_weak.grade.missed[:3]:
        assert f"- {point.text}" in text.split("**What to add**", 1)[1]


def test_an_exam_still_running_keeps_back_the_score_reference_key_points_and_corrections(
    bank, embedder, fake_embedder
) -> None:
    s = session(
        bank, embedder, fake_embedder, mode="exam", ids=("precision-vs-recall", "roc-curve-explained")
    )
    s.answer(WEAK)
    graded = latest_graded_answer(s.transcript, bank)
    assert graded is not None and graded.withheld
    text = explain(graded)
    entry = bank.get("precision-vs-recall")
    assert "Exam mode" in text
    assert f"{graded.grade.score:g}/10" not in text and "/10" not in text
    for point in entry.key_points:
        assert point.text not in text
    for sentence in entry.reference_answer.split(". "):
        assert sentence[:40] not in text
    for claim in graded.grade.misconceptions:
        assert claim.correction not in text and f"You said “{claim.quoted}”" in text
    assert "never uses" not in text  # the words a point needed would give it away
    assert "Raising the threshold increases recall and lowers precision" in text  # the candidate's own words
    assert "**Key point 1:" in text

    # once the exam is over, the same answer is explained in full
    s.command("end")
    after = latest_graded_answer(s.transcript, bank)
    assert after is not None and not after.withheld and after.key != graded.key
    assert entry.key_points[0].text in explain(after)


def test_a_stopped_answer_says_why_it_scored_zero(bank, embedder, fake_embedder) -> None:
    s = session(bank, embedder, fake_embedder)
    s.answer("I don't know.")
    graded = latest_graded_answer(s.transcript, bank)
    assert graded is not None
    text = explain(graded)
    assert "said you don't know" in text and "**What to add**" in text


def _graded(**grade: object) -> GradedAnswer:
    return GradedAnswer(
        number=1,
        index=1,
        kind="main",
        question="What is a stack?",
        answer="A stack is first in, first out.",
        grade=Grade(score=2.0, grader="offline", **grade),  # type: ignore[arg-type]
        question_score=2.0,
        reference_answer="A stack is a last-in, first-out collection: the last item pushed is popped first.",
    )


def test_a_listed_misconception_and_the_flags_are_said_in_words() -> None:
    graded = _graded(
        key_points=[
            KeyPointResult(text="A stack is last in, first out.", weight=1, status="missing", similarity=0.2)
        ],
        misconceptions=[
            MisconceptionFound(
                text="A stack is first in, first out.",
                correction="That is a queue; a stack is last in, first out.",
                evidence="A stack is first in, first out.",
            )
        ],
        flags=[GradeFlag.MISCONCEPTION, GradeFlag.PADDING, GradeFlag.INJECTION],
    )
    graded = GradedAnswer(**{**graded.__dict__, "misconceptions": (graded.grade.misconceptions[0],)})  # type: ignore[arg-type]
    text = explain(graded)
    assert "It is a common misconception: “A stack is first in, first out”." in text
    assert "That is a queue; a stack is last in, first out." in text
    assert "Less than half of the answer is about the question" in text
    assert "Text addressed to the grader was left out" in text


def test_offline_the_reply_is_the_same_each_time_and_a_question_gets_a_note(graded_weak) -> None:
    conversation = WhyConversation(graded_weak, OfflineExplainer())
    seen: list[str] = []
    first = conversation.ask("", on_text=seen.append)
    assert first == explain(graded_weak) and seen == [first]
    second = conversation.ask("But I did say recall, didn't I?")
    assert second == f"{OFFLINE_NOTE}\n\n{first}"
    assert [e.question for e in conversation.exchanges] == [WHY_QUESTION, "But I did say recall, didn't I?"]
    for _ in range(MAX_QUESTIONS - 2):
        conversation.ask()
    with pytest.raises(Exception, match="questions about this answer"):
        conversation.ask()


def test_the_guard_holds_back_the_words_that_would_complete_a_run_of_the_reference(graded_weak) -> None:
    graded = GradedAnswer(**{**graded_weak.__dict__, "withheld": True})
    guard = ReferenceGuard.for_answer(graded)
    secret = "the share of the actual positives that the model found"  # from the reference answer
    assert secret in (graded.reference_answer or "")
    reply = f"Your definition of recall was vague. In fact recall is {secret}, as you will see."
    shown: list[str] = []
    sink = guard.streaming(shown.append)
    for end in range(1, len(reply) + 1):
        sink(reply[:end])
    final = guard.safe(reply)
    assert final.startswith("Your definition of recall was vague.") and final.endswith(WITHHELD)
    for text in [*shown, final]:
        assert "actual positives that the model" not in text
    # what the candidate wrote themselves may be quoted back
    own = "Your words “Recall is how many positives we find” were too vague to make the point."
    assert guard.safe(own) == own


def practice(tmp_path: Path, script: str, follow_ups: int) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEWER_", "OPENAI_"))}
    env.update(
        {
            "INTERVIEWER_DATA_DIR": str(tmp_path / "data"),
            "INTERVIEWER_BANK_DIR": str(small_bank(tmp_path)),  # indexed in seconds
            "HF_HUB_OFFLINE": "1",
            "NO_COLOR": "1",
        }
    )
    about = "the difference between precision and recall"  # precision-vs-recall comes first
    args = [
        "--about",
        about,
        "--topic",
        "evaluation-metrics",
        "--questions",
        "1",
        "--follow-ups",
        str(follow_ups),
    ]
    result = subprocess.run(
        [SCRIPT, "practice", *args],
        env=env,
        input=script,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_terminal_explains_the_latest_grade_with_why(tmp_path: Path) -> None:
    script = f"/why\n{WEAK}\n.\n/why\n/why Was my threshold sentence wrong?\n/end\n"
    out = practice(tmp_path, script, follow_ups=1)  # the interview goes on with a follow-up
    assert "/why" in out.split("Question 1", 1)[0]  # the help line names the command
    assert "Answer a question first" in out.split("Score:", 1)[0]  # /why before any answer
    between = out.split("Score:", 1)[1].split("end of the interview", 1)[0]
    score = between.split()[0]  # as the card printed it, e.g. 2.7/10
    assert f"Why {score}. Graded by the offline grader." in " ".join(between.split())
    assert "Key points" in between and "Your words:" in between and "Wrong claims" in between
    assert "never uses:" in between
    # The definition quoted with its correction; the reversed threshold sentence is only doubted (the pair model,
    # which called it wrong, is off by default).
    assert "One claim is wrong" in between
    assert "may say the opposite of this point" in " ".join(between.split())
    assert "cannot take questions" in between  # offline, a question of one's own gets the same reasons


def test_the_last_answer_can_be_asked_about_after_the_end(tmp_path: Path) -> None:
    out = practice(tmp_path, f"{WEAK}\n.\n/why\n\n/why too late\n", follow_ups=0)
    after = out.split("Ask about your last answer with /why", 1)[1]
    assert "Interview report" in out.split("Ask about your last answer", 1)[0]
    assert "Wrong claims" in after and "Your words:" in after
    assert "cannot take questions" not in after  # an empty line finished: the last /why was not read
