"""Simulated candidates on the page, through its own queue endpoints, on the offline grading path.

    .venv/bin/python bench/web_load.py back-to-back [--candidates 10 50]
    .venv/bin/python bench/web_load.py realistic [--candidates 50 200 500] [--duration 120]
    .venv/bin/python bench/web_load.py saturation [--rates 0.5 1 2 4 8] [--step 30] [--topic T --warm-up 120]

One `python app.py` subprocess with default settings (queue concurrency INTERVIEWER_WEB_CONCURRENCY=2, queue
size 64), except that the per-visitor answer limit is lifted: back-to-back and saturation send answers far faster
than a person (set INTERVIEWER_ANSWERS_PER_MINUTE to keep a limit).

Modes:
- back-to-back: every candidate starts at once and sends each answer the moment the last reply arrives, for one
  interview each.
- realistic: each candidate "types" every answer for 15-45 s (seeded), the candidates start spread over the
  first typing interval, and a finished candidate starts a new interview; for `--duration` seconds per N.
- saturation: open-loop arrivals at fixed rates (turns per second, Poisson), each the next turn of a candidate
  not waiting for a reply (a new candidate when all are waiting), `--step` seconds per rate, up to the first rate
  whose turn p95 passes 2 s; then the bare throughput of the grader on the same answers, in this process.
  A fresh server grades a bank entry slowly the first time (per-entry work the grader keeps in memory), so
  `--topic` (interviews on one topic) with `--warm-up` (unmeasured seconds first) measures a warm server.

A candidate answers each question with 1-3 sentences of its bank entry's reference answer and each follow-up with
one of its key points, so answers are on topic and graded in full (`--fixed-answers`: the four fixed answers the first
version of this script sent whatever was asked; the grader stops early on those off topic for the question). A turn is one
call (start or answer) from sending to the full reply. Each candidate is one browser (its own Gradio session and
`iv_owner` cookie) on a shared asyncio HTTP client that speaks Gradio's queue protocol (`PageClient`): a
gradio_client `Client` per candidate costs a heartbeat thread, a thread per call and ~2.4 MB, which is fine for 50
but heavy for 500 on the same two cores as the server. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from web_server import Server  # bench/ is on sys.path when a script here runs

from interviewer.config import PROJECT_DIR
from interviewer.content.loader import Bank, load_bank
from interviewer.models import BankEntry
from interviewer.text import sentence_spans

QUESTION = re.compile(r"Question \d+ of \d+: (.*)", re.DOTALL)
# `--fixed-answers`: the four answers the first version of this script sent whatever was asked. Those off topic for
# the question are stopped early by the grader, so they cost less than answers graded in full.
FIXED_ANSWERS = [
    "Precision is the share of predicted positives that are correct, TP / (TP + FP).",
    "It depends on the cost of errors: I would look at the confusion matrix and pick a threshold.",
    "Regularisation adds a penalty on the weights so the model generalises better.",
    "I would validate on held-out data and compare against a simple baseline first.",
]
FILLERS = (
    "basically really actually roughly typically usually generally simply mostly clearly often just".split()
)
TYPING = (15.0, 45.0)  # seconds a realistic candidate takes to write an answer
P95_LIMIT = 2.0  # seconds: the turn p95 a saturation step must hold


class PageClient:
    """Gradio's queue protocol (sse_v3) on one shared `httpx.AsyncClient`: join the queue, then read the
    session's event stream until this event completes. The same calls the browser and gradio_client make."""

    def __init__(self, url: str):
        self.http = httpx.AsyncClient(
            base_url=url + "gradio_api/",
            timeout=httpx.Timeout(300.0),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=200),
        )
        config = httpx.get(url + "config").json()
        self.fn_index = {d["api_name"]: d["id"] for d in config["dependencies"] if d.get("api_name")}

    async def call(self, api_name: str, data: list[Any], session_hash: str, owner: str) -> list[Any]:
        headers = {"cookie": f"iv_owner={owner}"}
        body = {"data": data, "fn_index": self.fn_index[api_name], "session_hash": session_hash}
        joined = await self.http.post("queue/join", json=body, headers=headers)
        if joined.status_code != 200:
            raise RuntimeError(f"queue/join {joined.status_code}: {joined.text[:200]}")
        event_id = joined.json()["event_id"]
        params = {"session_hash": session_hash}
        async with self.http.stream("GET", "queue/data", params=params, headers=headers) as stream:
            async for line in stream.aiter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") == event_id and message["msg"] == "process_completed":
                    if not message.get("success", True):
                        raise RuntimeError(f"{api_name} failed: {str(message.get('output'))[:200]}")
                    return list(message["output"]["data"])
        raise RuntimeError(f"{api_name}: the stream closed before the event completed")

    async def close(self) -> None:
        await self.http.aclose()


