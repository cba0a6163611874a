"""Key points stated backwards: a paired term exchanged ("L2 sets weights to exactly zero" for L1), the direction
reversed ("the directions of least variance" for the most), or the claim negated ("ReLU saturates" for "ReLU
does not saturate").

Word alignment credits such a sentence fully: every word of the key point is there. But a candidate who says it
has the concept backwards. The check is lexical and narrow on purpose:

- Only the point's own content words count (not those it shares with the entry's other key points, nor the
  marked words themselves); a clause must share at least `MIN_SHARED_WORDS` of them to be about the point.
- Each reversal is one *flip*: a paired concept exchanged, a direction word of the opposite family, a negation
  present in one and not the other. A direction word or a negation only counts in the clause when one of the
  point's own words lies within `SCOPE` tokens of it ("the smallest margin", "does not saturate"), so a
  negation about something else in the clause is not read as one about the point.
- Negations are read only in the bank's own key points (those written with contrasts): on the drafted key
  points of ad hoc references they cost Mohler dev r 0.04 (docs/grader-notes.md).
- Two flips cancel ("less data raises variance" says "more data lowers variance"), so a clause states the
  point backwards when its number of flips is odd, and no clause without flips shares as many of its words.
  A negation cancels a reversed direction or concept only when it bears on it ("does not increase" for
  "decreases"); one about other words ("reduces overfitting by preventing co-adaptation") is a claim of its own,
  so "increases overfitting because units co-adapt" is two errors, not none.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass

from interviewer.text import STOPWORDS, content_stems, split_clauses, stem, tokens

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
    # Pairs an ML answer commonly exchanges, chosen from the subject rather than from where the grader failed:
    # each pair is two things of one kind that interviews ask candidates to tell apart.
    ("true positive rate", "false positive rate"),
    ("batch gradient descent", "stochastic gradient descent"),
    ("batch gradient descent", "sgd"),
    ("full-batch", "mini-batch"),
    ("x-axis", "y-axis"),
    ("supervised", "unsupervised"),
    ("on-policy", "off-policy"),
    ("majority", "minority"),
    ("k-means", "knn"),
    ("k-means", "k-nearest neighbours"),
    ("k-means", "k-nearest neighbors"),
    ("classification", "regression"),
    ("convex", "non-convex"),
    ("parametric", "non-parametric"),
    ("prior", "posterior"),
    ("exploration", "exploitation"),
    ("vanishing", "exploding"),
    ("data drift", "concept drift"),
    ("batch norm", "layer norm"),
    ("batch normalisation", "layer normalisation"),
    ("batch normalization", "layer normalization"),
    ("cbow", "skip-gram"),
    ("bi-encoder", "cross-encoder"),
    ("content-based", "collaborative"),
    ("inner join", "outer join"),
    ("one-tailed", "two-tailed"),
    ("null hypothesis", "alternative hypothesis"),
    ("interpolation", "extrapolation"),
)

# Families of direction words: a word of one family where the point has a word of the other reverses it.
DIRECTIONS: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (
        frozenset(
            "max maximum maximal maximise maximises maximised maximising maximize maximizes maximized maximizing "
            "largest biggest greatest highest widest most".split()
        ),
        frozenset(
            "min minimum minimal minimise minimises minimised minimising minimize minimizes minimized minimizing "
            "smallest lowest narrowest least fewest".split()
        ),
    ),
    (
        # "rises" and "falls" added in the seventeenth session (docs/grader-notes.md): "on training data it only
        # rises as features are added" was read as "never decreases" negated. "grows" and "shrinks" were left out:
        # "train on growing fractions of the data" is not a direction of the error.
        frozenset(
            "increase increases increased increasing raise raises raised raising rise rises rising rose".split()
        ),
        frozenset(
            "decrease decreases decreased decreasing reduce reduces reduced reducing lowers fall falls falling fell".split()
        ),
    ),
    (
        frozenset("more higher larger bigger greater wider".split()),
        frozenset("less fewer lower smaller narrower".split()),
    ),
    (
        frozenset("better best well".split()),
        frozenset("worse worst badly poorly".split()),
    ),
)

# Words that negate what follows them. "rather than X", "instead of X", "avoids X", "stops X", "unless X" and
# "otherwise X" deny X as surely as "not X" does; reading them as negations stopped right answers being taken for
# reversals (docs/grader-notes.md). "stopping" is left out: "early stopping" names a method.
NEGATIONS = frozenset(
    "not no never cannot without none neither nor rather instead avoid avoids avoided avoiding prevent "
    "prevents prevented preventing stop stops stopped block blocks blocked unless otherwise".split()
)
# Verbs that keep what they do not name: "drops the directions with the most variance" keeps those with the least, so
# a direction word they govern (within `DISCARD_SCOPE` tokens after: "drops the ones with the most") is read as its
# opposite.
DISCARDS = frozenset(
    "drop drops dropped dropping discard discards discarded discarding ignore ignores ignored ignoring "
    "remove removes removed removing".split()
)
DISCARD_SCOPE = 5
OBJECTS = frozenset(
    "the those these a an all any its their every".split()
)  # what opens a discarding verb's object
# Of the `NEGATIONS`, the words that deny only by their sense: a right answer often says a point's "avoids skew" as "guards
# against skew", or agrees with "a set difference fails" by "I'd avoid the set difference". The key-point check
# does not read a negation in a clause or point that holds one (`find_swap`'s `denials`); in a point, "rather" and
# "instead" are among them too ("131 thousand instead of 16.8 million" said as "121k against 45M"), while in a
# clause they deny outright ("fits the predictions rather than the residuals"). Chosen on evals/ dev with its 30
# fresh questions (docs/grader-notes.md, "Issue 11, twelfth session"): 8 false quotes on right answers fewer,
# dev rho on the fresh questions 0.447 -> 0.508, the first 26 questions' grades unchanged but one false quote gone.
DENIALS = frozenset(
    "avoid avoids avoided avoiding prevent prevents prevented preventing stop stops stopped block blocks blocked "
    "unless otherwise".split()
)
POINT_DENIALS = DENIALS | {"rather", "instead"}
STOPS = frozenset("stop stops stopped".split())
# After these, "stop" means halting, not preventing: "stop at a local minimum", "stops when it converges".
HALTS = frozenset("at when once after before if early improving changing training there here".split())

CONCEPT_WORDS = frozenset(w for pair in PAIRED_CONCEPTS for term in pair for w in tokens(term))
# Pronouns that stand for the subject of an answer's claims.
PRONOUNS = frozenset("it they this these".split())
# Words that compare two things ("Spark is faster than pandas", "ROW_NUMBER rather than RANK"): said of the other
# thing, the claim is reversed.
COMPARATIVES = frozenset(
    "faster slower larger smaller bigger higher lower better worse cheaper easier harder longer shorter stronger "
    "weaker greater fewer simpler safer quicker more less rather".split()
)
# Words that name a thing only to set another against it ("the mirror image of vanishing gradients"), at most
# CONTRAST_REACH tokens before it.
CONTRASTING = frozenset("unlike opposite mirror versus vs opposed contrast contrasted compared".split())
CONTRAST_REACH = 3
# Negations that prefer one thing to another ("rather than X", "instead of X").
PREFERENCES = frozenset({"rather", "instead"})
# A clause shares at least this many of the key point's own content words before it counts as making the point
# backwards: fewer, and it may be about something else.
MIN_SHARED_WORDS = 2
# How near (in tokens) one of the point's own words must be to a direction word or a negation of the clause for
# that word to bear on the point.
SCOPE = 3


@dataclass(frozen=True)
class Swap:
    """A clause that makes a key point backwards."""

    clause: str  # verbatim from the answer
    said: str  # what the answer said, as it wrote it ("L2", "least", "not")
    meant: str  # what the key point needs, as the key point writes it ("L1", "maximum", "")
    # "concept", "governed" (exchanged under the same word), "direction", "negation" or "exchanged" (both
    # concepts named, each with the other's description: `exchanges`)
    kind: str = "concept"

    def correction(self, point: str) -> str:
        if self.kind in ("concept", "governed"):
            # Not "that is true of X": said of the point's object ("boosting reduces variance"), it read as if the
            # answer's claim held for the other concept.
            return f"{self.meant[:1].upper()}{self.meant[1:]}, not {self.said}: {point}"
        if self.kind == "exchanged":
            return f"You have {self.meant} and {self.said} the wrong way round: {point}"
        return f"That is the wrong way round: {point}"


CONCEPT_TERMS = frozenset(term for pair in PAIRED_CONCEPTS for term in pair)


@functools.cache
def _pattern(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(term)}(?![\w-])", re.IGNORECASE)


def _find(term: str, text: str) -> re.Match[str] | None:
    return _pattern(term).search(text)


@functools.lru_cache(maxsize=8192)
def _terms_in(text: str) -> frozenset[str]:
    """The paired-concept terms `text` names, read once per text: every clause is checked against every pair of
    every key point, and searching each term anew was most of the grading time (docs/load-notes.md)."""
    return frozenset(term for term in CONCEPT_TERMS if _find(term, text))


def pairs_named(text: str) -> list[tuple[str, str]]:
    """The paired concepts whose two terms `text` both names ("precision" and "recall")."""
    named = _terms_in(text)
    return [pair for pair in PAIRED_CONCEPTS if all(t in named for t in pair)]


def both_named(text: str) -> set[str]:
    """The stems of the paired concepts whose two terms `text` both names (`pairs_named`)."""
    return {stem(w) for pair in pairs_named(text) for t in pair for w in tokens(t)}


def names(text: str, term: str) -> bool:
    """Whether `text` names `term` as a whole word or phrase, in any case."""
    return _find(term, text) is not None


def as_written(term: str, text: str) -> str:
    """`term` as `text` writes it ("GloVe" for "glove"), for quoting it back."""
    found = _find(term, text)
    return found.group(0) if found else term


def _set_against(term: str, text: str) -> bool:
    """Whether `text` names `term` only to set something against it ("the mirror image of vanishing gradients",
    "unlike bagging"): it is not what the text makes its claim about."""
    found = _find(term, text)
    return found is not None and bool(
        CONTRASTING.intersection(tokens(text[: found.start()])[-CONTRAST_REACH:])
    )


def _governor(term: str, text: str) -> str | None:
    """The stem of the content word just before `term` in `text` ("reduc" in "reduces the bias"), if any."""
    found = _find(term, text)
    if found is None:
        return None
    before = [t for t in tokens(text[: found.start()]) if t not in STOPWORDS]
    return stem(before[-1]) if before else None


def _words(text: str) -> list[str]:
    """The tokens of `text`, with "stop" read as a negation only where it has an object ("stops co-adaptation"),
    not where it means halting ("may stop at a local minimum", "stops when the loss is flat")."""
    words = tokens(text)
    return [
        "halt" if w in STOPS and (i + 1 == len(words) or words[i + 1] in HALTS) else w
        for i, w in enumerate(words)
    ]


def _negation(token: str) -> bool:
    return token in NEGATIONS or token.endswith("n't")


def _marked(
    words: list[str],
    is_mark: Callable[[str], bool],
    own: set[str],
    before: int = SCOPE,
    same: Collection[str] = (),
) -> list[str]:
    """The marks (direction words or negations) of `words` with one of the `own` stems at most `before` tokens
    before it or `SCOPE` tokens after it. The mark itself counts only if it is one of `same`, the point's own
    marks ("rather" for "rather"): "stop adding trees" does not bear on the point's "early stopping"."""
    stems = [stem(w) for w in words]
    return [
        word
        for i, word in enumerate(words)
        if is_mark(word)
        and own
        & set(stems[max(0, i - before) : i] + stems[i + 1 : i + SCOPE + 1] + [stems[i]] * (word in same))
    ]


