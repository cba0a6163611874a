"""The page's model in a process of its own (`ProcessEmbedder`, the page's default: `INTERVIEWER_MODEL_PROCESS`).

In one process the page's Python work (Gradio's queue, the grading rules, the session's save) and the model's
passes share one interpreter lock, so a busy page used one core of two (docs/load-notes.md). Here a child
process, `python -m interviewer.retrieval.model_process`, runs the passes and pools the word vectors; the page
only sends texts and reads back vectors over a socket, the same vectors `SentenceTransformerEmbedder` computes.
The child imports only what the model needs (not Gradio), starts on first use and again if it dies, and ends
when the page does (its socket closes).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.config import BUNDLED_MODEL
from interviewer.errors import EmbeddingModelError
from interviewer.retrieval.embeddings import SentenceTransformerEmbedder, Vectors, WordVectors


class ProcessEmbedder(SentenceTransformerEmbedder):
    """`SentenceTransformerEmbedder` whose model runs in a child process, with `threads` threads per pass (0:
    torch's default); caching and micro-batching stay in this process."""

    def __init__(
        self,
        model: str = BUNDLED_MODEL,
        device: str = "cpu",
        batch_size: int = 64,
        threads: int = 1,
    ):
        super().__init__(model, device, batch_size)
        self.threads = threads
        self._child: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._dim: int | None = None
        self._pipe_lock = threading.Lock()  # one request on the socket at a time

    @property
    def loaded(self) -> bool:
        return self._child is not None and self._child.poll() is None

    @property
    def dim(self) -> int:
        if self._dim is None:
            with self._pipe_lock:
                self._start()
        assert self._dim is not None
        return self._dim

    def _start(self) -> None:
        """Start the child and wait until its model has loaded (the caller holds `_pipe_lock`)."""
        if self.loaded:
            return
        if self._conn is not None:  # a child that died: its socket goes with it
            self._conn.close()
        ours, theirs = socket.socketpair()
        with theirs:
            args = [theirs.fileno(), self.model_name, self.device, self.batch_size, self.threads]
            # The child imports the `interviewer` this process runs, wherever it was started from.
            root = str(Path(__file__).resolve().parents[2])
            env = {
                **os.environ,
                "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
            }
            self._child = subprocess.Popen(
                [sys.executable, "-m", __name__, *map(str, args)], pass_fds=[theirs.fileno()], env=env
            )
        self._conn = Connection(ours.detach())
        self._dim = int(self._receive())

    def _receive(self) -> Any:
        assert self._conn is not None
        try:
            ok, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            self._child = None
            raise EmbeddingModelError(self.model_name, RuntimeError("the model's process ended")) from exc
        if not ok:
            raise EmbeddingModelError(self.model_name, RuntimeError(value))
        return value

    def _ask(self, kind: str, texts: list[str]) -> Any:
        with self._pipe_lock:
            self._start()
            assert self._conn is not None
            try:
                self._conn.send((kind, texts))
            except OSError as exc:
                self._child = None
                raise EmbeddingModelError(self.model_name, RuntimeError("the model's process ended")) from exc
            return self._receive()

    def _embed_batch(self, texts: list[str]) -> Vectors:
        return np.asarray(self._ask("sentences", texts), dtype=np.float32)

    def _embed_words_batch(self, texts: list[str]) -> list[WordVectors]:
        words, sentences = self._ask("words", texts)
        with (
            self._lock
        ):  # as the in-process embedder does: a text embedded for its words needs no second pass
            self._cache.update(zip(texts, sentences, strict=True))
        return list(words)


def serve(conn: Connection, model: str, device: str, batch_size: int, threads: int) -> None:
    """The child: load the model, say its dimension (or why it failed), then answer until the socket closes."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    embedder = SentenceTransformerEmbedder(model, device, batch_size)
    try:
        conn.send((True, embedder.dim))
    except Exception as exc:  # the page says what went wrong, as a local load would
        conn.send((False, str(exc.__cause__ or exc)))
        return
    while True:
        try:
            kind, texts = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if kind == "words":
                words = embedder._embed_words_batch(texts)
                value: Any = (words, np.stack([embedder._cache[t] for t in texts]))
                embedder._cache.clear()
            else:
                value = embedder._embed_batch(texts)
            conn.send((True, value))
        except Exception as exc:
            conn.send((False, f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    from interviewer.retrieval.embeddings import use_runtime_defaults

    use_runtime_defaults()  # before torch is imported
    fd, name, where, batch, count = sys.argv[1:]
    serve(Connection(int(fd)), name, where, int(batch), int(count))
