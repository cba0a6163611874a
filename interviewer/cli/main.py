"""The `interviewer` command: index, inspect and validate the bank, grade answers, evaluate, practise, serve."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from interviewer.config import Settings
from interviewer.errors import ContentError, InterviewerError
from interviewer.grading.guards import check_length
from interviewer.models import Grade, QuestionType, SessionConfig

app = typer.Typer(
    help="A mock interviewer for machine-learning jobs.", no_args_is_help=True, add_completion=False
)
bank_app = typer.Typer(help="Inspect and check the question bank.", no_args_is_help=True)
app.add_typer(bank_app, name="bank")


def _services() -> Any:
    from interviewer.services import Services

    return Services.from_settings(Settings())


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@app.command()
def index() -> None:
    """Build or refresh the question index (only changed entries are embedded)."""
    try:
        report = _services().index()
    except InterviewerError as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"added {len(report.added)}  updated {len(report.updated)}  "
        f"unchanged {len(report.unchanged)}  removed {len(report.removed)}"
        + ("  (rebuilt for a new embedding model)" if report.rebuilt else "")
    )


@bank_app.command("list")
def bank_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every entry: id, question, type, topic, difficulty and sources."""
    try:
        bank = _services().bank
    except InterviewerError as exc:
        raise _fail(str(exc)) from None
    rows = [
        {
            "id": e.id,
            "question": e.question,
            "type": e.type.value,
            "topic": e.topic,
            "difficulty": e.difficulty,
            "sources": [s.model_dump() for s in e.sources],
        }
        for e in sorted(bank.entries.values(), key=lambda e: (e.topic, e.id))
    ]
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        typer.echo(
            f"{row['id']:<48} {row['type']:<14} {row['topic']:<26} d{row['difficulty']}  {row['question']}"
        )
    typer.echo(f"{len(rows)} entries")


@bank_app.command("validate")
def bank_validate() -> None:
    """Check every bank and rubric file; exit 1 listing each problem's file, entry and field."""
    from interviewer.content.loader import load_bank

    settings = Settings()
    try:
        bank = load_bank(settings.bank_dir, settings.rubrics_dir)
    except ContentError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"OK: {len(bank)} entries and {len(bank.rubrics)} rubrics are valid.")


@bank_app.command("schema")
def bank_schema() -> None:
    """Print the JSON Schema of a bank entry, for editor validation."""
    from interviewer.models import BankEntry

    _print_json({"type": "array", "items": BankEntry.model_json_schema()})