def _flips(
    point: str, clause: str, own: set[str], words: set[str], negations: bool, denials: bool = True
) -> list[Swap]:
    """Each way `clause` reverses `point`: concepts exchanged, directions reversed, a negation added or lost."""
    flips = []
    in_point, in_clause = _terms_in(point), _terms_in(clause)
    for a, b in PAIRED_CONCEPTS:
        for meant, said in ((a, b), (b, a)):
            if (
                meant not in in_point
                or said not in in_clause
                or meant in in_clause
                or _set_against(said, clause)
            ):
                continue
            if said not in in_point:
                flips.append(Swap(clause, as_written(said, clause), as_written(meant, point)))
                continue
            # A point naming both ("reduces variance and leaves bias unchanged"): the other concept under the
            # word that governs this one ("reduces the bias").
            verb = _governor(meant, point)
            if verb is not None and verb != _governor(said, point) and _governor(said, clause) == verb:
                flips.append(Swap(clause, as_written(said, clause), as_written(meant, point), "governed"))
    point_words, clause_words = _words(point), _words(clause)
    about = words | _concept_stems(point)  # a direction may bear on a paired concept ("reduces overfitting")
    for up, down in DIRECTIONS:
        for right, wrong in ((up, down), (down, up)):
            if set(point_words) & right and not set(point_words) & wrong:
                kept = _as_kept(clause_words, right, wrong)
                marks = _marked(kept, wrong.__contains__, about)
                if marks and not _marked(kept, right.__contains__, about):
                    hers = next(w for w in point_words if w in right)
                    flips.append(Swap(clause, marks[0], hers, "direction"))
    opposite = _non_word_dropped(point_words, clause_words)
    if opposite:
        flips.append(Swap(clause, opposite[3:], opposite, "direction"))
    comparative = compared_backwards(point, clause)
    if comparative:
        flips.append(Swap(clause, comparative, comparative, "direction"))
    # "rather than X" against "cheaper than X": both set X aside, so neither is a negation here.
    if _compares(point_words):
        clause_words = [w for w in clause_words if w not in PREFERENCES]
    if _compares(clause_words):
        point_words = [w for w in point_words if w not in PREFERENCES]
    # Only simple statements are read for negation: two negations in one ("not important unless standardised")
    # are beyond a word check.
    point_negations = sum(map(_negation, point_words))
    # A negation bears on what follows it.
    clause_negations = _marked(
        clause_words, _negation, own, before=0, same=set(filter(_negation, point_words))
    )
    simple = negations and point_negations <= 1 and sum(map(_negation, clause_words)) <= 1
    if not denials and simple:
        # A denial by sense is left unread, and so is the whole negation of a text that holds one.
        simple = not (
            set(point_words) & POINT_DENIALS or _marked(clause_words, DENIALS.__contains__, own, before=0)
        )
    if (
        simple
        and point_negations != len(clause_negations)
        and _negation_bears(point, clause, own, point_negations > 0)
    ):
        said = clause_negations[0] if clause_negations else ""
        flips.append(Swap(clause, said, "", "negation"))
    return flips


