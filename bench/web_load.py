"""N simulated candidates at once through gradio_client, on the offline grading path.

    .venv/bin/python bench/web_load.py [--candidates 10 50] [--questions 3]

One `python app.py` subprocess (default settings: queue concurrency INTERVIEWER_WEB_CONCURRENCY=2 on
this machine's cores), except that the per-visitor answer limit is lifted: every simulated candidate comes from
127.0.0.1, so all would count as one visitor (set INTERVIEWER_ANSWERS_PER_MINUTE to keep a limit). Each
candidate is a thread with its own Client: it starts a study session, then answers every question and follow-up
with a few sentences until the interview ends. A turn is one call
(start or answer) from sending to the full reply. Prints p50/p95 turn latency and errors; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import numpy as np
from gradio_client import Client
from web_server import Server  # bench/ is on sys.path when a script here runs

ANSWERS = [
    "Precision is the share of predicted positives that are correct, TP / (TP + FP).",
    "It depends on the cost of errors: I would look at the confusion matrix and pick a threshold.",
    "Regularisation adds a penalty on the weights so the model generalises better.",
    "I would validate on held-out data and compare against a simple baseline first.",
]


def candidate(url: str, questions: int, turns: list[float], errors: list[str], seed: int) -> None:
    try:
        client = Client(url, verbose=False)
        began = time.monotonic()
        out = client.predict([], [], [], questions, 1, "study", 0, "", api_name="/start")
        turns.append(time.monotonic() - began)
        session_id = out[0]
        for n in range(4 * questions):
            said = out[1][-1]["content"]
            text = said[0]["text"] if isinstance(said, list) else str(said)
            if not session_id or text.startswith("That's the end"):
                break
            began = time.monotonic()
            out = client.predict(session_id, ANSWERS[(seed + n) % len(ANSWERS)], api_name="/answer")
            turns.append(time.monotonic() - began)
            if out[3]:
                errors.append(f"notice: {out[3]}")
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")


def run(url: str, n: int, questions: int) -> None:
    turns: list[float] = []
    errors: list[str] = []
    threads = [threading.Thread(target=candidate, args=(url, questions, turns, errors, i)) for i in range(n)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - began
    ms = np.array(turns) * 1000
    print(
        f"N={n:3d}: {len(turns)} turns in {wall:5.1f} s; turn latency p50 {np.percentile(ms, 50):6.0f} ms, "
        f"p95 {np.percentile(ms, 95):6.0f} ms, max {ms.max():6.0f} ms; errors {len(errors)}"
    )
    for error in errors[:5]:
        print(f"   {error}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--questions", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("INTERVIEWER_ANSWERS_PER_MINUTE", "1000000")  # the server inherits the environment
    server = Server()
    try:
        server.wait_served()
        server.wait_ready()
        for n in args.candidates:
            run(server.url, n, args.questions)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
