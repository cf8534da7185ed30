"""The workspace database: one SQLite file in WAL mode, its schema built by numbered migrations."""

from __future__ import annotations

import json
import random
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database, Migrations

__all__ = ["SCHEMA_VERSION", "connect", "dumps", "loads", "migrate", "migrations", "open_db", "write_db"]

migrations = Migrations("workbench")


@migrations()
def m001_initial(db: Database) -> None:
    db["projects"].create(
        {"id": int, "name": str, "created_at": str, "updated_at": str, "dataset_id": int,
         "problem": str, "column_kinds": str, "recipe": str, "settings": str, "champion_model_id": int},
        pk="id", not_null={"name"},
    )
    db["projects"].create_index(["name"], unique=True)
    db["datasets"].create(
        {"id": int, "project_id": int, "name": str, "source": str, "path": str, "sha256": str,
         "n_rows": int, "n_cols": int, "schema": str, "notes": str, "created_at": str},
        pk="id", foreign_keys=[("project_id", "projects", "id")],
    )
    db["jobs"].create(
        {"id": int, "project_id": int, "kind": str, "status": str, "progress": float, "message": str,
         "log": str, "pid": int, "error": str, "created_at": str, "started_at": str,
         "heartbeat_at": str, "finished_at": str},
        pk="id", foreign_keys=[("project_id", "projects", "id")],
    )
    db["runs"].create(
        {"id": int, "project_id": int, "job_id": int, "dataset_id": int, "dataset_sha256": str,
         "problem": str, "recipe": str, "settings": str, "split": str, "notes": str, "created_at": str},
        pk="id", foreign_keys=[("project_id", "projects", "id"), ("job_id", "jobs", "id")],
    )
    db["models"].create(
        {"id": int, "project_id": int, "run_id": int, "family": str, "status": str, "cv_scores": str,
         "valid_metrics": str, "test_metrics": str, "fit_seconds": float, "error": str, "path": str,
         "sha256": str, "size_bytes": int, "created_at": str},
        pk="id", foreign_keys=[("project_id", "projects", "id"), ("run_id", "runs", "id")],
    )
    for table in ("datasets", "jobs", "runs", "models"):
        db[table].create_index(["project_id"])


@migrations()
def m002_run_versions_and_timing(db: Database) -> None:
    """Runs record the library versions they ran with and how long they took."""
    db["runs"].add_column("versions", str)
    db["runs"].add_column("seconds", float)


@migrations()
def m003_resumable_runs(db: Database) -> None:
    """A run records the column schema it trained with (so it can be replayed exactly), the Optuna study
    prefix it searched (an extended run continues an earlier run's studies) and the run it extends; a job
    records its parameters (e.g. how many more trials an extension runs)."""
    db["runs"].add_column("schema", str)
    db["runs"].add_column("study", str)
    db["runs"].add_column("extends", int)
    db["jobs"].add_column("params", str)


@migrations()
def m004_prediction_log(db: Database) -> None:
    """Requests a served model scored (inputs, outputs, time, model version), for monitoring; and the local
    REST servers the Deploy page started."""
    db["prediction_log"].create(
        {"id": int, "project_id": int, "model_id": int, "created_at": str, "n_rows": int, "inputs": str,
         "outputs": str, "ms": float, "model_version": str, "source": str},
        pk="id", foreign_keys=[("project_id", "projects", "id"), ("model_id", "models", "id")],
    )
    db["prediction_log"].create_index(["model_id", "created_at"])
    db["servers"].create(
        {"id": int, "project_id": int, "model_id": int, "host": str, "port": int, "pid": int, "status": str,
         "started_at": str, "stopped_at": str},
        pk="id", foreign_keys=[("project_id", "projects", "id"), ("model_id", "models", "id")],
    )


