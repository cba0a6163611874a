"""`interviewer eval evals/`: grade our own ML answer set through the bank, as the page grades, and print the
figures per kind of answer beside the two baselines, then issue 11's targets."""

from __future__ import annotations

import dataclasses
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from interviewer.cli import shared

if TYPE_CHECKING:
    from interviewer.evals.answer_set import GradedAnswer, Scored
    from interviewer.models import Grade
    from interviewer.services import Services


def evaluate_answer_set(
    services: Services, folder: Path, split: str, as_json: bool, out: Path | None, concurrency: int
) -> None:
    from interviewer.evals import answer_set
    from interviewer.evals.baselines import baselines

    started = time.perf_counter()
    answers = [
        a for a in answer_set.load_answer_set(folder, services.bank.entries) if split in ("all", a.split)
    ]

    def grade(answer: GradedAnswer) -> Grade:
        reference, rubric = services.reference_for_id(answer.question_id)
        return services.grader.grade(reference, answer.answer, rubric)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        grades = list(pool.map(grade, answers))
    columns = {
        services.grader.name: [answer_set.Scored(a, g.score) for a, g in zip(answers, grades, strict=True)]
    }
    for name, score in baselines(services.embedder).items():
        columns[name] = [
            answer_set.Scored(a, 10 * score(services.bank.get(a.question_id).reference_answer, a.answer))
            for a in answers
        ]
    seconds = time.perf_counter() - started
    if out:
        rows = [
            {
                **a.model_dump(),
                "predicted_score": g.score,
                "flags": g.flags,
                "wrong_claims": [{"claim": m.text, "evidence": m.evidence} for m in g.misconceptions],
                "key_points": [{"status": k.status, "similarity": k.similarity} for k in g.key_points],
            }
            for a, g in zip(answers, grades, strict=True)
        ]
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    _print(folder, split, services.grader.name, columns, seconds, as_json)


def _print(
    folder: Path, split: str, grader: str, columns: dict[str, list[Scored]], seconds: float, as_json: bool
) -> None:
    from interviewer.evals import answer_set

    ours = columns[grader]
    if as_json:
        shared.print_json(
            {
                "data": str(folder),
                "split": split,
                "grader": grader,
                "n": len(ours),
                "spearman": round(answer_set.spearman(ours), 4),
                "kinds": [dataclasses.asdict(r) for r in answer_set.kind_rows(ours)],
                "targets": [dataclasses.asdict(t) for t in answer_set.targets(ours)],
                "baselines": {
                    name: {"spearman": round(answer_set.spearman(s), 4)}
                    for name, s in columns.items()
                    if name != grader
                },
                "seconds": round(seconds, 1),
            }
        )
        return
    questions = len({s.answer.question_id for s in ours})
    typer.echo(
        f"{folder} ({split}): {len(ours)} answers, {questions} questions, {grader} grader, {seconds:.1f} s"
    )
    typer.echo(answer_set.kind_table(columns))
    typer.echo("")
    for target in answer_set.targets(ours):
        typer.echo(str(target))
