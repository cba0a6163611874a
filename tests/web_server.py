"""Running the real web page for tests: in this process (sharing the loaded model) or as a subprocess.

Both use a small copy of the bank (two topic files) so the index builds in a second or two, and a
temporary data directory, so the checkout's `.interviewer/` is never touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gradio as gr
from gradio_client import Client

from interviewer.config import PROJECT_DIR, Settings
from interviewer.retrieval.embeddings import Embedder
from interviewer.retrieval.store import ChromaQuestionStore
from interviewer.services import Services

TOPICS = ("evaluation-metrics", "linear-models")


def small_bank(root: Path) -> Path:
    bank = root / "bank"
    bank.mkdir(parents=True, exist_ok=True)
    for topic in TOPICS:
        shutil.copy(PROJECT_DIR / "bank" / f"{topic}.yaml", bank / f"{topic}.yaml")
    return bank


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def page_settings(root: Path, **extra: object) -> Settings:
    # In process, the tests' own model keeps every core. A module's tests share one page and one address, and
    # send answers faster than any candidate: the per-minute limit (tested in test_hardening) would refuse some.
    extra = {"model_threads": 0, "answers_per_minute": 1000, **extra}
    return Settings(  # type: ignore[call-arg]
        data_dir=root / "data", bank_dir=small_bank(root), _env_file=None, **extra
    )


def in_process_services(settings: Settings, embedder: Embedder) -> Services:
    store = ChromaQuestionStore.embedded(embedder, str(settings.chroma_path), settings.chroma_collection)
    return Services(settings=settings, embedder=embedder, store=store)


def serve_in_process(root: Path, embedder: Embedder, **settings: object) -> tuple[gr.Blocks, str]:
    """The page in this process on a free port, once grading is ready; returns it and its address."""
    from interviewer.web.page import launch

    services = in_process_services(page_settings(root, **settings), embedder)
    port = free_port()
    page = launch(services, port=port, block=False)
    url = f"http://127.0.0.1:{port}/"
    if "auth" not in settings:
        wait_until_ready(url)
    return page, url


@contextmanager
def served(root: Path, embedder: Embedder, **settings: object) -> Iterator[str]:
    """`serve_in_process` for a `with` block or a fixture: the page's address, and the page closed after."""
    page, url = serve_in_process(root, embedder, **settings)
    yield url
    page.close()


def wait_until_ready(url: str, auth: tuple[str, str] | None = None, timeout: float = 180) -> Client:
    """A client for the page once it says grading is ready."""
    client = Client(url, verbose=False, auth=auth)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _ = client.predict(api_name="/status")
        if "ready" in status:
            return client
        time.sleep(0.5)
    raise TimeoutError(f"grading never became ready at {url}: last status {status!r}")


class ServerProcess:
    """`python app.py` as a real subprocess, on a free port, with its own environment."""

    def __init__(self, root: Path, port: int | None = None):
        self.root = root
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = root / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        env = {
            **os.environ,
            "INTERVIEWER_DATA_DIR": str(self.root / "data"),
            "INTERVIEWER_BANK_DIR": str(small_bank(self.root)),
            "INTERVIEWER_PORT": str(self.port),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
        }
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(PROJECT_DIR / "app.py")], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def wait_served(self, timeout: float = 120) -> float:
        """Seconds until the page answers HTTP 200."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"page not served in {timeout}s:\n{self.log.read_text()[-3000:]}")

    def stop(self, kill: bool = False) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
