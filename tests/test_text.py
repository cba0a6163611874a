"""Text primitives the grader builds on: sentence spans (evidence is quoted from them) and stems (claims are
compared with them). Each case is one the old hand-written code got wrong, or one that could regress."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest

from interviewer.text import content_stems, sentence_spans, split_clauses, stem, tokens

SPLITS = [
    # Abbreviations and acronyms the old splitter cut after.
    (
        "Samples are i.i.d. so the estimate is unbiased. It converges.",
        ["Samples are i.i.d. so the estimate is unbiased.", "It converges."],
    ),
    ("Samples are i.i.d. The mean is unbiased.", ["Samples are i.i.d.", "The mean is unbiased."]),
    (
        "The U.S. Census data was used. Then we trained.",
        ["The U.S. Census data was used.", "Then we trained."],
    ),
    (
        "Adam (Kingma et al. 2014) adapts rates. It works.",
        ["Adam (Kingma et al. 2014) adapts rates.", "It works."],
    ),
    ("Use L1, L2, etc. Also try dropout.", ["Use L1, L2, etc.", "Also try dropout."]),
    ('He said "stop." Then he left.', ['He said "stop."', "Then he left."]),
    ('I ask "have I seen this?" many times.', ['I ask "have I seen this?" many times.']),
    ("Move it (or the light.) until it fits.", ["Move it (or the light.) until it fits."]),
    # Handled before; kept from regressing.
    (
        "Use a penalty, e.g. L2, to shrink weights. It helps.",
        ["Use a penalty, e.g. L2, to shrink weights.", "It helps."],
    ),
    (
        "Dropout, i.e. random masking, regularizes. Fine.",
        ["Dropout, i.e. random masking, regularizes.", "Fine."],
    ),
    (
        "Bagging vs. boosting differ. Boosting cuts bias.",
        ["Bagging vs. boosting differ.", "Boosting cuts bias."],
    ),
    ("As Fig. 2 shows, loss drops. Then it flattens.", ["As Fig. 2 shows, loss drops.", "Then it flattens."]),
    (
        "Set the rate to 0.5 and decay it. Precision is 0.9.",
        ["Set the rate to 0.5 and decay it.", "Precision is 0.9."],
    ),
    ("A. Because dry soil heats faster.", ["A.", "Because dry soil heats faster."]),
    # A bare "No." stays with its reason: as a key point of its own it would credit any answer saying "no".
    ("No. Only one circuit is closed.", ["No. Only one circuit is closed."]),
    ("Yes. Both bulbs light.", ["Yes.", "Both bulbs light."]),
    ("A Ph.D. student wrote it. Fine.", ["A Ph.D. student wrote it.", "Fine."]),
    ("Bias is low; variance is high.", ["Bias is low;", "variance is high."]),
    # Lists: the marker is not part of the sentence.
    ("1. first\n2. second", ["first", "second"]),
    (
        "Steps:\n1. Normalize the data.\n2. Fit the model.",
        ["Steps:", "Normalize the data.", "Fit the model."],
    ),
    ("Steps: 1. Normalize the data. 2. Fit the model.", ["Steps: 1. Normalize the data.", "Fit the model."]),
    ("- bias falls\n* variance rises\n  • noise stays", ["bias falls", "variance rises", "noise stays"]),
    ("Line one\r\nLine two. Three.", ["Line one", "Line two.", "Three."]),
    # Code: a fenced block is kept line by line, inline code is never cut.
    ("Call `np.mean(x)` on the batch. Then divide.", ["Call `np.mean(x)` on the batch.", "Then divide."]),
    ("Use `a. b; c` here; then go.", ["Use `a. b; c` here;", "then go."]),
    (
        "Example:\n```python\nx = np.mean(a). b\ny = x.sum(); z = 1\n```\nThat is it.",
        ["Example:", "x = np.mean(a). b", "y = x.sum(); z = 1", "That is it."],
    ),
    ("Run ```x = a. b``` now. Then stop.", ["Run ```x = a. b``` now.", "Then stop."]),
    ("```\n- not a bullet. really\n", ["- not a bullet. really"]),
]


@pytest.mark.parametrize(("text", "expected"), SPLITS)
def test_sentence_spans_split_where_a_reader_would(text: str, expected: list[str]) -> None:
    assert [s.text for s in sentence_spans(text)] == expected


@pytest.mark.parametrize("text", [text for text, _ in SPLITS])
def test_sentence_spans_quote_the_original_characters_in_order(text: str) -> None:
    spans = sentence_spans(text)
    assert all(text[s.start : s.end] == s.text for s in spans)
    assert all(a.end <= b.start for a, b in pairwise(spans))


def test_sentence_spans_of_blank_or_punctuation_only_text_are_empty() -> None:
    assert sentence_spans("") == []
    assert sentence_spans(" \n ... \n```\n```\n - ") == []


@pytest.mark.parametrize(
    "forms",
    [
        ("bias", "biases", "biased"),
        ("class", "classes"),
        ("variance", "variances"),
        ("regularize", "regularizes", "regularized", "regularization"),
        ("prediction", "predictions", "predicted"),
        ("loss", "losses"),
    ],
)
def test_inflected_forms_share_one_stem(forms: tuple[str, ...]) -> None:
    assert len({stem(w) for w in forms}) == 1, {w: stem(w) for w in forms}


@pytest.mark.parametrize(("a", "b"), [("bias", "basis"), ("variance", "various"), ("stack", "stage")])
def test_different_words_keep_different_stems(a: str, b: str) -> None:
    assert stem(a) != stem(b)


def test_content_stems_match_across_plural_and_singular() -> None:
    assert content_stems("The biases of the classes") == content_stems("bias in a class")


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


@pytest.mark.usefixtures("frequent_thread_switches")
def test_stemming_from_many_threads_at_once_gives_the_same_stems() -> None:
    """The grader runs in threads (`eval --concurrency`, the web server); the Snowball stemmer keeps its state
    on itself, so unguarded calls from two threads corrupt each other's word or raise IndexError."""
    words = "biases classes variances regularization regularized predictions overfitting normalizing".split()
    expected = [stem(w) for w in words]
    uncached = stem.__wrapped__  # past the cache, into the stemmer itself
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: [uncached(w) for w in words * 200], range(8)))
    assert all(result == expected * 200 for result in results)


@pytest.mark.parametrize(
    ("sentence", "clauses"),
    [
        # "unlike X, Y …" sets X aside inside Y's clause: cut there, it read "sigmoid or tanh, it doesn't saturate".
        (
            "ReLU is the default because, unlike sigmoid or tanh, it doesn't saturate for positive values.",
            ["ReLU is the default because, unlike sigmoid or tanh, it doesn't saturate for positive values."],
        ),
        # "…, unlike X, which …" still starts a clause of its own, as "while" does.
        (
            "Bagging reduces variance, unlike boosting, which reduces bias.",
            ["Bagging reduces variance", "boosting, which reduces bias."],
        ),
        (
            "Precision counts false alarms while recall counts misses.",
            ["Precision counts false alarms", "recall counts misses."],
        ),
    ],
)
def test_clauses_are_cut_where_a_new_claim_starts(sentence: str, clauses: list[str]) -> None:
    assert split_clauses(sentence) == clauses


def test_a_hyphenated_non_prefix_is_one_word_as_it_is_unhyphenated() -> None:
    assert tokens("Non-linear, non-separable data") == tokens("nonlinear, nonseparable data")
    assert "linear" not in tokens("a non-linear boundary")
    assert tokens("non-2 and non 2") == ["non", "2", "and", "non", "2"]  # only a word is joined to it
