"""The dialogue policy and the session, with a scripted grader: no model, no Chroma, no UI."""

from __future__ import annotations

import json
from collections import deque

import pytest

from interviewer.cli.terminal import show
from interviewer.errors import AnswerRejectedError, InterviewerError
from interviewer.grading.grader import Grader
from interviewer.interview import policy, report
from interviewer.interview import session as session_module
from interviewer.interview.explanation import explain, latest_graded_answer
from interviewer.interview.follow_ups import LLMFollowUps, ProbeFollowUps
from interviewer.interview.session import Session, feedback_text, is_practice
from interviewer.models import (
    FollowUpQuestion,
    Grade,
    KeyPointResult,
    Reference,
    Rubric,
    SessionConfig,
    Turn,
)
from interviewer.retrieval.store import InMemoryQuestionStore


class ScriptedGrader(Grader):
    """Returns queued coverage patterns ("cmm" = covered, missing, missing) and records what it was asked."""

    name = "offline"

    def __init__(self, script: list[str]):
        self.script = deque(script)
        self.asked: list[tuple[str, str]] = []

    def grade(self, reference: Reference, answer: str, rubric: Rubric, *, on_text=None) -> Grade:
        self.asked.append((reference.question, answer))
        pattern = self.script.popleft()
        status = {"c": "covered", "p": "partial", "m": "missing"}
        points = [
            KeyPointResult(
                text=k.text,
                weight=k.weight,
                status=status[s],
                probe=k.probe,  # type: ignore[arg-type]
                evidence=answer if s != "m" else None,
            )
            for k, s in zip(reference.key_points, pattern, strict=False)
        ]
        covered = sum(k.weight for k in points if k.status == "covered") / sum(k.weight for k in points)
        return Grade(score=round(10 * covered, 1), grader="offline", key_points=points)


def _grade(statuses: list[str], probes: bool = True) -> Grade:
    return Grade(
        score=0,
        grader="offline",
        key_points=[
            KeyPointResult(text=f"point {i}", weight=w, status=s, probe=f"probe {i}?" if probes else None)  # type: ignore[arg-type]
            for i, (s, w) in enumerate(zip(statuses, [1, 3, 2, 1], strict=False))
        ],
    )


def test_policy_follows_up_on_the_heaviest_missed_point_then_moves_on() -> None:
    state, move = policy.start(("q1", "q2"), max_follow_ups=2)
    assert move.kind == "ask" and move.entry_id == "q1"
    state, move = policy.after_answer(state, _grade(["covered", "missing", "missing"]))
    assert move.kind == "follow_up" and move.key_point and move.key_point.text == "point 1"
    state, move = policy.after_answer(state, _grade(["covered", "missing", "missing"]))
    assert move.kind == "follow_up" and move.key_point and move.key_point.text == "point 2"
    state, move = policy.after_answer(state, _grade(["covered", "missing", "missing"]))
    assert move.kind == "ask" and move.entry_id == "q2"  # the follow-up budget is spent
    state, move = policy.after_answer(state, _grade(["covered", "covered", "covered"]))
    assert move.kind == "finish" and state.finished


def test_policy_does_not_follow_up_on_empty_answers_or_without_probes() -> None:
    state, _ = policy.start(("q1", "q2"), max_follow_ups=3)
    empty = _grade(["missing", "missing"]).model_copy(update={"flags": ["near_empty"]})
    assert policy.after_answer(state, empty)[1].kind == "ask"
    state, _ = policy.start(("q1", "q2"), max_follow_ups=3)
    assert policy.after_answer(state, _grade(["missing", "missing"], probes=False))[1].kind == "ask"


def test_policy_commands() -> None:
    state, _ = policy.start(("q1", "q2", "q3"), max_follow_ups=1)
    state, move = policy.on_command(state, "hint")
    assert (move.kind, move.hint_level) == ("hint", 1)
    state, move = policy.on_command(state, "hint")
    assert move.hint_level == 2
    state, move = policy.on_command(state, "repeat")
    assert move.kind == "repeat" and move.entry_id == "q1"
    state, move = policy.on_command(state, "skip")
    assert move.kind == "ask" and move.entry_id == "q2" and state.hints_given == 0
    state, move = policy.on_command(state, "end")
    assert move.kind == "finish" and state.finished and state.asked == ("q1", "q2")


