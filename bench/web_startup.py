"""Time from process start to the page being served, and to grading being ready.

    .venv/bin/python bench/web_startup.py [--runs 3] [--cold]

Starts `python app.py` as a subprocess with a fresh data directory. By default the checkout's built index
(`.interviewer/chroma`, made by `make run` / `interviewer index`) is copied in, as on any start after the
first; `--cold` starts with no index, as on the very first run. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics

from web_server import Server  # bench/ is on sys.path when a script here runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="no index yet: it is built in the background")
    args = parser.parse_args()
    served, ready = [], []
    for run in range(args.runs):
        server = Server(warm=not args.cold)
        try:
            served.append(server.wait_served())
            ready.append(server.wait_ready())
        finally:
            server.stop()
        print(f"run {run + 1}: page served {served[-1]:5.1f} s, grading ready {ready[-1]:5.1f} s")
    kind = "cold (no index)" if args.cold else "warm (index built)"
    print(
        f"{kind}, median of {args.runs}: page served {statistics.median(served):.1f} s, "
        f"grading ready {statistics.median(ready):.1f} s after process start"
    )


if __name__ == "__main__":
    main()
