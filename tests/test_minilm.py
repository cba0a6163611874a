"""The bundled MiniLM's torch-only encoder gives `transformers`' vectors, and starts without importing it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from interviewer.retrieval.embeddings import SentenceTransformerEmbedder, bundled_model_path
from interviewer.retrieval.minilm import BertEncoder, load_bert
from interviewer.retrieval.sentence_models import (
    MeanPoolingModel,
    TransformersEncoder,
    load_sentence_model,
)

from .conftest import ROOT
from .test_embedder_equivalence import (
    EDGE_CASES,
    assert_same_token_passes,
    assert_same_word_vectors,
    sample_texts,
)


@pytest.fixture(scope="module")
def through_transformers() -> SentenceTransformerEmbedder:
    """The bundled model's encoder run by `transformers`' `AutoTokenizer` and `AutoModel`, as before."""
    embedder = SentenceTransformerEmbedder()
    embedder._model = MeanPoolingModel(TransformersEncoder(bundled_model_path(), "cpu", 256), normalize=True)
    return embedder


@pytest.mark.slow
def test_the_bundled_model_runs_on_the_torch_encoder_with_transformers_vectors(
    embedder: SentenceTransformerEmbedder, through_transformers: SentenceTransformerEmbedder
) -> None:
    model, reference = embedder.model, through_transformers.model
    assert isinstance(model, MeanPoolingModel) and isinstance(model.encoder, BertEncoder)
    assert model.encoder.max_seq_length == 256
    texts = sample_texts()
    assert len(texts) == 42 and set(EDGE_CASES) <= set(texts)
    ours, theirs = model.encode(texts), reference.encode(texts)
    assert ours.shape == theirs.shape == (len(texts), 384)
    assert np.abs(ours - theirs).max() <= 2e-6
    mine = model.token_passes(texts)
    assert_same_token_passes(texts, mine, reference.token_passes(texts))
    # Texts are cut at 256 tokens ([CLS] and [SEP] included), not at the 128 `tokenizer.json` names.
    assert len(mine[texts.index("word " * 400)].offsets) == 256
    assert mine[texts.index("")].offsets == [(0, 0), (0, 0)]


@pytest.mark.slow
def test_the_word_vectors_are_those_of_the_transformers_encoder(
    through_transformers: SentenceTransformerEmbedder,
) -> None:
    fresh = SentenceTransformerEmbedder()  # an empty cache: the word pass fills the sentence cache too
    texts = sample_texts()
    ours, theirs = fresh.embed_words(texts), through_transformers.embed_words(texts)
    assert isinstance(fresh.model, MeanPoolingModel) and isinstance(fresh.model.encoder, BertEncoder)
    assert_same_word_vectors(texts, ours, theirs)
    accents = ours[texts.index("Naïve Bayes, Köhler, café: accents and ünïcödé")]
    assert accents.words == ["naïve", "bayes", "köhler", "café", "accents", "and", "ünïcödé"]
    assert np.abs(fresh.embed(texts) - through_transformers.embed(texts)).max() <= 2e-6


LIST_MODULES = """
import json, sys
from interviewer.retrieval.embeddings import SentenceTransformerEmbedder
embedder = SentenceTransformerEmbedder()
vectors = embedder.embed(["Precision is TP/(TP+FP)."])
words = embedder.embed_words(["Recall is TP/(TP+FN)."])
encoder = type(embedder.model.encoder).__name__
print(json.dumps({"encoder": encoder, "words": words[0].words, "modules": sorted(sys.modules)}))
"""


@pytest.mark.slow
def test_the_bundled_model_embeds_without_importing_transformers() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LIST_MODULES], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["encoder"] == "BertEncoder"
    assert result["words"] == ["recall", "is", "tp", "tp", "fn"]
    assert not {"transformers", "sentence_transformers", "sklearn"} & set(result["modules"])


def model_copy(to: Path) -> Path:
    """The bundled model's files in `to` (the weights linked, not copied), to edit."""
    source = bundled_model_path()
    to.mkdir()
    for item in source.iterdir():
        if item.is_dir():
            shutil.copytree(item, to / item.name)
        elif item.name == "model.safetensors":
            os.symlink(item, to / item.name)
        else:
            shutil.copy(item, to / item.name)
    return to


def edit_config(path: Path, change: dict[str, object]) -> None:
    config = path / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), **change}))


@pytest.mark.parametrize(
    "change",
    [
        {"model_type": "roberta"},
        {"position_embedding_type": "relative_key"},
        {"hidden_act": "gelu_new"},
        {"is_decoder": True},
        {"architectures": ["BertForMaskedLM"]},
        {"torch_dtype": "float16"},
        {"dtype": "bfloat16"},
    ],
)
def test_a_configuration_the_torch_encoder_does_not_run_is_refused(
    tmp_path: Path, change: dict[str, object]
) -> None:
    model = model_copy(tmp_path / "model")
    assert isinstance(load_bert(model, 256), BertEncoder)
    edit_config(model, change)
    assert load_bert(model, 256) is None


def test_a_model_without_its_safetensors_weights_or_tokenizer_file_is_refused(tmp_path: Path) -> None:
    weightless = model_copy(tmp_path / "weightless")
    (weightless / "model.safetensors").unlink()
    assert load_bert(weightless, 256) is None
    untokenized = model_copy(tmp_path / "untokenized")
    (untokenized / "tokenizer.json").unlink()
    assert load_bert(untokenized, 256) is None


def test_the_torch_encoder_cuts_at_the_given_length_and_the_models_positions(tmp_path: Path) -> None:
    model = model_copy(tmp_path / "model")
    for asked, cut in ((256, 256), (None, 512), (4096, 512), (16, 16)):
        encoder = load_bert(model, asked)
        assert encoder is not None and encoder.max_seq_length == cut
        _, mask, offsets = encoder(["word " * 600, "a short one"])
        assert mask.shape == (2, cut) and len(offsets[0]) == cut and int(mask[1].sum()) == 5


@pytest.mark.slow
def test_only_the_bundled_model_or_one_the_torch_encoder_refuses_runs_on_transformers(
    embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    unsupported = model_copy(tmp_path / "unsupported")
    edit_config(unsupported, {"hidden_act": "gelu_new"})
    model = load_sentence_model(str(unsupported), "cpu")
    assert isinstance(model, MeanPoolingModel) and isinstance(model.encoder, TransformersEncoder)
    assert model.encode(["L1 vs L2"]).shape == (1, 384)
    other = load_sentence_model(str(model_copy(tmp_path / "other")), "cpu")  # not the bundled directory
    assert isinstance(other, MeanPoolingModel) and isinstance(other.encoder, TransformersEncoder)
    assert np.abs(other.encode(["L1 vs L2"]) - embedder.embed(["L1 vs L2"])).max() <= 2e-6
