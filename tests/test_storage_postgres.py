"""The session store's contract on both of its databases: the embedded SQLite file and a real PostgreSQL
server that these tests start (tests/postgres_support.py), each migrated by Alembic."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext

from interviewer.config import Settings
from interviewer.content.loader import Bank
from interviewer.errors import SessionNotFoundError
from interviewer.grading.grader import Grader, TextSink
from interviewer.interview.registry import SessionRegistry
from interviewer.interview.session import SessionSnapshot
from interviewer.interview.storage import (
    SCHEMA_VERSION,
    SessionConflictError,
    SessionStore,
    SessionStoreUnavailableError,
    SessionStoreVersionError,
)
from interviewer.models import Grade, Reference, Rubric
from tests.postgres_support import PostgresServer, free_port, running_postgres
from tests.test_web_storage import IDS, config, make_services

HEAD = "0002"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a store keeps its sessions: a new SQLite file, or a new database on the test server."""
    if request.param == "sqlite":
        return tmp_path / "data" / "sessions.sqlite3"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()


@pytest.fixture
def store(database: Path | str) -> Iterator[SessionStore]:
    opened = SessionStore(database)
    yield opened
    opened.close()


@pytest.fixture
def registry(tmp_path: Path, bank: Bank, store: SessionStore) -> SessionRegistry:
    return SessionRegistry(make_services(tmp_path, bank), store)


def snapshot(registry: SessionRegistry, owner: str | None = None) -> SessionSnapshot:
    """A new session, saved by the registry (with `owner`)."""
    session, _ = registry.start(config(), owner=owner)
    return session.snapshot()


def engine_of(database: Path | str) -> sa.Engine:
    return sa.create_engine(f"sqlite:///{database}" if isinstance(database, Path) else database)


def test_a_saved_session_loads_back_and_is_listed_newest_first(registry: SessionRegistry) -> None:
    store = registry.store
    first, _ = registry.start(config())
    registry.command(first.transcript.session_id, "end")
    second, _ = registry.start(config(mode="exam"))
    rows = store.history()
    assert [r.id for r in rows] == [second.transcript.session_id, first.transcript.session_id]
    assert rows[1].finished and rows[1].overall_score == 0.0 and not rows[0].finished
    assert rows[0].mode == "exam" and rows[0].topics == "evaluation-metrics" and rows[0].questions == 1
    loaded, asked_at = store.load(second.transcript.session_id)
    assert loaded.model_dump(mode="json") == second.snapshot().model_dump(mode="json")
    assert asked_at is not None and store.exists(second.transcript.session_id) and not store.exists("nope")
    assert store.history(limit=1)[0].id == second.transcript.session_id
    with pytest.raises(SessionNotFoundError, match="Open the History tab"):
        store.load("nope")


def test_history_is_filtered_by_owner_and_the_first_owner_sticks(registry: SessionRegistry) -> None:
    store = registry.store
    ada, grace, nobody = snapshot(registry, "user:ada"), snapshot(registry, "user:grace"), snapshot(registry)
    store.save(ada, owner="user:grace")  # a later save never changes the owner
    store.save(nobody, owner="user:ada")
    ids = {
        ada.transcript.session_id: "ada",
        grace.transcript.session_id: "grace",
        nobody.transcript.session_id: "-",
    }

    def listed(owner: str | None, unowned: bool) -> list[str]:
        return sorted(ids[r.id] for r in store.history(owner=owner, unowned=unowned))

    assert store.owner_of(ada.transcript.session_id) == "user:ada"
    assert store.owner_of(nobody.transcript.session_id) is None
    assert listed("user:ada", unowned=False) == ["ada"]
    assert listed("user:grace", unowned=True) == ["-", "grace"]
    assert listed(None, unowned=True) == ["-"] and listed(None, unowned=False) == []
    with pytest.raises(SessionNotFoundError):
        store.owner_of("nope")


