"""The workspace database: WAL mode, migrations to the current schema version, JSON columns."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlite_utils import Database

import storage
from storage import SCHEMA_VERSION, Workspace
from storage.db import connect, dumps, loads, migrate, migrations, open_db

ROOT = Path(__file__).resolve().parents[2]
TABLES = {"projects", "datasets", "jobs", "runs", "models"}


def _known() -> list[str]:
    """Names of every migration this code has, in order."""
    empty = Database(memory=True)
    try:
        return [m.name for m in migrations.pending(empty)]
    finally:
        empty.close()


def _applied(path) -> list[str]:
    with open_db(path) as db:
        return [m.name for m in migrations.applied(db)]


def test_new_workspace_has_every_table_and_every_migration(ws):
    with open_db(ws.db_path) as db:
        assert TABLES <= set(db.table_names())
        assert db["projects"].pks == ["id"]
        assert [i.columns for i in db["projects"].indexes if i.unique] == [["name"]]
    names = _applied(ws.db_path)
    assert len(names) == SCHEMA_VERSION >= 1
    assert names[0] == "m001_initial"
    assert names == _known()


def test_wal_mode_is_on_for_other_connections_too(ws):
    raw = sqlite3.connect(ws.db_path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        raw.close()


def test_each_connection_enforces_foreign_keys_and_waits_when_busy(ws):
    with open_db(ws.db_path) as db:
        assert db.execute("PRAGMA foreign_keys").fetchone() == (1,)
        assert db.execute("PRAGMA busy_timeout").fetchone() == (30000,)


def test_reopening_applies_nothing_twice(ws):
    Workspace(ws.home)
    Workspace(ws.home)
    assert len(_applied(ws.db_path)) == SCHEMA_VERSION


def test_an_old_database_is_upgraded_on_open(tmp_path):
    path = tmp_path / "old.db"
    later = _known()[1:]
    old = Database(path)
    migrations.apply(old, stop_before=later or None)
    old.close()
    assert _applied(path)[:1] == ["m001_initial"]
    Workspace(tmp_path / "home")  # a workspace's own file is migrated on open
    migrate(path)
    db = connect(path)
    try:
        assert len(migrations.applied(db)) == SCHEMA_VERSION
        assert migrations.pending(db) == []
    finally:
        db.close()


def test_json_columns_round_trip_and_null_stays_null():
    value = {"b": [1, 2.5, None], "a": "x"}
    assert dumps(value) == '{"a": "x", "b": [1, 2.5, null]}'
    assert loads(dumps(value)) == value
    assert dumps(None) is None
    assert loads(None) is None and loads(None, default={}) == {}


def test_storage_all_is_exactly_its_public_names():
    assert sorted(storage.__all__) == sorted(
        ["SCHEMA_VERSION", "IntegrityError", "NameTakenError", "NotFoundError", "StorageError", "Workspace",
         "read_card", "read_export", "read_model_bytes", "read_model_dir", "sha256_file", "now", "write_export",
         "write_model_dir"]
        + ["read_reference", "write_reference"]  # the monitor's reference profiles
        + ["write_card", "write_model_file"]  # a model directory's two halves (``usecases.training.train_model_dir``)
    )


OPENER = textwrap.dedent("""
    import sys
    from storage import Workspace

    print("ready", flush=True)
    sys.stdin.read(1)  # all four open the workspace together
    Workspace(sys.argv[1]).create_project(sys.argv[2])
""")


@pytest.mark.slow
def test_four_processes_opening_a_new_workspace_at_once_all_succeed(tmp_path):
    """Regression: three of four failed with 'database is locked' / 'table _sqlite_migrations already exists'."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [subprocess.Popen([sys.executable, "-c", OPENER, str(tmp_path), f"P{i}"], cwd=ROOT, env=env,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(4)]
    for process in processes:
        assert process.stdout.readline() == "ready\n"
    for process in processes:
        process.stdin.write("g")
        process.stdin.flush()
    errors = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], errors
    assert sorted(p["name"] for p in Workspace(tmp_path).list_projects()) == ["P0", "P1", "P2", "P3"]
    assert len(_applied(tmp_path / "workbench.db")) == SCHEMA_VERSION


def test_a_workspace_checks_migrations_once_not_on_every_read(ws, monkeypatch):
    project = ws.create_project("Churn")
    calls = []
    monkeypatch.setattr(migrations, "pending", lambda db: calls.append(db) or [])
    for _ in range(3):
        ws.get_project(project["id"])
    assert calls == []
