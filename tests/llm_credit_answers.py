"""Answers written for the obliging-model test (tests/test_llm_obliging.py), with how an honest grader reads them.

Weak answers: one short, vague sentence each, to a bank question. `honest` says which key points (numbered from
1) an honest grader would credit, and how far; the rest are missing.

Strong answers: one sentence per key point made, in the answer's own words. Each sentence lists the key points it
makes, which an honest grader credits as covered with that sentence as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from interviewer.models import KeyPointStatus


@dataclass(frozen=True)
class Weak:
    entry: str
    answer: str
    honest: dict[int, KeyPointStatus] = field(default_factory=dict)


@dataclass(frozen=True)
class Strong:
    entry: str
    sentences: list[tuple[str, list[int]]]

    @property
    def answer(self) -> str:
        return " ".join(s for s, _ in self.sentences)


WEAK = [
    Weak("why-naive-bayes-is-naive", "Because it makes a simplifying assumption about the data."),
    Weak("overfitting-definition-and-detection", "When the model learns the data too well.", {1: "partial"}),
    Weak("bias-variance-tradeoff", "You have to balance the two of them to get a good model."),
    Weak("precision-vs-recall", "They are both metrics for classification, one is more about positives."),
    Weak(
        "dropout-in-neural-networks", "It makes the network better at generalising somehow.", {2: "partial"}
    ),
    Weak("l1-vs-l2-regularization", "They are two different penalties you can add to a model."),
    Weak(
        "cross-validation-purpose-and-pitfalls", "It is a way of testing the model on the data to check it."
    ),
    Weak(
        "vanishing-gradient",
        "The gradients get really small, so you should use a better activation.",
        {1: "partial", 4: "partial"},
    ),
    Weak("what-is-gradient-descent", "It is an optimisation algorithm used to train models."),
    Weak("batch-normalization", "It normalises things in the network and makes training nicer."),
    Weak("boosting-explained", "Boosting combines a lot of models together to get a better one."),
    Weak(
        "knn-vs-kmeans",
        "One is for classification and the other one is for clustering.",
        {1: "partial", 2: "partial"},
    ),
    Weak("what-is-regularization", "It is a technique that helps the model to not overfit.", {1: "partial"}),
    Weak("handling-imbalanced-datasets", "I would try to balance the classes somehow before training."),
    Weak("stochastic-gradient-descent", "It is like gradient descent but more random."),
    Weak(
        "time-series-cross-validation",
        "You cannot use normal cross-validation, you need a special kind for time.",
        {1: "partial"},
    ),
]

STRONG = [
    Strong(
        "why-naive-bayes-is-naive",
        [
            ("Naive Bayes treats every feature as independent of the others once you know the class.", [1]),
            (
                "That lets it write the likelihood of an example as a product of one probability per feature, "
                "which is cheap to estimate.",
                [2],
            ),
            (
                "In real data this rarely holds, since features such as the words of a document are correlated.",
                [3],
            ),
            (
                "So its predicted probabilities tend to be overconfident and poorly calibrated, even when the class "
                "it picks is right.",
                [4],
            ),
            (
                "It trains fast, needs little data and is a good baseline for spam or text classification.",
                [5],
            ),
            (
                "Laplace smoothing adds a pseudo-count, so a word never seen with a class does not zero out the "
                "product.",
                [6],
            ),
        ],
    ),
    Strong(
        "overfitting-definition-and-detection",
        [
            (
                "Overfitting is when a model memorises the noise and quirks of its training set instead of the "
                "underlying pattern.",
                [1],
            ),
            ("It then does very well on the training data but much worse on new data.", [2]),
            (
                "You spot it when validation error starts rising while training error keeps falling, for example "
                "in learning curves.",
                [3],
            ),
            ("It is a variance problem: the model is too flexible for how much data there is.", [4]),
            (
                "Regularisation or a simpler model limits what it can fit, and collecting more data is one of the "
                "most reliable fixes.",
                [5, 6],
            ),
        ],
    ),
    Strong(
        "precision-vs-recall",
        [
            (
                "Precision is the share of predicted positives that are actually positive, TP divided by TP plus FP.",
                [1],
            ),
            ("Recall is the share of actual positives the model catches, TP over TP plus FN.", [2]),
            (
                "Raising the decision threshold can only lower or keep recall, and usually increases precision.",
                [3],
            ),
            ("Which one you favour depends on whether false positives or false negatives cost more.", [4]),
            ("When both matter you look at F1 or the precision-recall curve.", [5]),
        ],
    ),
    Strong(
        "dropout-in-neural-networks",
        [
            ("During training, dropout zeroes each unit at random with some probability p.", [1]),
            ("That acts as a regulariser: units cannot co-adapt, so the network overfits less.", [2]),
            (
                "You can see it as training a huge ensemble of thinned networks that share weights, and averaging "
                "them.",
                [3],
            ),
            (
                "At test time dropout is switched off and the activations are scaled so their expected value "
                "matches training.",
                [4],
            ),
            ("It slows convergence and helps most in big fully connected layers when data is limited.", [5]),
        ],
    ),
    Strong(
        "l1-vs-l2-regularization",
        [
            (
                "L1 adds the sum of the absolute values of the weights to the loss, L2 the sum of their squares.",
                [1],
            ),
            (
                "L1 pushes some weights exactly to zero, so it gives sparse models and does feature selection.",
                [2],
            ),
            ("L2 shrinks every weight towards zero but rarely makes any of them exactly zero.", [3]),
            (
                "With correlated features L1 tends to keep one of them while L2 spreads the weight; elastic net "
                "mixes both.",
                [4],
            ),
            ("From a Bayesian view L2 is a Gaussian prior on the weights and L1 a Laplace prior.", [5]),
            (
                "You should standardise the features first and pick the penalty strength by cross-validation.",
                [6],
            ),
        ],
    ),
    Strong(
        "vanishing-gradient",
        [
            (
                "Backpropagation multiplies one factor per layer, so the gradient reaching the first layers can "
                "shrink exponentially with depth.",
                [1],
            ),
            ("Those early layers then barely learn.", [2]),
            ("Sigmoid and tanh saturate, which makes it worse.", [3]),
            ("ReLU-type activations and good initialisation such as He or Xavier help.", [4]),
            (
                "Residual connections and normalisation layers keep the gradient flowing in deep networks.",
                [5],
            ),
            ("In RNNs, the gates of an LSTM or GRU address the same problem over time steps.", [6]),
        ],
    ),
    Strong(
        "what-is-gradient-descent",
        [
            (
                "Gradient descent minimises a differentiable loss by updating the parameters step by step.",
                [1],
            ),
            (
                "Each step moves against the gradient, since the gradient points uphill in the steepest direction.",
                [2],
            ),
            (
                "The learning rate is the step size: too large and training diverges, too small and it crawls.",
                [3],
            ),
            (
                "On a convex loss it reaches the global minimum, but on a non-convex one it can get stuck in a "
                "local minimum or a saddle point.",
                [4],
            ),
            (
                "Batch, stochastic and mini-batch variants differ in how many examples each gradient uses.",
                [5],
            ),
            ("Scaling the features helps it converge faster.", [6]),
        ],
    ),
    Strong(
        "batch-normalization",
        [
            (
                "Batch norm standardises each feature with the mean and variance computed over the current "
                "mini-batch.",
                [1],
            ),
            ("A learned scale and shift then let the network undo that if it needs to.", [2]),
            (
                "At inference it uses running averages of the mean and variance collected during training.",
                [3],
            ),
            ("It stabilises training, which allows higher learning rates and faster convergence.", [4]),
            ("With very small batches the statistics are noisy, so layer or group norm is preferred.", [5]),
        ],
    ),
    Strong(
        "boosting-explained",
        [
            (
                "Boosting trains weak learners one after another, each concentrating on the mistakes of the "
                "ensemble so far.",
                [1],
            ),
            ("AdaBoost does this by increasing the weights of misclassified examples every round.", [2]),
            (
                "Gradient boosting fits each new tree to the negative gradient of the loss, which for squared "
                "error is just the residuals.",
                [3],
            ),
            ("It mainly reduces bias.", [4]),
            (
                "It can overfit, so you tune the learning rate and the number of rounds and use early stopping.",
                [5],
            ),
        ],
    ),
    Strong(
        "knn-vs-kmeans",
        [
            ("KNN is supervised: it predicts from the labels of the closest training points.", [1]),
            ("k-means is unsupervised and splits unlabelled data into k clusters.", [2]),
            ("In KNN k is the number of neighbours, in k-means it is the number of clusters.", [3]),
            (
                "k-means alternates between assigning each point to its nearest centroid and moving each centroid "
                "to the mean of its points.",
                [4],
            ),
            ("KNN is lazy: it just stores the data and does the work at prediction time.", [5]),
            ("Both depend on feature scaling and on the distance metric.", [6]),
        ],
    ),
    Strong(
        "bias-variance-tradeoff",
        [
            (
                "Bias is what you get when the model is too simple to capture the real relationship, so it underfits.",
                [1],
            ),
            (
                "Variance is how much the fitted model would change if you trained it on a different sample, and "
                "high variance means overfitting.",
                [2],
            ),
            (
                "For squared loss the expected error splits into bias squared, variance and the noise you can never remove.",
                [3],
            ),
            ("A more complex model usually has less bias but more variance.", [4]),
            (
                "In practice you pick the complexity that gives the lowest validation error, for instance with cross-validation.",
                [5],
            ),
            (
                "Bagging, regularisation or more data cut variance, while boosting or a bigger model cuts bias.",
                [6],
            ),
        ],
    ),
    Strong(
        "cross-validation-purpose-and-pitfalls",
        [
            (
                "Cross-validation tells you how well a model will do on data it has not seen, by holding out a "
                "different part of the data each time.",
                [1],
            ),
            (
                "With k folds, you train on k minus one of them and validate on the remaining one, and every fold "
                "gets its turn.",
                [2],
            ),
            (
                "Averaging the k scores is much more stable than one train/validation split, which matters when "
                "data is scarce.",
                [3],
            ),
            ("We use those scores to choose between models and to tune hyperparameters.", [4]),
            ("For time series the folds have to keep time order, so you never train on the future.", [5]),
            (
                "Scaling or feature selection has to be fitted on the training folds only, otherwise information leaks.",
                [6],
            ),
            (
                "Because you tuned on it, the CV score is optimistic, so keep a final test set or use nested "
                "cross-validation.",
                [7],
            ),
        ],
    ),
    Strong(
        "what-is-regularization",
        [
            (
                "Regularisation limits what a model can learn during training so it generalises instead of overfitting.",
                [1],
            ),
            (
                "Most often you add a penalty on the weights to the loss, multiplied by a strength you choose.",
                [2],
            ),
            (
                "An L1 penalty sets some weights exactly to zero, an L2 penalty shrinks all of them smoothly.",
                [3],
            ),
            (
                "The strength is a hyperparameter tuned with cross-validation; too much and the model underfits.",
                [4],
            ),
            ("You accept a bit more bias in exchange for less variance.", [5]),
            ("Standardise the features first, because the penalty depends on their scale.", [6]),
            ("Dropout, early stopping and data augmentation are regularisers too.", [7]),
        ],
    ),
    Strong(
        "handling-imbalanced-datasets",
        [
            (
                "First, accuracy is misleading here, so I would look at precision, recall, F1 or the area under the PR curve.",
                [1],
            ),
            ("Often just moving the decision threshold is enough.", [2]),
            ("I can weight the classes in the loss so mistakes on the rare class cost more.", [3]),
            ("Or resample: undersample the majority, oversample the minority, or use SMOTE.", [4]),
            (
                "Resampling happens only on the training set after the split, never on validation or test data.",
                [5],
            ),
            ("After reweighting or resampling the probabilities need recalibrating.", [6]),
        ],
    ),
]

# Correct answers in words the offline grader barely recognises (the first is the one tests/test_llm_grader.py
# caps): only a reader of meaning can credit them, so they show what the quote check costs an honest grade.
PARAPHRASED = [
    Strong(
        "precision-vs-recall",
        [
            ("Of the things you flagged, precision says how many were right.", [1]),
            ("Of the things that were really there, recall says how many you flagged.", [2]),
            ("A higher cut-off can only lose recall, and mostly, not always, gains precision.", [3]),
            ("Spam filters want the first, cancer screening the second.", [4]),
            ("F1 blends both.", [5]),
        ],
    ),
    Strong(
        "overfitting-definition-and-detection",
        [
            (
                "The model has basically memorised its examples, quirks and all, rather than the real trend.",
                [1],
            ),
            ("So it looks great on what it was fitted to and falls apart on fresh cases.", [2]),
            ("Plot both losses over the epochs: when they drift apart, that is the sign.", [3]),
            ("Too much capacity for too few examples, in other words high variance.", [4]),
            ("Shrink the model, penalise big weights, or go and get more examples.", [5, 6]),
        ],
    ),
]
