"""The question index: bank entries embedded into ChromaDB, kept in step with the bank files.

Each entry is stored twice, as its question and as its reference answer, so retrieval can match either a
question someone typed or a topic they describe. Every record carries the entry's content hash; the
collection carries the embedder's id. `sync` re-embeds only entries whose hash changed, deletes entries
that left the bank, and rebuilds everything when the embedder changed. An embedded index keeps a `VectorCache`
beside it, so texts encoded before (by any index in that data directory) are read, not encoded again; after a
sync the embedder is handed the bank's cached vectors, so grading an entry does not encode its question and
reference answer again (the largest part of an entry's first grading in a process). That cache also reads the
vectors shipped in the repository (`BANK_VECTORS`), so a fresh clone's first index encodes nothing either.
"""

from __future__ import annotations

import hashlib
import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from interviewer.errors import IndexNotReadyError
from interviewer.models import BankEntry, SearchHit
from interviewer.retrieval.embeddings import Embedder, Vectors
from interviewer.retrieval.vector_cache import BANK_VECTORS, VectorCache

RecordKind = Literal["question", "reference"]


WRITE_BATCH = 2000  # records per ChromaDB write, at most (its own maximum may be lower)
# The vector cache's folder in the data directory, beside the index (`Settings.chroma_path` is <data>/chroma).
VECTOR_CACHE_DIR = "vectors"