def test_plan_is_reproducible_and_bounded() -> None:
    ids = [f"q{i}" for i in range(20)]
    assert policy.plan(ids, 5, seed=7) == policy.plan(ids, 5, seed=7)
    assert len(set(policy.plan(ids, 5, seed=7))) == 5
    assert policy.plan(ids, 3, keep_order=True) == ("q0", "q1", "q2")


@pytest.fixture
def store(bank, fake_embedder):
    s = InMemoryQuestionStore(fake_embedder)
    s.sync(bank.entries.values())
    return s


def _session(bank, store, grader, ids, **config) -> Session:
    return Session(bank, store, grader, SessionConfig(question_ids=ids, num_questions=len(ids), **config))


def test_scripted_candidate_goes_through_every_move(bank, store) -> None:
    ids = ["precision-vs-recall", *sorted(i for i in bank.entries if i != "precision-vs-recall")[:2]]
    grader = ScriptedGrader(["cmmmm", "c", "cc"])
    session = _session(bank, store, grader, ids, max_follow_ups=1, mode="study")
    first = session.start()
    assert first[0].kind == "question" and "precision and recall" in first[0].text

    hint = session.command("hint")
    assert hint[0].kind == "hint" and bank.get(ids[0]).tip in hint[0].text
    repeat = session.command("repeat")
    assert repeat[0].text == bank.get(ids[0]).question

    turns = session.answer("Precision is TP over TP plus FP.")
    assert [t.kind for t in turns] == ["feedback", "follow_up"]
    entry = bank.get(ids[0])
    assert turns[1].text == entry.key_points[1].probe  # heaviest missed point, in bank order on ties
    assert grader.asked[-1] == (entry.question, "Precision is TP over TP plus FP.")

    turns = session.answer("Recall is TP over TP plus FN.")
    assert grader.asked[-1][0] == entry.key_points[1].probe  # the follow-up is graded against its key point
    assert [t.kind for t in turns] == ["feedback", "question"]
    record = session.transcript.questions[0]
    assert record.main_grade is not None and record.score > record.main_grade.score  # recovered half credit

    turns = session.command("skip")
    assert turns[-1].kind == "question" and session.transcript.questions[1].skipped

    turns = session.command("dont_know")
    assert turns[0].kind == "feedback" and turns[-1].kind == "end"
    assert session.finished

    transcript = session.transcript
    kinds = [[t.kind for t in q.turns] for q in transcript.questions]
    assert kinds[0] == ["question", "hint", "repeat", "answer", "feedback", "follow_up", "answer", "feedback"]
    assert kinds[1] == ["question", "skip", "feedback"]  # study mode shows the model answer
    assert kinds[2] == ["question", "dont_know", "feedback"]

    markdown = report.to_markdown(transcript)
    for text in (
        "Precision is TP over TP plus FP.",
        "Recall is TP over TP plus FN.",
        entry.key_points[1].probe,
    ):
        assert text in markdown
    data = json.loads(report.to_json(transcript))
    assert data["overall_score"] == transcript.overall_score
    assert [q["entry_id"] for q in data["questions"]] == ids
    with pytest.raises(InterviewerError, match="has ended"):
        session.answer("too late")


def test_each_hint_lowers_the_questions_maximum_and_the_feedback_says_by_how_much(bank, store) -> None:
    entry = bank.get("precision-vs-recall")
    session = _session(
        bank, store, ScriptedGrader(["c" * len(entry.key_points)]), [entry.id], max_follow_ups=0
    )
    session.start()
    assert session.command("hint")[0].text.endswith(
        "_1 hint taken: this question's maximum score is now 9/10._"
    )
    assert "maximum score is now 8/10" in session.command("hint")[0].text
    feedback = session.answer("A full answer.")[0].text  # graded 10 by the script
    assert feedback.startswith("**Score: 8/10** (offline grader).")
    assert (
        "_You took 2 hints, so this question's maximum is 8/10 (2 points off). Your answer itself graded 10/10._"
        in feedback
    )
    record = session.transcript.questions[0]
    assert record.score == 8 and record.main_grade is not None and record.main_grade.score == 10
    assert report.question_status(record) == "8/10, 2 hints (maximum 8)"
    assert "8/10, 2 hints (maximum 8)" in report.to_markdown(session.transcript)
    graded = latest_graded_answer(session.transcript, bank)
    assert graded is not None and explain(graded).startswith(
        "**Why 8/10.** Graded by the offline grader. You took 2 hints, so this question's maximum is 8/10"
    )