def _non_word_dropped(point_words: list[str], clause_words: list[str]) -> str | None:
    """The point's "non-" word ("nonzero") whose plain form the clause says instead ("zero"); "non-" makes one word
    (`text.tokens`). Not the other way: a clause about "non-separable data" is often about other data than a point's
    "separable data". Nor after "or", which makes what follows the case without what went before ("a tie-breaker,
    or the row is non-deterministic")."""
    # "none" is no "non-" word.
    i = next(
        (i for i, w in enumerate(point_words) if w[:3] == "non" and len(w) > 5 and w[3:] in clause_words),
        None,
    )
    if i is None or point_words[i] in clause_words or "or" in point_words[:i]:
        return None
    return point_words[i]


def _comparisons(words: list[str]) -> Iterator[tuple[int, int]]:
    """Each comparative of `words` followed by "than" within two tokens ("faster than", "more accurate than"): the
    two positions."""
    for i, word in enumerate(words):
        if word in COMPARATIVES:
            than = next((j for j in range(i + 1, min(i + 3, len(words))) if words[j] == "than"), None)
            if than is not None:
                yield i, than


def _compares(words: list[str]) -> bool:
    """Whether `words` compare two things with a comparative and "than" ("cheaper than retraining")."""
    return any(words[i] not in PREFERENCES for i, _ in _comparisons(words))