@bank_app.command("import")
def bank_import(
    file: Annotated[Path, typer.Argument(help="A question-and-answer document (UTF-8 text).")],
    out: Annotated[Path | None, typer.Option(help="Write the drafts here instead of to stdout.")] = None,
    topic: Annotated[str | None, typer.Option(help="Topic slug for every draft (else guessed).")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite --out if it exists.")] = False,
    offline: Annotated[
        bool, typer.Option(help="Draft key points from the answers' sentences even if an LLM is configured.")
    ] = False,
) -> None:
    """Draft bank entries (YAML) from a document of questions and answers, for you to review."""
    from interviewer.content import bank_import as importer

    try:
        services = _services()
        chat_model = None if offline else services.chat_model
        text, summary = importer.import_file(file, services.settings, topic=topic, chat_model=chat_model)
        if out is not None:
            importer.write_new(out, text, force=force)
    except InterviewerError as exc:
        raise _fail(str(exc)) from None
    if out is None:
        typer.echo(text, nl=False)
    typer.echo(summary + (f" Written to {out}." if out else ""), err=True)


@bank_app.command("coverage")
def bank_coverage(
    files: Annotated[list[Path], typer.Argument(help="Question-and-answer documents.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    threshold: Annotated[
        float | None, typer.Option(min=0, max=1, help="Similarity that counts as covered (default 0.75).")
    ] = None,
) -> None:
    """Each question in the documents and the bank entry covering it; exit 1 if any is uncovered."""
    from interviewer.content import coverage

    services = _services()
    try:
        report = coverage.coverage_of_files(files, services, threshold)
    except InterviewerError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        _print_json(report.as_dict())
    else:
        typer.echo(report.render())
    if report.uncovered:
        raise typer.Exit(1)


def _read_answer(answer: str | None, answer_file: str | None) -> str:
    if (answer is None) == (answer_file is None):
        raise _fail(
            "Give the answer with exactly one of --answer TEXT or --answer-file FILE (use - for stdin)."
        )
    if answer is not None:
        return answer
    assert answer_file is not None
    if answer_file == "-":
        return sys.stdin.read()
    try:
        return Path(answer_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(
            f"Cannot read the answer file {answer_file}: {exc}. Check the path and that it is UTF-8 text."
        ) from None


def _print_grade(grade: Grade) -> None:
    if grade.reference_id:
        similarity = (
            f" (similarity {grade.reference_similarity:.2f})"
            if grade.reference_similarity is not None
            else ""
        )
        typer.echo(f"Graded against bank entry {grade.reference_id}{similarity}.")
    typer.secho(f"Score: {grade.score}/10  [{grade.grader} grader]", bold=True)
    if grade.fallback_reason:
        typer.secho(
            f"The LLM grader was unavailable ({grade.fallback_reason}); graded offline.",
            fg=typer.colors.YELLOW,
        )
    if grade.flags:
        typer.echo(f"Flags: {', '.join(grade.flags)}")
    for c in grade.criteria:
        typer.echo(f"  {c.name:<28} level {c.level}/3  {c.score:>4}/10  {c.rationale}")
    typer.echo("Key points:")
    for k in grade.key_points:
        evidence = f'\n      evidence: "{k.evidence}"' if k.evidence else ""
        typer.echo(f"  [{k.status:^7}] {k.text}{evidence}")
    for m in grade.misconceptions:
        typer.echo(f'Misconception: "{m.evidence}"\n  {m.correction}')
    typer.echo(f"\n{grade.feedback.summary}")


@app.command()
def grade(
    question_id: Annotated[str | None, typer.Option(help="Grade against this bank entry.")] = None,
    question: Annotated[
        str | None, typer.Option(help="A question in your words; the nearest entry is used.")
    ] = None,
    reference: Annotated[
        str | None, typer.Option(help="With --question: grade ad hoc against this answer.")
    ] = None,
    answer: Annotated[str | None, typer.Option(help="The answer to grade.")] = None,
    answer_file: Annotated[
        str | None, typer.Option(help="Read the answer from a file, or - for stdin.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the grade as JSON.")] = False,
) -> None:
    """Grade one answer against a bank entry, the nearest bank entry, or a reference you give."""
    if (question_id is None) == (question is None):
        raise _fail("Give exactly one of --question-id ID or --question TEXT.")
    if reference is not None and question is None:
        raise _fail("--reference goes with --question TEXT, not with --question-id.")
    text = _read_answer(answer, answer_file)
    services = _services()
    try:
        if question_id is not None:
            ref, rubric = services.reference_for_id(question_id)
        elif reference is not None:
            assert question is not None
            ref, rubric = services.ad_hoc_reference(question, reference)
        else:
            assert question is not None
            ref, rubric = services.reference_for_question(question)
        check_length(text, services.settings.max_answer_chars)
        result = services.grader.grade(ref, text, rubric)
    except InterviewerError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        _print_json(result.model_dump(mode="json"))
    else:
        _print_grade(result)


@app.command("eval")
def evaluate(
    data: Annotated[
        Path, typer.Argument(help="JSONL records: question, reference, answer, score, max_score.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write each record back with our score added.")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N records.")] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Answers graded at once (threads); raise it for an LLM grader.")
    ] = 1,
) -> None:
    """Grade human-scored answers and report agreement (Pearson, Spearman, per-question r, RMSE, QWK, ROC AUC),
    beside two baselines scored in the same run: reference-word overlap and plain embedding cosine."""
    from concurrent.futures import ThreadPoolExecutor

    from rich.progress import Progress

    from interviewer.evals import evaluation
    from interviewer.evals.baselines import baselines

    started = time.perf_counter()
    services = _services()
    if services.settings.uses_llm and services.settings.llm_configured and services.chat_model is not None:
        services.chat_model.cooldown = 0.0  # measure every answer: no skipping the LLM after one failure
    try:
        records = evaluation.read_records(data)[:limit]
    except InterviewerError as exc:
        raise _fail(str(exc)) from None

    def baseline_reference(record: dict[str, Any]) -> str:
        if record.get("reference"):
            return str(record["reference"])
        return services.reference_for_question(record["question"])[0].reference_answer

    def grade_record(record: dict[str, Any]) -> Grade:
        if record.get("reference"):
            ref, rubric = services.ad_hoc_reference(record["question"], record["reference"])
        else:
            ref, rubric = services.reference_for_question(record["question"])
        return services.grader.grade(ref, record["answer"], rubric)

    predicted: list[float] = []
    rows: list[dict[str, Any]] = []
    try:
        with Progress(console=_stderr_console(), transient=True) as progress:
            task = progress.add_task("Grading", total=len(records))
            pool = ThreadPoolExecutor(max_workers=concurrency)
            for record, result in zip(records, pool.map(grade_record, records), strict=True):
                ours = evaluation.rescale(result, float(record["max_score"]))
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
    except InterviewerError as exc:
        raise _fail(str(exc)) from None
    fallbacks = [r for r in rows if r["grader"] == "offline-fallback"]
    if fallbacks:
        typer.secho(
            f"{len(fallbacks)} of {len(rows)} answers were graded offline because the LLM grader failed "
            f"(first reason: {fallbacks[0]['fallback_reason']}). Check the endpoint with `interviewer doctor`.",
            fg=typer.colors.YELLOW,
            err=True,
        )
    figures = evaluation.metrics(records, predicted)
    try:
        baseline_figures = {
            name: evaluation.metrics(records, evaluation.baseline_scores(records, score, baseline_reference))
            for name, score in baselines(services.embedder).items()
        }
    except InterviewerError as exc:
        raise _fail(str(exc)) from None
    seconds = time.perf_counter() - started
    if out:
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    if as_json:
        _print_json(
            {
                "data": str(data),
                "grader": services.grader.name,
                **figures.as_dict(),
                "baselines": {name: f.as_dict() for name, f in baseline_figures.items()},
                "seconds": round(seconds, 1),
            }
        )
        return
    typer.echo(
        f"{data}: {figures.n} answers, {figures.questions} questions, {services.grader.name} grader, "
        f"{seconds:.1f} s"
    )
    typer.echo(evaluation.table({services.grader.name: figures, **baseline_figures}))


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


@app.command()
def practice(
    topic: Annotated[list[str] | None, typer.Option(help="Only these topics (repeatable).")] = None,
    type_: Annotated[
        list[QuestionType] | None, typer.Option("--type", help="Only these question types.")
    ] = None,
    difficulty: Annotated[list[int] | None, typer.Option(help="Only these difficulties, 1-3.")] = None,
    questions: Annotated[int, typer.Option(help="How many questions.")] = 3,
    follow_ups: Annotated[int, typer.Option(min=0, max=3, help="Follow-ups per question, 0-3.")] = 1,
    mode: Annotated[
        str, typer.Option(help="study (feedback after each answer) or exam (at the end).")
    ] = "study",
    seed: Annotated[int | None, typer.Option(help="Seed the question choice.")] = None,
    save: Annotated[Path | None, typer.Option(help="Write the transcript here (.md or .json).")] = None,
) -> None:
    """A text interview in the terminal. Type your answer and finish it with an empty line.

    Commands: /skip, /hint, /repeat, /idk (I don't know), /end.
    """
    from interviewer.cli.terminal import run_practice

    if mode not in ("study", "exam"):
        raise _fail("--mode must be study or exam.")
    config = SessionConfig(
        topics=topic or [],
        types=type_ or [],
        difficulties=difficulty or [],
        num_questions=questions,
        max_follow_ups=follow_ups,
        mode=mode,
        seed=seed,
    )
    try:
        run_practice(_services(), config, save)
    except InterviewerError as exc:
        raise _fail(str(exc)) from None


@app.command()
def doctor() -> None:
    """Say which grader is active and check its LLM endpoint and model; exit 1 when something is wrong."""
    from interviewer.llm.doctor import diagnose

    diagnosis = diagnose(Settings())
    typer.echo(diagnosis.render())
    if not diagnosis.ok:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind; default 127.0.0.1.")] = None,
    port: Annotated[int | None, typer.Option(help="Port; default 7860.")] = None,
) -> None:
    """Start the web page (app.py's Gradio app)."""
    from interviewer.web.page import launch

    try:
        launch(_services(), host=host, port=port)
    except InterviewerError as exc:
        raise _fail(str(exc)) from None


if __name__ == "__main__":
    app()