def test_answers_go_from_pending_to_graded_or_failed(registry: SessionRegistry) -> None:
    store = registry.store
    saved = snapshot(registry)
    session_id = saved.transcript.session_id
    first = store.record_answer(session_id, 1, "Precision is TP / (TP + FP).")
    second = store.record_answer(session_id, 1, "And recall is TP / (TP + FN).")
    third = store.record_answer(session_id, 2, "ROC plots TPR against FPR.")
    assert first < second < third
    assert [(a.id, a.question_number, a.text) for a in store.pending_answers(session_id)] == [
        (first, 1, "Precision is TP / (TP + FP)."),
        (second, 1, "And recall is TP / (TP + FN)."),
        (third, 2, "ROC plots TPR against FPR."),
    ]
    store.mark_answer(second, "failed")
    store.save(saved, asked_at=12.5, graded_answer=first)  # graded in the same transaction as the save
    assert store.answers(session_id) == [
        ("Precision is TP / (TP + FP).", "graded"),
        ("And recall is TP / (TP + FN).", "failed"),
        ("ROC plots TPR against FPR.", "pending"),
    ]
    assert [a.id for a in store.pending_answers(session_id)] == [third]
    assert store.load(session_id)[1] == 12.5


def test_delete_removes_a_session_with_its_answers(registry: SessionRegistry) -> None:
    store = registry.store
    kept, gone = snapshot(registry), snapshot(registry)
    store.record_answer(gone.transcript.session_id, 1, "An answer.")
    store.record_answer(kept.transcript.session_id, 1, "Another answer.")
    assert store.delete(gone.transcript.session_id)
    assert not store.delete(gone.transcript.session_id)  # nothing left to delete
    assert not store.exists(gone.transcript.session_id) and store.answers(gone.transcript.session_id) == []
    assert [r.id for r in store.history()] == [kept.transcript.session_id]
    assert store.answers(kept.transcript.session_id) == [("Another answer.", "pending")]


def test_a_second_replica_sees_and_carries_on_what_the_first_saved(
    tmp_path: Path, bank: Bank, database: Path | str, registry: SessionRegistry
) -> None:
    """Two stores on one database, as two servers would have: each sees what the other wrote at once."""
    original, _ = registry.start(config(max_follow_ups=0))
    session_id = original.transcript.session_id
    replica = SessionStore(database)
    try:
        assert [r.id for r in replica.history()] == [session_id]
        other = SessionRegistry(make_services(tmp_path, bank), replica)
        resumed = other.get(session_id)
        assert resumed.transcript == original.transcript
        other.answer(session_id, "Precision is TP / (TP + FP); recall is TP / (TP + FN).")
        assert registry.store.answers(session_id) == [
            ("Precision is TP / (TP + FP); recall is TP / (TP + FN).", "graded")
        ]
        assert registry.store.load(session_id)[0].transcript.questions[0].main_grade is not None
    finally:
        replica.close()


ANSWERS = [
    "Precision is TP / (TP + FP); recall is TP / (TP + FN).",
    "The ROC curve plots the true positive rate against the false positive rate at each threshold.",
    "F1 is the harmonic mean of precision and recall, for when both errors matter.",
]


def answers_per_question(snapshot: SessionSnapshot) -> list[list[str]]:
    """The candidate's answers to each question of a saved session."""
    return [[t.text for t in q.turns if t.kind == "answer"] for q in snapshot.transcript.questions]


class GradeAfter(Grader):
    """The offline grader, which first lets `meanwhile` run once: another server's move, made while this one
    grades (the window between checking a session's version and saving it)."""

    name = "offline"

    def __init__(self, inner: Grader, meanwhile: Callable[[], object]):
        self.inner, self.meanwhile = inner, meanwhile

    def grade(
        self, reference: Reference, answer: str, rubric: Rubric, *, on_text: TextSink | None = None
    ) -> Grade:
        meanwhile, self.meanwhile = self.meanwhile, lambda: None
        meanwhile()
        return self.inner.grade(reference, answer, rubric, on_text=on_text)


@pytest.fixture
def other_server(tmp_path: Path, bank: Bank, database: Path | str) -> Iterator[SessionRegistry]:
    """A second server's registry, with a store of its own on the same database."""
    store = SessionStore(database)
    yield SessionRegistry(make_services(tmp_path, bank), store)
    store.close()


def test_two_servers_answering_one_session_in_turn_lose_nothing(
    registry: SessionRegistry, other_server: SessionRegistry
) -> None:
    """Each server still holds the session in memory from its previous turn when the other moves it on."""
    session, _ = registry.start(config(question_ids=IDS, num_questions=3, max_follow_ups=0))
    session_id = session.transcript.session_id
    other_server.get(session_id)  # the second server opens it too, at question 1
    registry.answer(session_id, ANSWERS[0])
    other_server.answer(session_id, ANSWERS[1])  # its copy is at question 1: stale
    registry.answer(session_id, ANSWERS[2])  # and now this one's is at question 2

    stored = registry.store.load_saved(session_id)
    assert answers_per_question(stored.snapshot) == [[ANSWERS[0]], [ANSWERS[1]], [ANSWERS[2]]]
    assert all(q.main_grade is not None for q in stored.snapshot.transcript.questions)
    assert stored.snapshot.transcript.finished and stored.version == 4  # started, then three answers
    assert registry.store.answers(session_id) == [(a, "graded") for a in ANSWERS]
    for server in (registry, other_server):
        assert server.get(session_id).transcript == stored.snapshot.transcript


