"""Interview sessions in SQLite: the system of record for the web page.

Every answer is written (status `pending`) before it is graded and marked `graded` afterwards, and the
session's whole state is saved after every move. So a page refresh, a second browser tab or a server
restart carries on from the database, and an answer whose grading was cut short by a crash is graded
again when its session is next opened. The database runs in WAL mode, so the history can be read while
answers are being written. The file carries its schema version (`PRAGMA user_version`); opening an older
file migrates it in place, and a file from a newer interviewer is refused rather than misread.

Each session has an owner, an opaque string given when it is first saved and never changed (the web page uses
the login name, or a per-browser id); the store filters and reports it but never decides who may see what.
Sessions saved before owners were kept have none (NULL).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel

from interviewer.errors import InterviewerError, SessionNotFoundError
from interviewer.interview.session import SessionSnapshot


def _add_owner_column(conn: sqlite3.Connection) -> None:
    """Whose session it is. SQLite has no ADD COLUMN IF NOT EXISTS, and a file may carry a lower version
    than its tables (see `MIGRATIONS`), so the column is added only when missing. Older sessions keep NULL."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(sessions)")}
    if "owner" not in columns:
        conn.execute("ALTER TABLE sessions ADD COLUMN owner TEXT")
    conn.execute("CREATE INDEX IF NOT EXISTS sessions_by_owner ON sessions(owner, updated_at)")


Migration = tuple[str, ...] | Callable[[sqlite3.Connection], None]

# MIGRATIONS[n] takes a database from schema version n to n + 1 (`PRAGMA user_version`). Version 0 is a new
# file or one written before versions were kept, with the tables below already in place; hence IF NOT EXISTS.
MIGRATIONS: list[Migration] = [
    (
        """CREATE TABLE IF NOT EXISTS sessions (
            id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            updated_at REAL NOT NULL,
            mode TEXT NOT NULL,
            topics TEXT NOT NULL,
            questions INTEGER NOT NULL,
            finished INTEGER NOT NULL,
            overall_score REAL NOT NULL,
            asked_at REAL,
            snapshot TEXT NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS answers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            question_number INTEGER NOT NULL,
            text TEXT NOT NULL,
            received_at REAL NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'graded', 'failed'))
        )""",
        "CREATE INDEX IF NOT EXISTS answers_by_session ON answers(session_id, status)",
    ),
    _add_owner_column,
]
SCHEMA_VERSION = len(MIGRATIONS)


class SessionStoreVersionError(InterviewerError):
    """The database was written by a newer interviewer, whose schema this one does not know."""

    def __init__(self, path: Path, found: int):
        super().__init__(
            f"The sessions database {path} has schema version {found}, but this interviewer reads up to version "
            f"{SCHEMA_VERSION}: it was written by a newer interviewer. Upgrade interviewer to open it, or set "
            "INTERVIEWER_DATA_DIR to another folder to start a separate history."
        )


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Bring the database to `SCHEMA_VERSION` in one transaction; returns the version it had.

    The write lock is taken first, so two processes opening the same old file migrate it once."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if found > SCHEMA_VERSION:
            raise SessionStoreVersionError(path, found)
        for step in MIGRATIONS[found:]:
            if callable(step):
                step(conn)
                continue
            for statement in step:
                conn.execute(statement)
        if found != SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return found


class SessionSummary(BaseModel):
    """One row of the History tab."""

    id: str
    started_at: str
    mode: str
    topics: str
    questions: int
    finished: bool
    overall_score: float


class PendingAnswer(BaseModel):
    id: int
    question_number: int
    text: str


