"""Agreement measures and the baselines `interviewer eval` reports beside the grader."""

from __future__ import annotations

import numpy as np
import pytest

from interviewer.evals.baselines import baselines, embedding_cosine, reference_word_overlap
from interviewer.evals.evaluation import baseline_scores, metrics, quadratic_weighted_kappa, roc_auc, table


def test_roc_auc_is_the_chance_a_correct_answer_outscores_a_wrong_one() -> None:
    labels = np.array([1, 1, 0, 0])
    assert roc_auc(labels, np.array([0.9, 0.8, 0.1, 0.2])) == 1.0
    assert roc_auc(labels, np.array([0.1, 0.2, 0.9, 0.8])) == 0.0
    assert roc_auc(labels, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5  # ties count half
    assert roc_auc(labels, np.array([0.9, 0.3, 0.5, 0.1])) == 0.75
    assert np.isnan(roc_auc(np.array([1, 1]), np.array([0.2, 0.3])))


def test_quadratic_weighted_kappa_weighs_a_disagreement_by_its_distance_in_points() -> None:
    assert quadratic_weighted_kappa([0, 1, 2, 3], [0, 1, 2, 3]) == 1.0
    assert quadratic_weighted_kappa([0, 0, 1, 1], [1, 1, 0, 0]) == pytest.approx(-1.0)
    # Nobody gave 2, 3 or 4: missing 5 by 1 and by 4 points must still differ (by rank they would not).
    near = quadratic_weighted_kappa([0, 0, 5, 5, 1], [0, 1, 5, 4, 1])
    assert near == pytest.approx(1 - 2 / 45.6)  # 2 squared points observed, 45.6 expected by chance
    assert near > quadratic_weighted_kappa([0, 0, 5, 5, 1], [0, 1, 5, 1, 1])
    assert np.isnan(quadratic_weighted_kappa([3, 3], [3, 3]))


def _records(scores: list[float], max_score: float) -> list[dict]:
    return [
        {"question": f"q{i % 2}", "answer": "a", "score": s, "max_score": max_score}
        for i, s in enumerate(scores)
    ]


def test_metrics_report_auc_only_for_correct_or_not_labels() -> None:
    binary = metrics(_records([1, 0, 1, 0, 1, 0], 1), [0.9, 0.2, 0.7, 0.4, 0.6, 0.1])
    assert binary.roc_auc == 1.0 and binary.pearson > 0.8
    graded = metrics(_records([5, 0, 3.5, 1, 4, 2], 5), [4.5, 0.5, 3, 1, 4, 2.5])
    assert graded.roc_auc is None and graded.pearson > 0.9 and graded.questions == 2


def test_3way_labels_add_the_auc_of_correct_against_contradictory_answers_alone() -> None:
    records = _records([1, 0, 0, 1, 0], 1)
    labels = ["correct", "contradictory", "incorrect", "correct", "contradictory"]
    for record, label in zip(records, labels, strict=True):
        record["label_3way"] = label
    # The incorrect answer outscores every other, but only correct against contradictory counts.
    figures = metrics(records, [0.8, 0.3, 0.99, 0.6, 0.7])
    assert figures.contradictory_auc == 0.75  # 3 of the 4 correct/contradictory pairs ordered right
    assert figures.roc_auc == 0.5  # against all the others: 3 of 6
    assert metrics(_records([1, 0], 1), [0.9, 0.1]).contradictory_auc is None


def test_reference_word_overlap_counts_stemmed_content_words() -> None:
    reference = "A stack removes the most recently added element first."
    assert reference_word_overlap(reference, reference) == 1.0
    # stack, removes, recently, added, element, first: "removed" and "elements" match by stem
    assert reference_word_overlap(reference, "Elements are removed from a stack.") == pytest.approx(3 / 6)
    assert reference_word_overlap(reference, "I like pasta.") == 0.0
    assert reference_word_overlap("the of a", "the of a") == 0.0


def test_embedding_cosine_orders_answers_by_meaning(embedder) -> None:
    score = embedding_cosine(embedder)
    reference = "A stack removes the most recently added element first: last in, first out."
    close = score(reference, "The last item pushed onto a stack is the first one popped.")
    far = score(reference, "On Sundays I cook pasta with my family.")
    assert 0 <= far < close <= 1
    assert score(reference, "  ") == 0.0


def test_baselines_score_records_on_their_own_scale(embedder) -> None:
    records = [
        {
            "question": "q",
            "reference": "A last-in, first-out collection.",
            "answer": a,
            "score": 0,
            "max_score": m,
        }
        for a, m in (("A last-in, first-out collection.", 5.0), ("nothing alike", 1.0))
    ]
    found = baselines(embedder)
    assert set(found) == {"word_overlap", "embedding_cosine"}
    overlap = baseline_scores(records, found["word_overlap"], lambda r: r["reference"])
    assert overlap == [5.0, 0.0]


def test_the_table_puts_each_column_beside_the_others() -> None:
    ours = metrics(_records([5, 0, 3.5, 1, 4, 2], 5), [4.5, 0.5, 3, 1, 4, 2.5])
    other = metrics(_records([5, 0, 3.5, 1, 4, 2], 5), [1, 2, 3, 4, 5, 0])
    lines = table({"offline": ours, "word_overlap": other}).splitlines()
    assert lines[0].split() == ["measure", "offline", "word_overlap"]
    pearson = next(line for line in lines if line.startswith("Pearson r"))
    assert pearson.split()[-2:] == [f"{ours.pearson:.3f}", f"{other.pearson:.3f}"]
    assert not any(line.startswith("ROC AUC") for line in lines)  # no AUC for 0-5 scores