def test_a_hint_after_the_answer_caps_the_score_and_hints_that_give_nothing_cost_nothing(bank, store) -> None:
    entry = bank.get("precision-vs-recall")
    probes = sum(1 for k in entry.key_points if k.probe)
    session = _session(
        bank, store, ScriptedGrader(["c" * len(entry.key_points)]), [entry.id], max_follow_ups=0
    )
    session.start()
    record = session.transcript.questions[0]
    for _ in range(1 + probes):
        session.command("hint")
    assert session.command("hint")[0].text == session_module.NO_MORE_HINTS
    assert record.hints == 1 + probes and session_module.score_cap(record) == 10 - (1 + probes)
    other = _session(bank, store, ScriptedGrader(["ccccm"]), [entry.id], max_follow_ups=1)
    other.start()
    assert other.answer("All but the lightest point.")[-1].kind == "follow_up"
    first = other.transcript.questions[0]
    assert first.score == 9.2
    other.command("hint")  # to help with the follow-up: the question's maximum is now 9
    assert first.score == 9
    other.reveal()
    other.command("hint")  # after the reveal: closed, costs nothing
    assert session_module.hints_taken(first) == 1


def test_exam_mode_gives_no_feedback_until_the_end(bank, store) -> None:
    ids = sorted(bank.entries)[:2]
    session = _session(bank, store, ScriptedGrader(["cc", "cc"]), ids, max_follow_ups=0, mode="exam")
    session.start()
    with pytest.raises(InterviewerError, match="Hints are for study mode"):
        session.command("hint")
    assert session.transcript.questions[0].hints == 0
    assert [t.kind for t in session.answer("an answer")] == ["question"]
    assert [t.kind for t in session.answer("another")] == ["end"]


def test_an_overlong_answer_is_refused_and_nothing_is_recorded(bank, store) -> None:
    session = _session(bank, store, ScriptedGrader(["c"]), sorted(bank.entries)[:1])
    session.max_answer_chars = 100
    session.start()
    with pytest.raises(AnswerRejectedError, match="limit is 100"):
        session.answer("x" * 101)
    assert [t.kind for t in session.transcript.questions[0].turns] == ["question"]


def test_questions_are_chosen_by_the_session_settings(bank, store) -> None:
    topic = bank.get("precision-vs-recall").topic
    config = SessionConfig(topics=[topic], difficulties=[1], num_questions=50, seed=1)
    session = Session(bank, store, ScriptedGrader([]), config)
    session.start()
    planned = [session.transcript.questions[0].entry_id, *session._state.queue]  # type: ignore[union-attr]
    expected = {e.id for e in bank.entries.values() if e.topic == topic and e.difficulty == 1}
    assert set(planned) == expected
    empty = Session(bank, store, ScriptedGrader([]), SessionConfig(topics=["no-such-topic"]))
    with pytest.raises(InterviewerError, match="No questions match"):
        empty.start()


def test_the_revealed_reference_pasted_back_scores_zero_but_own_words_are_graded(bank, store) -> None:
    ids = ["precision-vs-recall", "bias-variance-tradeoff"]
    entry = bank.get(ids[0])
    pasted_unseen = _session(bank, store, ScriptedGrader(["cccc"]), ids[:1], max_follow_ups=0, mode="study")
    pasted_unseen.start()
    assert pasted_unseen.answer(entry.reference_answer)[0].grade.score > 0  # not revealed: graded as usual

    grader = ScriptedGrader(["cccc"])
    session = _session(bank, store, grader, ids, max_follow_ups=0, mode="study")
    session.start()
    session.reveal()
    turns = session.answer(entry.reference_answer)
    grade = turns[0].grade
    assert grade.score == 0 and grade.flags == ["copies_reference"] and not grader.asked
    assert "reference answer you revealed" in grade.feedback.summary
    assert session.transcript.questions[0].revealed

    session.reveal()  # the second question: revealed, then answered in the candidate's own words
    own = session.answer(
        "Bias is error from wrong assumptions; variance is sensitivity to the training sample."
    )
    assert grader.asked and own[0].grade.score > 0  # graded and shown, as practice
    second = session.transcript.questions[1]
    assert second.main_grade is None and second.score == 0  # the reveal closed the question
    assert (
        own[0].text.startswith("**Practice: 10/10, not counted, as you answered after the reveal**")
        and session.finished
    )


