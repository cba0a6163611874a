"""Time from process start to the page being served, and to grading being ready.

    .venv/bin/python bench/web_startup.py [--runs 3] [--cold [--vectors | --no-shipped]]

Starts `python app.py` as a subprocess with a fresh data directory. By default the checkout's built index
(`.interviewer/chroma`, made by `make run` / `interviewer index`) is copied in, as on any start after the
first; `--cold` starts with no index and no vector cache, as on the very first run of a fresh clone (the index
is built from the bank's vectors shipped in the repository, `interviewer/retrieval/bank_vectors.npz`).
`--cold --no-shipped` hides that file from the server, as before it was shipped: every bank text is encoded.
`--cold --vectors` starts with no index but with a vector cache (`<data>/vectors`, as `interviewer index`
leaves it): the index is built from cached vectors. The cache is made once, before the runs, from a copy of the
checkout's built index (the bank's texts that changed since are encoded then). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from unittest import mock

import web_server
from web_server import Server  # bench/ is on sys.path when a script here runs

from interviewer.config import PROJECT_DIR
from interviewer.content.loader import load_bank
from interviewer.retrieval.embeddings import SentenceTransformerEmbedder
from interviewer.retrieval.store import VECTOR_CACHE_DIR, ChromaQuestionStore


def vector_cache() -> Path:
    """A data directory's vector cache for the bank, made as `interviewer index` makes it."""
    data = Path(tempfile.mkdtemp(prefix="interviewer-vectors-"))
    built = PROJECT_DIR / ".interviewer" / "chroma"
    if built.exists():
        shutil.copytree(built, data / "chroma")
    bank = load_bank(PROJECT_DIR / "bank", PROJECT_DIR / "rubrics")
    report = ChromaQuestionStore.embedded(SentenceTransformerEmbedder(), str(data / "chroma")).sync(
        bank.entries.values()
    )
    print(f"vector cache made from the built index ({report.summary()})")
    return data / VECTOR_CACHE_DIR


def with_vectors(cache: Path) -> AbstractContextManager[object]:
    """While active, each server's fresh data directory starts with a copy of `cache`."""
    make = tempfile.mkdtemp

    def mkdtemp(*args: object, **kwargs: object) -> str:
        made = make(*args, **kwargs)  # type: ignore[call-overload]
        shutil.copytree(cache, Path(made) / VECTOR_CACHE_DIR)
        return str(made)

    return mock.patch.object(web_server.tempfile, "mkdtemp", mkdtemp)


# Runs app.py as `python app.py` would, with the vector cache's shipped file pointed at nothing.
WITHOUT_SHIPPED = (
    "import runpy, sys; from pathlib import Path; import interviewer.retrieval.vector_cache as cache; "
    "cache.BANK_VECTORS = Path('/nonexistent/bank_vectors.npz'); "
    "import interviewer.retrieval.store as store; store.BANK_VECTORS = cache.BANK_VECTORS; "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def without_shipped() -> AbstractContextManager[object]:
    """While active, each server is started with no shipped bank vectors (it logs that it cannot read them)."""
    popen = subprocess.Popen

    def start(args: list[str], *rest: object, **kwargs: object) -> subprocess.Popen[bytes]:
        if args[:1] == [sys.executable]:
            args = [sys.executable, "-c", WITHOUT_SHIPPED, *args[1:]]
        return popen(args, *rest, **kwargs)  # type: ignore[call-overload]

    return mock.patch.object(web_server.subprocess, "Popen", start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="no index yet: it is built in the background")
    parser.add_argument("--vectors", action="store_true", help="with --cold: a vector cache is there")
    parser.add_argument("--no-shipped", action="store_true", help="with --cold: no shipped bank vectors")
    args = parser.parse_args()
    cache = vector_cache() if args.cold and args.vectors else None
    hidden = args.cold and args.no_shipped
    served, ready = [], []
    for run in range(args.runs):
        with with_vectors(cache) if cache else nullcontext(), without_shipped() if hidden else nullcontext():
            server = Server(warm=not args.cold)
        try:
            served.append(server.wait_served())
            ready.append(server.wait_ready())
        finally:
            server.stop()
        print(f"run {run + 1}: page served {served[-1]:5.1f} s, grading ready {ready[-1]:5.1f} s")
    if cache:
        shutil.rmtree(cache.parent, ignore_errors=True)
    kind = "warm (index built)"
    if args.cold:
        kind = "cold (no index, vector cache present)" if cache else "cold (no index, no vector cache)"
        kind = kind[:-1] + (", no shipped vectors)" if hidden else ", shipped vectors)")
    print(
        f"{kind}, median of {args.runs}: page served {statistics.median(served):.1f} s, "
        f"grading ready {statistics.median(ready):.1f} s after process start"
    )


if __name__ == "__main__":
    main()