def _as_kept(words: list[str], one: frozenset[str], other: frozenset[str]) -> list[str]:
    """`words` with each direction word of the two families that a `DISCARDS` verb governs replaced by one of the
    other family: "drops the ones with the most variance" keeps the least."""
    swap = {**dict.fromkeys(one, min(other)), **dict.fromkeys(other, min(one))}
    governed = {
        j
        for i, w in enumerate(words[:-1])
        if w in DISCARDS and words[i + 1] in OBJECTS  # transitive only: "the error is still dropping" is not
        for j in range(i + 1, i + DISCARD_SCOPE + 1)
    }
    return [swap[w] if i in governed and w in swap else w for i, w in enumerate(words)]


def _negation_bears(point: str, clause: str, own: set[str], point_negated: bool) -> bool:
    """A negation of the point only bears on a clause that says what the point negates."""
    if not point_negated:
        return True
    words = _words(point)
    negated = {
        stem(w) for i, n in enumerate(words) if _negation(n) for w in words[i + 1 : i + SCOPE + 1]
    } & own
    return bool(negated & content_stems(clause))


def _named(terms: list[str], text: str) -> int:
    """How many of `terms` (paired-concept terms) `text` names."""
    named = _terms_in(text)
    return sum(term in named for term in terms)


def _subject_shared(
    point: str,
    clause: str,
    counted: set[str],
    named: Collection[str],
    exchanged: Collection[str] = CONCEPT_WORDS,
) -> int:
    """1 when `clause` names the point's subject, its first content word ("Q-learning is on-policy" for
    "Q-learning is off-policy"), or a pronoun stands for it ("it increases overfitting" for "Dropout ... reduces
    overfitting"), and the count of shared words (`counted`: the stems counted) does not hold it already. Other
    key points share the subject, so it is not one of the point's own words; but a claim about it is about the
    point. A subject named counts only when it is among the `named` stems, what the question asks about (the
    first content word of a point is not always its subject: "Class weights ..."). In an answer to one
    question, "it" is nearly always what is asked about. A subject among the `exchanged` words (by default every
    paired concept's) never counts."""
    subject = next((w for w in tokens(point) if w not in STOPWORDS), None)
    if subject is None:
        return 0
    if subject in tokens(clause):
        # A subject that is itself an exchanged concept ("L1 penalises ...") is what a swap exchanges, not a word
        # the two share.
        return int(stem(subject) in named and stem(subject) not in counted and subject not in exchanged)
    # Only a pronoun that opens the clause or one of its comma-separated parts is read as its subject.
    return int(any(words[0] in PRONOUNS for part in clause.split(",") if (words := tokens(part))))