def content_hash(entry: BankEntry) -> str:
    """Changes whenever anything that is embedded or filtered on changes."""
    payload = json.dumps(
        [entry.question, entry.reference_answer, entry.topic, entry.type.value, entry.difficulty],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def indexed_texts(entries: Iterable[BankEntry]) -> list[str]:
    """The texts the index embeds for `entries` (each question and reference answer), each once."""
    return list(dict.fromkeys(t for e in entries for t in (e.question, e.reference_answer)))


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rebuilt: bool = False

    @property
    def embedded(self) -> int:
        return len(self.added) + len(self.updated)

    def summary(self) -> str:
        head = "Rebuilt the index for a new embedding model. " if self.rebuilt else ""
        return (
            f"{head}added {len(self.added)}, updated {len(self.updated)}, "
            f"unchanged {len(self.unchanged)}, removed {len(self.removed)}"
        )


@dataclass(frozen=True)
class QuestionFilter:
    topics: Sequence[str] = ()
    types: Sequence[str] = ()
    difficulties: Sequence[int] = ()
    exclude_ids: Sequence[str] = ()


class QuestionStore(ABC):
    """Where bank entries are indexed and found."""

    @abstractmethod
    def sync(self, entries: Iterable[BankEntry]) -> IndexReport:
        """Make the index hold exactly `entries`, embedding only what changed."""

    @abstractmethod
    def search(self, text: str, k: int = 5, kind: RecordKind = "question") -> list[SearchHit]:
        """The `k` entries nearest to `text`, most similar first."""

    @abstractmethod
    def filter(self, spec: QuestionFilter) -> list[str]:
        """Ids of the entries matching `spec`, in a stable order."""


def _entry_metadata(entry: BankEntry, digest: str, kind: RecordKind) -> dict[str, Any]:
    return {
        "entry_id": entry.id,
        "kind": kind,
        "hash": digest,
        "topic": entry.topic,
        "type": entry.type.value,
        "difficulty": entry.difficulty,
    }


def _where(spec: QuestionFilter) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = [{"kind": "question"}]
    if spec.topics:
        clauses.append({"topic": {"$in": list(spec.topics)}})
    if spec.types:
        clauses.append({"type": {"$in": list(spec.types)}})
    if spec.difficulties:
        clauses.append({"difficulty": {"$in": list(spec.difficulties)}})
    if spec.exclude_ids:
        clauses.append({"entry_id": {"$nin": list(spec.exclude_ids)}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class ChromaQuestionStore(QuestionStore):
    """ChromaDB, embedded (`PersistentClient`) or a server (`HttpClient`). Vectors always come from our embedder.

    The client is created on first use, so building the store never touches disk or network; the page's
    concurrent searches share the one client and collection that the first of them opened.
    """

    def __init__(
        self,
        embedder: Embedder,
        client_factory: Any,
        collection_name: str = "questions",
        vector_cache: VectorCache | None = None,
    ):
        self.embedder = embedder
        self.vector_cache = vector_cache
        self._client_factory = client_factory
        self.collection_name = collection_name
        self._client: Any = None
        self._collection: Any = None
        self._client_lock = threading.Lock()
        self._collection_lock = threading.Lock()

    @classmethod
    def embedded(
        cls,
        embedder: Embedder,
        path: str,
        collection_name: str = "questions",
        vector_cache: VectorCache | Literal["beside"] | None = "beside",
    ) -> ChromaQuestionStore:
        """The index at `path`. "beside": when `path` is a data directory's `chroma` folder, the vectors are
        cached in its `vectors` folder (so they outlive the index), over the shipped bank vectors; any other
        path gets no cache."""

        def factory() -> Any:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            return chromadb.PersistentClient(path=path, settings=ChromaSettings(anonymized_telemetry=False))

        if vector_cache == "beside":
            where = Path(path)
            vector_cache = (
                VectorCache(where.parent / VECTOR_CACHE_DIR, shipped=BANK_VECTORS)
                if where.name == "chroma"
                else None
            )
        return cls(embedder, factory, collection_name, vector_cache)

    @classmethod
    def server(
        cls, embedder: Embedder, host: str, port: int, collection_name: str = "questions"
    ) -> ChromaQuestionStore:
        def factory() -> Any:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            return chromadb.HttpClient(
                host=host, port=port, settings=ChromaSettings(anonymized_telemetry=False)
            )

        return cls(embedder, factory, collection_name)

    @property
    def client(self) -> Any:
        client = self._client
        if client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = self._client_factory()
                client = self._client
        return client

    def _open(self, create: bool) -> Any:
        collection = self._collection
        if collection is None:
            with self._collection_lock:
                if self._collection is None:
                    self._collection = self._fetch_collection(create)
                collection = self._collection
        return collection

    def _fetch_collection(self, create: bool) -> Any:
        metadata = {"embedder": self.embedder.id, "hnsw:space": "cosine"}
        if create:
            return self.client.get_or_create_collection(
                self.collection_name, metadata=metadata, embedding_function=None
            )
        try:
            collection = self.client.get_collection(self.collection_name, embedding_function=None)
        except Exception as exc:
            raise IndexNotReadyError(f"collection {self.collection_name!r} not found ({exc})") from exc
        indexed_with = (collection.metadata or {}).get("embedder")
        if indexed_with != self.embedder.id:
            raise IndexNotReadyError(
                f"it was built with embedding model {indexed_with!r}, but {self.embedder.id!r} is configured"
            )
        return collection

    def _existing_hashes(self, collection: Any) -> dict[str, str]:
        found = collection.get(where={"kind": "question"}, include=["metadatas"])
        return {m["entry_id"]: m["hash"] for m in found["metadatas"]}

    def sync(self, entries: Iterable[BankEntry]) -> IndexReport:
        report = IndexReport()
        collection = self._open(create=True)
        if (collection.metadata or {}).get("embedder") != self.embedder.id:
            self.client.delete_collection(self.collection_name)
            self._collection = None
            collection = self._open(create=True)
            report.rebuilt = True
        wanted = {e.id: e for e in entries}
        existing = self._existing_hashes(collection)
        if existing and self.vector_cache is not None and not self.vector_cache.has(self.embedder.id):
            self._fill_cache(collection, self.vector_cache)

        report.removed = sorted(set(existing) - set(wanted))
        if report.removed:
            collection.delete(where={"entry_id": {"$in": report.removed}})

        changed: list[tuple[BankEntry, str]] = []
        for entry_id, entry in wanted.items():
            digest = content_hash(entry)
            if entry_id not in existing:
                report.added.append(entry_id)
            elif existing[entry_id] != digest:
                report.updated.append(entry_id)
            else:
                report.unchanged.append(entry_id)
                continue
            changed.append((entry, digest))

        # ChromaDB refuses a write larger than its maximum batch size (5,461 records on SQLite): write in slices.
        step = max(1, min(WRITE_BATCH, self.client.get_max_batch_size()) // 2)  # two records per entry
        for start in range(0, len(changed), step):
            part = changed[start : start + step]
            texts = [e.question for e, _ in part] + [e.reference_answer for e, _ in part]
            vectors = self._embed(texts)
            collection.upsert(
                ids=[f"{e.id}#question" for e, _ in part] + [f"{e.id}#reference" for e, _ in part],
                embeddings=vectors,
                documents=texts,
                metadatas=[_entry_metadata(e, d, "question") for e, d in part]
                + [_entry_metadata(e, d, "reference") for e, d in part],
            )
        if self.vector_cache is not None:
            self._remember(self.vector_cache, wanted.values())
        return report

    def _remember(self, cache: VectorCache, entries: Iterable[BankEntry]) -> None:
        texts = indexed_texts(entries)
        found = [
            (t, v) for t, v in zip(texts, cache.get(self.embedder.id, texts), strict=True) if v is not None
        ]
        if found:
            self.embedder.remember([t for t, _ in found], np.stack([v for _, v in found]))

    def _embed(self, texts: list[str]) -> Vectors:
        if self.vector_cache is None:
            return self.embedder.embed(texts)
        return self.vector_cache.embed(self.embedder, texts)

    def _fill_cache(self, collection: Any, cache: VectorCache) -> None:
        """Copy an index's vectors into an empty cache (an index built before the cache existed), so that
        `interviewer index` or the page's start fills it without encoding anything."""
        found = collection.get(include=["embeddings", "documents"])
        if found["documents"]:
            cache.put(self.embedder.id, found["documents"], np.asarray(found["embeddings"], dtype=np.float32))

    def search(self, text: str, k: int = 5, kind: RecordKind = "question") -> list[SearchHit]:
        collection = self._open(create=False)
        vector = self.embedder.embed([text])
        result = collection.query(
            query_embeddings=vector,
            n_results=k,
            where={"kind": kind},
            include=["metadatas", "distances", "documents"],
        )
        hits = []
        for meta, distance, document in zip(
            result["metadatas"][0], result["distances"][0], result["documents"][0], strict=True
        ):
            hits.append(
                SearchHit(entry_id=meta["entry_id"], question=document, similarity=round(1.0 - distance, 4))
            )
        return hits

    def filter(self, spec: QuestionFilter) -> list[str]:
        collection = self._open(create=False)
        found = collection.get(where=_where(spec), include=["metadatas"])
        return sorted(m["entry_id"] for m in found["metadatas"])

    def count(self) -> int:
        return int(self._open(create=False).count()) // 2


class InMemoryQuestionStore(QuestionStore):
    """A small exact store over the same embedder, for unit tests of the layers above the index."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self.entries: dict[str, BankEntry] = {}
        self.vectors: dict[tuple[str, RecordKind], np.ndarray] = {}
        self.searches: list[str] = []

    def sync(self, entries: Iterable[BankEntry]) -> IndexReport:
        wanted = {e.id: e for e in entries}
        report = IndexReport(
            added=sorted(set(wanted) - set(self.entries)), removed=sorted(set(self.entries) - set(wanted))
        )
        for entry_id, entry in wanted.items():
            if entry_id in self.entries and content_hash(self.entries[entry_id]) == content_hash(entry):
                report.unchanged.append(entry_id)
                continue
            if entry_id in self.entries:
                report.updated.append(entry_id)
            q, a = self.embedder.embed([entry.question, entry.reference_answer])
            self.vectors[(entry_id, "question")] = q
            self.vectors[(entry_id, "reference")] = a
        self.entries = wanted
        return report

    def search(self, text: str, k: int = 5, kind: RecordKind = "question") -> list[SearchHit]:
        self.searches.append(text)
        query = self.embedder.embed([text])[0]
        scored = [(float(self.vectors[(entry_id, kind)] @ query), entry_id) for entry_id in self.entries]
        scored.sort(reverse=True)
        return [
            SearchHit(entry_id=i, question=self.entries[i].question, similarity=round(s, 4))
            for s, i in scored[:k]
        ]

    def filter(self, spec: QuestionFilter) -> list[str]:
        return sorted(
            e.id
            for e in self.entries.values()
            if (not spec.topics or e.topic in spec.topics)
            and (not spec.types or e.type.value in spec.types)
            and (not spec.difficulties or e.difficulty in spec.difficulties)
            and e.id not in spec.exclude_ids
        )
