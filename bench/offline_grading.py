"""Offline grading latency per answer, beside the bare cost of encoding the same texts, and index build times.

    .venv/bin/python bench/offline_grading.py [--answers N] [--bank] [--no-pairs]

Answers come from ../shared/data/mohler-dev.jsonl when it is there (ad hoc references: no contrasts), else, or
with --bank, from the bank's reference answers graded against their own entries (key points with contrasts;
each entry graded once, so its key points and contrasts are encoded cold, and the pair model reads them against
the reference for the first time). The grader is the shipped one, pair model included unless --no-pairs.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import numpy as np

from interviewer.config import PROJECT_DIR
from interviewer.content.loader import load_bank
from interviewer.grading import entailment
from interviewer.grading.offline import OfflineGrader
from interviewer.models import QuestionType, Reference
from interviewer.retrieval.embeddings import SentenceTransformerEmbedder
from interviewer.retrieval.store import ChromaQuestionStore
from interviewer.text import sentence_spans

MOHLER = PROJECT_DIR.parent / "shared" / "data" / "mohler-dev.jsonl"


def percentiles(seconds: list[float]) -> str:
    ms = np.array(seconds) * 1000
    return f"p50 {np.percentile(ms, 50):7.1f} ms   p95 {np.percentile(ms, 95):7.1f} ms   (n={len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=300)
    parser.add_argument("--bank", action="store_true", help="grade bank reference answers, not Mohler's")
    parser.add_argument("--no-pairs", action="store_true", help="grade without the pair model")
    args = parser.parse_args()

    bank = load_bank(PROJECT_DIR / "bank", PROJECT_DIR / "rubrics")
    if MOHLER.exists() and not args.bank:
        records = [json.loads(line) for line in MOHLER.read_text().splitlines()[: args.answers]]
        cases = [
            (Reference(question=r["question"], reference_answer=r["reference"]), r["answer"]) for r in records
        ]
        source = f"{MOHLER.name} (first {len(cases)})"
    else:
        entries = list(bank.entries.values())[: args.answers]
        cases = [(Reference.from_entry(e), e.reference_answer) for e in entries]
        source = f"bank reference answers ({len(cases)})"

    t0 = time.perf_counter()
    embedder = SentenceTransformerEmbedder()
    embedder.embed(["warm up"])
    print(f"model load: {time.perf_counter() - t0:.2f} s")
    pairs = None if args.no_pairs else entailment.default_model()
    if pairs is not None:
        t0 = time.perf_counter()
        pairs.load()
        print(f"pair model load: {time.perf_counter() - t0:.2f} s")

    rubric = bank.rubric_for(QuestionType.CONCEPT)
    grader = OfflineGrader(embedder, pairs=pairs)
    graded = []
    for reference, answer in cases:
        start = time.perf_counter()
        grader.grade(reference, answer, rubric)
        graded.append(time.perf_counter() - start)

    bare = []
    for reference, answer in cases:
        texts = [
            reference.reference_answer,
            reference.question,
            answer,
            *[s.text for s in sentence_spans(answer)],
        ]
        start = time.perf_counter()
        embedder.model.encode(texts, normalize_embeddings=True)
        bare.append(time.perf_counter() - start)

    print(f"answers: {source}")
    print(f"offline grade per answer:        {percentiles(graded)}")
    print(f"bare encode of the same texts:   {percentiles(bare)}")

    entries = list(bank.entries.values())
    with tempfile.TemporaryDirectory() as tmp:
        fresh = SentenceTransformerEmbedder()  # an empty cache, as on a first run
        fresh._model = embedder.model
        start = time.perf_counter()
        report = ChromaQuestionStore.embedded(fresh, tmp).sync(entries)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        again = ChromaQuestionStore.embedded(fresh, tmp).sync(entries)
        unchanged = time.perf_counter() - start
    print(f"index build, cold:      {cold:6.2f} s  ({report.summary()})")
    print(f"index build, unchanged: {unchanged:6.2f} s  ({again.summary()})")


if __name__ == "__main__":
    main()