@migrations()
def m005_shares(db: Database) -> None:
    """Read-only share links of a project: only the sha256 of each token is kept (the token is shown once).
    They go when their project goes (ON DELETE CASCADE)."""
    db.execute("""CREATE TABLE shares (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        token_sha256 TEXT NOT NULL, label TEXT, created_at TEXT, expires_at TEXT, revoked_at TEXT,
        allow_predict INTEGER NOT NULL DEFAULT 0, last_opened_at TEXT, opens INTEGER NOT NULL DEFAULT 0)""")
    db["shares"].create_index(["token_sha256"], unique=True)
    db["shares"].create_index(["project_id"])


@migrations()
def m006_monitoring(db: Database) -> None:
    """Incoming data batches a project's models are monitored on, and each project's drift thresholds.
    Both go when their project goes (ON DELETE CASCADE); a batch outlives the model it came in for."""
    db.execute("""CREATE TABLE monitor_batches (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
        created_at TEXT, source TEXT, name TEXT, path TEXT, sha256 TEXT, n_rows INTEGER, n_cols INTEGER)""")
    db["monitor_batches"].create_index(["project_id", "created_at"])
    db.execute("""CREATE TABLE monitor_settings (
        project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
        thresholds TEXT, updated_at TEXT)""")



@migrations()
def m007_late_labels(db: Database) -> None:
    """Ground-truth files that arrive after the predictions (joined to scored rows by a key column), and each
    project's decay thresholds beside its drift thresholds."""
    db.execute("""CREATE TABLE monitor_labels (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        created_at TEXT, name TEXT, key TEXT, target TEXT, path TEXT, sha256 TEXT, n_rows INTEGER)""")
    db["monitor_labels"].create_index(["project_id", "created_at"])
    db["monitor_settings"].add_column("decay", str)



@migrations()
def m008_alerts(db: Database) -> None:
    """Alerts the monitor raised (drift, performance decay), each once per finding (``fingerprint``), with their
    acknowledgement and webhook delivery; the runs of the monitor; and each project's webhook URL."""
    db.execute("""CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
        kind TEXT, fingerprint TEXT, message TEXT, details TEXT, created_at TEXT, acknowledged_at TEXT,
        delivery TEXT, UNIQUE (project_id, fingerprint))""")
    db.execute("""CREATE TABLE monitor_runs (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        created_at TEXT, summary TEXT)""")
    db["monitor_settings"].add_column("webhook", str)


@migrations()
def m009_model_stages(db: Database) -> None:
    """The model registry: each model's stage (champion / challenger / archived; NULL for an ordinary
    leaderboard model) and every change of a project's champion, so a rollback knows where to go back to.
    A project's current champion becomes its first 'champion' stage."""
    db["models"].add_column("stage", str)
    db.execute("""CREATE TABLE champion_history (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        model_id INTEGER, previous_model_id INTEGER, promoted_at TEXT, reason TEXT)""")
    db["champion_history"].create_index(["project_id"])
    db.execute("UPDATE models SET stage = 'champion' WHERE id IN "
               "(SELECT champion_model_id FROM projects WHERE champion_model_id IS NOT NULL)")


#: Tables whose rows have an ``id``; m010 gives each an AUTOINCREMENT key.
ID_TABLES = ("projects", "datasets", "jobs", "runs", "models", "prediction_log", "servers", "shares",
             "monitor_batches", "monitor_labels", "alerts", "monitor_runs", "champion_history")


@migrations()
def m010_ids_never_reused(db: Database) -> None:
    """Ids are never reused: without AUTOINCREMENT a new run could get a deleted run's id and with it the old
    run's Optuna study and job log. Each table is rebuilt (SQLite cannot alter a key), keeping every row and
    id; the sequence starts after the largest id kept."""
    for table in ID_TABLES:
        _rebuild_with_autoincrement(db, table)


