"""Two paired concepts exchanged inside one sentence: "the false positive rate, TP/(TP+FN), and the true positive
rate, FP/(FP+TN)" for "the true positive rate is TP / (TP + FN) and the false positive rate is FP / (FP + TN)".

`swaps` reads a clause that names one concept of a pair where the key point names the other. A sentence that
names both, each with the other's description, passes that check: both concepts are there, and so are all the
words. Here each mention of a concept is bound to the words of its clause (or, in a clause that names both, to
the words that follow it up to the next mention), and the two bindings are compared with the key point's: a sentence that gives
each concept words that only the other has in the key point has exchanged them.

Both concepts must carry the other's words, and no sentence of the answer may bind the pair the right way round, so a sentence that
describes only one of the two, or that mixes them, is not read as an exchange.
"""

from __future__ import annotations

import re

from interviewer.grading.swaps import Swap, pairs_named
from interviewer.text import STOPWORDS, split_clauses, stem, tokens


def _bindings(text: str, pair: tuple[str, str]) -> dict[str, set[str]]:
    """The content stems bound to each concept of `pair` in `text`: all of a clause that names one of the two,
    and in a clause that names both, the words after each mention up to the next."""
    names = {w for term in pair for w in tokens(term)}
    pattern = "|".join(re.escape(term) for term in sorted(pair, key=len, reverse=True))
    bound: dict[str, set[str]] = {term: set() for term in pair}
    for clause in _clauses(text):
        mentions = list(re.finditer(rf"(?<![\w-])(?:{pattern})(?![\w-])", clause, re.IGNORECASE))
        named = {m.group(0).lower() for m in mentions}
        for k, mention in enumerate(mentions):
            if len(named) == 1:
                start, end = 0, len(clause)
            else:
                start, end = mention.end(), mentions[k + 1].start() if k + 1 < len(mentions) else len(clause)
            words = tokens(clause[start:end])
            bound[mention.group(0).lower()] |= {
                stem(w) for w in words if w not in STOPWORDS and w not in names
            }
    return bound


# A clause opening with one of these describes what the clause before it named ("the false positive rate, which is
# TP/(TP+FN)"), so it is read with that clause.
RELATIVES = frozenset("which who that".split())


def _clauses(text: str) -> list[str]:
    """`split_clauses`, with each relative clause joined to the clause before it."""
    clauses: list[str] = []
    for clause in split_clauses(text):
        words = tokens(clause)
        if clauses and words and words[0] in RELATIVES:
            clauses[-1] = f"{clauses[-1]}, {clause}"
        else:
            clauses.append(clause)
    return clauses


def _crossed(sentence: dict[str, set[str]], own: dict[str, set[str]], a: str, b: str) -> bool | None:
    """True when each concept carries at least one of the other's own words and no fewer than of its own, and
    one of them more; False for the same the right way round; None when the sentence does not say."""
    a_right, a_wrong = len(sentence[a] & own[a]), len(sentence[a] & own[b])
    b_right, b_wrong = len(sentence[b] & own[b]), len(sentence[b] & own[a])

    def leans(a_for: int, a_against: int, b_for: int, b_against: int) -> bool:
        return (
            min(a_for, b_for) >= 1
            and a_for >= a_against
            and b_for >= b_against
            and (a_for > a_against or b_for > b_against)
        )

    if leans(a_wrong, a_right, b_wrong, b_right):
        return True
    if leans(a_right, a_wrong, b_right, b_wrong):
        return False
    return None


def find_exchange(point: str, sentences: list[str]) -> Swap | None:
    """The sentence that gives the two paired concepts `point` names each other's descriptions, unless another
    sentence binds them the right way round."""
    for a, b in pairs_named(point):
        bound = _bindings(point, (a, b))
        own = {a: bound[a] - bound[b], b: bound[b] - bound[a]}
        if not (own[a] and own[b]):
            continue
        readings = [(s, _crossed(_bindings(s, (a, b)), own, a, b)) for s in sentences]
        if any(crossed is False for _, crossed in readings):
            continue
        crossed = next((s for s, c in readings if c), None)
        if crossed is not None:
            return Swap(crossed, b, a, "exchanged")
    return None
