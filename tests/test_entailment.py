"""The pair model (interviewer/grading/entailment.py): clear cases, lazy and offline loading, determinism."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading

import numpy as np
import pytest
from pydantic import ValidationError

from interviewer.config import Settings
from interviewer.grading import entailment
from interviewer.grading.entailment import (
    CONTRADICTS,
    ENTAILS,
    NEUTRAL,
    EntailmentModel,
    EntailmentModelError,
)

pytestmark = pytest.mark.slow

L1 = "L1 regularisation drives some weights to exactly zero, giving sparse models."


@pytest.fixture(scope="module")
def model() -> EntailmentModel:
    return EntailmentModel().load()


def label(probs: np.ndarray) -> int:
    return int(np.argmax(probs))


def test_the_constructor_loads_nothing() -> None:
    model = EntailmentModel()
    assert not model.loaded
    assert model.judge(L1, []).shape == (0, 3)  # nothing to judge: still nothing loaded
    assert not model.loaded


# Clear cases, written for this test (not taken from the bank or evals/). The model's known misses (paraphrases
# that reorder a claim, such as "lowers bias and raises variance" / "has lower bias but higher variance") are
# listed in training/entailment/README.md; these are the cases it must keep getting right.
@pytest.mark.parametrize(
    ("premise", "clause"),
    [
        ("PCA keeps the directions of largest variance.", "PCA keeps the directions of least variance."),
        (
            "Increasing model complexity lowers bias and raises variance.",
            "A more complex model has higher bias but lower variance.",
        ),
        (
            "An SVM chooses the boundary with the largest margin.",
            "An SVM picks the boundary with the smallest margin.",
        ),
        ("Bagging mainly reduces variance.", "Bagging mainly reduces bias."),
    ],
)
def test_a_swap_is_a_contradiction(model: EntailmentModel, premise: str, clause: str) -> None:
    probs = model.judge(premise, [clause])[0]
    assert label(probs) == CONTRADICTS, probs


@pytest.mark.parametrize(
    ("premise", "clause"),
    [
        ("ReLU does not saturate for large positive inputs.", "ReLU saturates for large positive inputs."),
        (
            "k-means needs the number of clusters k to be chosen in advance.",
            "k-means does not need the number of clusters in advance.",
        ),
    ],
)
def test_a_negation_is_a_contradiction(model: EntailmentModel, premise: str, clause: str) -> None:
    probs = model.judge(premise, [clause])[0]
    assert label(probs) == CONTRADICTS, probs


@pytest.mark.parametrize(
    ("premise", "clause"),
    [
        (L1, "With an L1 penalty many coefficients become exactly zero, so the model is sparse."),
        (
            "Bagging trains each model on a bootstrap sample of the training data.",
            "In bagging every model sees its own bootstrap resample of the training set.",
        ),
    ],
)
def test_a_paraphrase_is_an_entailment(model: EntailmentModel, premise: str, clause: str) -> None:
    probs = model.judge(premise, [clause])[0]
    assert label(probs) == ENTAILS, probs


def test_an_unrelated_clause_is_not_an_entailment(model: EntailmentModel) -> None:
    probs = model.judge(L1, ["Batch normalisation normalises activations over the mini-batch."])[0]
    assert label(probs) == NEUTRAL, probs


def test_rows_are_probabilities_in_the_callers_order_and_repeatable(model: EntailmentModel) -> None:
    clauses = [
        "L2 regularisation drives some weights to exactly zero, giving sparse models.",
        "With an L1 penalty many coefficients become exactly zero, so the model is sparse.",
        "Batch normalisation normalises activations over the mini-batch.",
    ]
    together = model.judge(L1, clauses)
    assert together.shape == (3, 3)
    assert together.dtype == np.float32
    np.testing.assert_allclose(together.sum(axis=1), 1.0, atol=1e-5)
    one_by_one = np.vstack([model.judge(L1, [c]) for c in clauses])
    np.testing.assert_allclose(together, one_by_one, atol=1e-4)  # batching and its padding change nothing
    np.testing.assert_array_equal(model.judge(L1, clauses), together)  # eval mode: no dropout
    pairwise = model.judge([L1, L1, L1], clauses)
    np.testing.assert_array_equal(pairwise, together)
    with pytest.raises(ValueError):
        model.judge([L1], clauses)


def test_concurrent_calls_agree(model: EntailmentModel) -> None:
    clause = ["L2 regularisation drives some weights to exactly zero, giving sparse models."]
    want = model.judge(L1, clause)
    results: list[np.ndarray] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(model.judge(L1, clause))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for got in results:
        np.testing.assert_array_equal(got, want)


def test_loading_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh model loads and judges with every socket connection and name look-up failing."""
    calls: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    fresh = EntailmentModel()
    probs = fresh.judge("Bagging mainly reduces variance.", ["Bagging mainly reduces bias."])
    assert fresh.loaded
    assert label(probs[0]) == CONTRADICTS
    assert calls == []