def said(output: list[Any]) -> str:
    """The interviewer's last message in a view."""
    content = output[1][-1]["content"] if output[1] else ""
    return content[0]["text"] if isinstance(content, list) else str(content)


@dataclass
class Tally:
    """What one run measured: turn latencies (s), errors, and the answers sent (for the bare grading)."""

    turns: list[float] = field(default_factory=list)
    answer_turns: list[float] = field(default_factory=list)  # the turns that were answers (not starts)
    errors: list[str] = field(default_factory=list)
    answers: list[tuple[str, str]] = field(default_factory=list)  # (entry id, answer)

    def line(self, label: str, wall: float) -> str:
        ms = np.array(self.turns or [0.0]) * 1000
        answers = np.array(self.answer_turns or [0.0]) * 1000
        return (
            f"{label}: {len(self.turns)} turns in {wall:5.1f} s = {len(self.turns) / wall:5.2f} turns/s; "
            f"p50 {np.percentile(ms, 50):6.0f} ms, p95 {np.percentile(ms, 95):6.0f} ms, max {ms.max():6.0f} ms "
            f"(answers only: {len(answers)}, p50 {np.percentile(answers, 50):.0f} ms, p95 "
            f"{np.percentile(answers, 95):.0f} ms); errors {len(self.errors)}; nproc {os.cpu_count()}; "
            f"load average {load()}"
        )

    def p95(self) -> float:
        return float(np.percentile(self.turns, 95)) if self.turns else 0.0


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class Candidate:
    """One browser: its Gradio session, its cookie, its interview, and what it answers to what it is asked."""

    fixed_answers = False  # `--fixed-answers`
    topics: tuple[str, ...] = ()  # `--topic`

    def __init__(self, page: PageClient, bank: Bank, questions: int, seed: int):
        self.page, self.questions, self.rng = page, questions, random.Random(seed)
        self.by_question = {e.question: e for e in bank.entries.values()}
        self.session_hash, self.owner = secrets.token_hex(6), secrets.token_hex(16)
        self.session_id = ""
        self.entry: BankEntry | None = None
        self.follow_up = False
        self.finished = True  # no interview yet

    async def turn(self, tally: Tally) -> None:
        """Start an interview when none is running, else answer what was asked; time the call."""
        if self.finished:
            api, data = "start", [list(self.topics), [], [], self.questions, 1, "study", 0, ""]
        else:
            answer = self.answer()
            api, data = "answer", [self.session_id, answer]
            tally.answers.append((self.entry.id if self.entry else "", answer))
        began = time.monotonic()
        try:
            out = await self.page.call(api, data, self.session_hash, self.owner)
        except Exception as exc:
            tally.errors.append(f"{type(exc).__name__}: {exc}")
            self.finished = True  # start afresh
            return
        tally.turns.append(time.monotonic() - began)
        if api == "answer":
            tally.answer_turns.append(tally.turns[-1])
        if out[3]:
            tally.errors.append(f"notice: {out[3]}")
        self.session_id = out[0]
        text = said(out)
        self.finished = not self.session_id or text.startswith("That's the end")
        if asked := QUESTION.match(text):
            self.entry = self.by_question.get(asked.group(1).strip())
            self.follow_up = False
        else:
            self.follow_up = True

    def answer(self) -> str:
        """1-3 consecutive sentences of the reference answer, or one key point for a follow-up, each sentence
        varied (`vary`): nearly every answer is new text, as a person's would be, so the grader's caches (vectors,
        pair judgements) do not answer for it."""
        if self.entry is None:
            return (
                "It depends on the cost of errors: I would look at the confusion matrix and pick a threshold."
            )
        if self.follow_up and self.entry.key_points:
            sentences = [self.rng.choice(self.entry.key_points).text]
        else:
            sentences = [s.text for s in sentence_spans(self.entry.reference_answer)]
            size = self.rng.randint(1, min(3, len(sentences)))
            first = self.rng.randrange(len(sentences) - size + 1)
            sentences = sentences[first : first + size]
        return " ".join(self.vary(s) for s in sentences)

    def vary(self, sentence: str) -> str:
        """The sentence with one word left out and a filler word put in, as a person might say it."""
        words = sentence.split(" ")
        if len(words) > 3:
            del words[self.rng.randrange(1, len(words) - 1)]
        words.insert(self.rng.randrange(1, len(words)) if len(words) > 1 else 1, self.rng.choice(FILLERS))
        return " ".join(words)


