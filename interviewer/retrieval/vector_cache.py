"""Vectors computed before, kept on disk, so an unchanged text is never encoded twice across runs.

The index uses it for the bank's questions and reference answers: building an index in a fresh data directory
(the page's first run, `interviewer index` after the index was removed, an entry whose topic or difficulty alone
changed) then reads the vectors instead of encoding ~700 long texts again. Candidates' answers never go in.

A row's key is sha256(model id + NUL + text), so a changed text or another model simply misses. Each model has two
files in the cache directory, written whole and swapped in atomically: `<model>.npy` (float32 rows) and
`<model>.json` (the key of each row, in order). A pair that does not agree (a crash between the two swaps, a
hand edit) is ignored and rewritten. The cache only grows (two rows of 1.5 KB per edited entry); delete the
directory to empty it.

Under those rows a cache can read a `ShippedVectors` file, read-only: the repository ships the bank's vectors
(`BANK_VECTORS`, see `interviewer.retrieval.bank_vectors`), so even the very first run encodes only the texts
edited since that file was built. The cache's own files never copy the shipped rows.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from interviewer.retrieval.embeddings import Embedder, Vectors

log = logging.getLogger(__name__)

# The bank's question and reference-answer vectors under the bundled model, built by `make vectors`.
BANK_VECTORS = Path(__file__).with_name("bank_vectors.npz")


def vector_key(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\0{text}".encode()).hexdigest()


@dataclass(frozen=True)
class ShippedVectors:
    """Vectors of one model kept in the repository: a NumPy `.npz` of `model` (the embedder id), `keys` (n rows
    of 32 bytes, the sha256 digests of `vector_key`, sorted) and `vectors` (n rows, float16).

    float16 halves the file. A row is read back as the float16 values widened to float32, not scaled again, so
    rebuilding the file rewrites a kept row bit for bit; it differs from the model's own float32 row by rounding
    alone (figures in docs/startup-notes.md)."""

    model: str
    rows: Mapping[str, np.ndarray]  # vector_key -> float32 vector (read from the file: unit length to ~1e-4)

    @classmethod
    def read(cls, path: Path) -> ShippedVectors:
        """The file at `path`; raises OSError or ValueError when it is missing or not such a file."""
        with np.load(path, allow_pickle=False) as found:
            model, keys, vectors = str(found["model"]), found["keys"], found["vectors"]
        if keys.ndim != 2 or keys.shape[1] != 32 or vectors.ndim != 2 or len(keys) != len(vectors):
            raise ValueError(f"{path} does not hold one 32-byte key per vector")
        matrix = vectors.astype(np.float32)
        return cls(model, dict(zip((bytes(k).hex() for k in keys), matrix, strict=True)))

    def write(self, path: Path) -> None:
        """Rows sorted by key: a rebuild after an edit leaves every other row's bytes as they were."""
        keys = sorted(self.rows)
        with open(f"{path}.tmp", "wb") as f:
            np.savez(
                f,
                model=np.array(self.model),
                keys=np.array([np.frombuffer(bytes.fromhex(k), dtype=np.uint8) for k in keys]).reshape(
                    -1, 32
                ),
                vectors=np.stack([self.rows[k] for k in keys]).astype(np.float16)
                if keys
                else np.zeros((0, 0), dtype=np.float16),
            )
        os.replace(f"{path}.tmp", path)


