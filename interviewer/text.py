"""Small text tools for grading: sentence spans, tokens and the words that carry no content.

Spans are (start, end) offsets into the original answer, so evidence quoted back to the candidate is always
their own text, verbatim.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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
# Sentence ends: ., !, ? or ; followed by space, or new lines. Abbreviations and list numbers are not ends.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
_NOT_AN_END = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|vs|cf|approx|Dr|Mr|Ms|Fig|Eq|No)\.|^\s*\d{1,2}[.)])$", re.IGNORECASE
)
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+")


def normalize(text: str) -> str:
    """NFKC-normalised, with control characters removed and whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return re.sub(r"[ \t\r\f\v]+", " ", text).strip()


def collapse_whitespace(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def tokens(text: str) -> list[str]:
    return [t.lower().replace("’", "'") for t in _TOKEN.findall(text)]


def content_tokens(text: str) -> list[str]:
    """Tokens that carry subject matter: not stopwords, not filler."""
    return [t for t in tokens(text) if t not in STOPWORDS and t not in FILLER]


def stem(word: str) -> str:
    """A crude suffix stripper: enough to match "predictions" with "predicted" when comparing claims."""
    for suffix in ("ations", "ation", "ings", "ing", "ions", "ion", "ies", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_stems(text: str) -> set[str]:
    return {stem(t) for t in content_tokens(text)}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def sentence_spans(text: str) -> list[Span]:
    """Sentences (and bullet lines, and clauses after semicolons) of `text`, as spans of the original."""
    spans: list[Span] = []
    start = 0
    ends = [
        m
        for m in _SENTENCE_END.finditer(text)
        if "\n" in m.group() or not _ends_in_abbreviation(text, start_of_line(text, m.start()), m.start())
    ]
    for match in [*ends, None]:
        end = match.start() if match else len(text)
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        bullet = _BULLET.match(piece[lead:])
        if bullet:
            lead += bullet.end()
        s, e = start + lead, start + len(piece.rstrip())
        if e > s and re.search(r"[^\W_]", text[s:e]):
            spans.append(Span(s, e, text[s:e]))
        if match:
            start = match.end()
    return spans


def start_of_line(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _ends_in_abbreviation(text: str, line_start: int, end: int) -> bool:
    return bool(_NOT_AN_END.search(text[max(line_start, end - 12) : end]))


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
