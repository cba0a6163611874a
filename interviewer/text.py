"""Small text tools for grading: sentence spans, tokens and the words that carry no content.

Spans are (start, end) offsets into the original answer, so evidence quoted back to the candidate is always
their own text, verbatim.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import snowballstemmer

STOPWORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from into onto over under about as is are
    was were be been being am do does did doing have has had having it its it's this that these those there
    here i me my we our you your he she they them their his her what which who whom whose when where why how
    not no nor so than too very can could should would will shall may might must just also only own same
    such both each few more most other some any all s t don doesn didn isn aren wasn weren won wouldn
    shouldn couldn hasn haven hadn up down out off again further once because while until whereas via per
    etc""".split()
)

# Words that carry no subject matter: what "master key" answers and padding are made of.
FILLER = frozenset(
    """let lets let's us think thinking step steps solve solving solution answer answers question questions
    okay ok yes yeah yep sure well um uh hmm hm like basically actually really good great nice important
    thing things stuff something anything everything way ways lot lots interesting carefully careful thought
    thoughts process consider considering approach start first second third finally correct right true false
    know known see say said mean means meaning simply just kind sort matter depends case example given above
    below following problem task please note reason reasoning explain explanation go going""".split()
)

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
# "non-separable" is one word, as "nonseparable" is: it names the opposite of "separable", not a use of it.
_NON = re.compile(r"\b(non)-(?=[^\W\d_])", re.IGNORECASE)

# Within a line, a sentence ends at ., ! or ? (closing quotes or brackets may follow), or at ;, then space.
_SENTENCE_END = re.compile(r"(?:([.!?])([\"'’”)\]]*)|;)\s+")
# Abbreviations that never end a sentence, those that do only before a capital ("..., etc. Then"), and
# those that are abbreviations only before a number ("Fig. 2", but "the loss is in sec. Then").
# "No." never ends one: a bare "No." carries nothing, and as a reference's key point it would credit any
# answer that says "no" (SciEntsBank AUC 0.7443 -> 0.7429 when it was cut off, docs/grader-notes.md).
_NEVER_ENDS = frozenset(
    "e.g i.e eg ie a.k.a vs cf al approx dr mr mrs ms prof resp incl esp viz ca no".split()
)
_ENDS_BEFORE_CAPITAL = frozenset(["etc"])
_BEFORE_A_NUMBER = frozenset("fig figs eq eqs nos sec ch p pp ref refs vol thm".split())
_DOTTED = re.compile(r"[^\W\d_]+(?:\.[^\W\d_]+)+")  # i.i.d, U.S, Ph.D (the dot after it is the candidate end)
_LIST_NUMBER = re.compile(r"\s*(?:.*:\s*)?\(?\d{1,2}\)?", re.DOTALL)  # "1", "(2)", "Steps: 3" before a dot
_FENCE = re.compile(r"^\s*(```|~~~)(?!.*\1)")  # a fence line; "```x```" on one line is inline code
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+")
_STEMMER = snowballstemmer.stemmer("english")
_STEMMER_LOCK = threading.Lock()  # the stemmer keeps its working state on itself: one word at a time


def normalize(text: str) -> str:
    """NFKC-normalised, with control characters removed and whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return re.sub(r"[ \t\r\f\v]+", " ", text).strip()


def collapse_whitespace(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def tokens(text: str) -> list[str]:
    return list(_tokens(text))


@lru_cache(maxsize=16384)
def _tokens(text: str) -> tuple[str, ...]:
    # Cached: the grader's checks read the same key points and clauses many times over.
    return tuple(t.lower().replace("’", "'") for t in _TOKEN.findall(_NON.sub(r"\1", text)))


def content_tokens(text: str) -> list[str]:
    """Tokens that carry subject matter: not stopwords, not filler."""
    return [t for t in tokens(text) if t not in STOPWORDS and t not in FILLER]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem, so "biases" meets "bias" and "regularized" meets "regularization" when
    claims are compared; chosen on the dev sets (docs/grader-notes.md). Safe to call from several threads."""
    with _STEMMER_LOCK:
        return _STEMMER.stemWord(word)


def content_stems(text: str) -> set[str]:
    return {stem(t) for t in content_tokens(text)}


# "unlike X, Y does Z" sets X aside inside Y's clause ("because, unlike sigmoid or tanh, it doesn't saturate"): cut
# there, the rest read "sigmoid or tanh, it doesn't saturate". "…, unlike X, which …" still starts a clause.
_ASIDE = r"(?![^,.;]{1,40},\s+(?!which\b|who\b|that\b|where\b))"
_CLAUSE_BREAK = re.compile(
    rf";|,?\s+(?:while|whereas|but|unlike{_ASIDE}|and\s+then)\s+|,\s+(?:and\s+)?(?=\w+\s+(?:is|are|does|do)\b)"
)