DOUBT = "“Bagging trains its models one after another” may say the opposite of this point: check it against the reference."


def _unsure_grade(doubt: str | None = DOUBT) -> Grade:
    return Grade(
        score=5,
        grader="offline",
        flags=["unsure"] if doubt else [],
        key_points=[
            KeyPointResult(
                text="Boosting trains its models one after another.",
                weight=1,
                status="covered",
                evidence="Bagging trains its models one after another.",
                confidence=0.5 if doubt else 1.0,
                doubt=doubt,
            ),
            KeyPointResult(text="Bagging reduces variance.", weight=1, status="missing"),
        ],
    )


def test_feedback_in_the_chat_and_the_terminal_says_what_the_grader_is_unsure_of(capsys) -> None:
    text = feedback_text(_unsure_grade())
    assert "_The grader is unsure about 1 key point: check it against the reference answer._" in text
    assert f"Covered:\n- Boosting trains its models one after another.\n  Unsure: {DOUBT}" in text
    assert "- Bagging reduces variance. (missing)" in text and text.count("Unsure:") == 1
    show([Turn(role="interviewer", kind="feedback", text=text)])  # what `interviewer practice` prints
    out = " ".join(capsys.readouterr().out.split())  # rich wraps the lines at word boundaries
    assert "The grader is unsure about 1 key point" in out and " ".join(DOUBT.split()) in out
    assert "nsure" not in feedback_text(_unsure_grade(doubt=None))


# --- the reveal closes the question; follow-ups; repeat; time spent -----------------------------------------


def test_a_follow_up_answered_after_the_reveal_is_practice_and_not_counted(bank, store) -> None:
    ids = ["precision-vs-recall", "bias-variance-tradeoff"]
    entry = bank.get(ids[0])
    # main answer: one point of four; the follow-up's answer would cover its point ("c") if it counted
    grader = ScriptedGrader(["cmmmm", "c"])
    session = _session(bank, store, grader, ids, max_follow_ups=1, mode="study")
    session.start()
    turns = session.answer("Precision is TP over TP plus FP.")
    assert turns[-1].kind == "follow_up"
    record = session.transcript.questions[0]
    before, overall_before = record.score, session.transcript.overall_score

    revealed = session.reveal()
    assert revealed[0].text.startswith("Reference answer:") and "now closed" in revealed[0].text
    pasted = session.answer(entry.reference_answer)  # the revealed answer, pasted into the open follow-up
    assert pasted[0].grade.score == 0 and pasted[0].grade.flags == ["copies_reference"]
    assert pasted[0].text.startswith("**Practice: 0/10, not counted, as you answered after the reveal**")
    assert pasted[-1].kind == "question"  # closed: on to the next question
    assert record.score == before and record.follow_up_grades == []
    assert is_practice(record, len(record.turns) - 2)  # the pasted answer (its feedback follows it)
    assert not is_practice(record, 1)  # the main answer counts

    session.reveal()  # the next question: revealed, answered in own words: graded, not counted
    session.answer("Bias is error from wrong assumptions.")
    assert grader.asked[-1][1] == "Bias is error from wrong assumptions."
    assert session.transcript.overall_score == round(overall_before / 2, 1)  # 2 questions; the second 0

    kinds = report.answer_kinds(record)
    assert list(kinds.values()) == ["main", "practice"]
    md = report.to_markdown(session.transcript)
    assert "You answered after the reveal (practice, not counted)" in md
    assert "Interviewer revealed the reference answer" in md and "answer revealed" in md
    data = json.loads(report.to_json(session.transcript))
    assert [t.get("answer_kind") for t in data["questions"][0]["turns"] if t["role"] == "candidate"] == [
        "main",
        "practice",
    ]


