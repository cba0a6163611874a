"""Starting `python app.py` as a real subprocess for the web benchmarks (not a benchmark itself)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from gradio_client import Client

from interviewer.config import PROJECT_DIR


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The page in its own process with a fresh data directory; `warm` copies the checkout's built index and the
    grading work per entry it keeps (`interviewer index --prepare`), as a restarted server has them.

    `project` is the checkout whose `app.py` runs, with this venv's python (its `interviewer` package and bank/
    come first on the path, as the script's directory); another checkout is how a benchmark runs older code."""

    def __init__(self, warm: bool = True, project: Path = PROJECT_DIR):
        self.data = Path(tempfile.mkdtemp(prefix="interviewer-bench-"))
        for kept in ("chroma", "vectors"):
            built = project / ".interviewer" / kept
            if warm and built.exists():
                shutil.copytree(built, self.data / kept)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.started = time.monotonic()
        env = {
            **os.environ,
            "INTERVIEWER_DATA_DIR": str(self.data),
            "INTERVIEWER_PORT": str(self.port),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
        }
        self.log = (self.data / "server.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(project / "app.py")], env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_served(self, timeout: float = 300) -> float:
        while time.monotonic() - self.started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError((self.data / "server.log").read_text()[-3000:])
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return time.monotonic() - self.started
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("the page was not served")

    def wait_ready(self, timeout: float = 600) -> float:
        client = Client(self.url, verbose=False)
        while time.monotonic() - self.started < timeout:
            status, _ = client.predict(api_name="/status")
            if "ready" in status:
                return time.monotonic() - self.started
            time.sleep(0.1)
        raise TimeoutError("grading never became ready")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        log = (self.data / "server.log").read_text(errors="replace")
        if "Traceback" in log:  # show what went wrong on the server before the data directory goes
            print("server log, from the first traceback:\n" + log[log.index("Traceback") :][:6000])
        shutil.rmtree(self.data, ignore_errors=True)