def test_a_save_that_lost_a_race_with_another_server_changes_nothing(
    registry: SessionRegistry, other_server: SessionRegistry
) -> None:
    """Both servers hold the session at the same version; the second answers while the first is grading."""
    session, _ = registry.start(config(max_follow_ups=0))
    session_id = session.transcript.session_id
    other_server.get(session_id)
    meanwhile = GradeAfter(registry.services.grader, lambda: other_server.answer(session_id, ANSWERS[0]))
    registry.services.__dict__["grader"] = meanwhile
    registry.get(session_id).grader = meanwhile  # the session in memory grades with it too

    with pytest.raises(SessionConflictError, match="Reload the page"):
        registry.answer(session_id, "A late answer to the same question.")

    stored = registry.store.load_saved(session_id)
    assert answers_per_question(stored.snapshot) == [[ANSWERS[0]], []]  # the winner's answer, kept
    assert stored.version == 2
    assert registry.store.answers(session_id) == [
        ("A late answer to the same question.", "failed"),  # kept, never graded against question 2
        (ANSWERS[0], "graded"),
    ]
    assert registry.get(session_id).transcript == stored.snapshot.transcript  # the loser reloaded
    with pytest.raises(SessionConflictError):  # the store refuses a save over an old version by itself
        registry.store.save(session.snapshot(), version=1)
    assert registry.store.load_saved(session_id) == stored


def test_a_session_deleted_by_another_server_is_gone_from_this_one(
    registry: SessionRegistry, other_server: SessionRegistry
) -> None:
    session, _ = registry.start(config())
    session_id = session.transcript.session_id
    other_server.get(session_id)
    assert registry.delete(session_id)
    with pytest.raises(SessionNotFoundError):
        other_server.get(session_id)  # not served from the memory of the server that did not delete it
    with pytest.raises(SessionNotFoundError):
        other_server.store.save(session.snapshot(), version=1)  # nor saved back into the database
    assert other_server.store.history() == []


def test_writers_on_many_threads_lose_nothing(registry: SessionRegistry) -> None:
    store = registry.store
    saved = snapshot(registry)
    session_id = saved.transcript.session_id
    ids: list[int] = []

    def write(n: int) -> None:
        for i in range(10):
            ids.append(store.record_answer(session_id, n, f"answer {n}.{i}"))
            store.save(saved, graded_answer=ids[-1])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 60 and len(store.answers(session_id)) == 60
    assert store.pending_answers(session_id) == [] and len(store.history()) == 1


def test_migrations_bring_an_empty_database_to_the_head_revision(database: Path | str) -> None:
    SessionStore(database).close()
    SessionStore(database).close()  # opening it again changes nothing
    engine = engine_of(database)
    try:
        with engine.connect() as db:
            assert MigrationContext.configure(db).get_current_revision() == HEAD
            tables = sa.inspect(db)
            assert {"sessions", "answers", "alembic_version"} <= set(tables.get_table_names())
            assert {"owner", "version"} <= {c["name"] for c in tables.get_columns("sessions")}
            assert {i["name"] for i in tables.get_indexes("sessions")} == {"sessions_by_owner"}
            assert {i["name"] for i in tables.get_indexes("answers")} == {"answers_by_session"}
    finally:
        engine.dispose()


def test_a_database_migrated_by_a_newer_interviewer_is_refused(database: Path | str) -> None:
    SessionStore(database).close()
    engine = engine_of(database)
    with engine.begin() as db:
        db.execute(sa.text("UPDATE alembic_version SET version_num = 'f00d'"))
    refusal = rf"schema revision f00d, but this interviewer reads up to revision {HEAD}.*Upgrade interviewer"
    with pytest.raises(SessionStoreVersionError, match=refusal):
        SessionStore(database)
    with engine.connect() as db:
        assert MigrationContext.configure(db).get_current_revision() == "f00d"  # left as it was
    engine.dispose()


