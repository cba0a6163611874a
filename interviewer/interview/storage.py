"""Interview sessions in a SQL database: the system of record for the web page.

Every answer is written (status `pending`) before it is graded and marked `graded` afterwards, and the
session's whole state is saved after every move. So a page refresh, a second browser tab or a server
restart carries on from the database, and an answer whose grading was cut short by a crash is graded
again when its session is next opened.

SQLite, one file in the data folder, is the embedded default; it runs in WAL mode, so the history can be
read while answers are being written. With `INTERVIEWER_DATABASE_URL` the sessions live in PostgreSQL
instead, which several processes and machines can reach (deploy/README.md runs two servers on one). Both go
through the same SQLAlchemy Core statements, and the schema is kept by Alembic (`migrations/`): opening a
store brings its database to the latest revision, and a database migrated by a newer interviewer is refused
rather than misread. SQLite files also carry the schema version the store kept before Alembic, in
`PRAGMA user_version` (see `SCHEMA_VERSION`).

Each session has an owner, an opaque string given when it is first saved and never changed (the web page uses
the login name, or a per-browser id); the store filters and reports it but never decides who may see what.
Sessions saved before owners were kept have none (NULL).

Each saved session carries a version that every save raises. A server keeps the sessions it serves in memory,
so with several servers on one database a copy can fall behind; a save that names the version its copy was
loaded at is refused (`SessionConflictError`) when another server saved the session since, so nothing another
server wrote is overwritten, and `version` is a cheap check that a copy is still current.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import BaseModel
from sqlalchemy import (
    URL,
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    Double,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    delete,
    event,
    exc,
    make_url,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from interviewer.errors import InterviewerError, SessionNotFoundError
from interviewer.interview.session import SessionSnapshot
from interviewer.llm.chat_model import redact_credentials

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

SCHEMA_VERSION = 2
"""The `PRAGMA user_version` every SQLite file is left with: the last version of the store before Alembic,
whose schema revision 0001 reproduces. A file with a higher one is refused, and interviewers from before
Alembic refuse a file with a higher one too: raise it with a revision they must not read."""

_MIGRATION_LOCK = 0x5E55_1045  # the PostgreSQL advisory lock that lets one server at a time migrate

metadata = MetaData()
sessions = Table(
    "sessions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("started_at", Text, nullable=False),
    Column("updated_at", Double, nullable=False),
    Column("mode", Text, nullable=False),
    Column("topics", Text, nullable=False),
    Column("questions", Integer, nullable=False),
    Column("finished", Boolean, nullable=False),
    Column("overall_score", Double, nullable=False),
    Column("asked_at", Double),
    Column("snapshot", Text, nullable=False),
    Column("owner", Text),
    Column("version", Integer, nullable=False, server_default=text("0")),
)
answers = Table(
    "answers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", Text, ForeignKey("sessions.id"), nullable=False),
    Column("question_number", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("received_at", Double, nullable=False),
    Column("status", Text, nullable=False),
    CheckConstraint("status IN ('pending', 'graded', 'failed')", name="answers_status"),
)


class SessionStoreVersionError(InterviewerError):
    """The database was written by a newer interviewer, whose schema this one does not know."""

    def __init__(self, where: Path | str, found: int | str):
        label = "version" if isinstance(found, int) else "revision"  # SQLite's user_version, or Alembic's
        latest = SCHEMA_VERSION if isinstance(found, int) else _migrations().get_current_head()
        super().__init__(
            f"The sessions database {where} has schema {label} {found}, but this interviewer reads up to "
            f"{label} {latest}: it was written by a newer interviewer. Upgrade interviewer to open it, or "
            "point INTERVIEWER_DATA_DIR or INTERVIEWER_DATABASE_URL at another database to start a separate "
            "history."
        )


class SessionConflictError(InterviewerError):
    """The session was saved elsewhere (another server sharing the database) since this copy was loaded."""

    def __init__(self) -> None:
        super().__init__(
            "This interview changed in another window at the same moment, so this step was not saved. "
            "Reload the page to see where the interview stands, then carry on from there."
        )


class SessionStoreUnavailableError(InterviewerError):
    """The sessions database could not be reached (a PostgreSQL server that is down, or refuses us)."""

    def __init__(self, where: str, reason: str):
        super().__init__(
            f"Could not open the sessions database {where}: {reason}. Check INTERVIEWER_DATABASE_URL and "
            "that the database server is running, or unset it to keep sessions in the local SQLite file."
        )


@functools.cache
def _migrations() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_DIR))


def migrate(db: Connection, where: Path | str) -> None:
    """Bring the database to the latest revision, inside `db`'s transaction, which holds the write lock
    (SQLite) or the migration lock (PostgreSQL): two processes opening one old database migrate it once."""
    sqlite_version = None
    if db.dialect.name == "sqlite":
        sqlite_version = int(db.exec_driver_sql("PRAGMA user_version").scalar_one())
        if sqlite_version > SCHEMA_VERSION:
            raise SessionStoreVersionError(where, sqlite_version)
    elif db.dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    revision = MigrationContext.configure(db).get_current_revision()
    scripts = _migrations()
    if revision is not None and revision not in {script.revision for script in scripts.walk_revisions()}:
        raise SessionStoreVersionError(where, revision)
    if revision != scripts.get_current_head():
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = db
        command.upgrade(config, "head")
    if sqlite_version is not None and sqlite_version != SCHEMA_VERSION:
        db.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _moved_on(db: Connection, session_id: str) -> InterviewerError:
    """Why a save naming a version found nothing to update: the session was deleted, or saved since."""
    exists = db.execute(select(sessions.c.id).where(sessions.c.id == session_id)).first() is not None
    return SessionConflictError() if exists else SessionNotFoundError(session_id)


def _redacted(url: URL) -> str:
    """The URL without its user name and password, as messages show it."""
    return redact_credentials(url.render_as_string(hide_password=False))


def _database_url(value: str) -> URL:
    """The URL of a SQLite or PostgreSQL database; refused with a hint for anything else."""
    try:
        url = make_url(value)
    except exc.ArgumentError:
        raise SessionStoreUnavailableError(  # not shown: what cannot be parsed cannot be redacted either
            "named by INTERVIEWER_DATABASE_URL",
            "it is not a URL such as postgresql+psycopg://user:password@host/db",
        ) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise SessionStoreUnavailableError(
            _redacted(url), "interviewer keeps sessions in SQLite or PostgreSQL (postgresql+psycopg://...)"
        )
    return url


WAL_WAIT = 30.0  # seconds, as the driver's timeout for a lock


def _wal(dbapi_connection: Any) -> None:
    """WAL mode. While another connection is creating the file, turning it on fails at once with "database is
    locked" (SQLite does not wait on a lock there; 1 start in 5 of 4 servers at once on a new file), so it is
    tried again until `WAL_WAIT` has passed."""
    deadline = time.monotonic() + WAL_WAIT
    while True:
        try:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_engine(url: URL) -> Engine:
    """An engine on a SQLite file in WAL mode, whose transactions SQLAlchemy begins (not the driver, which
    would leave DDL outside them); a connection with the `writes` option begins with the write lock."""
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        _wal(dbapi_connection)
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")  # durable across a process crash in WAL mode

    @event.listens_for(engine, "begin")
    def _begin(db: Connection) -> None:
        db.exec_driver_sql("BEGIN IMMEDIATE" if db.get_execution_options().get("writes") else "BEGIN")

    return engine


class SessionSummary(BaseModel):
    """One row of the History tab."""

    id: str
    started_at: str
    mode: str
    topics: str
    questions: int
    finished: bool
    overall_score: float


@dataclass(frozen=True)
class SavedSession:
    """A session as stored: its state, when its open question was asked, and the version of that state."""

    snapshot: SessionSnapshot
    asked_at: float | None
    version: int


class PendingAnswer(BaseModel):
    id: int
    question_number: int
    text: str


class SessionStore:
    """Sessions and answers in a SQLite file (a `Path`) or the database at a SQLAlchemy URL (a `str`, e.g.
    "postgresql+psycopg://user:password@host/interviewer"). Safe to share between threads: each call takes a
    connection from the engine's pool for one transaction."""

    def __init__(self, database: Path | str):
        url = (
            URL.create("sqlite", database=str(database))
            if isinstance(database, Path)
            else _database_url(database)
        )
        self.path: Path | None = None
        if url.get_backend_name() == "sqlite":
            self.path = Path(url.database or "")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._engine = _sqlite_engine(url)
        else:
            self._engine = create_engine(url, pool_pre_ping=True)
        # The database, for messages: the file, or the URL without its user name and password.
        self.where = str(self.path) if self.path else _redacted(url)
        self._writer = self._engine.execution_options(writes=True)
        self._insert = postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
        try:
            with self._writer.begin() as db:
                migrate(db, self.path or self.where)
        except exc.OperationalError as error:
            self._engine.dispose()
            if self.path is not None:
                raise
            raise SessionStoreUnavailableError(self.where, redact_credentials(str(error.orig))) from None
        except BaseException:
            self._engine.dispose()
            raise

    def close(self) -> None:
        self._engine.dispose()

    @property
    def journal_mode(self) -> str | None:
        """SQLite's journal mode ("wal"); None for another database."""
        if self.path is None:
            return None
        with self._engine.connect() as db:
            return str(db.exec_driver_sql("PRAGMA journal_mode").scalar_one())

    # --- sessions -----------------------------------------------------------------------------------

    def save(
        self,
        snapshot: SessionSnapshot,
        asked_at: float | None = None,
        graded_answer: int | None = None,
        owner: str | None = None,
        version: int | None = None,
    ) -> int:
        """Insert or update the session's state; `asked_at` is when its open question was asked. Returns the
        version now stored.

        With `version` (the one the caller's copy was loaded or last saved at) the session is updated only if
        it is still stored at that version; otherwise nothing is written and `SessionConflictError` is raised
        (`SessionNotFoundError` when it was deleted). Without it the save always wins, as for a new session.

        `graded_answer` is marked graded in the same transaction, so an answer is never both lost and
        marked graded, nor graded twice after a restart. `owner` is kept from the first save: a later save
        never changes it."""
        t = snapshot.transcript
        state = {
            "started_at": t.started_at,
            "updated_at": time.time(),
            "mode": t.config.mode,
            "topics": ", ".join(sorted({q.topic for q in t.questions})),
            "questions": len(t.questions),
            "finished": t.finished,
            "overall_score": t.overall_score,
            "asked_at": asked_at,
            "snapshot": snapshot.model_dump_json(),
        }
        with self._writer.begin() as db:
            if version is None:
                saved = db.execute(self._upsert(t.session_id, owner, state)).scalar_one()
            else:
                saved = db.execute(
                    update(sessions)
                    .where(sessions.c.id == t.session_id, sessions.c.version == version)
                    .values(version=sessions.c.version + 1, **state)
                    .returning(sessions.c.version)
                ).scalar_one_or_none()
                if saved is None:
                    raise _moved_on(db, t.session_id)  # raised inside the transaction: it is rolled back
            if graded_answer is not None:
                db.execute(update(answers).where(answers.c.id == graded_answer).values(status="graded"))
        return int(saved)

    def _upsert(self, session_id: str, owner: str | None, state: dict[str, Any]) -> Any:
        """The statement saving a session whatever its stored version: inserted at version 1, or updated with
        its version raised and its owner kept."""
        new = self._insert(sessions).values(id=session_id, owner=owner, version=1, **state)
        changes = {key: new.excluded[key] for key in state} | {"version": sessions.c.version + 1}
        return new.on_conflict_do_update(index_elements=[sessions.c.id], set_=changes).returning(
            sessions.c.version
        )

    def load(self, session_id: str) -> tuple[SessionSnapshot, float | None]:
        """The saved state of a session and when its open question was asked."""
        saved = self.load_saved(session_id)
        return saved.snapshot, saved.asked_at

    def load_saved(self, session_id: str) -> SavedSession:
        """A session's saved state, when its open question was asked and its version, read together."""
        query = select(sessions.c.snapshot, sessions.c.asked_at, sessions.c.version).where(
            sessions.c.id == session_id
        )
        with self._engine.connect() as db:
            found = db.execute(query).first()
        if found is None:
            raise SessionNotFoundError(session_id)
        return SavedSession(
            SessionSnapshot.model_validate_json(found.snapshot), found.asked_at, int(found.version)
        )

    def version(self, session_id: str) -> int | None:
        """The version a session is stored at (None: there is no such session), a cheap check that a copy
        held in memory is still current."""
        with self._engine.connect() as db:
            return db.execute(select(sessions.c.version).where(sessions.c.id == session_id)).scalar()

    def exists(self, session_id: str) -> bool:
        with self._engine.connect() as db:
            return db.execute(select(sessions.c.id).where(sessions.c.id == session_id)).first() is not None

    def owner_of(self, session_id: str) -> str | None:
        """Whose session it is: the owner it was first saved with, or None for a session saved without one."""
        with self._engine.connect() as db:
            found = db.execute(select(sessions.c.owner).where(sessions.c.id == session_id)).first()
        if found is None:
            raise SessionNotFoundError(session_id)
        return found.owner

    def history(
        self, limit: int = 200, *, owner: str | None = None, unowned: bool = True
    ) -> list[SessionSummary]:
        """Past sessions of `owner` (when given) and, with `unowned`, those saved without an owner; the most
        recently active first."""
        wanted = [sessions.c.owner == owner] if owner is not None else []
        if unowned:
            wanted.append(sessions.c.owner.is_(None))
        if not wanted:
            return []
        columns = [sessions.c[key] for key in SessionSummary.model_fields]
        query = select(*columns).where(or_(*wanted)).order_by(sessions.c.updated_at.desc()).limit(limit)
        with self._engine.connect() as db:
            rows = db.execute(query).mappings().all()
        return [SessionSummary.model_validate(dict(row)) for row in rows]

    def delete(self, session_id: str) -> bool:
        """Remove a session and every answer written for it; False when there was no such session."""
        with self._writer.begin() as db:
            db.execute(delete(answers).where(answers.c.session_id == session_id))
            return db.execute(delete(sessions).where(sessions.c.id == session_id)).rowcount > 0

    # --- answers ------------------------------------------------------------------------------------

    def record_answer(self, session_id: str, question_number: int, text: str) -> int:
        """Write an answer before it is graded; returns its id for `mark_answer`."""
        row = {"session_id": session_id, "question_number": question_number, "text": text}
        new = (
            answers.insert().values(received_at=time.time(), status="pending", **row).returning(answers.c.id)
        )
        with self._writer.begin() as db:
            return int(db.execute(new).scalar_one())

    def mark_answer(self, answer_id: int, status: str) -> None:
        """Mark a pending answer; one already marked keeps its mark (another server may have graded it)."""
        pending = (answers.c.id == answer_id) & (answers.c.status == "pending")
        with self._writer.begin() as db:
            db.execute(update(answers).where(pending).values(status=status))

    def pending_answers(self, session_id: str) -> list[PendingAnswer]:
        """Answers written but never graded (the server stopped while grading them), oldest first."""
        query = (
            select(answers.c.id, answers.c.question_number, answers.c.text)
            .where(answers.c.session_id == session_id, answers.c.status == "pending")
            .order_by(answers.c.id)
        )
        with self._engine.connect() as db:
            rows = db.execute(query).mappings().all()
        return [PendingAnswer.model_validate(dict(row)) for row in rows]

    def answers(self, session_id: str) -> list[tuple[str, str]]:
        """(text, status) of every answer written for a session, oldest first."""
        query = select(answers.c.text, answers.c.status).where(answers.c.session_id == session_id)
        with self._engine.connect() as db:
            rows = db.execute(query.order_by(answers.c.id)).all()
        return [(row.text, row.status) for row in rows]
