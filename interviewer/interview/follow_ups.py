"""How the interviewer words a follow-up question about a key point the candidate missed, and a question
asked again (**Repeat**).

Offline, the bank's own probe is asked as written, and a repeated question is asked in the same words. With an
LLM, the probe is reworded to build on what the candidate said, and a repeated question is put in other words.
The prompts that write questions are given the question, the candidate's answer and the probe, never the
reference answer or the key points, so a question cannot give the answer away.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod

from interviewer.errors import LLMError
from interviewer.grading.grader import TextSink
from interviewer.llm import prompts
from interviewer.llm.chat_model import ChatModel
from interviewer.models import FollowUpQuestion

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 400


class FollowUpWriter(ABC):
    """Words the follow-up question aimed at one missed key point."""

    @abstractmethod
    def write(self, question: str, answer: str, probe: str, *, on_text: TextSink | None = None) -> str: ...

    def reword(self, question: str) -> str:
        """The question to ask again when the candidate asks to hear it again: by default, as it was."""
        return question


class ProbeFollowUps(FollowUpWriter):
    """Asks the bank's probe as written."""

    def write(self, question: str, answer: str, probe: str, *, on_text: TextSink | None = None) -> str:
        return probe


class LLMFollowUps(FollowUpWriter):
    """Asks the LLM to word the probe as a natural follow-up; streams it; the probe itself on any fault."""

    def __init__(self, chat: ChatModel):
        self.chat = chat

    def write(self, question: str, answer: str, probe: str, *, on_text: TextSink | None = None) -> str:
        open_marker, close_marker = prompts.fence(answer, "answer")
        messages = [
            {"role": "system", "content": prompts.render("follow_up.system")},
            {
                "role": "user",
                "content": prompts.render(
                    "follow_up.user",
                    question=question,
                    answer=answer,
                    probe=probe,
                    open_marker=open_marker,
                    close_marker=close_marker,
                ),
            },
        ]

        def stream(partial: dict[str, object]) -> None:
            text = partial.get("question")
            if on_text is not None and isinstance(text, str) and text:
                on_text(text[:MAX_QUESTION_CHARS])

        try:
            reply = self.chat.parse(
                messages, FollowUpQuestion, on_partial=stream if on_text is not None else None
            )
        except Exception as exc:  # the bank's probe is always a good question
            reason = exc.reason if isinstance(exc, LLMError) else type(exc).__name__
            log.warning("Follow-up asked as written in the bank: the LLM endpoint %s", reason)
            return probe
        text = reply.question.strip()
        if not text.endswith("?") or len(text) > MAX_QUESTION_CHARS:
            return probe
        return text

    def reword(self, question: str) -> str:
        """The question in other words, asking the same thing; the question as it was on any fault."""
        messages = [
            {"role": "system", "content": prompts.render("reword.system")},
            {"role": "user", "content": prompts.render("reword.user", question=question)},
        ]
        try:
            reply = self.chat.parse(messages, FollowUpQuestion)
        except Exception as exc:
            reason = exc.reason if isinstance(exc, LLMError) else type(exc).__name__
            log.warning("Question repeated as it was: the LLM endpoint %s", reason)
            return question
        text = reply.question.strip()
        if not text or len(text) > max(MAX_QUESTION_CHARS, 2 * len(question)):
            return question
        return text
