"""A "read-only SELECT" from a database URL is read-only because the database says so, not because of its text.

Each attack runs against the real PostgreSQL server the suite starts (``postgres_url``), on a table ``victim`` that
must still hold the same rows afterwards, and must end in a typed ``QueryError``. The attacks run with the keyword
check switched off: the database session itself must refuse them (the keyword check is only an early message).
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from engine.data import sql
from engine.data.sql import ConnectError, QueryError, read_query
from tests.postgres import fresh_database

VICTIM_ROWS = [(1, "Oslo"), (2, "Lima")]

ATTACKS = {
    "dollar-quote-commit-drop": "SELECT $$'$$ AS a; COMMIT; DROP TABLE victim; SELECT $$'$$ AS b",
    "commit-then-drop": "SELECT 1; COMMIT; DROP TABLE victim",
    "rollback-then-delete": "SELECT 1; ROLLBACK; DELETE FROM victim",
    "semicolon-chain": "SELECT 1; DROP TABLE victim",
    "comment-hides-semicolon": "SELECT $$--$$ AS a; DROP TABLE victim",
    "escape-string-hides-semicolon": "SELECT E'\\'' AS a; DROP TABLE victim; SELECT ''",
    "copy-to-program": "COPY victim TO PROGRAM 'true'",
    "select-into": "SELECT * INTO stolen FROM victim",
    "data-modifying-cte": "WITH d AS (DELETE FROM victim RETURNING *) SELECT * FROM d",
    "set-config-then-drop": "SELECT set_config('default_transaction_read_only', 'off', false); DROP TABLE victim",
    "set-config-read-write": "SELECT set_config('transaction_read_only', 'off', false)",
    "set-transaction-read-write": "SET TRANSACTION READ WRITE",
    "begin-read-write-chain": "SELECT 1; BEGIN READ WRITE; DROP TABLE victim; COMMIT",
    "nextval-writes": "SELECT nextval('counter')",
}


@pytest.fixture(scope="module")
def victim_db(postgres_url):
    """A database of its own on the session's server: table ``victim`` (VICTIM_ROWS), sequence ``counter``."""
    url = fresh_database(postgres_url, "security_sql")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE victim (id integer, city text)")
        conn.exec_driver_sql("CREATE SEQUENCE counter")
        for row in VICTIM_ROWS:
            conn.exec_driver_sql("INSERT INTO victim VALUES (%s, %s)", row)
    engine.dispose()
    return url


@pytest.fixture
def no_keyword_check(monkeypatch):
    """The query reaches the database as written: only the database's own read-only mode stands in the way."""
    monkeypatch.setattr(sql, "check_select", lambda query: query.strip())


def _victim(url: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = [tuple(row) for row in conn.exec_driver_sql("SELECT id, city FROM victim ORDER BY id")]
            stolen = conn.exec_driver_sql("SELECT to_regclass('stolen') IS NOT NULL").scalar()
            counter = conn.exec_driver_sql("SELECT last_value, is_called FROM counter").one()
    finally:
        engine.dispose()
    assert not stolen, "SELECT ... INTO created a table"
    assert tuple(counter) == (1, False), "the sequence moved"
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("query", list(ATTACKS.values()), ids=list(ATTACKS))
def test_postgresql_session_refuses_every_write(victim_db, no_keyword_check, query):
    with pytest.raises(QueryError):
        read_query(victim_db, query)
    assert _victim(victim_db) == VICTIM_ROWS


@pytest.mark.slow
def test_import_path_does_not_run_a_dollar_quoted_chain(ws, victim_db):
    """The reported bug: the keyword check read $$'$$ as a quote; Import sent the text as written: table dropped."""
    from usecases.sql import import_query, preview_query

    project = ws.create_project("Shop")
    attack = ATTACKS["dollar-quote-commit-drop"]
    with pytest.raises(QueryError):
        import_query(ws, project["id"], victim_db, attack)
    with pytest.raises(QueryError):
        preview_query(victim_db, attack)
    assert _victim(victim_db) == VICTIM_ROWS


@pytest.mark.slow
def test_query_is_stopped_at_its_time_limit(victim_db):
    with pytest.raises(QueryError, match="ran longer than its 1 s time limit"):
        read_query(victim_db, "SELECT pg_sleep(5)", time_limit=1)


@pytest.mark.slow
def test_query_does_not_run_when_read_only_mode_cannot_be_set(victim_db, monkeypatch):
    """A server that rejects SET TRANSACTION READ ONLY: the query is refused, not run read-write."""
    def refusing_server(conn, time_limit):
        conn.exec_driver_sql("SET TRANSACTION READ ONLY NOT A STATEMENT")

    monkeypatch.setitem(sql._READ_ONLY_CHECKS, "postgresql", refusing_server)
    with pytest.raises(QueryError, match="could not be put in read-only mode, so the query was not run"):
        read_query(victim_db, "SELECT * FROM victim")


@pytest.mark.slow
def test_session_cannot_be_switched_back_by_url_options(victim_db):
    """``?options=-c default_transaction_read_only=off`` in the URL does not override the read-only session."""
    url = f"{victim_db}?options=-c%20default_transaction_read_only%3Doff"
    with pytest.raises(QueryError, match="read-only transaction"):
        read_query(url, "SELECT nextval('counter')")
    assert _victim(victim_db) == VICTIM_ROWS


def test_sqlite_query_is_stopped_at_its_time_limit(orders_db):
    endless = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r"
    with pytest.raises(QueryError, match="ran longer than its 0.5 s time limit"):
        read_query(f"sqlite:///{orders_db(3, 1.0)}", endless, time_limit=0.5)


@pytest.mark.parametrize("url", ["postgresql+pg8000://ann:hunter2@localhost:1/shop",
                                 "mysql+mysqldb://ann:hunter2@localhost:1/shop",
                                 "mssql+pyodbc://ann:hunter2@localhost:1/shop"],
                         ids=["pg8000", "mysqlclient-multi-statements", "sql-server"])
def test_drivers_that_cannot_be_held_read_only_are_refused(url):
    with pytest.raises(ConnectError, match="cannot guarantee a read-only, single-statement session") as info:
        read_query(url, "SELECT 1")
    assert "hunter2" not in str(info.value)


def test_mysql_connection_refuses_several_statements():
    """PyMySQL gets CLIENT.MULTI_STATEMENTS off (and no LOCAL INFILE) whatever the URL asks for."""
    url, connect_args = sql._connect_target("mysql://ann:pw@db/shop?client_flag=65536&local_infile=1", 5)
    assert url.drivername == "mysql+pymysql"
    assert connect_args["client_flag"] & (1 << 16) == 0 and connect_args["local_infile"] is False

