"""The shipped bank keeps the shape the issue asks for: no near-duplicate questions, probes that are questions,
reference answers of a speakable length, 3-7 key points and at most four misconceptions per entry."""

from __future__ import annotations

import re
from itertools import combinations

import numpy as np
import pytest
import yaml

from interviewer.grading import entailment
from interviewer.grading.offline import OfflineGrader
from interviewer.models import QuestionType, Reference

from .conftest import ROOT

# Chosen from the real distribution of all-MiniLM-L6-v2 cosine similarities between bank questions (190
# entries, 17,955 pairs): median 0.11, 99.9th percentile 0.66, maximum 0.85. The same question reworded scores
# far higher: each seed question against the entry written for it has median 0.98 and 90% of pairs score
# above 0.80. The eight distinct pairs above 0.72 (SVM and support vectors, gradient descent and SGD, k-means
# and EM against k-NN and k-means, a model failing on training against test data, ...) are marked as variants.
NEAR_DUPLICATE = 0.72
SPOKEN_TYPES = {
    QuestionType.CONCEPT,
    QuestionType.STATISTICS,
    QuestionType.APPLIED,
    QuestionType.CODING,
    QuestionType.BEHAVIORAL,
}
OUTLINE_TYPES = {QuestionType.CASE_STUDY, QuestionType.SYSTEM_DESIGN}


def _variants(bank, a: str, b: str) -> bool:
    return b in bank.entries[a].variant_of or a in bank.entries[b].variant_of


def test_no_two_questions_are_near_duplicates_unless_marked_as_variants(bank, embedder) -> None:
    ids = sorted(bank.entries)
    vectors = embedder.embed([bank.entries[i].question for i in ids])
    similarity = vectors @ vectors.T
    too_close = [
        f"{ids[i]} ~ {ids[j]}: {similarity[i, j]:.3f}"
        for i, j in combinations(range(len(ids)), 2)
        if similarity[i, j] >= NEAR_DUPLICATE and not _variants(bank, ids[i], ids[j])
    ]
    assert too_close == [], "merge these entries, or mark one `variant_of` the other"
    # The check can fail: the bank does hold pairs this close, and they are all marked.
    marked = [(i, j) for i, j in combinations(range(len(ids)), 2) if similarity[i, j] >= NEAR_DUPLICATE]
    assert marked and all(_variants(bank, ids[i], ids[j]) for i, j in marked)


def test_the_near_duplicate_check_catches_a_reworded_question(bank, embedder) -> None:
    original = bank.get("precision-vs-recall").question
    reworded = "Can you define precision and recall, and explain how they differ?"
    a, b = embedder.embed([original, reworded])
    assert float(np.dot(a, b)) >= NEAR_DUPLICATE


def test_every_probe_is_a_question(bank) -> None:
    bad = [
        f"{e.id}: {k.probe!r}"
        for e in bank.entries.values()
        for k in e.key_points
        if not (k.probe and k.probe.strip().endswith("?"))
    ]
    assert bad == []


def test_three_to_seven_key_points(bank) -> None:
    bad = {e.id: len(e.key_points) for e in bank.entries.values() if not 3 <= len(e.key_points) <= 7}
    assert bad == {}


def test_at_most_eight_misconceptions(bank) -> None:
    # Issue 2 asked for 1-4 "where candidates commonly go wrong"; issue 11 needs the grader to know more of the
    # wrong claims candidates make, so up to 8 (docs/bank-format.md). An entry may have none.
    bad = {e.id: len(e.misconceptions) for e in bank.entries.values() if len(e.misconceptions) > 8}
    assert bad == {}
    assert sum(1 for e in bank.entries.values() if e.misconceptions) / len(bank) > 0.9


def test_spoken_answers_are_80_to_250_words(bank) -> None:
    lengths = {e.id: len(e.reference_answer.split()) for e in bank.entries.values() if e.type in SPOKEN_TYPES}
    assert {i: n for i, n in lengths.items() if not 80 <= n <= 250} == {}
    assert sum(1 for e in bank.entries.values() if e.type is QuestionType.CONCEPT) >= 80


@pytest.mark.parametrize("qtype", sorted(OUTLINE_TYPES))
def test_case_studies_and_system_designs_are_structured_outlines(bank, qtype) -> None:
    entries = [e for e in bank.entries.values() if e.type is qtype]
    assert entries
    stages = {e.id: len(re.findall(r"(?:^|\s)\d\.\s", e.reference_answer)) for e in entries}
    assert {i: n for i, n in stages.items() if n < 4} == {}


def test_open_ended_questions_use_the_open_ended_rubric(bank) -> None:
    behavioral = [e for e in bank.entries.values() if e.type is QuestionType.BEHAVIORAL]
    assert behavioral and all(e.rubric == "open-ended" for e in behavioral)


def test_no_urls_in_further_reading(bank) -> None:
    assert [
        r for e in bank.entries.values() for r in e.further_reading if re.search(r"https?://|www\.", r)
    ] == []


@pytest.mark.parametrize("bank_file", sorted(p.name for p in (ROOT / "bank").glob("*.yaml")))
def test_no_reference_answer_is_taken_for_a_wrong_claim_about_its_own_key_points(
    bank, embedder, bank_file
) -> None:
    """The contrasts and the reversal check must leave a right answer alone: each entry's own reference
    answer, graded against its entry, has no wrong claim and no key point in doubt, with the pair model as
    shipped."""
    grader = OfflineGrader(embedder, pairs=entailment.default_model())
    ids = [e["id"] for e in yaml.safe_load((ROOT / "bank" / bank_file).read_text(encoding="utf-8"))]
    flagged = {}
    for entry in (bank.get(i) for i in ids):
        rubric = bank.rubric_for(entry.type, entry.rubric)
        grade = grader.grade(Reference.from_entry(entry), entry.reference_answer, rubric)
        wrong = [m.evidence for m in grade.misconceptions] + [k.doubt for k in grade.key_points if k.doubt]
        if wrong:
            flagged[entry.id] = wrong
    assert flagged == {}


def test_every_contrast_differs_from_the_entrys_key_points(bank) -> None:
    """A contrast is a wrong claim: it must not restate one of its entry's (right) key points."""
    clashes = [
        (entry.id, contrast)
        for entry in bank.entries.values()
        for point in entry.key_points
        for contrast in point.contrasts
        if contrast.strip().lower() in {p.text.strip().lower() for p in entry.key_points}
    ]
    assert clashes == []
