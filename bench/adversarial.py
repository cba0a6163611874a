"""How much each grader trick lifts a weak answer, on real bank questions and Mohler-style questions.

    .venv/bin/python bench/adversarial.py [--cases]

Prints, per trick, the largest and mean lift (tricked score minus the weak answer's score, 0-10 scale) and
whether it stays within the limit of 1 point; `--cases` adds one row per question. Asserts nothing: the
limit is enforced by tests/test_adversarial.py.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from interviewer.config import PROJECT_DIR
from interviewer.content.loader import load_bank
from interviewer.evals.adversarial import MASTER_KEYS, MAX_LIFT, cases, lifts
from interviewer.grading.offline import OfflineGrader
from interviewer.retrieval.embeddings import SentenceTransformerEmbedder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", action="store_true", help="also print the lift on each question")
    args = parser.parse_args()

    bank = load_bank(PROJECT_DIR / "bank", PROJECT_DIR / "rubrics")
    grader = OfflineGrader(SentenceTransformerEmbedder())
    rows = lifts(grader, bank)
    by_trick = defaultdict(list)
    for row in rows:
        by_trick[row.trick].append(row)
    weak = {row.case: row.weak for row in rows}
    print(
        f"offline grader, {len(weak)} questions; weak answers score {min(weak.values()):.1f}-{max(weak.values()):.1f}"
    )
    print(f"| trick | largest lift | mean lift | within {MAX_LIFT:g} point |")
    print("| --- | --- | --- | --- |")
    for trick, found in by_trick.items():
        largest = max(r.lift for r in found)
        mean = sum(r.lift for r in found) / len(found)
        print(f"| {trick} | {largest:+.1f} | {mean:+.1f} | {'yes' if largest <= MAX_LIFT else 'NO'} |")
    alone = [grader.grade(c.reference, key, rubric).score for c, rubric in cases(bank) for key in MASTER_KEYS]
    print(
        f"| master keys alone ({', '.join(repr(k) for k in MASTER_KEYS)}) | highest score {max(alone):.1f} | | |"
    )
    if args.cases:
        print()
        print("| question | weak | " + " | ".join(by_trick) + " |")
        print("| --- " * (len(by_trick) + 2) + "|")
        for case in weak:
            lifts_here = [next(r.lift for r in by_trick[t] if r.case == case) for t in by_trick]
            print(f"| {case} | {weak[case]:.1f} | " + " | ".join(f"{x:+.1f}" for x in lifts_here) + " |")


if __name__ == "__main__":
    main()
