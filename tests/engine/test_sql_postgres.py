"""Reading a SELECT from a real PostgreSQL server (the session's throw-away one): types, limits, refusals, secrets."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from sqlalchemy import create_engine, make_url

from engine.data.sql import ConnectError, QueryError, read_query, redact_url
from tests.postgres import fresh_database

pytestmark = pytest.mark.slow  # the postgres_url fixture starts a server

ROWS = [  # id, score, name, day, ok, qty, price
    (1, 1.5, "Oslo", "2024-01-02", True, 10, 1.25),
    (2, None, "Lima", None, False, None, None),
    (3, -2.25, None, "2024-03-04", None, 30, 99.5),
]


@pytest.fixture(scope="module")
def pg(postgres_url):
    """A database of its own on the session's server, with table ``t`` (ROWS) and sequence ``seq``."""
    url = fresh_database(postgres_url, "engine_sql")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id integer, score double precision, name text, day date, ok boolean, "
                             "qty integer, price numeric(8, 2))")
        conn.exec_driver_sql("CREATE SEQUENCE seq")
        for row in ROWS:
            conn.exec_driver_sql("INSERT INTO t VALUES (%s, %s, %s, %s, %s, %s, %s)", row)
    engine.dispose()
    return url


def _count(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT COUNT(*) FROM t").scalar_one()
    engine.dispose()
    return count


def test_reads_mixed_types_and_nulls(pg):
    frame = read_query(pg, "SELECT * FROM t ORDER BY id")
    assert list(frame.columns) == ["id", "score", "name", "day", "ok", "qty", "price"]
    assert frame["id"].tolist() == [1, 2, 3] and frame["id"].dtype == "int64"
    assert frame["score"].dtype == "float64" and frame["score"].isna().tolist() == [False, True, False]
    assert frame["score"].iloc[2] == -2.25
    assert pd.api.types.is_string_dtype(frame["name"]) or pd.api.types.is_object_dtype(frame["name"])
    assert frame["name"].iloc[:2].tolist() == ["Oslo", "Lima"] and pd.isna(frame["name"].iloc[2])
    # A nullable int column arrives as float with NaN.
    assert frame["qty"].dtype == "float64" and frame["qty"].isna().tolist() == [False, True, False]
    # date, boolean-with-NULL and numeric: checked by value, whatever dtype the engine settles on.
    assert pd.to_datetime(frame["day"]).tolist()[::2] == [pd.Timestamp(dt.date(2024, 1, 2)),
                                                          pd.Timestamp(dt.date(2024, 3, 4))]
    assert pd.isna(frame["day"].iloc[1])
    assert frame["ok"].iloc[:2].tolist() == [True, False] and pd.isna(frame["ok"].iloc[2])
    assert frame["price"].astype(float).tolist()[::2] == [1.25, 99.5] and pd.isna(frame["price"].iloc[1])


def test_limit_and_percent_signs(pg):
    assert read_query(pg, "SELECT id FROM t ORDER BY id DESC;", limit=2)["id"].tolist() == [3, 2]
    query = "WITH o AS (SELECT * FROM t WHERE name LIKE '%o%') SELECT id, name FROM o ORDER BY id"
    assert read_query(pg, query, limit=5).to_dict("records") == [{"id": 1, "name": "Oslo"}]


@pytest.mark.parametrize("query, match", [
    ("DELETE FROM t", "read-only SELECT"),
    ("SELECT 1; DROP TABLE t", "several statements"),
    ("WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone", "read-only SELECT"),
], ids=["delete", "select-drop", "with-delete"])
def test_refuses_writes(pg, query, match):
    with pytest.raises(QueryError, match=match):
        read_query(pg, query)
    assert _count(pg) == len(ROWS)


def test_connection_is_read_only(pg):
    """A SELECT that writes (nextval) gets past the text check, but the read-only transaction refuses it."""
    with pytest.raises(QueryError, match="read-only transaction"):
        read_query(pg, "SELECT nextval('seq')")


def test_database_error_names_the_problem(pg):
    with pytest.raises(QueryError, match='relation "missing" does not exist'):
        read_query(pg, "SELECT * FROM missing")


def test_plain_postgresql_url_uses_psycopg(pg):
    """SQLAlchemy 2.1 maps postgresql:// to psycopg 3, the pinned driver."""
    plain = pg.replace("postgresql+psycopg://", "postgresql://", 1)
    assert read_query(plain, "SELECT COUNT(*) AS n FROM t")["n"].tolist() == [len(ROWS)]


@pytest.mark.parametrize("change, match", [
    ({"password": "wrong-pw-hunter2"}, "password authentication failed"),
    ({"port": 1}, "Could not connect"),
], ids=["wrong-password", "wrong-port"])
def test_connection_errors_hide_the_password(pg, change, match):
    url = make_url(pg).set(**change)
    with pytest.raises(ConnectError, match=match) as info:
        read_query(url.render_as_string(hide_password=False), "SELECT 1", timeout=5)
    message = str(info.value)
    assert url.password not in message and make_url(pg).password not in message
    assert "workbench:***@127.0.0.1" in message


def test_redacted_url_has_no_password(pg):
    password = make_url(pg).password
    assert password and password in pg
    shown = redact_url(pg)
    assert password not in shown and shown.startswith("postgresql+psycopg://workbench:***@127.0.0.1:")


def test_import_query_keeps_no_password(ws, pg):
    from usecases.projects import project_frame
    from usecases.sql import import_query

    password = make_url(pg).password
    project = ws.create_project("Shop")
    dataset = import_query(ws, project["id"], pg, "SELECT id, name, score FROM t ORDER BY id")
    assert dataset["name"] == "engine_sql (sql)"
    assert dataset["source"].startswith("sql:postgresql+psycopg://workbench:***@")
    assert project_frame(ws, project["id"])["id"].tolist() == [1, 2, 3]
    stored = json.dumps([ws.get_project(project["id"]), ws.list_datasets(project["id"])], default=str)
    assert password not in stored and "***" in stored
    for path in ws.home.rglob("*"):
        assert not path.is_file() or password.encode() not in path.read_bytes(), path
