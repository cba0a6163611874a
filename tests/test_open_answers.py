"""Open-ended and behavioural answers, with the real model: graded on structure, specificity and evidence.

Strong answers are specific and STAR-shaped, written for these tests; the vague answer says nothing concrete.
"""

from __future__ import annotations

import pytest

from interviewer.evals.adversarial import MAX_LIFT, TRICKS, Case
from interviewer.grading.offline import OfflineGrader
from interviewer.grading.open_answers import evidence, specificity, structure
from interviewer.models import Reference

STRONG = {
    "learning-from-a-failed-project": (
        "At my last job in 2022 I built a churn model for the retention team. Offline it reached an AUC of "
        "0.86, but after launch the campaign showed no lift at all. I investigated and found the mistake was "
        "mine: I had computed 30-day activity features from the full history table, so they leaked activity "
        "after the prediction date. I told the team, withdrew the model and rebuilt the features with "
        "point-in-time joins in two weeks. As a result the honest AUC dropped to 0.74, which still beat their "
        "rule and improved retention by 3%. I learned to hold out the most recent month as a test set, and "
        "since then I treat a suspiciously good offline score as a bug until I can explain it."
    ),
    "recent-ml-papers-read": (
        "Last month I read LoRA: Low-Rank Adaptation of Large Language Models by Hu et al. The problem is that "
        "fully fine-tuning a large model for every task is expensive to train and to store. The idea is to "
        "freeze the pretrained weights and learn two thin low-rank matrices whose product is added to the "
        "attention weights. On GPT-3 they matched full fine-tuning quality while training about 10,000 times "
        "fewer parameters. I used it to fine-tune a 7B model on a single GPU for a support-ticket classifier, "
        "and accuracy improved from 81% to 88%. My reservation is that the rank and the layers are chosen "
        "empirically, so I learned to run a small sweep first. I keep up through arXiv digests and a weekly "
        "reading group."
    ),
    "ml-research-experience": (
        "During my master's in 2021 I studied label noise in medical image classification, because noisy "
        "annotations were limiting our chest X-ray models. My contribution was the loss function: I proposed "
        "a loss that down-weights examples where the model and a second annotator disagree, and I ran all the "
        "experiments and ablations myself in PyTorch on the CheXpert dataset. I compared it against standard "
        "cross-entropy and two published baselines over three random seeds. As a result accuracy on noisy "
        "labels improved by about three points, and the paper was accepted at a MICCAI workshop. I learned to "
        "design ablations before running the main experiment, which carries over to this role."
    ),
}
VAGUE = "I always work hard and learn from my mistakes and communicate well."


@pytest.fixture(scope="module")
def grader(embedder) -> OfflineGrader:
    return OfflineGrader(embedder)


def _graded(grader, bank, entry_id: str, answer: str) -> float:
    entry = bank.get(entry_id)
    rubric = bank.rubric_for(entry.type, entry.rubric)
    assert {c.measure for c in rubric.criteria} >= {"structure", "specificity", "evidence", "coverage"}
    return grader.grade(Reference.from_entry(entry), answer, rubric).score


@pytest.mark.parametrize("entry_id", sorted(STRONG))
def test_a_strong_specific_answer_scores_well_and_a_vague_one_far_lower(grader, bank, entry_id) -> None:
    assert bank.get(entry_id).type.value == "behavioral"
    strong = _graded(grader, bank, entry_id, STRONG[entry_id])
    vague = _graded(grader, bank, entry_id, VAGUE)
    assert strong >= 7, strong
    assert strong - vague >= 3, (strong, vague)


@pytest.mark.parametrize("trick", ["keyword stuffing", "keyword list", "filler padding", "off-topic text"])
@pytest.mark.parametrize("entry_id", sorted(STRONG))
def test_padding_and_keywords_do_not_lift_a_vague_answer(grader, bank, entry_id, trick) -> None:
    entry = bank.get(entry_id)
    case = Case(entry_id, Reference.from_entry(entry), VAGUE, entry.misconceptions[0].text)
    vague = _graded(grader, bank, entry_id, VAGUE)
    tricked = _graded(grader, bank, entry_id, TRICKS[trick](case))
    assert tricked - vague <= MAX_LIFT, (vague, tricked)


def test_the_guards_still_stop_empty_and_copied_answers(grader, bank) -> None:
    entry = bank.get("learning-from-a-failed-project")
    assert _graded(grader, bank, entry.id, "") == 0
    assert _graded(grader, bank, entry.id, entry.question) == 0


def test_the_signals_reward_cues_not_length() -> None:
    star = [
        "At my last job in 2022 I built a churn model for the retention team.",
        "I rebuilt the features with point-in-time joins in two weeks.",
        "As a result AUC improved from 0.70 to 0.74, and I learned to hold out the latest month.",
    ]
    vague = ["I always work hard and learn from my mistakes and communicate well."]
    for signal in (structure, specificity, evidence):
        assert signal(star).value > 0.6 > signal(vague).value + 0.3, signal.__name__
        assert signal(vague * 10).value <= signal(vague).value + 0.34, signal.__name__
    assert structure([]).value == specificity([]).value == evidence([]).value == 0
