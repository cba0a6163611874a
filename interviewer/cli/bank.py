"""`interviewer bank ...`: list, validate, describe, import and check the coverage of the question bank."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from interviewer.cli import shared
from interviewer.errors import ContentError, InterviewerError

bank_app = typer.Typer(help="Inspect and check the question bank.", no_args_is_help=True)


@bank_app.command("list")
def bank_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every entry: id, question, type, topic, difficulty and sources."""
    try:
        bank = shared.services().bank
    except InterviewerError as exc:
        raise shared.fail(str(exc)) from None
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
        shared.print_json(rows)
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

    settings = shared.settings()
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

    shared.print_json({"type": "array", "items": BankEntry.model_json_schema()})


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
        services = shared.services()
        chat_model = None if offline else services.chat_model
        text, summary = importer.import_file(file, services.settings, topic=topic, chat_model=chat_model)
        if out is not None:
            importer.write_new(out, text, force=force)
    except InterviewerError as exc:
        raise shared.fail(str(exc)) from None
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

    services = shared.services()
    try:
        report = coverage.coverage_of_files(files, services, threshold)
    except InterviewerError as exc:
        raise shared.fail(str(exc)) from None
    if as_json:
        shared.print_json(report.as_dict())
    else:
        typer.echo(report.render())
    if report.uncovered:
        raise typer.Exit(1)
