"""Simulated candidates on the page, through its own queue endpoints, on the offline grading path.

    .venv/bin/python bench/web_load.py back-to-back [--candidates 10 50]
    .venv/bin/python bench/web_load.py realistic [--candidates 50 200 500] [--duration 120]
    .venv/bin/python bench/web_load.py saturation [--rates 0.5 1 2 4 8] [--step 30] [--topic T --warm-up 120]
        [--baseline-commit SHA]

One `python app.py` subprocess with default settings (queue concurrency INTERVIEWER_WEB_CONCURRENCY=3, queue
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
  `--topic` (interviews on one topic) with `--warm-up` (unmeasured seconds first) measures a warm server; the
  warm-up goes on in 10 s steps (up to twice `--warm-up`) until every entry of the topic has been answered.
- saturation `--baseline-commit SHA`: first the same steps against the page of the code at SHA (a `git clone` of
  this checkout in a temp directory, checked out at SHA; the checkout itself is left alone), then against this
  checkout's, and the ratio of the highest rates each held. Both get the same seeded arrivals, the same answer
  generator (on the old server from the old checkout's bank/, so the answers fit the questions it asks), the same
  `--topic` and `--warm-up`, and this venv's python. What differs is what each server starts with, as each would
  after a restart: the old one builds its own index from its own bank/ in a fresh data directory (before it is
  ready, so unmeasured) and keeps no grading work on disk; this checkout's gets the built index and kept grading
  work copied from its .interviewer/ (`Server(warm=True)`). The bare grading runs on this checkout's code only.

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
import subprocess
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

    def extend(self, other: Tally) -> None:
        self.turns += other.turns
        self.answer_turns += other.answer_turns
        self.errors += other.errors
        self.answers += other.answers

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
        pair judgements) do not answer for it. With `--fixed-answers`, one of the four fixed answers instead."""
        if self.fixed_answers:
            return self.rng.choice(FIXED_ANSWERS)
        if self.entry is None:
            return FIXED_ANSWERS[1]  # asked something not in the bank: a generic answer
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


@dataclass
class Stepped:
    """What `saturation` measured: the warm-up's tally, the steps' (their answers are `bare_grading`'s), the
    highest rate offered that held p95 <= `P95_LIMIT` with no errors, and the turns/s delivered at that step."""

    warming: Tally
    measured: Tally
    lines: list[str]  # the printed lines, to print again beside another server's
    held: float = 0.0
    delivered: float = 0.0


async def saturation(
    page: PageClient, bank: Bank, rates: list[float], questions: int, step: float, warm_up: float
) -> Stepped:
    """Step the rate up until a step's turn p95 passes `P95_LIMIT` or a turn fails. `warm_up` seconds at the first
    rate go first, unmeasured; with `--topic`, longer if some entry of the topic has not been answered yet."""
    arrivals = OpenLoop(page, bank, questions)
    done = Stepped(Tally(), Tally(), [])

    def say(line: str) -> None:
        print(line)
        done.lines.append(line)

    if warm_up:
        done.warming, offered = await arrivals.step(rates[0], warm_up)
        if Candidate.topics:  # go on (at most as long again) until every entry of the topic was graded once
            entries = {e.id for e in bank.entries.values() if e.topic in Candidate.topics}
            while entries - {entry_id for entry_id, _ in done.warming.answers} and offered < 2 * warm_up:
                more, seconds = await arrivals.step(rates[0], 10)
                done.warming.extend(more)
                offered += seconds
            answered = entries & {entry_id for entry_id, _ in done.warming.answers}
            short = "" if answered == entries else " (not all: lengthen --warm-up)"
            say(
                f"warm-up answered {len(answered)} of the {len(entries)} entries of {Candidate.topics[0]}{short}"
            )
        say(done.warming.line(f"warm-up at {rates[0]:4.1f}/s, not counted", offered))
    for rate in rates:
        tally, offered = await arrivals.step(rate, step)
        say(tally.line(f"rate {rate:4.1f}/s ({arrivals.made} candidates)", offered))
        show_errors(tally)
        done.measured.turns += tally.turns
        done.measured.answers += tally.answers
        if tally.p95() > P95_LIMIT or tally.errors:
            break
        done.held, done.delivered = rate, len(tally.turns) / offered
    return done


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


