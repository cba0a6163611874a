"""A throwaway PostgreSQL server for tests: Debian's binaries (`bash .ci/ensure-packages` installs them), a
data folder of its own, a free port on 127.0.0.1, no password (trust), stopped afterwards.

`initdb` refuses to run as root, so as root the server runs as the `postgres` user the package creates."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

SERVER_USER = "postgres"  # the system user Debian's package creates, and the server's superuser


@dataclass
class PostgresServer:
    port: int

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        user = SERVER_USER if password is None else f"{SERVER_USER}:{password}"
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url().replace("+psycopg", ""), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def postgres_bin() -> str:
    """The newest installed PostgreSQL's bin folder; fails (never skips) when there is none."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        pytest.fail(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run `bash .ci/ensure-packages`"
        )
    return os.path.dirname(found[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    bin_dir = postgres_bin()
    as_user: list[str] = []
    root = tempfile.mkdtemp(
        prefix="interviewer-pg-"
    )  # not under pytest's tmp_path, which only root can enter
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", SERVER_USER, "--"]
        shutil.chown(root, SERVER_USER)
    data, log = os.path.join(root, "data"), os.path.join(root, "server.log")

    def run(*command: str) -> None:
        done = subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            server_log = Path(log).read_text() if os.path.exists(log) else ""
            pytest.fail(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}{server_log}")

    port = free_port()
    options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off"  # the socket in our folder; speed over safety
    run(f"{bin_dir}/initdb", "-D", data, "-U", SERVER_USER, "--auth=trust", "-E", "UTF8", "--no-sync")
    run(f"{bin_dir}/pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start")
    try:
        yield PostgresServer(port)
    finally:
        run(f"{bin_dir}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
