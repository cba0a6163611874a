"""The `interviewer` command: the typer app, its small commands, and the commands of its sibling modules.

`bank.py` holds `interviewer bank ...`, `grade.py` grading one answer, `evaluate.py` `interviewer eval`,
`practice.py` `interviewer practice` and `interviewer ask`, `progress.py` `interviewer progress`. Heavy imports
wait until a command runs.
"""

from __future__ import annotations

from typing import Annotated

import typer

from interviewer.cli import shared
from interviewer.cli.bank import bank_app
from interviewer.cli.evaluate import evaluate
from interviewer.cli.grade import grade
from interviewer.cli.practice import ask, practice
from interviewer.cli.progress import progress
from interviewer.errors import InterviewerError

app = typer.Typer(
    help="A mock interviewer for machine-learning jobs.", no_args_is_help=True, add_completion=False
)
app.add_typer(bank_app, name="bank")


@app.command()
def index(
    prepare: Annotated[
        bool,
        typer.Option(
            help="Also do the offline grader's work per bank entry now and keep it in the data directory "
            "(minutes of CPU the first time), so a server started on it grades every entry's first answer fast."
        ),
    ] = False,
) -> None:
    """Build or refresh the question index (only changed entries are embedded)."""
    try:
        services = shared.services()
        report = services.index()
        work = services.prepare_grading() if prepare else None
        encoded = work.complete() if work is not None else 0
    except InterviewerError as exc:
        raise shared.fail(str(exc)) from None
    typer.echo(
        f"added {len(report.added)}  updated {len(report.updated)}  "
        f"unchanged {len(report.unchanged)}  removed {len(report.removed)}"
        + ("  (rebuilt for a new embedding model)" if report.rebuilt else "")
    )
    if prepare:
        typer.echo(
            f"grading work per entry: kept in the data directory ({encoded} texts encoded)"
            if work is not None
            else "grading work per entry: none to do (the grader has no offline part)"
        )


app.command()(grade)
app.command("eval")(evaluate)
app.command()(practice)
app.command()(ask)
app.command()(progress)


@app.command()
def doctor() -> None:
    """Say which grader is active and check its LLM endpoint and model; exit 1 when something is wrong."""
    from interviewer.llm.doctor import diagnose

    diagnosis = diagnose(shared.settings())
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
        launch(shared.services(serving=True), host=host, port=port)
    except InterviewerError as exc:
        raise shared.fail(str(exc)) from None


if __name__ == "__main__":
    app()