async def back_to_back(page: PageClient, bank: Bank, n: int, questions: int) -> None:
    tally = Tally()

    async def one(seed: int) -> None:
        candidate = Candidate(page, bank, questions, seed)
        await candidate.turn(tally)
        for _ in range(4 * questions):
            if candidate.finished:
                break
            await candidate.turn(tally)

    began = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(n)))
    print(tally.line(f"N={n:3d}", time.monotonic() - began))
    show_errors(tally)


async def realistic(page: PageClient, bank: Bank, n: int, questions: int, duration: float) -> None:
    tally = Tally()
    began = time.monotonic()
    stop = began + duration

    async def one(seed: int) -> None:
        candidate = Candidate(page, bank, questions, seed)
        await asyncio.sleep(candidate.rng.uniform(0, TYPING[1]))  # people arrive over the first interval
        while time.monotonic() < stop:
            await candidate.turn(tally)
            await asyncio.sleep(candidate.rng.uniform(*TYPING))

    await asyncio.gather(*(one(i) for i in range(n)))
    print(tally.line(f"N={n:3d}", time.monotonic() - began))
    show_errors(tally)


class OpenLoop:
    """Turns arriving at a fixed rate (Poisson), each the next turn of a candidate not waiting for a reply (the
    longest idle first; a new candidate when all are waiting), so the offered load does not slow down with the
    server as it does when each candidate waits for its reply."""

    def __init__(self, page: PageClient, bank: Bank, questions: int):
        self.page, self.bank, self.questions = page, bank, questions
        self.idle: list[Candidate] = []
        self.made = 0

    async def step(self, rate: float, seconds: float) -> tuple[Tally, float]:
        """Offer `rate` turns per second for `seconds`; the tally once every turn offered has its reply."""
        tally, rng, pending = Tally(), random.Random(int(rate * 1000)), set()

        async def one(candidate: Candidate) -> None:
            await candidate.turn(tally)
            self.idle.append(candidate)

        began = time.monotonic()
        next_at = began
        while next_at < began + seconds:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            if self.idle:
                candidate = self.idle.pop(0)
            else:
                candidate, self.made = (
                    Candidate(self.page, self.bank, self.questions, self.made),
                    self.made + 1,
                )
            task = asyncio.create_task(one(candidate))
            pending.add(task)
            task.add_done_callback(pending.discard)
            next_at += rng.expovariate(rate)
        offered = time.monotonic() - began
        await asyncio.gather(*pending)
        return tally, offered


async def saturation(
    page: PageClient, bank: Bank, rates: list[float], questions: int, step: float, warm_up: float
) -> tuple[Tally, Tally]:
    """Step the rate up until a step's turn p95 passes `P95_LIMIT` or a turn fails. `warm_up` seconds at the first
    rate go first, unmeasured. Returns the warm-up's tally and the steps' (their answers are `bare_grading`'s)."""
    arrivals, everything, warming = OpenLoop(page, bank, questions), Tally(), Tally()
    if warm_up:
        warming, offered = await arrivals.step(rates[0], warm_up)
        print(warming.line(f"warm-up at {rates[0]:4.1f}/s, not counted", offered))
    for rate in rates:
        tally, offered = await arrivals.step(rate, step)
        print(tally.line(f"rate {rate:4.1f}/s ({arrivals.made} candidates)", offered))
        show_errors(tally)
        everything.turns += tally.turns
        everything.answers += tally.answers
        if tally.p95() > P95_LIMIT or tally.errors:
            break
    return warming, everything