def test_a_missing_weights_file_is_a_clear_error(tmp_path) -> None:
    model = EntailmentModel(tmp_path / "missing.safetensors")
    with pytest.raises(EntailmentModelError, match=r"missing\.safetensors"):
        model.judge(L1, ["anything"])


def test_the_module_function_uses_one_shared_model() -> None:
    assert entailment.default_model() is entailment.default_model()


PAIRS = [
    ("Bagging mainly reduces variance.", "Bagging mainly reduces bias."),
    (
        "PCA keeps the directions of largest variance.",
        "PCA keeps the directions of least variance, then drops the rest.",
    ),
    (
        "Dropout is a regulariser that reduces overfitting.",
        "Dropout randomly switches off units during training.",
    ),
    ("word " * 120, "other " * 90),  # past MAX_LENGTH: the longer side is cut first
]


def test_the_torch_encoder_gives_the_transformers_probabilities(model: EntailmentModel) -> None:
    """The pair model runs on the torch-only MiniLM (`minilm`), as the embedder does; `transformers` is only the
    fallback for a base that encoder refuses."""
    assert model._tokenizer is None  # loaded on the torch encoder
    through_transformers = EntailmentModel()
    through_transformers._load_on_torch = lambda: False  # type: ignore[method-assign]
    expected = through_transformers.judge_pairs(PAIRS)
    assert through_transformers._tokenizer is not None
    assert np.allclose(model.judge_pairs(PAIRS), expected, atol=1e-5)


LOAD_PAIR_MODEL = """
import json, sys
from interviewer.grading.entailment import EntailmentModel
probs = EntailmentModel().judge("Bagging mainly reduces variance.", ["Bagging mainly reduces bias."])
print(json.dumps({"contradicts": float(probs[0, 1]), "modules": sorted(sys.modules)}))
"""


def test_the_pair_model_loads_without_importing_transformers() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOAD_PAIR_MODEL], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["contradicts"] > 0.5
    assert "transformers" not in result["modules"]


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        (None, "doubts"),
        ("doubts", "doubts"),
        ("all", "all"),
        ("off", "off"),
        ("true", "all"),
        ("False", "off"),
    ],
)
def test_the_pair_model_setting_takes_its_modes_and_its_old_true_false(monkeypatch, value, mode) -> None:
    monkeypatch.delenv("INTERVIEWER_PAIR_MODEL", raising=False)
    if value is not None:
        monkeypatch.setenv("INTERVIEWER_PAIR_MODEL", value)
    assert Settings(_env_file=None).pair_model == mode


def test_an_unknown_pair_model_mode_is_refused_with_the_modes_named(monkeypatch) -> None:
    monkeypatch.setenv("INTERVIEWER_PAIR_MODEL", "sometimes")
    with pytest.raises(ValidationError, match="'off', 'doubts' or 'all'"):
        Settings(_env_file=None)