async def drive(args: argparse.Namespace, url: str, bank: Bank) -> Stepped | None:
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
    parser.add_argument(
        "--baseline-commit",
        metavar="SHA",
        help="saturation: first the page of the code at this commit (a clone in a temp dir), then this checkout's",
    )
    args = parser.parse_args()
    if args.baseline_commit and args.mode != "saturation":
        parser.error("--baseline-commit is for the saturation mode")
    Candidate.fixed_answers = args.fixed_answers
    Candidate.topics = (args.topic,) if args.topic else ()
    os.environ.setdefault("INTERVIEWER_ANSWERS_PER_MINUTE", "1000000")  # the server inherits the environment
    bank = bank_of(PROJECT_DIR, args.topic)
    if not args.baseline_commit:
        sent = serve_and_drive(args, PROJECT_DIR, bank, "this checkout")
    else:
        old = clone_at(args.baseline_commit)
        try:
            old_bank = bank_of(old, args.topic)
            baseline = serve_and_drive(args, old, old_bank, f"baseline {args.baseline_commit}", warm=False)
        finally:
            shutil.rmtree(old, ignore_errors=True)
        sent = serve_and_drive(args, PROJECT_DIR, bank, f"this checkout ({checkout_state()})")
        assert baseline is not None and sent is not None
        compare(args.baseline_commit, baseline, sent)
    if sent is not None:
        warming, measured = sent.warming, sent.measured
        bare_grading([a for a in warming.answers if a[0]], [a for a in measured.answers if a[0]])


def bank_of(project: Path, topic: str | None) -> Bank:
    """`project`'s own bank (the answers come from it), which must have `topic` if one is asked for."""
    bank = load_bank(project / "bank", project / "rubrics")
    if topic and not any(e.topic == topic for e in bank.entries.values()):
        raise SystemExit(f"no entry of the bank in {project} has the topic {topic!r}")
    return bank


def serve_and_drive(
    args: argparse.Namespace, project: Path, bank: Bank, label: str, warm: bool = True
) -> Stepped | None:
    """One server of `project`'s code, driven with answers from `bank`."""
    if warm and project == PROJECT_DIR and not kept_work_fits():
        print(
            "warning: the grading work kept in .interviewer/vectors is for other grading rules than this code's, so "
            "the server recomputes it in the background while it is measured: run `interviewer index --prepare`"
        )
    server = Server(warm=warm, project=project)
    try:
        server.wait_served()
        ready = server.wait_ready()
        print(
            f"{label}: server pid {server.proc.pid} at {server.url}, ready after {ready:.0f} s; "
            f"nproc {os.cpu_count()}; load average {load()}"
        )
        return asyncio.run(drive(args, server.url, bank))
    finally:
        server.stop()


def kept_work_fits() -> bool:
    """Whether this checkout's .interviewer/ keeps grading work for the grading rules of its code as it is now."""
    from interviewer.config import Settings
    from interviewer.grading import entailment
    from interviewer.grading.entry_work import rules_version

    mode = Settings().pair_model
    rules = rules_version(entailment.default_model() if mode != "off" else None, mode == "all")
    kept = (PROJECT_DIR / ".interviewer" / "vectors").glob("*.entry-work.json")
    return any(json.loads(listing.read_text()).get("rules") == rules for listing in kept)


def clone_at(commit: str) -> Path:
    """A clone of this checkout's repository at `commit`, in a temp directory (the checkout is not touched)."""
    where = Path(tempfile.mkdtemp(prefix="interviewer-baseline-"))
    subprocess.run(["git", "clone", "-q", str(PROJECT_DIR), str(where)], check=True)
    subprocess.run(["git", "-C", str(where), "checkout", "-q", commit], check=True)
    return where


def checkout_state() -> str:
    """This checkout's commit, and whether its code has uncommitted changes (the server runs the working tree)."""
    git = ["git", "--no-optional-locks", "-C", str(PROJECT_DIR)]
    head = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    changed = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no", "--", "interviewer", "app.py"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{head or 'unknown commit'}{' + uncommitted changes' if changed else ''}"


def compare(commit: str, baseline: Stepped, current: Stepped) -> None:
    """Both servers' steps again, one after the other, and the ratio of the highest rates they held."""
    for label, stepped in ((f"baseline {commit}", baseline), ("this checkout", current)):
        print(f"\n{label}:")
        for line in stepped.lines:
            print(f"  {line}")
        print(f"  highest rate held: {stepped.held:g}/s offered, {stepped.delivered:.2f} turns/s delivered")
    if baseline.held and baseline.delivered:
        print(
            f"\nratio this checkout / baseline: {current.held / baseline.held:.2f} (rates offered), "
            f"{current.delivered / baseline.delivered:.2f} (turns/s delivered at those steps)"
        )
    else:
        print("\nratio: none (the baseline held no rate; start --rates lower)")


if __name__ == "__main__":
    main()
