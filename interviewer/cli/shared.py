"""What every command needs: the services built from the settings, an error exit, JSON and stderr output.

Commands reach the services through `services()` in this module, so a test can swap them for all commands
with one `monkeypatch.setattr(shared, "services", ...)`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from interviewer.config import Settings

if TYPE_CHECKING:
    from rich.console import Console

    from interviewer.services import Services


def services(*, serving: bool = False) -> Services:
    """The services, after the runtime defaults the model's libraries read at import (the CLI is an entry point);
    `serving` for the web page (`Services.from_settings`)."""
    from interviewer.retrieval.embeddings import use_runtime_defaults

    use_runtime_defaults()
    from interviewer.services import Services

    return Services.from_settings(settings(), serving=serving)


def settings() -> Settings:
    """The settings, or a clear error naming each bad `INTERVIEWER_*` value and what it should be."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        bad = "; ".join(
            f"INTERVIEWER_{'_'.join(str(p) for p in e['loc']).upper()}={e['input']!r}: {e['msg']}"
            for e in exc.errors()
        )
        raise fail(f"{bad}. Fix it in the environment or in .env, or unset it for the default.") from None


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print the error in red on stderr; the caller raises the returned exit."""
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True)