def split_clauses(sentence: str) -> list[str]:
    """The clauses of a sentence that can make claims of their own: cut at semicolons, at "while", "whereas",
    "but", "unlike" and "and then", and before ", (and) X is/are/does/do"."""
    return [c.strip() for c in _CLAUSE_BREAK.split(sentence) if c.strip()]


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def sentence_spans(text: str) -> list[Span]:
    """Sentences (and bullet lines, code lines and clauses after semicolons) of `text`, as spans of the original.

    Lines are cut first; a line inside a fenced code block is one span, and inline code is never cut. Within a
    line of prose, abbreviations ("e.g.", "et al."), dotted acronyms ("i.i.d.", "U.S.") and list numbers do not
    end a sentence, and list markers are left out of the span.
    """
    spans: list[Span] = []
    for start, end, is_code in _lines(text):
        for s, e in [(start, end)] if is_code else _sentences(text, start, end):
            piece = text[s:e]
            lead = len(piece) - len(piece.lstrip())
            bullet = None if is_code else _BULLET.match(piece)
            s, e = s + (bullet.end() if bullet else lead), s + len(piece.rstrip())
            if e > s and re.search(r"[^\W_]", text[s:e]):
                spans.append(Span(s, e, text[s:e]))
    return spans


def _lines(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_code) of each line; lines inside a fenced code block are code, the fences are left out."""
    lines: list[tuple[int, int, bool]] = []
    in_code = False
    start = 0
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            in_code = not in_code
        else:
            lines.append((start, start + len(line.rstrip("\r\n")), in_code))
        start += len(line)
    return lines


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each sentence in the line text[start:end]; inline code is blanked (same length) first."""
    line = _INLINE_CODE.sub(lambda m: "`" + "x" * (len(m.group()) - 2) + "`", text[start:end])
    cuts, piece_start = [], 0
    for m in _SENTENCE_END.finditer(line):
        if _ends_here(line, piece_start, m):
            cuts.append(m.end())
            piece_start = m.end()
    bounds = [0, *cuts, len(line)]
    return [(start + a, start + b) for a, b in pairwise(bounds) if b > a]


def _ends_here(line: str, piece_start: int, end: re.Match[str]) -> bool:
    """Whether a sentence ends at this match of `_SENTENCE_END` (a semicolon always ends a clause)."""
    mark, closing = end.group(1), end.group(2)
    after = line[end.end() : end.end() + 1]
    if mark is None:
        return True
    if closing and not (after.isupper() or after.isdigit()):
        return False  # 'ask "seen it?" many times', '(rotate the globe.) move the light'
    return mark != "." or _full_stop(line, piece_start, end.start(1), after)


def _full_stop(line: str, piece_start: int, dot: int, after: str) -> bool:
    """Whether the dot at `dot` ends a sentence: not after an abbreviation, a dotted acronym or a list number."""
    before = line[piece_start:dot]
    word = before.rsplit(None, 1)[-1].lstrip("([{\"'‘“").lower() if before.strip() else ""
    if word in _NEVER_ENDS:
        return False
    if word in _ENDS_BEFORE_CAPITAL:
        return after.isupper()
    if word in _BEFORE_A_NUMBER:
        return not after.isdigit()
    if _DOTTED.fullmatch(word):
        # "i.i.d. The" ends; "U.S. Census" and "i.i.d. so" do not.
        return after.isupper() and not before.rsplit(None, 1)[-1].isupper()
    return not _LIST_NUMBER.fullmatch(before)


def is_keyword_list(text: str) -> bool:
    """A bare list of terms (commas, slashes, new lines) with no sentence to hold them together."""
    fragments = [f for f in re.split(r"[,;/|\n•·]+|\s-\s", text) if f.strip()]
    if len(fragments) < 3:
        return False
    words = tokens(text)
    short = sum(1 for f in fragments if len(tokens(f)) <= 3)
    function_words = sum(1 for w in words if w in STOPWORDS)
    return short / len(fragments) >= 0.8 and function_words / max(len(words), 1) < 0.12


def is_word_salad(text: str) -> bool:
    """A long run of terms with almost no function words: keywords stuffed into a sentence's place.

    Real telegraphic answers ("Joule equals force times distance.") are short; the bar of eight words keeps
    them clear of this (checked on the Mohler and SciEntsBank answers, docs/grader-notes.md).
    """
    words = tokens(text)
    return len(words) >= 8 and sum(w in STOPWORDS for w in words) / len(words) < 0.1