OLD_SCHEMA = [  # the tables as the sqlite3 store before Alembic created them (its schema version 1)
    """CREATE TABLE sessions (id TEXT PRIMARY KEY, started_at TEXT NOT NULL, updated_at REAL NOT NULL,
        mode TEXT NOT NULL, topics TEXT NOT NULL, questions INTEGER NOT NULL, finished INTEGER NOT NULL,
        overall_score REAL NOT NULL, asked_at REAL, snapshot TEXT NOT NULL)""",
    """CREATE TABLE answers (id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL REFERENCES sessions(id), question_number INTEGER NOT NULL, text TEXT NOT NULL, received_at REAL NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'graded', 'failed')))""",
    "CREATE INDEX answers_by_session ON answers(session_id, status)",
]


@pytest.mark.parametrize("version", [0, 1, 2])
def test_a_sqlite_file_from_before_alembic_opens_and_keeps_its_sessions(
    tmp_path: Path, bank: Bank, version: int
) -> None:
    scratch = SessionRegistry(make_services(tmp_path, bank), SessionStore(tmp_path / "scratch.sqlite3"))
    session, _ = scratch.start(config(max_follow_ups=0))
    session_id, saved = session.transcript.session_id, session.snapshot()
    path = tmp_path / "data" / "sessions.sqlite3"
    path.parent.mkdir()
    old = sqlite3.connect(path)
    for statement in OLD_SCHEMA:
        old.execute(statement)
    if version == 2:  # version 2 added the owner column
        old.execute("ALTER TABLE sessions ADD COLUMN owner TEXT")
        old.execute("CREATE INDEX sessions_by_owner ON sessions(owner, updated_at)")
    old.execute(
        "INSERT INTO sessions VALUES (?, ?, 1.0, 'study', 'evaluation-metrics', 1, 0, 0.0, NULL, ?"
        + (", NULL)" if version == 2 else ")"),
        (session_id, saved.transcript.started_at, saved.model_dump_json()),
    )
    old.execute(
        "INSERT INTO answers (session_id, question_number, text, received_at, status)"
        " VALUES (?, 1, 'Precision is TP / (TP + FP).', 2.0, 'pending')",
        (session_id,),
    )
    old.execute(f"PRAGMA user_version = {version}")
    old.commit()
    old.close()

    store = SessionStore(path)
    assert store.load(session_id)[0].model_dump(mode="json") == saved.model_dump(mode="json")
    assert [r.id for r in store.history(owner="user:ada")] == [session_id] and store.owner_of(
        session_id
    ) is None
    resumed = SessionRegistry(make_services(tmp_path, bank), store).get(session_id)  # the pending answer
    assert resumed.transcript.questions[0].main_grade is not None
    assert store.answers(session_id) == [("Precision is TP / (TP + FP).", "graded")]
    assert store.version(session_id) == 1  # the migration started it at 0; grading the answer saved it once
    store.close()
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert check.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
    check.close()


def test_the_database_url_setting_chooses_postgres_and_its_password_is_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"postgresql+psycopg://ada:s3cret-pw@127.0.0.1:{free_port()}/interviewer"  # nothing listens there
    monkeypatch.setenv("INTERVIEWER_DATABASE_URL", url)
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert settings.sessions_db == url and "s3cret" not in repr(settings)
    with pytest.raises(SessionStoreUnavailableError, match="Check INTERVIEWER_DATABASE_URL") as refused:
        SessionStore(settings.sessions_db)
    message = str(refused.value)
    assert "postgresql+psycopg://***@127.0.0.1" in message
    assert "s3cret" not in message and "ada" not in message
    monkeypatch.delenv("INTERVIEWER_DATABASE_URL")
    assert Settings(data_dir=tmp_path, _env_file=None).sessions_db == tmp_path / "sessions.sqlite3"  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "url",
    ["postgres://ada:s3cret@127.0.0.1/interviewer", "mysql://ada:s3cret@127.0.0.1/interviewer", "ada:s3cret"],
)
def test_a_url_of_another_kind_of_database_is_refused_with_a_hint(url: str) -> None:
    with pytest.raises(SessionStoreUnavailableError, match="Check INTERVIEWER_DATABASE_URL") as refused:
        SessionStore(url)
    assert "s3cret" not in str(refused.value)


def test_replicas_starting_at_once_on_an_empty_database_migrate_it_once(database: Path | str) -> None:
    opened: list[SessionStore] = []
    failed: list[BaseException] = []

    def start() -> None:
        try:
            opened.append(SessionStore(database))
        except BaseException as error:
            failed.append(error)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failed == [] and len(opened) == 4
    for store in opened:
        store.close()
