"""The group deployment of deploy/README.md, started for real on 127.0.0.1: a Chroma server (`chroma run`),
two `interviewer serve` replicas configured from deploy/interviewer.env, and Debian's nginx in front of them
with deploy/nginx.conf. PostgreSQL comes from tests/postgres_support.py.

Each part runs from a folder of its own on a free port and is stopped afterwards, however the test ended.
The shipped files are used as they are: only the values the README tells an admin to change are filled in.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from interviewer.config import PROJECT_DIR
from tests.postgres_support import free_port

DEPLOY_DIR = PROJECT_DIR / "deploy"
BIN_DIR = Path(sys.executable).parent  # .venv/bin: `interviewer` and `chroma`
NGINX_USER = "www-data"  # as root, nginx runs as this user (Debian's own for nginx), never as root
# The command deploy/README.md starts a replica (or runs `interviewer index`) with: the env file's variables
# exported, then the command in their place.
WITH_ENV_FILE = 'set -a && . "$1" && set +a && exec "$2" "$3"'
# Anything in a subprocess that tries the network through a proxy-aware client fails at once: no test
# reaches beyond 127.0.0.1.
OFFLINE = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost",
}


def fill(template: str, values: dict[str, str]) -> str:
    """The nginx template with its `@NAME@` placeholders filled; every one must be filled, and exist."""
    for name, value in values.items():
        assert f"@{name}@" in template, f"deploy/nginx.conf has no @{name}@ placeholder"
        template = template.replace(f"@{name}@", value)
    left = re.findall(r"@[A-Z_0-9]+@", template)
    assert not left, f"placeholders left unfilled in deploy/nginx.conf: {left}"
    return template


def env_file_with(values: dict[str, str]) -> str:
    """deploy/interviewer.env with these variables' values changed (each must be set there already)."""
    text = (DEPLOY_DIR / "interviewer.env").read_text()
    for name, value in values.items():
        text, found = re.subn(rf"(?m)^{name}=.*$", f"{name}={value}", text)
        assert found == 1, f"deploy/interviewer.env does not set {name} once"
    return text


def subprocess_env(**extra: str) -> dict[str, str]:
    """The test's environment without its own INTERVIEWER_ settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEWER_")}
    return {**env, **OFFLINE, **extra}


def stop(process: subprocess.Popen[bytes], *, kill: bool = False) -> None:
    """Stop a process started in a session of its own (`start_new_session`), with any children it has."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass


def wait_for_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 180) -> None:
    """Until `url` answers 200; fails with the process's log when it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args!r} exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} not answering after {timeout} s:\n{log.read_text()[-3000:]}")


@contextmanager
def running_chroma(root: Path) -> Iterator[int]:
    """`chroma run` on a free port with its data in `root`; yields the port."""
    port = free_port()
    log = root / "chroma.log"
    command = [str(BIN_DIR / "chroma"), "run", "--path", str(root / "chroma"), "--host", "127.0.0.1"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env=subprocess_env(ANONYMIZED_TELEMETRY="False"),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", process, log, timeout=60)
        yield port
    finally:
        stop(process)


@dataclass
class Replica:
    """One `interviewer serve`, started from its own copy of deploy/interviewer.env."""

    root: Path
    port: int
    env_file: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}/"

    def start(self, bank_dir: Path) -> Replica:
        self.process = run_with_env_file(self.env_file, "serve", bank_dir, self.log, self.root)
        return self

    def stop(self, *, kill: bool = False) -> None:
        if self.process is not None:
            stop(self.process, kill=kill)


def replica(root: Path, name: str, database_url: str, chroma_port: int) -> Replica:
    """A replica's folder and env file: deploy/interviewer.env with the values changed per replica."""
    folder = root / name
    folder.mkdir()
    port = free_port()
    env_file = folder / f"{name}.env"
    env_file.write_text(
        env_file_with(
            {
                "INTERVIEWER_PORT": str(port),
                "INTERVIEWER_DATA_DIR": str(folder / "data"),
                "GRADIO_TEMP_DIR": str(folder / "data" / "gradio"),
                "INTERVIEWER_DATABASE_URL": database_url,
                "INTERVIEWER_CHROMA_PORT": str(chroma_port),
            }
        )
    )
    return Replica(folder, port, env_file, folder / "interviewer.log")


def run_with_env_file(
    env_file: Path, command: str, bank_dir: Path, log: Path, cwd: Path
) -> subprocess.Popen[bytes]:
    """`interviewer <command>` with the env file's variables, as deploy/README.md runs it. The bank is the
    tests' two-topic copy (INTERVIEWER_BANK_DIR), so indexing takes seconds, not minutes."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                "bash",
                "-c",
                WITH_ENV_FILE,
                "with-env-file",
                str(env_file),
                str(BIN_DIR / "interviewer"),
                command,
            ],
            env=subprocess_env(INTERVIEWER_BANK_DIR=str(bank_dir)),
            cwd=cwd,  # not the checkout: no .env file is read
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def nginx_binary() -> str:
    """Debian's nginx; fails (never skips) when it is not installed."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found is None:
        pytest.fail("nginx is not installed: run `bash .ci/ensure-packages` (it installs Debian's nginx)")
    return found


@dataclass
class Proxy:
    """nginx in front of the replicas: its address, and what its access log says about routing."""

    port: int
    prefix: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def replicas_for(self, route: str) -> list[str]:
        """The replica each request of a browser (its `iv_replica` cookie) reached, in order; a request
        that tried a replica that was down shows both ("127.0.0.1:1, 127.0.0.1:2")."""
        found = []
        for line in (self.prefix / "access.log").read_text().splitlines():
            served = re.search(r" replica=(.*) route=(\S+)$", line)
            if served and served.group(2) == route:
                found.append(served.group(1))
        return found


@contextmanager
def running_nginx(replicas: list[Replica]) -> Iterator[Proxy]:
    """nginx with deploy/nginx.conf filled in, from a folder of its own, as an unprivileged user."""
    nginx = nginx_binary()
    prefix = Path(
        tempfile.mkdtemp(prefix="interviewer-nginx-")
    )  # not pytest's tmp_path: www-data can't enter
    user = NGINX_USER if os.geteuid() == 0 else None
    if user is not None:
        shutil.chown(prefix, user, user)
    port = free_port()
    conf = prefix / "nginx.conf"
    template = (DEPLOY_DIR / "nginx.conf").read_text()
    conf.write_text(
        fill(
            template,
            {
                "LISTEN": f"127.0.0.1:{port}",
                "REPLICA_1": replicas[0].address,
                "REPLICA_2": replicas[1].address,
            },
        )
    )
    log = prefix / "error.log"
    process = subprocess.Popen(
        [nginx, "-p", str(prefix), "-c", str(conf), "-e", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        user=user,
        group=user,
        extra_groups=[] if user else None,
    )
    try:
        deadline = time.monotonic() + 30
        while not (prefix / "nginx.pid").exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"nginx did not start:\n{log.read_text() if log.exists() else ''}")
            time.sleep(0.1)
        yield Proxy(port, prefix)
    finally:
        stop(process)
        shutil.rmtree(prefix, ignore_errors=True)
