"""Running the real `interviewer` console script for the terminal tests, in a data directory of their own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.web_server import small_bank

SCRIPT = str(Path(sys.executable).parent / "interviewer")


def run(
    env: dict[str, str], *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SCRIPT, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300, cwd=cwd or ROOT
    )


def console_env(root: Path, *, columns: int) -> dict[str, str]:
    """This environment without our settings or an OpenAI key: History under `root`, a two-topic bank so the
    index builds in seconds, no colour, and a terminal `columns` wide."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEWER_", "OPENAI_"))}
    environment.update(
        {
            "INTERVIEWER_DATA_DIR": str(root / "data"),
            "INTERVIEWER_BANK_DIR": str(small_bank(root)),
            "HF_HUB_OFFLINE": "1",
            "NO_COLOR": "1",
            "COLUMNS": str(columns),
        }
    )
    return environment
