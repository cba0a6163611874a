"""`interviewer practice`: the interview in a terminal, on the same Session as the web page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import typer

from interviewer.errors import InterviewerError
from interviewer.interview import report
from interviewer.models import SessionConfig, Turn

if TYPE_CHECKING:
    from interviewer.services import Services

COMMANDS = {"/skip": "skip", "/hint": "hint", "/repeat": "repeat", "/idk": "dont_know", "/end": "end"}


def read_answer(stream: TextIO) -> str | None:
    """Lines up to an empty line (or end of input). None at end of input with nothing typed."""
    lines: list[str] = []
    while True:
        line = stream.readline()
        if not line:
            return "\n".join(lines) if lines else None
        line = line.rstrip("\n")
        if not line.strip():
            if lines:
                return "\n".join(lines)
            continue
        if not lines and line.strip().lower() in COMMANDS:
            return line.strip().lower()
        lines.append(line)


def show(turns: list[Turn]) -> None:
    for turn in turns:
        colour = {"question": typer.colors.CYAN, "follow_up": typer.colors.CYAN, "end": typer.colors.GREEN}
        typer.secho(f"\nInterviewer: {turn.text}", fg=colour.get(turn.kind))


def run_practice(
    services: Services, config: SessionConfig, save: Path | None, stream: TextIO | None = None
) -> None:
    import sys

    stream = stream or sys.stdin
    session = services.new_session(config)
    typer.echo(
        "Answer in as many lines as you like; an empty line sends it. Commands: /skip /hint /repeat /idk /end"
    )
    show(session.start())
    while not session.finished:
        typer.echo("\nYou:")
        text = read_answer(stream)
        if text is None:
            show(session.command("end"))
            break
        try:
            show(session.command(COMMANDS[text]) if text in COMMANDS else session.answer(text))  # type: ignore[arg-type]
        except InterviewerError as exc:  # a refused answer or command: say why and go on
            typer.secho(str(exc), fg=typer.colors.YELLOW)
    if config.mode == "exam" or save:
        markdown = report.to_markdown(session.transcript)
        if config.mode == "exam":
            typer.echo("\n" + markdown)
        if save:
            save.write_text(
                report.to_json(session.transcript) if save.suffix == ".json" else markdown, encoding="utf-8"
            )
            typer.echo(f"Transcript saved to {save}")
