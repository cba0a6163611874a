"""An interview on the LLM path: the LLM's next move is followed, follow-ups are worded without the reference,
and the interviewer's reply streams. Over real HTTP to the scripted server."""

from __future__ import annotations

import pytest

from interviewer.grading.llm import LLMGrader
from interviewer.grading.offline import OfflineGrader
from interviewer.interview.follow_ups import LLMFollowUps
from interviewer.interview.session import Session
from interviewer.llm.chat_model import OpenAIChatModel
from interviewer.models import SessionConfig
from interviewer.retrieval.store import InMemoryQuestionStore

from .openai_server import OpenAIServer, Received, Reply, judgement, read_grading_request

ANSWER = "Precision is TP / (TP + FP), the share of flagged items that really are positive."
QUESTION = "You mentioned flagged items. What would happen to that share if you flagged more aggressively?"


@pytest.fixture
def entry(bank):
    return bank.get("precision-vs-recall")


def interviewer(llm: OpenAIServer, responder, bank, embedder, fake_embedder, **config) -> Session:
    llm.responder = responder
    chat = OpenAIChatModel("test-model", base_url=llm.url, timeout=5, backoff=0.01)
    session = Session(
        bank,
        InMemoryQuestionStore(fake_embedder),
        LLMGrader(chat, OfflineGrader(embedder)),
        SessionConfig(question_ids=["precision-vs-recall"], num_questions=1, **config),
        follow_ups=LLMFollowUps(chat),
    )
    session.start()
    return session


def script(next_move: dict) -> object:
    def respond(received: Received) -> Reply:
        if received.kind == "grade":
            request = read_grading_request(received)
            return Reply.json(
                judgement(
                    request,
                    points={1: ("covered", ANSWER)},
                    level=2,
                    feedback="Good definition of precision.",
                    next_move=next_move,
                )
            )
        return Reply.json({"question": QUESTION})

    return respond


def test_the_llm_picks_the_follow_up_and_words_it_without_the_reference(
    llm, bank, embedder, fake_embedder, entry
) -> None:
    # The policy alone would ask about recall (weight 2); the LLM asks about the threshold trade-off.
    session = interviewer(
        llm, script({"action": "follow_up", "key_point": 3}), bank, embedder, fake_embedder, max_follow_ups=1
    )
    turns = session.answer(ANSWER)
    follow_up = turns[-1]
    assert follow_up.kind == "follow_up" and follow_up.text == QUESTION
    assert follow_up.key_point == entry.key_points[2].text

    grading, asking = llm.chat_requests
    assert entry.reference_answer in grading.prompt
    assert asking.body is not None
    assert asking.body["response_format"]["json_schema"]["name"] == "FollowUpQuestion"
    assert asking.body["model"] == "test-model"
    prompt = asking.prompt
    assert entry.reference_answer not in prompt
    assert not any(k.text in prompt for k in entry.key_points)
    assert not any(m.text in prompt for m in entry.misconceptions)
    assert entry.key_points[2].probe in prompt and ANSWER in prompt
    # Nothing of the reference beyond what the question itself says.
    reference_sentences = [s for s in entry.reference_answer.split(". ") if len(s) > 20]
    assert not any(s in prompt for s in reference_sentences)

    # The follow-up answer is graded against that key point.
    session.answer("Raising the threshold makes precision go up and recall go down.")
    third = llm.chat_requests[2]
    assert entry.key_points[2].text in third.prompt and entry.key_points[2].probe in third.prompt


def test_the_llm_can_move_on_although_points_are_missing(llm, bank, embedder, fake_embedder) -> None:
    session = interviewer(
        llm, script({"action": "move_on", "key_point": None}), bank, embedder, fake_embedder, max_follow_ups=2
    )
    turns = session.answer(ANSWER)
    assert [t.kind for t in turns] == ["feedback", "end"]
    assert [r.kind for r in llm.chat_requests] == ["grade"]


def test_the_interviewers_reply_streams_feedback_then_the_question(
    llm, bank, embedder, fake_embedder
) -> None:
    session = interviewer(
        llm, script({"action": "follow_up", "key_point": 3}), bank, embedder, fake_embedder, max_follow_ups=1
    )
    seen: list[str] = []
    turns = session.answer(ANSWER, on_text=seen.append)
    feedback, follow_up = turns
    assert follow_up.text == QUESTION
    assert all(r.body and r.body["stream"] is True for r in llm.chat_requests)
    assert "Good definition of precision." in seen  # the feedback as the LLM wrote it, while it streams
    assert seen[-1] == feedback.text + "\n\n" + QUESTION
    question_parts = [s for s in seen if s.startswith(feedback.text + "\n\n")]
    assert len(question_parts) > 2  # the question arrives in pieces


def test_exam_mode_streams_no_feedback(llm, bank, embedder, fake_embedder) -> None:
    session = interviewer(
        llm,
        script({"action": "follow_up", "key_point": 3}),
        bank,
        embedder,
        fake_embedder,
        max_follow_ups=1,
        mode="exam",
    )
    seen: list[str] = []
    turns = session.answer(ANSWER, on_text=seen.append)
    assert [t.kind for t in turns] == ["follow_up"]
    grading, _ = llm.chat_requests
    assert grading.body is not None and not grading.body.get("stream")
    assert seen and seen[-1] == QUESTION
    assert not any("precision" in s for s in seen)
