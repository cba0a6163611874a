"""Two paired concepts exchanged inside one sentence: "the false positive rate, TP/(TP+FN), and the true positive
rate, FP/(FP+TN)" for "the true positive rate is TP / (TP + FN) and the false positive rate is FP / (FP + TN)".

`swaps` reads a clause that names one concept of a pair where the key point names the other. A sentence that
names both, each with the other's description, passes that check: both concepts are there, and so are all the
words. Here each mention of a concept is bound to the words of its clause (or, in a clause that names both, to
the words that follow it up to the next mention), and the two bindings are compared with the key point's: a sentence that gives
each concept words that only the other has in the key point has exchanged them.

Both concepts must carry the other's words, and no sentence of the answer may bind the pair the right way round, so a sentence that
describes only one of the two, or that mixes them, is not read as an exchange.

A key point that sends the two concepts opposite ways ("increasing model complexity lowers bias and raises
variance") shares its few words with both, so the same is done with directions: each concept is bound to the
nearest up or down word in its part of the sentence, and a sentence that sends each the other's way for the
same cause going the same way ("as you add complexity, bias goes up and variance goes down") has exchanged them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from interviewer.grading.swaps import DIRECTIONS, Swap, as_written, names, pairs_named
from interviewer.models import KeyPoint
from interviewer.text import STOPWORDS, content_stems, split_clauses, stem, tokens


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


def find_exchange(point: str, sentences: list[str], pairs: Collection[tuple[str, str]] = ()) -> Swap | None:
    """The sentence that gives the two paired concepts `point` names each other's descriptions, or each other's
    directions (`_signs`), unless another sentence binds them the right way round. `pairs` are read beside
    `swaps.PAIRED_CONCEPTS`: the bank's own (`contrast_pairs`)."""
    named = pairs_named(point)
    named += [p for p in pairs if p not in named and all(names(point, term) for term in p)]
    for a, b in named:
        bound = _bindings(point, (a, b))
        own = {a: bound[a] - bound[b], b: bound[b] - bound[a]}
        if not (own[a] and own[b]):
            crossed = _crossed_directions(point, sentences, (a, b))
            if crossed is not None:
                return Swap(crossed, as_written(b, point), as_written(a, point), "exchanged")
            continue
        bindings = [_bindings(s, (a, b)) for s in sentences]
        readings = [_crossed(bound_s, own, a, b) for bound_s in bindings]
        if any(reading is False for reading in readings):
            continue
        crossed = next((s for s, reading in zip(sentences, readings, strict=True) if reading), None)
        crossed = crossed or _crossed_across(sentences, bindings, own, (a, b))
        if crossed is not None:
            return Swap(crossed, as_written(b, point), as_written(a, point), "exchanged")
    return None


LEAD_TOKENS = 4  # a sentence is about a concept it names within its first LEAD_TOKENS tokens


def _crossed_across(
    sentences: list[str], bindings: list[dict[str, set[str]]], own: dict[str, set[str]], pair: tuple[str, str]
) -> str | None:
    """The sentence of an exchange made one concept per sentence ("GloVe is the prediction-based one …" and
    "word2vec is the count-based one …"): the sentences that open on one concept of `pair`, and name only that
    one, bind it all their words (`bindings`, one per sentence), and together they give each concept the other's
    words (`_crossed`). A sentence that names its concept later ("Unlike word2vec's local objective, it fits the
    counts") or names both is not read: which concept its words describe is not clear from where they stand. The
    sentence quoted is the one that gives its concept most of the other's words."""
    a, b = pair
    about: list[tuple[str, str, set[str]]] = []
    for sentence, bound in zip(sentences, bindings, strict=True):
        named = [term for term in pair if names(sentence, term)]
        if len(named) == 1 and tokens(named[0])[0] in tokens(sentence)[:LEAD_TOKENS]:
            about.append((sentence, named[0], bound[named[0]]))
    pooled: dict[str, set[str]] = {a: set(), b: set()}
    for _, term, words in about:
        pooled[term] |= words
    if not _crossed(pooled, own, a, b):
        return None
    return max(about, key=lambda s: len(s[2] & own[b if s[1] == a else a]))[0]


MAX_TERM_WORDS = 3  # the longest phrase `exchanged_terms` looks for on either side of an exchange


def exchanged_terms(point: str, contrast: str) -> tuple[str, str] | None:
    """The two phrases `contrast` exchanges in `point`, if it is `point` with just those two exchanged ("Precision
    is TP / (TP + FP) …" against "Recall is TP / (TP + FP) …" is not; "L1 gives sparse weights and L2 small ones"
    against "L2 gives sparse weights and L1 small ones" gives ("l1", "l2")). Each phrase is at most
    `MAX_TERM_WORDS` words and holds a content word. A contrast worded a little differently around the two still
    exchanges them when its content words are the point's with just those two in each other's place ("A GAN has
    a generator that maps noise to samples and a discriminator that tells …" against "In a GAN the discriminator
    maps noise to samples and the generator tells …")."""
    p, c = tokens(point), tokens(contrast)
    if len(p) != len(c) or p == c:
        return _exchanged_words(p, c)
    differ = [i for i in range(len(p)) if p[i] != c[i]]
    start, end = differ[0], differ[-1] + 1
    for first in range(1, MAX_TERM_WORDS + 1):
        for second in range(1, MAX_TERM_WORDS + 1):
            one, other = p[start : start + first], p[end - second : end]
            if start + first > end - second or one == other:
                continue
            if c[start:end] == other + p[start + first : end - second] + one:
                terms = (" ".join(one), " ".join(other))
                if all(any(w not in STOPWORDS and len(w) > 1 for w in tokens(t)) for t in terms):
                    return (min(terms), max(terms))
    return _exchanged_words(p, c)


