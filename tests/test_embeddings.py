"""Loading the embedding model: from its local folder only, once, and without touching the process environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

from interviewer.retrieval.embeddings import (
    RUNTIME_DEFAULTS,
    SentenceTransformerEmbedder,
    use_runtime_defaults,
)
from interviewer.retrieval.store import ChromaQuestionStore

from .conftest import ROOT, FakeEmbedder

# Runs in a fresh interpreter with none of the offline variables set: only `local_files_only` keeps it offline.
# The model's libraries are imported first, since some of them (scikit-learn, torch) set variables of their own.
LOAD_WITH_NETWORK_WATCHED = """
import json, os, socket
attempts = []
def refuse(*args, **kwargs):
    attempts.append(repr(args[:2]))
    raise OSError("network blocked by the test")
socket.socket.connect = refuse
socket.getaddrinfo = refuse
import sentence_transformers, transformers
from interviewer.retrieval.embeddings import SentenceTransformerEmbedder
before = dict(os.environ)
embedder = SentenceTransformerEmbedder()
vectors = embedder.embed(["Precision is TP/(TP+FP)."])
after = dict(os.environ)
changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
print(json.dumps({"attempts": attempts, "changed": changed, "shape": list(vectors.shape), "env": sorted(after)}))
"""

HUB_VARIABLES = (
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "HF_HUB_DISABLE_PROGRESS_BARS",
)
UNSET = (*HUB_VARIABLES, "TOKENIZERS_PARALLELISM")  # OMP_WAIT_POLICY stays: without it the load is slow


def test_the_model_loads_offline_and_leaves_the_environment_as_it_was() -> None:
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    done = subprocess.run(
        [sys.executable, "-c", LOAD_WITH_NETWORK_WATCHED],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert not set(UNSET) & set(result.pop("env"))
    assert result == {"attempts": [], "changed": [], "shape": [1, 384]}


class CountingEmbedder(SentenceTransformerEmbedder):
    """Loads a stand-in model slowly, counting loads, so racing first callers can be seen."""

    def __init__(self) -> None:
        super().__init__()
        self.loads = 0

    def _load(self) -> Any:
        self.loads += 1
        time.sleep(0.05)
        return object()


def race(action: Any, callers: int = 8) -> list[Any]:
    results: list[Any] = [None] * callers
    start = threading.Barrier(callers)

    def call(i: int) -> None:
        start.wait()
        results[i] = action()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_racing_first_callers_share_one_model_load() -> None:
    embedder = CountingEmbedder()
    models = race(lambda: embedder.model)
    assert embedder.loads == 1 and all(m is models[0] for m in models) and embedder.loaded


class FakeChromaClient:
    def __init__(self) -> None:
        self.opened = 0

    def get_or_create_collection(self, name: str, **kwargs: Any) -> object:
        self.opened += 1
        time.sleep(0.05)
        return object()


def test_racing_first_callers_share_one_chroma_client_and_collection() -> None:
    clients: list[FakeChromaClient] = []

    def factory() -> FakeChromaClient:
        time.sleep(0.05)
        clients.append(FakeChromaClient())
        return clients[-1]

    store = ChromaQuestionStore(FakeEmbedder(), factory)
    assert clients == []  # nothing is opened until it is used
    assert all(c is clients[0] for c in race(lambda: store.client)) and len(clients) == 1
    collections = race(lambda: store._open(create=True))
    assert clients[0].opened == 1 and all(c is collections[0] for c in collections)


def test_runtime_defaults_fill_only_what_the_user_left_unset() -> None:
    environ = {"OMP_WAIT_POLICY": "ACTIVE"}
    use_runtime_defaults(environ)
    assert environ == {**RUNTIME_DEFAULTS, "OMP_WAIT_POLICY": "ACTIVE"}
