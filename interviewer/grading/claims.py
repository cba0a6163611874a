"""What the answer's sentences claim about each key point: that it holds, that it does not, or nothing.

Word and sentence similarity tell whether an answer talks about a key point, not what it says about it: "L2
sets weights to exactly zero" is as close to the key point "L1 sets weights to exactly zero" as a right answer
is. A `ClaimJudge` (the small entailment model in `entailment.py`, or a fake in tests) reads each key point with
the answer sentences nearest to it, one pair at a time, and says whether the sentence states the point,
contradicts it or neither. Only the nearest sentences are read, so the cost stays a few pairs per key point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

ENTAILS, CONTRADICTS, NEUTRAL = 0, 1, 2
SPANS_PER_POINT = 2  # the answer sentences read against each key point: its nearest by sentence cosine


class ClaimJudge(Protocol):
    """Rows of (entails, contradicts, neutral) probabilities for (premise, clause) pairs, in order."""

    def judge_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray: ...


@dataclass(frozen=True)
class PointClaim:
    """What the answer says about one key point: the best support and the strongest contradiction found."""

    support: float  # highest probability that one sentence states the point
    support_span: int | None
    against: float  # highest probability that one sentence contradicts it
    against_span: int | None


def nearest_spans(
    similarity: np.ndarray, candidates: Sequence[int], k: int = SPANS_PER_POINT
) -> list[list[int]]:
    """For each key point (a row of `similarity`, spans in columns), the `k` candidate spans closest to it."""
    if not candidates:
        return [[] for _ in range(similarity.shape[0])]
    columns = similarity[:, list(candidates)]
    order = np.argsort(-columns, axis=1)[:, :k]
    return [[candidates[j] for j in row] for row in order]


def check_points(
    judge: ClaimJudge, points: Sequence[str], spans: Sequence[str], nearest: Sequence[Sequence[int]]
) -> list[PointClaim]:
    """Each key point read against its nearest spans, in one batch."""
    pairs = [(point, spans[s]) for point, near in zip(points, nearest, strict=True) for s in near]
    probabilities = judge.judge_pairs(pairs) if pairs else np.zeros((0, 3))
    claims, row = [], 0
    for near in nearest:
        block = probabilities[row : row + len(near)]
        row += len(near)
        if not len(near):
            claims.append(PointClaim(0.0, None, 0.0, None))
            continue
        best, worst = int(np.argmax(block[:, ENTAILS])), int(np.argmax(block[:, CONTRADICTS]))
        claims.append(
            PointClaim(
                support=float(block[best, ENTAILS]),
                support_span=near[best],
                against=float(block[worst, CONTRADICTS]),
                against_span=near[worst],
            )
        )
    return claims
