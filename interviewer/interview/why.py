"""Why did I lose points? A short conversation about one graded answer, on the page and in the terminal.

- Offline (`OfflineExplainer`), the reply is the grade's own reasons (`explanation.explain`), the same each time.
- With an LLM (`LLMExplainer`), the model is shown the question, the reference answer, the key points, the answer
  and the grade (that explanation), and answers the candidate's questions in plain text, streamed. It explains;
  it cannot change the score: the conversation reads the grade and never writes to the session.
- In an exam still running, the prompt holds no reference answer, key point, correction or score (its template
  has no place for them), and every reply is checked as it streams: once it repeats a run of words of the
  reference answer, a key point or a correction that the candidate's own answer and the question do not hold,
  the rest is withheld. The words that complete such a run are held back until checked, so none is shown.
- Any fault of the LLM gives the offline explanation, with the reason.
"""

from __future__ import annotations

import logging
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

from interviewer.errors import InterviewerError, LLMError
from interviewer.grading.grader import TextSink
from interviewer.interview.explanation import WHY_QUESTION, GradedAnswer, explain
from interviewer.llm import prompts
from interviewer.llm.chat_model import ChatModel, Message
from interviewer.text import tokens

log = logging.getLogger(__name__)

MAX_QUESTIONS = 6  # per graded answer: a short conversation, not a tutoring session
MAX_QUESTION_CHARS = 1000
OFFLINE_NOTE = (
    "_Without an LLM the interviewer cannot take questions: this is the grader's own reading of your answer, "
    "the same each time._"
)
WITHHELD = (
    "_The rest of this reply was withheld: it began to give away the reference answer, which an exam shows only "
    "at the end._"
)
LEAK_WORDS = 6  # a run of this many words of the reference (fewer for a shorter key point) gives it away
SHORTEST_SECRET = 3  # key points shorter than this many words are too common as phrases to check
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")  # a word, as `text.tokens` reads it


@dataclass(frozen=True)
class Exchange:
    """One question of the candidate's about the grade, and the reply."""

    question: str
    reply: str


class Explainer(ABC):
    """Answers the candidate's questions about one graded answer."""

    @abstractmethod
    def reply(
        self,
        graded: GradedAnswer,
        earlier: Sequence[Exchange],
        question: str,
        *,
        on_text: TextSink | None = None,
    ) -> str:
        """The reply to `question`, after the `earlier` exchanges; `on_text` receives it so far as it streams."""


class OfflineExplainer(Explainer):
    """The grade's own reasons, word for word the same each time (no LLM)."""

    def reply(
        self,
        graded: GradedAnswer,
        earlier: Sequence[Exchange],
        question: str,
        *,
        on_text: TextSink | None = None,
    ) -> str:
        text = explain(graded)
        if earlier or question != WHY_QUESTION:
            text = f"{OFFLINE_NOTE}\n\n{text}"
        if on_text is not None:
            on_text(text)
        return text


class LLMExplainer(Explainer):
    """The LLM explains the grade; the offline explanation on any fault."""

    def __init__(self, chat: ChatModel, fallback: Explainer | None = None):
        self.chat = chat
        self.fallback = fallback or OfflineExplainer()

    def reply(
        self,
        graded: GradedAnswer,
        earlier: Sequence[Exchange],
        question: str,
        *,
        on_text: TextSink | None = None,
    ) -> str:
        messages = why_messages(graded, earlier, question)
        guard = ReferenceGuard.for_answer(graded) if graded.withheld else None
        shown: TextSink | None = on_text
        if guard is not None and on_text is not None:
            shown = guard.streaming(on_text)
        try:
            text = self.chat.write(messages, on_text=shown).strip()
        except Exception as exc:  # the grader's own explanation is always there
            reason = exc.reason if isinstance(exc, LLMError) else type(exc).__name__
            log.warning("Grade explained offline: the LLM endpoint %s", reason)
            note = f"_The LLM could not answer ({reason}); this is the grader's own reading of your answer._"
            text = f"{note}\n\n{explain(graded)}"
            if on_text is not None:
                on_text(text)
            return text
        if guard is not None:
            text = guard.safe(text)
            if on_text is not None:
                on_text(text)
        return text


def why_messages(graded: GradedAnswer, earlier: Sequence[Exchange], question: str) -> list[Message]:
    """The conversation sent to the model: what it may know of the grade, then the exchanges so far, then the
    question. In an exam still running, the templates used have no place for the reference, the key points,
    the corrections or the score."""
    open_marker, close_marker = prompts.fence(graded.answer, "answer")
    if graded.withheld:
        system = prompts.render("explain.exam.system")
        material = prompts.render(
            "explain.exam.user",
            question=graded.question,
            answer=graded.answer,
            open_marker=open_marker,
            close_marker=close_marker,
            grade=explain(graded),
        )
    else:
        misconceptions = "\n".join(
            f"- {m.text} (correct view: {m.correction})" for m in graded.misconceptions
        )
        system = prompts.render("explain.study.system")
        material = prompts.render(
            "explain.study.user",
            question=graded.question,
            reference_answer=graded.reference_answer or "(no longer in the bank)",
            key_points="\n".join(f"{n}. {k.text}" for n, k in enumerate(graded.grade.key_points, 1))
            or "(none)",
            misconceptions=misconceptions or "(none listed)",
            answer=graded.answer,
            open_marker=open_marker,
            close_marker=close_marker,
            grade=explain(graded),
        )
    messages: list[Message] = [{"role": "system", "content": system}, {"role": "user", "content": material}]
    for exchange in earlier:
        messages.append({"role": "user", "content": _asked(exchange.question)})
        messages.append({"role": "assistant", "content": exchange.reply})
    messages.append({"role": "user", "content": _asked(question)})
    return messages


