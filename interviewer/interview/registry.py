"""Live interview sessions by id, kept in step with the session store.

The web page never holds a `Session` itself: it holds a session id (in the page's URL), and every action
goes through `SessionRegistry`, which finds the session in memory or restores it from the database, writes
the answer before grading it, and saves the session after every move. One lock per session serialises
double clicks and two tabs on the same interview.

Several servers (replicas) may share one database, and another server may move a session on while this one
still holds it in memory. So each action first checks the stored version (one small query) and restores a
copy that has fallen behind, and every save names the version it started from: a save that lost a race with
another server is refused (`SessionConflictError`) instead of overwriting what that server wrote.

Memory stays bounded however many sessions a server sees: at most `live_sessions` are kept, a session's
lock exists only while someone holds or waits for it, and its clock is dropped with it (the database has it).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from interviewer.errors import InterviewerError
from interviewer.grading.grader import TextSink
from interviewer.interview import policy
from interviewer.interview.session import ReplySink, Session
from interviewer.interview.storage import SessionConflictError, SessionStore
from interviewer.models import SessionConfig, Transcript, Turn

if TYPE_CHECKING:
    from interviewer.services import Services

# Exam time limits. The page counts the time down from when it shows the question, and when it reaches zero
# sends what is typed (or skips an empty box) itself. The server takes an answer up to TIME_LIMIT_GRACE seconds
# after the limit, to cover that trip (the page's clock starts as the question arrives, a little after the
# server's); an answer later than that counts as skipped and is not graded.
TIME_LIMIT_GRACE = 2.0
TIMES_UP_ANSWER = "Time's up: your answer was sent as it stood when the clock reached zero."
TIMES_UP_SKIP = "Time's up: the box was empty, so the question counts as skipped."
CLOCK_TOLERANCE = 0.5  # seconds: an answer this close to the limit was sent by the clock, or as good as
LIVE_SESSIONS = 256  # sessions kept in memory; older ones are restored from the database when next used


@dataclass
class Reply:
    """What the interviewer said after an action, and a notice for the candidate when there is one."""

    turns: list[Turn]
    notice: str = ""


def asks_in(transcript: Transcript) -> int:
    """How many questions and follow-ups have been asked: a change means a new question is open."""
    return sum(1 for q in transcript.questions for t in q.turns if t.kind in ("question", "follow_up"))


class SessionRegistry:
    def __init__(self, services: Services, store: SessionStore, live_sessions: int = LIVE_SESSIONS):
        self.services = services
        self.store = store
        self.live_sessions = live_sessions
        self._live: OrderedDict[str, Session] = OrderedDict()
        # id -> (asks seen, when the last was asked), for live sessions and those whose lock is held
        self._asked: dict[str, tuple[int, float | None]] = {}
        # id -> the stored version the copy in memory was loaded or last saved at; kept as long as `_asked`
        self._versions: dict[str, int] = {}
        # A lock lives while a caller holds a reference to it (inside `with`); then a new one is as good.
        self._locks: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
        self._guard = threading.Lock()  # guards the four structures above, never held while grading

    # --- finding sessions ---------------------------------------------------------------------------

    def lock(self, session_id: str) -> threading.Lock:
        """The session's lock: the same object for every caller while any of them holds or awaits it."""
        with self._guard:
            return self._locks.setdefault(session_id, threading.Lock())

    def get(self, session_id: str) -> Session:
        """The live session, restored from the database if this process has not seen it (or forgot it), or
        if another server sharing the database has saved it since."""
        with self.lock(session_id):
            return self._get(session_id)

    def _get(self, session_id: str) -> Session:
        with self._guard:
            session = self._live.get(session_id)
            known = self._versions.get(session_id)
        if session is not None:
            if self.store.version(session_id) == known:
                with self._guard:
                    if session_id in self._live:
                        self._live.move_to_end(session_id)
                return session
            self._forget(session_id)  # another server moved it on (or deleted it): the database knows
        saved = self.store.load_saved(session_id)
        session = self.services.restore_session(saved.snapshot)
        with self._guard:
            self._asked[session_id] = (asks_in(session.transcript), saved.asked_at)
            self._versions[session_id] = saved.version
        self._remember(session)
        self._grade_pending(session)
        return session

    def _remember(self, session: Session) -> None:
        with self._guard:
            self._live[session.transcript.session_id] = session
            if len(self._live) <= self.live_sessions:
                return
            while len(self._live) > self.live_sessions:
                self._live.popitem(last=False)
            # A session evicted while its lock is held is still being saved: its clock goes at a later eviction.
            for stale in [s for s in self._asked if s not in self._live and s not in self._locks]:
                del self._asked[stale]
                self._versions.pop(stale, None)

    def _forget(self, session_id: str) -> None:
        """Drop a session whose memory is no longer trusted; the caller holds its lock."""
        with self._guard:
            self._live.pop(session_id, None)
            self._asked.pop(session_id, None)
            self._versions.pop(session_id, None)

    def _grade_pending(self, session: Session) -> None:
        """Grade answers that were written but whose grading a server stop cut short."""
        for pending in self.store.pending_answers(session.transcript.session_id):
            try:
                session.answer(pending.text)
            except InterviewerError:
                self.store.mark_answer(pending.id, "failed")
                continue
            self._save(session, graded_answer=pending.id)

    def _save(self, session: Session, graded_answer: int | None = None, owner: str | None = None) -> None:
        """Save the session over the version it was loaded at (a new session has none yet). When another
        server saved it since, nothing is written and the copy in memory, now out of date, is dropped."""
        session_id = session.transcript.session_id
        asks = asks_in(session.transcript)
        with self._guard:
            seen, asked_at = self._asked.get(session_id, (0, None))
            if asks != seen:
                asked_at = time.time()
            self._asked[session_id] = (asks, asked_at)
            version = self._versions.get(session_id)
        try:
            saved = self.store.save(
                session.snapshot(),
                asked_at=asked_at,
                graded_answer=graded_answer,
                owner=owner,
                version=version,
            )
        except InterviewerError:  # SessionConflictError, or SessionNotFoundError after a delete elsewhere
            self._forget(session_id)
            raise
        with self._guard:
            self._versions[session_id] = saved

    def deadline(self, session: Session) -> float | None:
        """When the open question's time runs out (epoch seconds), in exam mode with a time limit."""
        limit = session.config.time_limit_seconds
        if session.finished or session.config.mode != "exam" or not limit:
            return None
        with self._guard:
            asked_at = self._asked.get(session.transcript.session_id, (0, None))[1]
        return asked_at + limit if asked_at else None

    # --- actions ------------------------------------------------------------------------------------

    def start(self, config: SessionConfig, owner: str | None = None) -> tuple[Session, Reply]:
        """A new session, saved with its owner (see `SessionStore.save`)."""
        session = self.services.new_session(config)
        turns = session.start()
        with self.lock(session.transcript.session_id):
            self._remember(session)
            self._save(session, owner=owner)
        return session, Reply(turns)

    def delete(self, session_id: str) -> bool:
        """Forget a session and remove it from the database, after any grading of it has finished."""
        with self.lock(session_id):
            self._forget(session_id)
            return self.store.delete(session_id)

    def times_up(self, session: Session) -> bool:
        """Whether the open question's time limit has been reached (the page's clock sends at zero)."""
        deadline = self.deadline(session)
        return deadline is not None and time.time() >= deadline - CLOCK_TOLERANCE

    def answer(
        self,
        session_id: str,
        text: str,
        *,
        on_text: TextSink | None = None,
        on_reply: ReplySink | None = None,
    ) -> Reply:
        """Write the answer, then grade it. An answer more than `TIME_LIMIT_GRACE` after the time limit counts
        as a skip; one sent at the limit (by the page's clock) is graded, with a notice that time was up."""
        with self.lock(session_id):
            session = self._get(session_id)
            session.check_answer_limits(text)  # refused before anything is recorded
            if session.finished:
                raise InterviewerError("This interview has ended. Start a new one to practise again.")
            deadline = self.deadline(session)
            if deadline is not None and time.time() > deadline + TIME_LIMIT_GRACE:
                turns = session.command("skip")
                self._save(session)
                return Reply(
                    turns,
                    f"Time ran out for that question ({session.config.time_limit_seconds} s), so it counts as "
                    "skipped and your answer was not graded.",
                )
            notice = TIMES_UP_ANSWER if self.times_up(session) else ""
            number = len(session.transcript.questions)
            answer_id = self.store.record_answer(session_id, number, text)
            try:
                turns = session.answer(text, on_text=on_text, on_reply=on_reply)
            except BaseException:
                self.store.mark_answer(answer_id, "failed")
                self._forget(session_id)  # its memory holds the half-recorded answer; the database does not
                raise
            try:
                self._save(session, graded_answer=answer_id)
            except SessionConflictError:
                # Another server moved the session on meanwhile, perhaps past this question: the answer is
                # kept but not applied, rather than graded later against whatever question is open then.
                self.store.mark_answer(answer_id, "failed")
                raise
            return Reply(turns, notice)

    def command(self, session_id: str, name: policy.Command) -> Reply:
        with self.lock(session_id):
            session = self._get(session_id)
            notice = TIMES_UP_SKIP if name == "skip" and self.times_up(session) else ""
            turns = session.command(name)
            self._save(session)
            return Reply(turns, notice)

    def reveal(self, session_id: str) -> Reply:
        with self.lock(session_id):
            session = self._get(session_id)
            turns = session.reveal()
            self._save(session)
            return Reply(turns)