def _exchanged_words(point: list[str], contrast: list[str]) -> tuple[str, str] | None:
    """The two content words `contrast` puts in each other's place in `point`, when that is all it changes of
    their content words (`exchanged_terms`)."""
    p, c = ([w for w in words if w not in STOPWORDS and len(w) > 1] for words in (point, contrast))
    if len(p) != len(c):
        return None
    differ = [i for i in range(len(p)) if p[i] != c[i]]
    if len(differ) != 2:
        return None
    first, second = differ
    if (p[first], p[second]) != (c[second], c[first]):
        return None
    return (min(p[first], p[second]), max(p[first], p[second]))


def contrast_pairs(points: Iterable[KeyPoint]) -> frozenset[tuple[str, str]]:
    """The pairs of phrases the bank's contrasts exchange in their key points: things its authors expect candidates
    to mix up ("glove"/"word2vec", "negative"/"positive"), read by `find_exchange` for every key point that names
    both. Not added to `swaps.PAIRED_CONCEPTS`, whose other checks also drop a clause naming both terms as evidence;
    that cost dev rho 0.028 (docs/grader-notes.md, fourteenth session)."""
    return frozenset(
        pair
        for point in points
        for contrast in point.contrasts
        if (pair := exchanged_terms(point.text, contrast)) is not None
    )


# Which way a paired concept goes: the up and down families of `swaps.DIRECTIONS` (not better/worse, a judgement),
# with the words a sentence says a quantity moves by ("bias goes up", "variance falls").
UP = frozenset().union(*(up for up, _ in DIRECTIONS[:3])) | frozenset(
    "up rise rises rising grow grows add adds adding added".split()
)
DOWN = frozenset().union(*(down for _, down in DIRECTIONS[:3])) | frozenset(
    "down fall falls falling shrink shrinks".split()
)
SIGN = {**dict.fromkeys(UP, 1), **dict.fromkeys(DOWN, -1)}
MARKED = {stem(w) for w in SIGN}
# What separates the parts of a sentence that each say one thing ("bias goes up | and variance goes down").
CONJUNCTS = re.compile(r"[,;:]|\b(?:and|while|whereas|but|so)\b", re.IGNORECASE)


def _signs(text: str, pair: tuple[str, str]) -> dict[str, int]:
    """+1 (up) or -1 (down) for each concept of `pair` that `text` names beside a direction word: the nearest one
    in the same part of the sentence (`CONJUNCTS`). A concept with none, with two at the same distance, or going
    both ways in different parts, is left out."""
    signs: dict[str, set[int]] = {term: set() for term in pair}
    for part in CONJUNCTS.split(text):
        words = tokens(part)
        marks = [(j, SIGN[w]) for j, w in enumerate(words) if w in SIGN]
        for term in pair:
            name = tokens(term)
            size = len(name)
            at = [i for i in range(len(words)) if words[i : i + size] == name]
            for i in at:
                by_distance = sorted((abs(j - i) - (j > i) * (size - 1), sign) for j, sign in marks)
                if by_distance and (len(by_distance) == 1 or by_distance[0][0] < by_distance[1][0]):
                    signs[term].add(by_distance[0][1])
    return _one_way(signs)


def _one_way(signs: dict[str, set[int]]) -> dict[str, int]:
    """The sign of each word found going only one way."""
    return {word: next(iter(found)) for word, found in signs.items() if len(found) == 1}


CAUSE_SCOPE = 3  # tokens before a cause in which its direction word is looked for


def _causes(text: str, stems: set[str]) -> dict[str, int]:
    """+1 or -1 for each word of `stems` that `text` has with a direction word among the `CAUSE_SCOPE` tokens before
    it ("increasing model complexity", "a less complex model", "as you add complexity")."""
    words = tokens(text)
    causes: dict[str, set[int]] = {}
    for i, word in enumerate(words):
        if stem(word) in stems:
            for w in reversed(words[max(0, i - CAUSE_SCOPE) : i]):
                if w in SIGN:
                    causes.setdefault(stem(word), set()).add(SIGN[w])
                    break
    return _one_way(causes)


def _crossed_directions(point: str, sentences: list[str], pair: tuple[str, str]) -> str | None:
    """The sentence that sends the two concepts of `pair` each the way the point sends the other, for the same
    cause ("as you add complexity, bias goes up and variance goes down" for "increasing model complexity lowers
    bias and raises variance"). The point must send them opposite ways because of something that itself goes one
    way (`_causes`); a sentence counts only when it has that cause going the same way, since the cause reversed
    reverses the effects ("reducing complexity raises bias and lowers variance" is right), and a cause it does
    not name ("a simple model has higher bias") is not read. No sentence may send them the point's way."""
    a, b = pair
    meant = _signs(point, pair)
    if len(meant) < 2 or meant[a] == meant[b]:
        return None
    concept_stems = {stem(w) for term in pair for w in tokens(term)}
    causes = _causes(point, content_stems(point) - concept_stems - MARKED)
    if not causes:
        return None
    crossed = None
    for sentence in sentences:
        said = _signs(sentence, pair)
        if len(said) < 2 or said[a] == said[b]:
            continue
        if said == meant:
            return None
        same = _causes(sentence, set(causes))
        if crossed is None and same and all(causes[w] == sign for w, sign in same.items()):
            crossed = sentence
    return crossed