def test_a_follow_ups_feedback_gives_the_questions_score_not_its_own(bank, store) -> None:
    ids = ["precision-vs-recall"]
    session = _session(bank, store, ScriptedGrader(["cmmmm", "c"]), ids, max_follow_ups=1, mode="study")
    session.start()
    first = session.answer("Precision is TP over TP plus FP.")
    assert first[0].text.startswith("**Score: ")
    follow_up = session.answer("Recall is TP over TP plus FN.")
    record = session.transcript.questions[0]
    assert record.follow_up_grades[0].score == 10  # the follow-up's own grade, on its one key point
    assert follow_up[0].text.startswith(
        f"**Follow-up: you made the point. The question's score is now {record.score:g}/10**"
    )
    assert "10/10" not in follow_up[0].text.split("\n")[0] and record.score < 10


def test_the_reply_streams_as_separate_messages(bank, store) -> None:
    class Streaming(ScriptedGrader):
        def grade(self, reference, answer, rubric, *, on_text=None):
            if on_text:
                on_text("Good start")
            return super().grade(reference, answer, rubric)

    ids = ["precision-vs-recall", "bias-variance-tradeoff"]
    session = _session(bank, store, Streaming(["cccc"]), ids, max_follow_ups=0, mode="study")
    session.start()
    messages: list[list[str]] = []
    texts: list[str] = []
    turns = session.answer("Precision is TP over TP plus FP.", on_reply=messages.append, on_text=texts.append)
    assert messages[0] == ["Good start"] and messages[-1] == [turns[0].text]
    assert texts[-1] == turns[0].text + "\n\n"  # one text, as before
    assert all(len(m) == 1 for m in messages)  # the next question is never glued to the feedback


class RewordingWriter(ProbeFollowUps):
    def reword(self, question: str) -> str:
        return f"In other words: {question.lower()}"


def test_repeat_may_reword_the_question(bank, store) -> None:
    ids = ["precision-vs-recall"]
    config = SessionConfig(question_ids=ids, num_questions=1)
    session = Session(bank, store, ScriptedGrader([]), config, follow_ups=RewordingWriter())
    session.start()
    (turn,) = session.command("repeat")
    assert turn.kind == "repeat" and turn.text == f"In other words: {bank.get(ids[0]).question.lower()}"


class ScriptedChat:
    """A chat model that replies with queued objects (or raises them) and records what it was asked."""

    model = "scripted"

    def __init__(self, *replies):
        self.replies, self.asked = list(replies), []

    def parse(self, messages, schema, *, check=None, on_partial=None):
        self.asked.append(messages)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def test_the_llm_rewords_a_repeated_question_and_falls_back_to_it() -> None:
    question = "What is the difference between precision and recall?"
    chat = ScriptedChat(
        FollowUpQuestion(question="How do precision and recall differ?"), RuntimeError("down")
    )
    writer = LLMFollowUps(chat)  # type: ignore[arg-type]
    assert writer.reword(question) == "How do precision and recall differ?"
    assert question in chat.asked[0][-1]["content"]
    assert writer.reword(question) == question  # the endpoint failed: the question as it was


def test_the_time_spent_on_each_question_is_kept_and_restored(bank, store, monkeypatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(session_module.time, "time", lambda: now[0])

    class SlowGrader(ScriptedGrader):
        def grade(self, reference, answer, rubric, *, on_text=None):
            now[0] += 5  # grading takes 5 s, which is not the candidate's time
            return super().grade(reference, answer, rubric)

    ids = ["precision-vs-recall", "bias-variance-tradeoff"]
    session = _session(bank, store, SlowGrader(["cmmmm"]), ids, max_follow_ups=1, mode="exam")
    session.start()
    now[0] += 40
    session.answer("Precision is TP over TP plus FP.")  # 40 s; a follow-up is asked after grading
    snapshot = session.snapshot()
    restored = Session.restore(bank, store, SlowGrader(["m"]), snapshot)
    now[0] += 20
    restored.answer("No idea.")  # 20 s more on question 1
    now[0] += 7
    restored.command("skip")
    assert restored.seconds == [60.0, 7.0]
    extras = report.ReportExtras(seconds=restored.seconds)
    md = report.to_markdown(restored.transcript, extras)
    assert "| # | question | topic | score | time |" in md and "| 1 min 00 s |" in md and "| 7 s |" in md