def _asked(question: str) -> str:
    open_marker, close_marker = prompts.fence(question, "question")
    return prompts.render(
        "explain.ask", question=question, open_marker=open_marker, close_marker=close_marker
    )


# --- exam mode: the reply may not give the reference away ---------------------------------------------


@dataclass
class ReferenceGuard:
    """Finds where a reply starts to repeat the reference material of an exam still running."""

    secrets: dict[int, set[tuple[str, ...]]]  # runs of words that give the reference away, by length
    longest: int = LEAK_WORDS
    _shown: str = field(default="", init=False)
    _stopped: bool = field(default=False, init=False)

    @classmethod
    def for_answer(cls, graded: GradedAnswer) -> ReferenceGuard:
        texts = [graded.reference_answer or ""]
        texts += [k.text for k in graded.grade.key_points]
        texts += [m.correction for m in graded.grade.misconceptions]
        texts += [m.correction for m in graded.misconceptions]
        allowed = _runs([*tokens(graded.answer), "\n", *tokens(graded.question)], range(1, LEAK_WORDS + 1))
        secrets: dict[int, set[tuple[str, ...]]] = {}
        for text in texts:
            words = tokens(text)
            if len(words) < SHORTEST_SECRET:
                continue
            n = min(LEAK_WORDS, len(words))
            secrets.setdefault(n, set()).update(_runs(words, [n]) - allowed)
        return cls(secrets)

    def leak_at(self, text: str) -> int | None:
        """The character offset where `text` first repeats a secret run of words; None when it does not."""
        found = _word_spans(text)
        words = [w for w, _ in found]
        for end in range(1, len(words) + 1):
            for n, runs in self.secrets.items():
                if end >= n and tuple(words[end - n : end]) in runs:
                    return found[end - n][1]
        return None

    def safe(self, text: str) -> str:
        """The reply up to where it gives the reference away, with a note saying the rest was withheld."""
        at = self.leak_at(text)
        if at is None:
            return text
        return f"{text[:at].rstrip()}\n\n{WITHHELD}".strip()

    def streaming(self, on_text: TextSink) -> TextSink:
        """A sink for the reply as it streams that passes on only text checked safe: the last words, which a
        later word could make part of a secret run, are held back until the reply goes on or ends."""

        def sink(text: str) -> None:
            if self._stopped:
                return
            if self.leak_at(text) is not None:
                self._stopped = True
                return
            spans = _word_spans(text)
            held = spans[-self.longest][1] if len(spans) >= self.longest else 0
            shown = text[:held]
            if len(shown) > len(self._shown):
                self._shown = shown
                on_text(shown)

        return sink


def _word_spans(text: str) -> list[tuple[str, int]]:
    """Each word of `text` as `tokens` reads it, with the offset where it starts."""
    return [(m.group(0).lower().replace("’", "'"), m.start()) for m in _WORD.finditer(text)]


def _runs(words: Sequence[str], lengths: Sequence[int] | range) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for n in lengths for i in range(len(words) - n + 1)}


# --- one conversation ------------------------------------------------------------------------------------


class WhyConversation:
    """The candidate's questions about one graded answer and the replies, up to `MAX_QUESTIONS`."""

    def __init__(self, graded: GradedAnswer, explainer: Explainer):
        self.graded = graded
        self.explainer = explainer
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()  # a double click asks once, then again

    def ask(self, question: str = "", *, on_text: TextSink | None = None) -> str:
        """The reply to `question` ("Why did I lose points?" when empty). Refuses an over-long question and
        questions beyond `MAX_QUESTIONS`, saying what to do."""
        question = question.strip() or WHY_QUESTION
        if len(question) > MAX_QUESTION_CHARS:
            raise InterviewerError(
                f"That question is {len(question):,} characters long; ask in at most {MAX_QUESTION_CHARS:,}."
            )
        with self._lock:
            if len(self.exchanges) >= MAX_QUESTIONS:
                raise InterviewerError(
                    f"That's {MAX_QUESTIONS} questions about this answer, the most there is room for. Answer the "
                    "next question, or read the report at the end."
                )
            reply = self.explainer.reply(self.graded, list(self.exchanges), question, on_text=on_text)
            self.exchanges.append(Exchange(question, reply))
            return reply


def conversation_for(
    latest: GradedAnswer | None, current: WhyConversation | None, explainer: Explainer
) -> WhyConversation:
    """The conversation about the latest graded answer: `current` while it is about that answer, else a new one.
    Refuses when nothing has been graded yet."""
    if latest is None:
        raise InterviewerError("Answer a question first: then you can ask why it scored what it did.")
    if current is not None and current.graded.key == latest.key:
        return current
    return WhyConversation(latest, explainer)
