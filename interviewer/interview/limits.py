"""How long an answer may be: one rule, applied by every face before anything is recorded or graded.

The page checks before its chat shows the answer (so the typed text stays in the box), the registry before it
writes the answer to the database, the session before it grades, and `interviewer grade` before grading; all
of them call `AnswerLimits.check`, so the limit and its message cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from interviewer.errors import AnswerRejectedError

DEFAULT_MAX_CHARS = 8000


@dataclass(frozen=True)
class AnswerLimits:
    max_chars: int = DEFAULT_MAX_CHARS

    def check(self, text: str) -> None:
        """Refuse an answer over the limit, saying by how much and that the text is kept."""
        if len(text) > self.max_chars:
            raise AnswerRejectedError(
                f"Your answer is {len(text):,} characters; the limit is {self.max_chars:,}. "
                "Shorten it and send it again (your text has not been discarded)."
            )
