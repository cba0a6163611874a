"""`interviewer eval DATA.jsonl`: grade human-scored answers and print agreement beside two baselines.

The figures come from `interviewer.evals`; this module only runs the grading (in threads, with a progress
bar on stderr), warns when the LLM grader fell back, and prints. numpy, scipy and scikit-learn load only
when the command runs, so the other commands start fast.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from interviewer.cli import shared
from interviewer.errors import InterviewerError
from interviewer.models import Grade

if TYPE_CHECKING:
    from interviewer.evals.evaluation import Metrics
    from interviewer.services import Services

Record = dict[str, Any]


def evaluate(
    data: Annotated[
        Path,
        typer.Argument(
            help="JSONL records (question, reference, answer, score, max_score), or an answer set folder (evals/)."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write each record back with our score added.")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N records.")] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Answers graded at once (threads); raise it for an LLM grader.")
    ] = 1,
    split: Annotated[
        str, typer.Option(help="For an answer set folder: dev (tune on it), test (report it) or all.")
    ] = "test",
) -> None:
    """Grade human-scored answers and report agreement (Pearson, Spearman, per-question r, RMSE, QWK, ROC AUC),
    beside two baselines scored in the same run: reference-word overlap and plain embedding cosine."""
    from interviewer.evals import evaluation

    started = time.perf_counter()
    services = measuring_services()
    if split not in ("dev", "test", "all"):
        raise shared.fail(f"--split is dev, test or all, not {split!r}.")
    try:
        if data.is_dir():
            from interviewer.cli.evaluate_set import evaluate_answer_set

            return evaluate_answer_set(services, data, split, as_json, out, concurrency)
        records = evaluation.read_records(data)[:limit]
        predicted, rows = grade_records(services, records, concurrency)
        warn_about_fallbacks(rows)
        figures = evaluation.metrics(records, predicted)
        baselines = baseline_figures(services, records)
    except InterviewerError as exc:
        raise shared.fail(str(exc)) from None
    seconds = time.perf_counter() - started
    if out:
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print_figures(data, services.grader.name, figures, baselines, seconds, as_json)


def measuring_services() -> Services:
    """The services, with the LLM grader (if any) asked about every answer: no skipping it after one failure."""
    services = shared.services()
    if services.settings.uses_llm and services.settings.llm_configured and services.chat_model is not None:
        services.chat_model.cooldown = 0.0
    return services


def grade_record(services: Services, record: Record) -> Grade:
    """Our grade of one record: against its own reference, or else against the nearest bank entry."""
    if record.get("reference"):
        ref, rubric = services.ad_hoc_reference(record["question"], record["reference"])
    else:
        ref, rubric = services.reference_for_question(record["question"])
    return services.grader.grade(ref, record["answer"], rubric)


def grade_records(
    services: Services, records: list[Record], concurrency: int
) -> tuple[list[float], list[Record]]:
    """Our score of each record on its own scale, and each record with our score and grader added."""
    from concurrent.futures import ThreadPoolExecutor

    from rich.progress import Progress

    from interviewer.evals.evaluation import rescale

    predicted: list[float] = []
    rows: list[Record] = []
    with Progress(console=shared.stderr_console(), transient=True) as progress:
        task = progress.add_task("Grading", total=len(records))
        pool = ThreadPoolExecutor(max_workers=concurrency)
        grades = pool.map(lambda record: grade_record(services, record), records)
        for record, result in zip(records, grades, strict=True):
            ours = rescale(result, float(record["max_score"]))
            predicted.append(ours)
            rows.append(
                {
                    **record,
                    "predicted_score": round(ours, 3),
                    "grader": result.grader,
                    "fallback_reason": result.fallback_reason,
                    "flags": result.flags,
                    "reference_id": result.reference_id,
                }
            )
            progress.advance(task)
        pool.shutdown()
    return predicted, rows


def warn_about_fallbacks(rows: list[Record]) -> None:
    fallbacks = [r for r in rows if r["grader"] == "offline-fallback"]
    if fallbacks:
        typer.secho(
            f"{len(fallbacks)} of {len(rows)} answers were graded offline because the LLM grader failed "
            f"(first reason: {fallbacks[0]['fallback_reason']}). Check the endpoint with `interviewer doctor`.",
            fg=typer.colors.YELLOW,
            err=True,
        )


def baseline_figures(services: Services, records: list[Record]) -> dict[str, Metrics]:
    """The figures of each baseline on the same records, each against the reference our grader used."""
    from interviewer.evals import evaluation
    from interviewer.evals.baselines import baselines

    def reference(record: Record) -> str:
        if record.get("reference"):
            return str(record["reference"])
        return services.reference_for_question(record["question"])[0].reference_answer

    return {
        name: evaluation.metrics(records, evaluation.baseline_scores(records, score, reference))
        for name, score in baselines(services.embedder).items()
    }


def print_figures(
    data: Path,
    grader: str,
    figures: Metrics,
    baselines: dict[str, Metrics],
    seconds: float,
    as_json: bool,
) -> None:
    """Ours beside the baselines': as JSON (baselines nested), or as a table under a one-line summary."""
    from interviewer.evals import evaluation

    if as_json:
        shared.print_json(
            {
                "data": str(data),
                "grader": grader,
                **figures.as_dict(),
                "baselines": {name: f.as_dict() for name, f in baselines.items()},
                "seconds": round(seconds, 1),
            }
        )
        return
    typer.echo(
        f"{data}: {figures.n} answers, {figures.questions} questions, {grader} grader, {seconds:.1f} s"
    )
    typer.echo(evaluation.table({grader: figures, **baselines}))