class VectorCache:
    """An on-disk map from (model, text) to its unit vector. Thread-safe; processes sharing it may lose each
    other's newest rows (the last to write wins), never get a wrong one."""

    def __init__(self, directory: Path, shipped: Path | None = None):
        """`shipped`: a `ShippedVectors` file read under the cache's own rows (a missing or unreadable one is
        left out with a warning: it only costs time)."""
        self.directory = Path(directory)
        self.shipped = shipped
        self._rows: dict[str, dict[str, np.ndarray]] = {}  # model id -> key -> vector, read on first use
        self._shipped_rows: ShippedVectors | None = None
        self._lock = threading.Lock()

    def _shipped(self, model_id: str) -> Mapping[str, np.ndarray]:
        """The shipped rows of `model_id`, read from disk once. Caller holds the lock."""
        if self.shipped is None:
            return {}
        if self._shipped_rows is None:
            try:
                self._shipped_rows = ShippedVectors.read(self.shipped)
            except (OSError, ValueError, KeyError) as exc:
                log.warning(
                    "shipped vectors %s are unreadable (%s); encoding the bank instead", self.shipped, exc
                )
                self._shipped_rows = ShippedVectors("", {})
        return self._shipped_rows.rows if self._shipped_rows.model == model_id else {}

    def _stem(self, model_id: str) -> Path:
        return self.directory / hashlib.sha256(model_id.encode()).hexdigest()[:16]

    def _load(self, model_id: str) -> dict[str, np.ndarray]:
        """The rows of `model_id`, read from disk once. Caller holds the lock."""
        rows = self._rows.get(model_id)
        if rows is None:
            rows = {}
            stem = self._stem(model_id)
            try:
                if stem.with_suffix(".json").exists():
                    keys = json.loads(stem.with_suffix(".json").read_text())["keys"]
                    matrix = np.load(stem.with_suffix(".npy"), allow_pickle=False)
                    if matrix.ndim == 2 and len(keys) == len(matrix):
                        rows = dict(zip(keys, matrix.astype(np.float32, copy=False), strict=True))
                    else:
                        log.warning("vector cache %s is inconsistent; starting it again", stem)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("vector cache %s is unreadable (%s); starting it again", stem, exc)
            self._rows[model_id] = rows
        return rows

    def __len__(self) -> int:
        with self._lock:
            return sum(len(rows) for rows in self._rows.values())

    def has(self, model_id: str) -> bool:
        """Whether the cache's own files hold anything for `model_id` (shipped rows do not count)."""
        with self._lock:
            return bool(self._load(model_id))

    def get(self, model_id: str, texts: Sequence[str]) -> list[np.ndarray | None]:
        with self._lock:
            rows, shipped = self._load(model_id), self._shipped(model_id)
            keys = [vector_key(model_id, t) for t in texts]
            return [rows[k] if k in rows else shipped.get(k) for k in keys]

    def put(self, model_id: str, texts: Sequence[str], vectors: Vectors) -> None:
        """Add rows and write the model's files (whole, then swapped in)."""
        if not len(texts):
            return
        with self._lock:
            rows = self._load(model_id)
            for text, vector in zip(texts, vectors, strict=True):
                rows[vector_key(model_id, text)] = np.asarray(vector, dtype=np.float32)
            self._write(model_id, rows)

    def _write(self, model_id: str, rows: dict[str, np.ndarray]) -> None:
        stem = self._stem(model_id)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            keys = list(rows)
            matrix = np.stack([rows[k] for k in keys])
            npy, index = stem.with_suffix(".npy"), stem.with_suffix(".json")
            with open(f"{npy}.tmp", "wb") as f:
                np.save(f, matrix, allow_pickle=False)
            Path(f"{index}.tmp").write_text(json.dumps({"model": model_id, "keys": keys}))
            os.replace(f"{npy}.tmp", npy)
            os.replace(f"{index}.tmp", index)
        except OSError as exc:  # a cache that cannot be written only costs time
            log.warning("could not write the vector cache %s: %s", stem, exc)

    def embed(self, embedder: Embedder, texts: Sequence[str]) -> Vectors:
        """`embedder.embed(texts)`, reading the texts encoded before from the cache and adding the others."""
        found = self.get(embedder.id, texts)
        missing = list(dict.fromkeys(t for t, v in zip(texts, found, strict=True) if v is None))
        if not missing:
            if not texts:
                return np.zeros((0, embedder.dim), dtype=np.float32)
            return np.stack([v for v in found if v is not None])
        fresh = embedder.embed(missing)
        self.put(embedder.id, missing, fresh)
        computed = dict(zip(missing, fresh, strict=True))
        return np.stack(
            [v if v is not None else computed[t] for t, v in zip(texts, found, strict=True)]
        ).astype(np.float32, copy=False)