def _concept_stems(text: str) -> set[str]:
    return {stem(w) for term in _concepts(text) for w in tokens(term)}


def _concepts(text: str) -> list[str]:
    """The paired concepts `text` names ("off-policy", "overfitting")."""
    named = _terms_in(text)
    return [term for pair in PAIRED_CONCEPTS for term in pair if term in named]


def _governs_a_flip(text: str) -> bool:
    """Whether a negation of `text` has a direction word or a paired concept among the `SCOPE` tokens after it."""
    words = _words(text)
    marked = {w for pair in DIRECTIONS for family in pair for w in family}
    marked |= {w for pair in PAIRED_CONCEPTS for term in pair for w in tokens(term)}
    return any(_negation(n) and marked & set(words[i + 1 : i + SCOPE + 1]) for i, n in enumerate(words))


def _reverses(flips: list[Swap], point: str, clause: str) -> bool:
    """Whether `flips` leave the clause saying the point backwards: an odd number of them, except that a
    negation added or lost only cancels a reversed direction or concept when it bears on one."""
    negation = [f for f in flips if f.kind == "negation"]
    others = len(flips) - len(negation)
    if negation and others and not (_governs_a_flip(point) or _governs_a_flip(clause)):
        return others % 2 == 1 or len(negation) % 2 == 1
    return len(flips) % 2 == 1


def compared_backwards(claim: str, clause: str) -> str | None:
    """The comparative ("faster") by which `clause` says of the second thing `claim` compares what the claim says
    of the first: "pandas or Polars is faster there" against "Spark is always faster than pandas". Read only where
    the clause names the second thing, not the first, before the same comparative, with no negation before it."""
    words, said = _words(claim), _words(clause)
    for i, than in _comparisons(words):
        word = words[i]
        first = next((stem(w) for w in words[:i] if w not in STOPWORDS), None)
        second = next((stem(w) for w in words[than + 1 :] if w not in STOPWORDS), None)
        if first is None or second is None or word not in said:
            continue
        before = said[: said.index(word)]
        stems = {stem(w) for w in before}
        if second in stems and first not in stems and not any(map(_negation, before)):
            return word
    return None


