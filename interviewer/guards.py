"""Checks that stop an answer before any grading work: nothing in it can earn credit.

They run before both graders, so an empty, copied or content-free answer never reaches an LLM. Each returns a
flag and a message for the candidate, or None when the answer may be graded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from interviewer.errors import AnswerRejectedError
from interviewer.text import content_tokens, normalize, tokens

_DONT_KNOW = re.compile(
    r"^\s*(?:i\s*(?:do\s*not|don'?t|dont)\s*know|idk|no\s*idea|not\s*sure|i\s*have\s*no\s*idea|pass|skip|"
    r"i'?m\s*not\s*sure|no\s*clue)\b[\s.!?]*$",
    re.IGNORECASE,
)


def check_length(text: str, limit: int) -> None:
    """Refuse an answer over the length limit, before anything is recorded or graded."""
    if len(text) > limit:
        raise AnswerRejectedError(
            f"Your answer is {len(text):,} characters; the limit is {limit:,}. "
            "Shorten it and send it again (your text has not been discarded)."
        )


@dataclass(frozen=True)
class GuardResult:
    flag: str
    message: str


def check_answer(question: str, answer: str) -> GuardResult | None:
    """The first guard the answer trips, or None. Text-only checks; the off-topic check needs embeddings."""
    text = normalize(answer)
    if not text:
        return GuardResult("empty", "The answer is empty. Type what you would say to the interviewer.")
    if _DONT_KNOW.match(text.replace("’", "'")):
        return GuardResult(
            "dont_know", "You said you don't know; the model answer below shows what to cover."
        )
    if not content_tokens(text):
        return GuardResult(
            "near_empty",
            "The answer has no subject matter in it (only punctuation or filler words), so nothing can be credited.",
        )
    if copies_question(question, text):
        return GuardResult("copies_question", "The answer repeats the question without answering it.")
    return None


def novel_content(question: str, text: str) -> list[str]:
    """Content words of `text` that the question does not already contain."""
    asked = set(content_tokens(question))
    return [t for t in content_tokens(text) if t not in asked]


def copies_question(question: str, text: str) -> bool:
    """True when the text says nothing the question did not already say."""
    words = content_tokens(text)
    new = novel_content(question, text)
    return (
        bool(words)
        and (len(new) == 0 or (len(new) <= 2 and len(new) / len(words) <= 0.2))
        and bool(tokens(question))
    )
