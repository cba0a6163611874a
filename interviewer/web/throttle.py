"""How fast one visitor may send answers: each answer costs a grading, and a script could send them in a loop.

A sliding window of the last minute per visitor (their login, browser id or address). Honest candidates take
far longer than `per_minute` allows; a refusal says how long to wait, and the answer stays in its box. The
number of visitors remembered is bounded, the least recent forgotten first.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from interviewer.errors import InterviewerError

WINDOW = 60.0  # seconds
TRACKED_VISITORS = 10_000


class AnswerRate:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute, self.clock = per_minute, clock
        self._sent: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, visitor: str) -> None:
        """Count an answer from `visitor`, or refuse it (counting nothing) when the last minute is full."""
        now = self.clock()
        with self._lock:
            sent = self._sent.pop(visitor, deque())
            while sent and sent[0] <= now - WINDOW:
                sent.popleft()
            self._sent[visitor] = sent
            while len(self._sent) > TRACKED_VISITORS:
                self._sent.popitem(last=False)
            if len(sent) >= self.per_minute:
                wait = math.ceil(sent[0] + WINDOW - now)
                raise InterviewerError(
                    f"That is more than {self.per_minute} answers in a minute. Wait {wait} s, then send it again "
                    "(your answer is still in the box)."
                )
            sent.append(now)