class SessionStore:
    """Sessions and answers in one SQLite file. Safe to share between threads (one connection, one lock)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")  # durable across a process crash in WAL mode
        try:
            migrate(self._conn, path)
        except BaseException:
            self._conn.close()
            raise

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._conn:
            yield self._conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0])

    # --- sessions -----------------------------------------------------------------------------------

    def save(
        self,
        snapshot: SessionSnapshot,
        asked_at: float | None = None,
        graded_answer: int | None = None,
        owner: str | None = None,
    ) -> None:
        """Insert or update the session's state; `asked_at` is when its open question was asked.

        `graded_answer` is marked graded in the same transaction, so an answer is never both lost and
        marked graded, nor graded twice after a restart. `owner` is kept from the first save: a later save
        never changes it."""
        t = snapshot.transcript
        row = (
            t.session_id,
            t.started_at,
            time.time(),
            t.config.mode,
            ", ".join(sorted({q.topic for q in t.questions})),
            len(t.questions),
            int(t.finished),
            t.overall_score,
            asked_at,
            snapshot.model_dump_json(),
            owner,
        )
        with self._transaction() as db:
            db.execute(
                "INSERT INTO sessions (id, started_at, updated_at, mode, topics, questions, finished,"
                " overall_score, asked_at, snapshot, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET started_at = excluded.started_at,"
                " updated_at = excluded.updated_at, mode = excluded.mode, topics = excluded.topics,"
                " questions = excluded.questions, finished = excluded.finished,"
                " overall_score = excluded.overall_score, asked_at = excluded.asked_at,"
                " snapshot = excluded.snapshot",
                row,
            )
            if graded_answer is not None:
                db.execute("UPDATE answers SET status = 'graded' WHERE id = ?", (graded_answer,))

    def load(self, session_id: str) -> tuple[SessionSnapshot, float | None]:
        """The saved state of a session and when its open question was asked."""
        with self._lock:
            found = self._conn.execute(
                "SELECT snapshot, asked_at FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
        if found is None:
            raise SessionNotFoundError(session_id)
        return SessionSnapshot.model_validate_json(found[0]), found[1]

    def exists(self, session_id: str) -> bool:
        with self._lock:
            return (
                self._conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone()
                is not None
            )

    def owner_of(self, session_id: str) -> str | None:
        """Whose session it is: the owner it was first saved with, or None for a session saved without one."""
        with self._lock:
            found = self._conn.execute("SELECT owner FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if found is None:
            raise SessionNotFoundError(session_id)
        return None if found[0] is None else str(found[0])

    def history(
        self, limit: int = 200, *, owner: str | None = None, unowned: bool = True
    ) -> list[SessionSummary]:
        """Past sessions of `owner` (when given) and, with `unowned`, those saved without an owner; the most
        recently active first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, started_at, mode, topics, questions, finished, overall_score FROM sessions"
                " WHERE (owner IS NOT NULL AND owner = ?) OR (owner IS NULL AND ?)"
                " ORDER BY updated_at DESC LIMIT ?",
                (owner, int(unowned), limit),
            ).fetchall()
        keys = ("id", "started_at", "mode", "topics", "questions", "finished", "overall_score")
        return [SessionSummary.model_validate(dict(zip(keys, row, strict=True))) for row in rows]

    def delete(self, session_id: str) -> bool:
        """Remove a session and every answer written for it; False when there was no such session."""
        with self._transaction() as db:
            db.execute("DELETE FROM answers WHERE session_id = ?", (session_id,))
            return db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0

    # --- answers ------------------------------------------------------------------------------------

    def record_answer(self, session_id: str, question_number: int, text: str) -> int:
        """Write an answer before it is graded; returns its id for `mark_answer`."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO answers (session_id, question_number, text, received_at, status)"
                " VALUES (?, ?, ?, ?, 'pending')",
                (session_id, question_number, text, time.time()),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def mark_answer(self, answer_id: int, status: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE answers SET status = ? WHERE id = ?", (status, answer_id))

    def pending_answers(self, session_id: str) -> list[PendingAnswer]:
        """Answers written but never graded (the server stopped while grading them), oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, question_number, text FROM answers WHERE session_id = ? AND status = 'pending'"
                " ORDER BY id",
                (session_id,),
            ).fetchall()
        return [PendingAnswer(id=r[0], question_number=r[1], text=r[2]) for r in rows]

    def answers(self, session_id: str) -> list[tuple[str, str]]:
        """(text, status) of every answer written for a session, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT text, status FROM answers WHERE session_id = ? ORDER BY id", (session_id,)
            ).fetchall()
        return [(r[0], r[1]) for r in rows]