def _rebuild_with_autoincrement(db: Database, table: str) -> None:
    """SQLite's table-rebuild procedure: create the new table, copy the rows, drop the old one, rename."""
    sql, = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()
    indexes = [row[0] for row in db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", [table])]
    key = r"(\[id\]|\"id\"|\bid)\s+INTEGER PRIMARY KEY\b"
    new_sql, keys = re.subn(key, r"\1 INTEGER PRIMARY KEY AUTOINCREMENT", sql, count=1)
    new_sql, names = re.subn(rf"^CREATE TABLE\s+(\[{table}\]|\"{table}\"|{table})", f"CREATE TABLE [_new_{table}]",
                             new_sql)
    if keys != 1 or names != 1:
        raise RuntimeError(f"Cannot rebuild table {table!r} with AUTOINCREMENT; its schema is {sql!r}.")
    db.execute(new_sql)
    db.execute(f"INSERT INTO [_new_{table}] SELECT * FROM [{table}]")
    db.execute(f"DROP TABLE [{table}]")
    db.execute(f"ALTER TABLE [_new_{table}] RENAME TO [{table}]")
    for index in indexes:
        db.execute(index)


@migrations()
def m011_decision_threshold(db: Database) -> None:
    """A model's decision threshold gets its own column; it was kept inside the ``valid_metrics`` JSON."""
    db["models"].add_column("decision_threshold", float)
    db.execute("""UPDATE models SET
        decision_threshold = json_extract(valid_metrics, '$.decision_threshold'),
        valid_metrics = json_remove(valid_metrics, '$.decision_threshold')
        WHERE json_valid(valid_metrics) AND json_type(valid_metrics, '$.decision_threshold') IN ('real', 'integer')""")


@migrations()
def m012_run_winner(db: Database) -> None:
    """A run records its winner: the model its own rule chose (best cross-validated score, ensembles included),
    which Evaluate proposes as the champion. Runs from before stay NULL (Evaluate then goes by validation)."""
    db["runs"].add_column("winner_model_id", int)


#: The number of migrations this code knows; a database at this version is fully up to date.
SCHEMA_VERSION = len(migrations.pending(Database(memory=True)))

#: How long opening a workspace keeps retrying while another process holds the migration lock (seconds).
MIGRATION_WAIT = 60.0


def connect(path: str | Path, *, foreign_keys: bool = True) -> Database:
    """Open the database at ``path`` (waiting up to 30 s when it is busy); migrations are ``migrate``'s job."""
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
    return Database(conn)


def migrate(path: str | Path) -> None:
    """Enable WAL and apply pending migrations, under an exclusive lock so processes opening a new workspace
    at once take turns: the first one migrates, the others wait, retry and find nothing left to do.

    Foreign keys are off meanwhile, as SQLite's table-rebuild procedure asks: a DROP TABLE would otherwise
    cascade into the child rows (a rebuild keeps every id, so references stay valid).
    """
    deadline = time.monotonic() + MIGRATION_WAIT
    while True:
        try:
            _migrate_once(path)
            return
        except sqlite3.OperationalError as error:
            if ("locked" not in str(error) and "busy" not in str(error)) or time.monotonic() > deadline:
                raise
        time.sleep(random.uniform(0.05, 0.2))


def _migrate_once(path: str | Path) -> None:
    db = connect(path, foreign_keys=False)
    try:
        if db.journal_mode != "wal":
            db.enable_wal()
        if not migrations.pending(db):
            return
        db.execute("BEGIN EXCLUSIVE")
        try:
            migrations.apply(db)  # pending is checked again inside the lock: another process may have migrated
            db.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise
    finally:
        db.close()


@contextmanager
def open_db(path: str | Path) -> Iterator[Database]:
    """``with open_db(path) as db:`` - one connection per operation, closed afterwards (``migrate`` ran first)."""
    db = connect(path)
    try:
        yield db
    finally:
        db.close()


@contextmanager
def write_db(path: str | Path) -> Iterator[Database]:
    """``with write_db(path) as db:`` - one connection and one write transaction, committed at the end.

    It starts with ``BEGIN IMMEDIATE``: a plain ``BEGIN`` that reads first (as ``Table.insert`` and
    ``Table.update`` do) fails at once with "database is locked" when another process writes meanwhile,
    while taking the write lock up front waits for it (``busy_timeout``).
    """
    with open_db(path) as db:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        db.commit()


def dumps(value) -> str | None:
    """JSON text for a column (None stays NULL)."""
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def loads(text: str | None, default=None):
    """Decode a JSON column; NULL gives ``default``."""
    return default if text is None else json.loads(text)
