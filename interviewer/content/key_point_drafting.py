"""Drafting an imported question's key points with the configured LLM, for `interviewer bank import`.

Without an LLM the importer drafts key points from the answer's sentences; with one, the LLM writes single
checkable claims with weights and probes, and may correct a wrong answer. Anything the LLM gets wrong falls
back to the sentence drafts, with the reason noted on the draft: an import never fails because the LLM did.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from interviewer.errors import LLMConfigError, LLMError, LLMUnavailableError
from interviewer.llm.chat_model import ChatModel
from interviewer.llm.prompts import fence, render


class DraftedKeyPoint(BaseModel):
    text: str = Field(description="One checkable claim, as one plain sentence.")
    weight: float = Field(description="2 central, 1 normal, 0.5 minor.")
    probe: str = Field(description="The follow-up question asked when the point is missing; ends with '?'.")


class DraftedKeyPoints(BaseModel):
    key_points: list[DraftedKeyPoint]


def _check(reply: Any) -> None:
    """What the schema cannot say; a failure is sent back to the LLM once, with this message."""
    points = reply.key_points
    if not 3 <= len(points) <= 7:
        raise ValueError(f"write 3 to 7 key points, not {len(points)}")
    for n, point in enumerate(points, start=1):
        if not point.text.strip():
            raise ValueError(f"key point {n} has no text")
        if not point.probe.strip().endswith("?"):
            raise ValueError(f"the probe of key point {n} must be a question ending in '?'")
        if point.weight not in (0.5, 1, 2):
            raise ValueError(f"the weight of key point {n} must be 0.5, 1 or 2")


class LLMKeyPointDrafter:
    """Asks the LLM for each question's key points. After an endpoint that cannot be reached or refuses the
    request, it stops asking (`gave_up`), so a dead endpoint costs one timeout, not one per question."""

    def __init__(self, chat_model: ChatModel):
        self.chat_model = chat_model
        self.gave_up: str | None = None

    def __call__(self, question: str, answer: str) -> list[dict[str, Any]]:
        """Key points as bank entry fields. Raises `LLMError` when the LLM gave none usable."""
        if self.gave_up:
            raise LLMUnavailableError(self.gave_up, "")
        open_marker, close_marker = fence(answer, "document")
        messages = [
            {"role": "system", "content": render("draft_key_points.system")},
            {
                "role": "user",
                "content": render(
                    "draft_key_points.user",
                    question=question,
                    answer=answer,
                    open_marker=open_marker,
                    close_marker=close_marker,
                ),
            },
        ]
        try:
            reply = self.chat_model.parse(messages, DraftedKeyPoints, check=_check)
        except (LLMUnavailableError, LLMConfigError) as exc:
            self.gave_up = exc.reason
            raise
        except LLMError:
            raise
        return [
            {"text": p.text.strip(), "weight": p.weight, "probe": p.probe.strip()} for p in reply.key_points
        ]
