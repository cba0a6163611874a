"""The dialogue policy: given where the interview stands and what just happened, what the interviewer does next.

Pure functions over immutable state, so every rule can be tested without a model, a store or a UI. The
session (`session.py`) carries out the moves.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Literal

from interviewer.models import STOPS_GRADING, Grade, KeyPointResult

Command = Literal["skip", "hint", "repeat", "dont_know", "end"]


@dataclass(frozen=True)
class PolicyState:
    queue: tuple[str, ...]  # question ids still to ask, in order
    max_follow_ups: int
    current: str | None = None
    follow_ups_asked: int = 0
    probed: tuple[str, ...] = ()  # key point texts already followed up
    hints_given: int = 0
    asked: tuple[str, ...] = ()
    finished: bool = False


@dataclass(frozen=True)
class Move:
    """What the interviewer does. `kind` decides which other fields matter."""

    kind: Literal["ask", "follow_up", "hint", "repeat", "finish"]
    entry_id: str | None = None
    key_point: KeyPointResult | None = None
    hint_level: int = 0
    reason: str = ""


def plan(
    candidate_ids: list[str], count: int, seed: int | None = None, keep_order: bool = False
) -> tuple[str, ...]:
    """Choose up to `count` questions from the candidates: shuffled by `seed`, or in the order given."""
    ids = list(dict.fromkeys(candidate_ids))
    if not keep_order:
        random.Random(seed).shuffle(ids)
    return tuple(ids[:count])


def start(queue: tuple[str, ...], max_follow_ups: int) -> tuple[PolicyState, Move]:
    return _next_question(PolicyState(queue=queue, max_follow_ups=max_follow_ups))


def _next_question(state: PolicyState) -> tuple[PolicyState, Move]:
    if not state.queue:
        return replace(state, current=None, finished=True), Move("finish", reason="all questions asked")
    entry_id, rest = state.queue[0], state.queue[1:]
    new = replace(
        state,
        queue=rest,
        current=entry_id,
        follow_ups_asked=0,
        probed=(),
        hints_given=0,
        asked=(*state.asked, entry_id),
    )
    return new, Move("ask", entry_id=entry_id)


def after_answer(state: PolicyState, grade: Grade) -> tuple[PolicyState, Move]:
    """Follow up on the most important missed key point that has a probe, else move on."""
    if state.finished:
        return state, Move("finish")
    target = follow_up_target(state, grade)
    if target is None:
        return _next_question(state)
    new = replace(state, follow_ups_asked=state.follow_ups_asked + 1, probed=(*state.probed, target.text))
    return new, Move("follow_up", entry_id=state.current, key_point=target)


def follow_up_target(state: PolicyState, grade: Grade) -> KeyPointResult | None:
    """The most important missed key point with a probe, not yet asked about; the grader's advice (an LLM's
    "move on", or the point it would ask about) is followed when it names such a point."""
    if state.follow_ups_asked >= state.max_follow_ups or STOPS_GRADING & set(grade.flags):
        return None
    if grade.next_move == "move_on":
        return None
    candidates = [k for k in grade.missed if k.probe and k.text not in state.probed]
    advised = [k for k in candidates if k.text == grade.follow_up_point]
    ranked = advised + candidates
    return ranked[0] if ranked else None


def on_command(state: PolicyState, command: Command) -> tuple[PolicyState, Move]:
    if state.finished:
        return state, Move("finish")
    if command == "end":
        return replace(state, current=None, queue=(), finished=True), Move(
            "finish", reason="ended by the candidate"
        )
    if command in ("skip", "dont_know"):
        return _next_question(state)
    if command == "hint":
        new = replace(state, hints_given=state.hints_given + 1)
        return new, Move("hint", entry_id=state.current, hint_level=new.hints_given)
    return state, Move("repeat", entry_id=state.current)
