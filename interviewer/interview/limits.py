"""How long an answer may be: one rule, applied by every face before anything is recorded or graded.

The page checks before its chat shows the answer (so the typed text stays in the box), the registry before it
writes the answer to the database, the session before it grades, and `interviewer grade` before grading; all
of them call `AnswerLimits.check`, so the limit and its message cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from interviewer.errors import AnswerRejectedError

DEFAULT_MAX_CHARS = 8000
_STRAY = re.compile("[\ud800-\udfff]")  # half of a UTF-16 pair: not text any encoder will write


@dataclass(frozen=True)
class AnswerLimits:
    max_chars: int = DEFAULT_MAX_CHARS

    def check(self, text: str) -> None:
        """Refuse an answer over the limit, or one that is not valid text, saying why and that the text is kept."""
        check_text(text, "Your answer")
        if len(text) > self.max_chars:
            raise AnswerRejectedError(
                f"Your answer is {len(text):,} characters; the limit is {self.max_chars:,}. "
                "Shorten it and send it again (your text has not been discarded)."
            )


def check_text(text: str, what: str) -> None:
    """Refuse text holding half of a UTF-16 pair (half an emoji sent by a script) or the bytes of invalid UTF-8
    (which Python reads from a command line or a pipe as the same kind of stray code unit): no database, JSON
    writer or tokenizer can take it, so it is refused before anything is recorded."""
    for position, char in enumerate(text):
        if _STRAY.match(char):
            raise AnswerRejectedError(
                f"{what} contains something that is not valid text at character {position + 1} (half of an "
                "emoji, or bytes that are not UTF-8). Retype that part and send it again (your text has not "
                "been discarded)."
            )


def has_stray_code_units(text: str) -> bool:
    """Whether `text` holds half of a UTF-16 pair, or the bytes of invalid UTF-8 as Python reads them."""
    return _STRAY.search(text) is not None
