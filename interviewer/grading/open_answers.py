"""Signals for open-ended and behavioural answers: structure, specificity and evidence, from the answer's words.

Key points of an open question ("names a specific project and what went wrong") are generic; a strong answer
is specific and shares few words with them, so word recall alone under-scores it. Rubric criteria whose
`measure` is `structure`, `specificity` or `evidence` are scored here instead, with simple, transparent cues:

- structure: situation/problem, action/approach and result/outcome cues, each found in the answer, in that
  order counted as a bonus, and spread over at least three sentences;
- specificity: concrete numbers, named methods, tools or datasets, first-person actions and time frames;
- evidence: outcomes, metrics and what was learned.

Each cue kind counts at most twice, so repeating one trick earns little. The grader passes only usable text
(no copies of the question, keyword lists, stuffed keyword runs or text addressed to the grader) that is
about the question, so padding and off-topic text add nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_I = r"\b(?:i|we|my team and i)\s+(?:then\s+|also\s+|first\s+|quickly\s+)?"
_PAST = (
    r"(?:\w{3,}ed|built|ran|wrote|made|led|took|found|chose|shipped|rebuilt|set|put|read|sent|told|began|"
    r"spent|saw|got|brought|drove|fixed|split|cut|kept|did|taught|won|lost|broke|held|gave)\b"
)
_FIRST_PERSON_ACTION = re.compile(_I + _PAST, re.IGNORECASE)
_NUMBER = re.compile(
    r"\b\d[\d,.]*\s*(?:%|x\b|k\b|ms\b|gb\b)?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|"
    r"thirty|fifty|hundred|thousand|million|half|double|twice)\b",
    re.IGNORECASE,
)
_NAMED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w-]*[A-Z0-9][\w-]*\b|(?<=[a-z,;:]\s)[A-Z][a-z]+\b")
_TIME = re.compile(
    r"\b(?:last|next|this|previous|first)\s+(?:year|month|week|quarter|job|role|internship|summer|semester)\b"
    r"|\b(?:in|during|since|for|over|within|after)\s+(?:\d+|a|an|two|three|four|six|several)?\s*"
    r"(?:days?|weeks?|months?|years?|quarters?|sprints?)\b|\b(?:19|20)\d\d\b|\bduring my\b",
    re.IGNORECASE,
)
_SITUATION = re.compile(
    r"\b(?:at my (?:last|previous|current)|during|when i|when we|i was working|we were|we had|the project|"
    r"the problem|the goal|the task|our team|my team|the company|the client|the question|context)\b",
    re.IGNORECASE,
)
_ACTION = re.compile(
    _I + r"(?:decided|proposed|built|rebuilt|ran|wrote|changed|designed|added|replaced|tested|trained|"
    r"implemented|investigated|told|withdrew|fixed|used|tried|set up|introduced|analysed|analyzed|led|"
    r"reproduced|compared|moved|switched|deployed|shipped)\b|\bthe (?:idea|approach|method) (?:is|was)\b",
    re.IGNORECASE,
)
_RESULT = re.compile(
    r"\b(?:as a result|result|resulted|outcome|in the end|eventually|improved|reduced|increased|raised|"
    r"lowered|cut|saved|beat|matched|accepted|published|launched|shipped|dropped|rose|fell)\b",
    re.IGNORECASE,
)
_METRIC = re.compile(
    r"\b(?:auc|accuracy|precision|recall|f1|rmse|mae|latency|throughput|revenue|conversion|churn|loss|"
    r"error rate|points?|percent|parameters)\b|%",
    re.IGNORECASE,
)
_LEARNED = re.compile(
    r"\b(?:learned|learnt|lesson|taught me|since then|now i|i now|next time|differently|in hindsight|"
    r"my reservation|limitation|weakness|would not|wouldn't)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class OpenSignal:
    value: float  # 0-1
    rationale: str


def _hits(pattern: re.Pattern[str], sentences: Sequence[str]) -> list[int]:
    """Indexes of the sentences holding the cue, one per sentence."""
    return [i for i, s in enumerate(sentences) if pattern.search(s)]


def _capped(count: int, cap: int = 2) -> float:
    return min(count, cap) / cap


def structure(sentences: Sequence[str]) -> OpenSignal:
    """Situation, action and result cues present (0.8), in that order (0.2), over three or more sentences."""
    if not sentences:
        return OpenSignal(0.0, "No usable sentences.")
    phases = [_hits(p, sentences) for p in (_SITUATION, _ACTION, _RESULT)]
    present = [bool(h) for h in phases]
    ordered = all(present) and min(phases[0]) <= max(phases[1]) <= max(phases[2])
    value = (0.8 * sum(present) / 3 + 0.2 * ordered) * min(1.0, len(sentences) / 3)
    names = [n for n, p in zip(("situation", "action", "result"), present, strict=True) if p]
    return OpenSignal(
        value,
        f"Parts found: {', '.join(names) or 'none'}"
        + (", in order." if ordered else ".")
        + f" {len(sentences)} sentence(s) on the question.",
    )


def specificity(sentences: Sequence[str]) -> OpenSignal:
    """Numbers, names, first-person actions and time frames, each counted in at most two sentences."""
    kinds = {
        "numbers": _hits(_NUMBER, sentences),
        "named methods or tools": _hits(_NAMED, sentences),
        "own actions": _hits(_FIRST_PERSON_ACTION, sentences),
        "time frames": _hits(_TIME, sentences),
    }
    value = sum(_capped(len(h)) for h in kinds.values()) / len(kinds)
    found = [k for k, h in kinds.items() if h]
    return OpenSignal(value, f"Concrete details: {', '.join(found) or 'none'}.")


def evidence(sentences: Sequence[str]) -> OpenSignal:
    """Outcomes, metrics and what was learned, each counted in at most two sentences."""
    kinds = {
        "outcomes": _hits(_RESULT, sentences),
        "metrics": _hits(_METRIC, sentences),
        "lessons or limits": _hits(_LEARNED, sentences),
    }
    value = sum(_capped(len(h)) for h in kinds.values()) / len(kinds)
    found = [k for k, h in kinds.items() if h]
    return OpenSignal(value, f"Evidence: {', '.join(found) or 'none'}.")
