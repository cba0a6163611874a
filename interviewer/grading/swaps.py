"""Key points stated with two paired terms exchanged: "L2 sets weights to exactly zero" for "L1 sets weights to
exactly zero".

Word alignment credits such a sentence fully: every word of the key point is there. But a candidate who says it
has the concept backwards. The check is lexical and narrow on purpose: the key point names one term of a pair
(and not the other); the clause of the answer that makes the rest of the point names the other term (and not
the first). Only pairs of concepts that interviews contrast by name are listed, not directions (high/low,
increase/decrease), which answers word too freely for a word check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from interviewer.text import content_stems

PAIRED_CONCEPTS: tuple[tuple[str, str], ...] = (
    ("precision", "recall"),
    ("bias", "variance"),
    ("l1", "l2"),
    ("lasso", "ridge"),
    ("overfitting", "underfitting"),
    ("false positive", "false negative"),
    ("false positives", "false negatives"),
    ("type i", "type ii"),
    ("sparse", "dense"),
    ("bagging", "boosting"),
    ("generative", "discriminative"),
    ("encoder", "decoder"),
    ("numerator", "denominator"),
    ("sensitivity", "specificity"),
    ("mean", "median"),
)

# A clause shares at least this many of the key point's own content words (not the pair's, not the other key
# points') before it counts as making the point with the wrong term: fewer, and it may be about something else.
MIN_SHARED_WORDS = 2

_CLAUSE_BREAK = re.compile(
    r";|,?\s+(?:while|whereas|but|unlike|and\s+then)\s+|,\s+(?:and\s+)?(?=\w+\s+(?:is|are|does|do)\b)"
)


@dataclass(frozen=True)
class Swap:
    """A clause that makes a key point with its paired term exchanged."""

    clause: str  # verbatim from the answer
    said: str  # the term the answer used, as it wrote it
    meant: str  # the term the key point needs, as the key point writes it

    def correction(self, point: str) -> str:
        return f"That is true of {self.meant}, not {self.said}: {point}"


def _find(term: str, text: str) -> re.Match[str] | None:
    return re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text, re.IGNORECASE)


def _has(term: str, text: str) -> bool:
    return _find(term, text) is not None


def _as_written(term: str, text: str) -> str:
    found = _find(term, text)
    return found.group(0) if found else term


def find_swap(point: str, spans: list[str], other_points: Sequence[str] = ()) -> Swap | None:
    """The clause of the answer (its `spans`) that states `point` with one of its paired concepts exchanged,
    unless another clause states the point with the right term at least as fully. Only the point's own words
    count (not those it shares with `other_points`): "Type I is rejecting a true null" says nothing about the
    point "Type II is failing to reject a false null", though it shares "reject" and "null" with it."""
    clauses = [c.strip() for span in spans for c in _CLAUSE_BREAK.split(span) if c.strip()]
    others = set().union(*(content_stems(p) for p in other_points))
    for a, b in PAIRED_CONCEPTS:
        for meant, said in ((a, b), (b, a)):
            if not _has(meant, point) or _has(said, point):
                continue
            rest = content_stems(point) - content_stems(meant) - content_stems(said) - others
            shared = {c: len(rest & content_stems(c)) for c in clauses}
            right = max((n for c, n in shared.items() if _has(meant, c)), default=0)
            wrong = [c for c, n in shared.items() if _has(said, c) and not _has(meant, c) and n > right]
            best = max(wrong, key=shared.__getitem__, default=None)
            if best is not None and shared[best] >= MIN_SHARED_WORDS:
                return Swap(clause=best, said=_as_written(said, best), meant=_as_written(meant, point))
    return None
