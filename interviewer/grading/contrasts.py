"""A key point stated backwards: its contrasts, made automatically for any reference, bank or ad hoc.

A confident wrong answer often uses exactly the reference's words with two of them exchanged ("L2 sets weights
to exactly zero"), a direction reversed ("adding data increases variance") or a negation added or dropped. Word
overlap and sentence embeddings barely tell these apart from the key point; comparing a clause with the key point
*and* with its contrasts does. Each contrast says what was changed, so feedback can name the error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Terms that trade places in a wrong answer. Each pair is exchanged wherever either word occurs in a key point.
PAIRED_TERMS: tuple[tuple[str, str], ...] = (
    ("precision", "recall"),
    ("bias", "variance"),
    ("l1", "l2"),
    ("lasso", "ridge"),
    ("overfitting", "underfitting"),
    ("overfit", "underfit"),
    ("overfits", "underfits"),
    ("false positives", "false negatives"),
    ("false positive", "false negative"),
    ("type i", "type ii"),
    ("sparse", "dense"),
    ("bagging", "boosting"),
    ("parallel", "sequential"),
    ("supervised", "unsupervised"),
    ("generative", "discriminative"),
    ("parametric", "non-parametric"),
    ("convex", "non-convex"),
    ("increase", "decrease"),
    ("increases", "decreases"),
    ("increasing", "decreasing"),
    ("increased", "decreased"),
    ("raise", "lower"),
    ("raises", "lowers"),
    ("higher", "lower"),
    ("high", "low"),
    ("more", "fewer"),
    ("larger", "smaller"),
    ("large", "small"),
    ("largest", "smallest"),
    ("most", "least"),
    ("maximum", "minimum"),
    ("maximize", "minimize"),
    ("maximizes", "minimizes"),
    ("always", "never"),
    ("before", "after"),
    ("above", "below"),
    ("faster", "slower"),
    ("wider", "narrower"),
    ("positive", "negative"),
    ("positives", "negatives"),
    ("independent", "dependent"),
    ("encoder", "decoder"),
    ("numerator", "denominator"),
    ("reduces", "increases"),
    ("reduce", "increase"),
    ("shrinks", "grows"),
    ("removes", "keeps"),
    ("linear", "non-linear"),
    ("global", "local"),
)

_NEGATABLE = re.compile(
    r"\b(is|are|was|were|does|do|can|will|should|must|has|have)\b(?! not\b)", re.IGNORECASE
)
_NEGATED = re.compile(
    r"\b(is|are|was|were|does|do|can|will|should|must|has|have) not\b|\bcannot\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Contrast:
    """A key point stated backwards, and what was changed to make it so (for feedback)."""

    text: str
    change: str


def contrasts(point: str) -> list[Contrast]:
    """The key point with each paired term it uses exchanged, and with its first verb negated (or un-negated)."""
    found: list[Contrast] = []
    seen = {point.lower()}
    for a, b in PAIRED_TERMS:
        swapped = _exchange(point, a, b)
        if swapped.lower() not in seen:
            seen.add(swapped.lower())
            found.append(Contrast(swapped, f"{a} and {b} exchanged"))
    negated = _negate(point)
    if negated and negated.lower() not in seen:
        found.append(Contrast(negated, "negated"))
    return found


def _exchange(text: str, a: str, b: str) -> str:
    """`a` and `b` swapped wherever either occurs as a whole word, keeping the first letter's case."""
    pattern = re.compile(rf"\b({re.escape(a)}|{re.escape(b)})\b", re.IGNORECASE)

    def other(match: re.Match[str]) -> str:
        word = match.group(0)
        replacement = b if word.lower() == a else a
        return replacement.capitalize() if word[:1].isupper() else replacement

    return pattern.sub(other, text)


def _negate(text: str) -> str | None:
    """The statement with its first negation removed, or else with "not" after its first auxiliary verb."""
    negated = _NEGATED.search(text)
    if negated:
        plain = "can" if negated.group(0).lower() == "cannot" else negated.group(1)
        return text[: negated.start()] + plain + text[negated.end() :]
    verb = _NEGATABLE.search(text)
    if verb:
        return text[: verb.end()] + " not" + text[verb.end() :]
    return None
