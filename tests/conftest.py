"""Shared fixtures: the real MiniLM model (loaded once), a deterministic fake embedder, and a network guard."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
# A test server leaves the grading work per bank entry to the first answers (minutes of CPU for the whole bank).
os.environ.setdefault("INTERVIEWER_PREPARE_ENTRIES", "false")
# Idle OpenMP threads sleep instead of spinning: on a busy 2-core machine spinning made each MiniLM call ~50x slower.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from interviewer.config import PROJECT_DIR, Settings
from interviewer.content.loader import Bank, load_bank
from interviewer.retrieval.embeddings import Embedder, SentenceTransformerEmbedder

from .openai_server import OpenAIServer

if TYPE_CHECKING:
    from gradio_client import Client

    from .web_support import Site

ROOT = PROJECT_DIR


class NetworkBlocked(RuntimeError):
    pass


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0] if isinstance(address, tuple) else None
    if host in ("localhost", None):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection that leaves this machine fails the test that made it."""
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not _is_local(address):
            raise NetworkBlocked(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


class FakeEmbedder(Embedder):
    """Deterministic bag-of-words vectors: texts sharing words are similar. Records every batch it embeds."""

    id = "fake-bow-64"

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    @property
    def dim(self) -> int:
        return 64

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1
            out[row] /= max(np.linalg.norm(out[row]), 1e-9)
        return out


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real bundled all-MiniLM-L6-v2, loaded once for the whole run."""
    model = SentenceTransformerEmbedder()
    model.embed(["warm up"])
    return model


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def bank() -> Bank:
    return load_bank(ROOT / "bank", ROOT / "rubrics")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def llm_server() -> Iterator[OpenAIServer]:
    """One scripted OpenAI-compatible server on 127.0.0.1 for the whole run; `llm` hands it out reset."""
    with OpenAIServer(models=("test-model", "other-model")) as server:
        yield server


@pytest.fixture
def llm(llm_server: OpenAIServer) -> OpenAIServer:
    llm_server.reset()
    return llm_server


@pytest.fixture
def ada(site: Site) -> Client:
    """Ada, logged in to the test module's `site`: a page with `INTERVIEWER_AUTH` users (tests/web_support.py)."""
    return site.login("ada")


@pytest.fixture
def grace(site: Site) -> Client:
    """Grace, logged in to the test module's `site`."""
    return site.login("grace")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, one per browser test module (tests/browser_support.py)."""
    from .browser_support import chromium

    with chromium() as launched:
        yield launched