def find_swap(
    point: str,
    spans: list[str],
    other_points: Sequence[str] = (),
    *,
    negations: bool = True,
    denials: bool = True,
    asked: Collection[str] = frozenset(),
) -> Swap | None:
    """The clause of the answer (its `spans`) that states `point` backwards, unless a clause that states it the
    right way round shares at least as many of its words. Only the point's own words count (not those it shares
    with `other_points`): "Type I is rejecting a true null" says nothing about the point "Type II is failing to
    reject a false null", though it shares "reject" and "null" with it. With `negations` off, a negation added
    or lost is not read as a reversal; with `denials` off, nor is one in a point or clause that holds a word denying
    only by its sense (`DENIALS`): a key point is read that way, a misconception denied by the default. `asked`, the stems of the question, says which subjects count as shared
    when a clause names them (`_subject_shared`)."""
    parts = split_clauses(point)
    if len(parts) > 1:
        # "L1 penalises absolute weights while L2 penalises squared ones": each half on its own.
        halves = (
            find_swap(part, spans, other_points, negations=negations, denials=denials, asked=asked)
            for part in parts
        )
        return next((swap for swap in halves if swap is not None), None)
    clauses = [c for span in spans for c in split_clauses(span)]
    others = set().union(*(content_stems(p) for p in other_points))
    marks = {stem(w) for pair in PAIRED_CONCEPTS for term in pair for w in tokens(term)}
    marks |= {stem(w) for pair in DIRECTIONS for family in pair for w in family}
    words = content_stems(point) - marks
    own = words - others
    concepts = _concepts(point)
    point_words = set(tokens(point))
    directions = [family for pair in DIRECTIONS for family in pair if family & point_words]
    best: tuple[int, bool, Swap] | None = None
    right = {True: 0, False: 0}  # the most words shared by a clause that reverses nothing, by measure
    for clause in clauses:
        stems = content_stems(clause)
        flips = _flips(point, clause, own, words, negations, denials)
        if not _reverses(flips, point, clause):
            # Stating the point's direction the right way needs a word of its direction ("lowers overfitting"
            # for "reduces overfitting"), not only its other words ("dropout removes units").
            if all(family & set(tokens(clause)) for family in directions):
                said_right = len(words & stems) + _named(concepts, clause)
                right[True] = max(right[True], said_right + _subject_shared(point, clause, words & stems, ()))
            # Its subject counts only beside its paired concept: "Q-learning is off-policy" states the point,
            # "it follows a policy" does not (but "class weights ... on the rare class" may, by its own words).
            subject = 0
            if not concepts or _named(concepts, clause):
                subject = _subject_shared(point, clause, own & stems, asked if concepts else ())
            right[False] = max(right[False], len(own & stems) + subject)
            continue
        # A reversed direction is about the point's whole claim ("the smallest margin" for "maximises the
        # margin"), so all its words count, even those other key points share; swaps and negations count only
        # its own words.
        directional = all(f.kind == "direction" for f in flips)
        # The word governing an exchanged concept ("reduces") is shared too, though it may be a direction word.
        # So is a paired concept that both keep ("increases overfitting" for "reduces overfitting").
        counted = (words if directional else own) & stems
        shared = (
            len(counted) + any(f.kind == "governed" for f in flips) + directional * _named(concepts, clause)
        )
        # A subject named counts only for an exchanged concept ("Q-learning is on-policy"): the first content
        # word of a point is not always its subject ("each coefficient can no longer be interpreted").
        exchanged = any(f.kind in ("concept", "governed") for f in flips)
        # A subject that is a paired concept counts when the clause keeps it ("bagging reduces bias" for "bagging
        # reduces variance"): only the concepts exchanged are what the two do not share.
        swapped = {w for f in flips for term in (f.said, f.meant) for w in tokens(term)}
        shared += _subject_shared(point, clause, counted, asked if exchanged else (), swapped)
        if shared >= MIN_SHARED_WORDS and (best is None or shared > best[0]):
            best = (shared, directional, flips[0])
    return best[2] if best is not None and best[0] > right[best[1]] else None
