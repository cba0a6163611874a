"""What the LLM path costs per candidate turn, beyond the LLM itself.

A scripted OpenAI-compatible server (tests/openai_server.py) answers every request after a fixed latency. Whole
interview turns run through `Session.answer` with the LLM grader and the LLM follow-up writer, streaming as the
web page does. For each turn: end-to-end time minus the server's latency times the calls made in that turn
(offline guard grade, prompt building, HTTP, validation, scoring), and the number of LLM calls. After each
question's first answer the candidate also asks "Why did I lose points?" once: those calls are counted apart
from the answered turns.

The scripted grader credits key point 1 with the answer's first sentence and key point 3, in part, with its
last, and asks for a follow-up on key point 2; where the offline reading doubts a credited point, the
verification call is made (the scripted verifier confirms every claim and says no to the decoy among them,
a misconception of the question). So some turns grade with two calls and
then ask the bank's probe as written (the turn's budget of two calls is spent), and others grade with one call
and have the LLM word the follow-up. Each kind of call is reported with its prompt size (characters of the
messages, and of the JSON Schema sent with it; tokens are estimated at 4 characters each, since no tokeniser
for a real model is available offline) and the scripted reply's size.

    .venv/bin/python bench/llm_overhead.py [--latency 0.2] [--questions 40]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from interviewer.config import Settings  # noqa: E402
from interviewer.content.loader import load_bank  # noqa: E402
from interviewer.grading.llm import LLMGrader  # noqa: E402
from interviewer.grading.offline import OfflineGrader  # noqa: E402
from interviewer.grading.verification import Claim, ClaimVerifier  # noqa: E402
from interviewer.interview.explanation import latest_graded_answer  # noqa: E402
from interviewer.interview.follow_ups import LLMFollowUps  # noqa: E402
from interviewer.interview.session import Session  # noqa: E402
from interviewer.interview.why import LLMExplainer, WhyConversation  # noqa: E402
from interviewer.llm.chat_model import OpenAIChatModel  # noqa: E402
from interviewer.models import QuestionType, SessionConfig  # noqa: E402
from interviewer.retrieval.embeddings import SentenceTransformerEmbedder  # noqa: E402
from interviewer.retrieval.store import InMemoryQuestionStore  # noqa: E402
from interviewer.text import sentence_spans  # noqa: E402
from tests.openai_server import (  # noqa: E402
    OpenAIServer,
    Received,
    Reply,
    judgement,
    read_grading_request,
    read_verification_request,
    verdicts,
)


class TimedOfflineGrader(OfflineGrader):
    """The offline grader, adding up the time it takes: the LLM grader runs it first on every answer."""

    spent = 0.0

    def grade(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return super().grade(*args, **kwargs)
        finally:
            self.spent += time.perf_counter() - started


class TimedVerifier(ClaimVerifier):
    """The verification call, adding up the time it takes (the server's latency included)."""

    spent = 0.0

    def confirmed(self, claims: list[Claim], wrong: Sequence[str] = ()) -> set[int]:
        started = time.perf_counter()
        try:
            return super().confirmed(claims, wrong)
        finally:
            self.spent += time.perf_counter() - started


WRONG: set[str] = set()  # every misconception in the bank: the decoys the verifier is shown


def responder(received: Received) -> Reply:
    if received.kind == "text":
        return Reply(
            content="Your first sentence made the main point; the trade-offs were missing, so say more."
        )
    if received.kind == "verify":
        return verdicts(read_verification_request(received), lambda item: item.key_point not in WRONG)
    if received.kind != "grade":
        return Reply.json({"question": "Building on that, what would change if the data were imbalanced?"})
    request = read_grading_request(received)
    spans = sentence_spans(request.answer)
    claims = {1: ("covered", spans[0].text)}
    if request.key_point_count >= 3:
        claims[3] = ("partial", spans[-1].text)
    return Reply.json(
        judgement(
            request,
            points=claims,
            level=2,
            feedback="You made the main point clearly; say more about the trade-offs.",
            next_move={"action": "follow_up", "key_point": 2},
        )
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency", type=float, default=0.2, help="Server latency per request, seconds.")
    parser.add_argument("--questions", type=int, default=40)
    args = parser.parse_args()

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    bank = load_bank(settings.bank_dir, settings.rubrics_dir)
    WRONG.update(m.text for e in bank.entries.values() for m in e.misconceptions)
    embedder = SentenceTransformerEmbedder()
    embedder.embed(["warm up"])
    entries = sorted(
        (e for e in bank.entries.values() if e.type is not QuestionType.CODING and len(e.key_points) >= 3),
        key=lambda e: e.id,
    )[: args.questions]

    overheads: list[float] = []
    offline_part: list[float] = []
    calls: list[int] = []
    by_kind: dict[str, list[int]] = {"main answer": [], "follow-up answer": []}
    why_calls: list[int] = []
    why_overheads: list[float] = []
    verify_overheads: list[float] = []
    probe_as_written = 0
    fallbacks = 0
    with OpenAIServer(latency=args.latency) as server:
        server.responder = responder
        chat = OpenAIChatModel("bench-model", base_url=server.url, timeout=10)
        offline = TimedOfflineGrader(embedder)
        grader = LLMGrader(chat, offline)
        verifier = grader.verifier = TimedVerifier(chat)
        for i, entry in enumerate([entries[0], *entries]):  # the first one warms up, not counted
            session = Session(
                bank,
                InMemoryQuestionStore(embedder),
                grader,
                SessionConfig(question_ids=[entry.id], num_questions=1, max_follow_ups=1),
                follow_ups=LLMFollowUps(chat),
            )
            session.start()
            answers = [
                " ".join(s.text for s in sentence_spans(entry.reference_answer)[:2]),
                entry.key_points[1].text,  # answers the follow-up, which asks about key point 2
            ]
            for kind, answer in zip(by_kind, answers, strict=True):
                if session.finished:
                    break
                before, offline_before, verify_before = (
                    len(server.chat_requests),
                    offline.spent,
                    verifier.spent,
                )
                started = time.perf_counter()
                session.answer(answer, on_text=lambda text: None)
                elapsed = time.perf_counter() - started
                made = len(server.chat_requests) - before
                kinds = [r.kind for r in server.chat_requests[before:]]
                record = session.transcript.questions[0]
                grades = [record.main_grade, *record.follow_up_grades]
                fallbacks += sum(1 for g in grades[-1:] if g and g.grader == "offline-fallback")
                if i == 0:
                    continue
                overheads.append(1000 * (elapsed - made * args.latency))
                offline_part.append(1000 * (offline.spent - offline_before))
                calls.append(made)
                by_kind[kind].append(made)
                if "verify" in kinds:
                    verify_overheads.append(1000 * (verifier.spent - verify_before - args.latency))
                    probe_as_written += record.turns[-1].kind == "follow_up" and "follow_up" not in kinds
                if kind == "main answer":  # the candidate asks why, once, between turns
                    graded = latest_graded_answer(session.transcript, bank)
                    assert graded is not None
                    before = len(server.chat_requests)
                    started = time.perf_counter()
                    WhyConversation(graded, LLMExplainer(chat)).ask(on_text=lambda text: None)
                    elapsed = time.perf_counter() - started
                    made = len(server.chat_requests) - before
                    why_calls.append(made)
                    why_overheads.append(1000 * (elapsed - made * args.latency))

    print(f"LLM path overhead per turn (scripted server, {1000 * args.latency:.0f} ms latency per call)")
    print(f"  turns measured            {len(overheads)} ({args.questions} questions, one follow-up each)")
    print(
        f"  overhead per turn         p50 {statistics.median(overheads):.0f} ms, "
        f"p95 {percentile(overheads, 0.95):.0f} ms"
    )
    llm_only = [o - f for o, f in zip(overheads, offline_part, strict=True)]
    print(
        f"    of which offline grade  p50 {statistics.median(offline_part):.0f} ms, "
        f"p95 {percentile(offline_part, 0.95):.0f} ms (guards, cap and fallback; the same work as offline grading)"
    )
    print(
        f"    the rest (LLM path)     p50 {statistics.median(llm_only):.0f} ms, "
        f"p95 {percentile(llm_only, 0.95):.0f} ms (prompts, HTTP, validation, evidence checks)"
    )
    print(f"  LLM calls per turn        mean {statistics.mean(calls):.2f}, max {max(calls)}")
    print(
        f"    turns with a verification call  {len(verify_overheads)}; follow-ups then asked as the bank's "
        f"probe (no call left) {probe_as_written}"
    )
    if verify_overheads:
        print(
            f"    verification call overhead      p50 {statistics.median(verify_overheads):.0f} ms, "
            f"p95 {percentile(verify_overheads, 0.95):.0f} ms (prompt, HTTP, validation; latency excluded)"
        )
    print(
        f"    answers to a question     mean {statistics.mean(by_kind['main answer']):.2f} (grade, then verify or word the follow-up)"
    )
    if by_kind["follow-up answer"]:
        print(
            f"    answers to a follow-up    mean {statistics.mean(by_kind['follow-up answer']):.2f} (grade, verify if doubted)"
        )
    print(f"  offline fallbacks         {fallbacks}")
    print("Size of each kind of call (prompt: messages + JSON Schema; tokens estimated at 4 characters each)")
    sizes: dict[str, list[tuple[int, int]]] = {}
    for r in server.chat_requests:
        body = r.body or {}
        schema = len(json.dumps(body["response_format"])) if "response_format" in body else 0
        sizes.setdefault(r.kind, []).append((len(r.prompt), schema))
    names = {"grade": "grade", "verify": "verify", "follow_up": "follow-up", "text": "why (text)"}
    for kind, rows in sorted(sizes.items()):
        prompt = statistics.median(p for p, _ in rows)
        schema = statistics.median(s for _, s in rows)
        print(
            f"  {names.get(kind, kind):10} {len(rows):4} calls; prompt p50 {prompt:.0f} chars + schema "
            f"{schema:.0f} (~{(prompt + schema) / 4:.0f} tokens)"
        )
    items = [r.prompt.count("### Item ") for r in server.chat_requests if r.kind == "verify"]
    if items:
        print(
            f"  items per verification call mean {statistics.mean(items):.2f}, max {max(items)} "
            f"(decoys included); verdicts discarded (a decoy confirmed) {verifier.distrusted}"
        )
    print('"Why did I lose points?", asked once after each first answer (not part of the turns above)')
    print(f"  questions asked           {len(why_calls)}")
    print(f"  LLM calls per question    mean {statistics.mean(why_calls):.2f}, max {max(why_calls)}")
    print(
        f"  overhead per question     p50 {statistics.median(why_overheads):.0f} ms, "
        f"p95 {percentile(why_overheads, 0.95):.0f} ms (prompt, HTTP, streaming)"
    )


if __name__ == "__main__":
    main()
