"""Two paired concepts exchanged inside one sentence (`interviewer/grading/exchanges.py`)."""

from __future__ import annotations

import pytest

from interviewer.grading.exchanges import contrast_pairs, exchanged_terms, find_exchange
from interviewer.models import KeyPoint

RATES = "The true positive rate is TP / (TP + FN) and the false positive rate is FP / (FP + TN)."
BAGGING = "Bagging mainly reduces variance and leaves bias largely unchanged."


def test_each_concept_given_the_other_ones_description_is_an_exchange() -> None:
    # From evals/ dev: a swapped ROC answer scored 9.8, every word of this point in one sentence.
    answer = "For every threshold you compute the false positive rate, TP/(TP+FN), and the true positive rate, FP/(FP+TN)."
    swap = find_exchange(RATES, [answer])
    assert swap is not None and swap.clause == answer and swap.kind == "exchanged"
    assert swap.correction(RATES) == (
        f"You have true positive rate and false positive rate the wrong way round: {RATES}"
    )
    exchanged = find_exchange(BAGGING, ["It reduces bias and leaves variance unchanged."])
    assert exchanged is not None and {exchanged.said, exchanged.meant} == {"bias", "variance"}


@pytest.mark.parametrize(
    "answer",
    [
        "The true positive rate is TP/(TP+FN), and the false positive rate is FP/(FP+TN).",
        "It reduces variance and leaves bias unchanged.",
        "Bagging does little for bias but reduces variance a lot.",  # bias first, each with its own words
        "The false positive rate, FP/(FP+TN), is plotted against the true positive rate.",  # one side only
        "Recall is what matters here.",  # neither concept
    ],
)
def test_right_one_sided_and_unrelated_sentences_are_no_exchange(answer: str) -> None:
    point = RATES if "rate" in answer else BAGGING
    assert find_exchange(point, [answer]) is None


def test_a_sentence_binding_the_pair_the_right_way_outweighs_a_crossed_one() -> None:
    crossed = "The false positive rate is TP/(TP+FN) and the true positive rate is FP/(FP+TN)."
    right = "To be exact, the true positive rate is TP/(TP+FN) and the false positive rate is FP/(FP+TN)."
    assert find_exchange(RATES, [crossed]) is not None
    assert find_exchange(RATES, [crossed, right]) is None


def test_a_point_that_names_one_concept_of_a_pair_is_not_read() -> None:
    assert find_exchange("Bagging mainly reduces variance.", ["Bagging reduces bias, not variance."]) is None


def test_a_relative_clause_describes_the_concept_named_just_before_it() -> None:
    # Typed into the terminal: "which is TP/(TP+FN)" is a clause of its own, but it describes the false positive
    # rate named before it, not the true positive rate named after it.
    answer = (
        "A ROC curve plots, for every threshold, the false positive rate, which is TP/(TP+FN), against the true "
        "positive rate, which is FP/(FP+TN)."
    )
    swap = find_exchange(RATES, [answer])
    assert swap is not None and swap.clause == answer
    right = answer.replace("TP/(TP+FN)", "X").replace("FP/(FP+TN)", "TP/(TP+FN)").replace("X", "FP/(FP+TN)")
    assert find_exchange(RATES, [right]) is None


TRADE_OFF = "Increasing model complexity usually lowers bias and raises variance."


@pytest.mark.parametrize(
    "answer",
    [
        "As you add complexity, bias goes up and variance goes down.",
        "More complex models have higher bias and lower variance.",
    ],
)
def test_each_concept_sent_the_way_the_point_sends_the_other_is_an_exchange(answer: str) -> None:
    swap = find_exchange(TRADE_OFF, [answer])
    assert swap is not None and swap.clause == answer and swap.kind == "exchanged"


@pytest.mark.parametrize(
    "answer",
    [
        "As complexity increases, bias falls and variance rises.",
        "Adding complexity reduces bias but increases variance.",
        # the cause reversed reverses the effects: right
        "Reducing model complexity raises bias and lowers variance.",
        "With a less complex model, bias goes up and variance goes down.",
        # a cause the point does not name is not read
        "A simple model has higher bias and lower variance.",
        "Simpler models have higher bias and lower variance, complex ones the reverse.",
    ],
)
def test_directions_the_right_way_or_for_a_reversed_or_other_cause_are_no_exchange(answer: str) -> None:
    assert find_exchange(TRADE_OFF, [answer]) is None