def show_errors(tally: Tally) -> None:
    for error in tally.errors[:3]:
        print(f"   {error[:300]}")


def bare_grading(warm_up: list[tuple[str, str]], answers: list[tuple[str, str]]) -> None:
    """The shipped grader in this process, warmed up as the page's was (the checkout's index copied, its vectors
    remembered, both models loaded, the warm-up's answers graded untimed), on the answers the page graded, in
    order: the same grading work, first uses of bank entries included, without the page around it."""
    from interviewer.config import Settings
    from interviewer.services import Services

    data = Path(tempfile.mkdtemp(prefix="interviewer-bare-"))
    try:
        for kept in ("chroma", "vectors"):
            built = PROJECT_DIR / ".interviewer" / kept
            if built.exists():
                shutil.copytree(built, data / kept)
        services = Services.from_settings(Settings(data_dir=data))
        services.ensure_index()
        services.prepare_grading()
        services.embedder.embed(["warm up the model"])
        if services.pair_model is not None:
            services.pair_model.load()
        for entry_id, answer in warm_up:
            reference, rubric = services.reference_for_id(entry_id)
            services.grader.grade(reference, answer, rubric)
        cases = [(services.reference_for_id(e), a) for e, a in answers if e in services.bank.entries]
        seconds = []
        began = time.monotonic()
        for (reference, rubric), answer in cases:
            start = time.monotonic()
            services.grader.grade(reference, answer, rubric)
            seconds.append(time.monotonic() - start)
        wall = time.monotonic() - began
    finally:
        shutil.rmtree(data, ignore_errors=True)
    ms = np.array(seconds) * 1000
    print(
        f"bare grading, in process: {len(cases)} answers in {wall:.1f} s = {len(cases) / wall:.2f} answers/s; "
        f"p50 {np.percentile(ms, 50):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms; load average {load()}"
    )


async def drive(args: argparse.Namespace, url: str, bank: Bank) -> tuple[Tally, Tally] | None:
    page = PageClient(url)
    try:
        if args.mode == "back-to-back":
            for n in args.candidates or [10, 50]:
                await back_to_back(page, bank, n, args.questions)
        elif args.mode == "realistic":
            for n in args.candidates or [50, 200, 500]:
                await realistic(page, bank, n, args.questions, args.duration)
        else:
            return await saturation(page, bank, args.rates, args.questions, args.step, args.warm_up)
        return None
    finally:
        await page.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "mode", choices=["back-to-back", "realistic", "saturation"], nargs="?", default="back-to-back"
    )
    parser.add_argument(
        "--candidates", type=int, nargs="+", help="back-to-back: 10 50; realistic: 50 200 500"
    )
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--duration", type=float, default=120, help="realistic: seconds per N")
    parser.add_argument("--rates", type=float, nargs="+", default=[0.5, 1, 2, 3, 4, 6, 8, 10, 12, 16])
    parser.add_argument("--step", type=float, default=30, help="saturation: seconds per rate")
    parser.add_argument("--warm-up", type=float, default=0, help="saturation: unmeasured seconds first")
    parser.add_argument("--topic", help="interviews on this topic only (fewer bank entries to warm up)")
    parser.add_argument("--fixed-answers", action="store_true", help="the first version's four fixed answers")
    args = parser.parse_args()
    Candidate.fixed_answers = args.fixed_answers
    Candidate.topics = (args.topic,) if args.topic else ()
    os.environ.setdefault("INTERVIEWER_ANSWERS_PER_MINUTE", "1000000")  # the server inherits the environment
    bank = load_bank(PROJECT_DIR / "bank", PROJECT_DIR / "rubrics")
    server = Server()
    try:
        server.wait_served()
        server.wait_ready()
        print(f"server pid {server.proc.pid} at {server.url}; nproc {os.cpu_count()}; load average {load()}")
        sent = asyncio.run(drive(args, server.url, bank))
    finally:
        server.stop()
    if sent is not None:
        warming, measured = sent
        bare_grading([a for a in warming.answers if a[0]], [a for a in measured.answers if a[0]])


if __name__ == "__main__":
    main()