def test_a_sentence_sending_the_pair_the_points_way_outweighs_a_crossed_one() -> None:
    crossed = "As you add complexity, bias goes up and variance goes down."
    right = "Adding complexity lowers bias and raises variance."
    assert find_exchange(TRADE_OFF, [crossed, right]) is None


def test_the_two_phrases_a_contrast_exchanges_in_its_point_are_a_pair() -> None:
    point = "word2vec learns from local prediction tasks, while GloVe fits global co-occurrence counts."
    contrast = "GloVe learns from local prediction tasks, while word2vec fits global co-occurrence counts."
    assert exchanged_terms(point, contrast) == ("glove", "word2vec")
    assert (
        exchanged_terms(
            "The null hypothesis is rejected when p is small.",
            "The alternative hypothesis is rejected when p is small.",
        )
        is None
    )  # one term replaced, not two exchanged
    assert exchanged_terms("A is bigger than B.", "B is bigger than A.") is None  # no content word to name
    points = [
        KeyPoint(text=point, contrasts=[contrast, "GloVe needs no corpus."]),
        KeyPoint(text="No contrasts."),
    ]
    assert contrast_pairs(points) == {("glove", "word2vec")}


def test_a_contrast_worded_differently_around_the_two_terms_still_names_the_pair() -> None:
    point = "A GAN has a generator that maps random noise to samples and a discriminator that tells real from fake."
    contrast = (
        "In a GAN the discriminator maps random noise to samples and the generator tells real from fake."
    )
    assert exchanged_terms(point, contrast) == ("discriminator", "generator")
    # Another content word changed as well: not only an exchange.
    assert exchanged_terms(point, contrast.replace("random", "Gaussian")) is None
    swapped = "The discriminator turns random noise into fake images and the generator decides what is real or fake."
    swap = find_exchange(point, [swapped], pairs=contrast_pairs([KeyPoint(text=point, contrasts=[contrast])]))
    assert swap is not None and swap.clause == swapped


def test_a_pair_from_the_bank_is_read_beside_the_built_in_ones() -> None:
    # From evals/ dev (fresh-i, written blind): a swapped answer scored 9.5 with this sentence in it.
    point = "AUC is the probability that a random positive scores above a random negative, with ties counting one half."
    answer = (
        "AUC is the probability that a randomly chosen negative scores above a randomly chosen positive, with ties"
        " counting a half, so what I need to count is the pairs the negatives win."
    )
    assert find_exchange(point, [answer]) is None  # "positive"/"negative" is no built-in pair
    swap = find_exchange(point, [answer], pairs={("negative", "positive")})
    assert swap is not None and swap.clause == answer
    right = "AUC is the chance that a random positive scores above a random negative, ties counting a half."
    assert find_exchange(point, [right], pairs={("negative", "positive")}) is None


GLOVE = "Unlike word2vec, which learns from local prediction tasks, GloVe fits global co-occurrence counts directly."


def test_an_exchange_made_one_concept_per_sentence_is_caught() -> None:
    # From evals/ dev (fresh-i, written blind): a swapped answer scored 9.5 with these two sentences in it.
    crossed = [
        "GloVe is the prediction-based one: it slides a window over the text and trains the vectors to predict the "
        "surrounding words, so it learns from local examples.",
        "word2vec is the count-based one: it builds the co-occurrence matrix of the corpus and fits vectors to the "
        "log counts.",
    ]
    swap = find_exchange(GLOVE, crossed, pairs={("glove", "word2vec")})
    assert swap is not None and swap.clause in crossed
    assert swap.correction(GLOVE).startswith(
        "You have GloVe and word2vec the wrong way round"
    )  # as the point writes them
    right = [
        s.replace("GloVe", "W2V").replace("word2vec", "GloVe").replace("W2V", "word2vec") for s in crossed
    ]
    assert find_exchange(GLOVE, right, pairs={("glove", "word2vec")}) is None


def test_a_sentence_that_names_its_concept_late_or_names_both_is_not_pooled() -> None:
    # From evals/ dev: a one-error GloVe answer's right sentence, whose subject is "it".
    late = [
        "GloVe builds a co-occurrence matrix first.",
        "Unlike word2vec's local prediction objective, it fits the counts directly.",
    ]
    assert find_exchange(GLOVE, late, pairs={("glove", "word2vec")}) is None
