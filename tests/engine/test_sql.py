"""Reading one read-only SELECT from a database URL: limits, rejected statements, clear errors."""

from __future__ import annotations

import sqlite3

import pytest

from engine.data.sql import ConnectError, QueryError, check_select, read_query, redact_url
from engine.errors import ColumnError, DataError


@pytest.fixture
def shop(orders_db):
    """A SQLite file with 12 orders: id 1..12, city alternating Oslo/Lima, amount id * 2.5."""
    return orders_db(12, 2.5)


def test_reads_every_row_with_names_and_values(shop):
    frame = read_query(f"sqlite:///{shop}", "SELECT id, city, amount FROM orders ORDER BY id")
    assert list(frame.columns) == ["id", "city", "amount"]
    assert len(frame) == 12
    assert frame["id"].tolist() == list(range(1, 13))
    assert frame["amount"].iloc[-1] == 30.0
    assert frame["city"].tolist()[:2] == ["Oslo", "Lima"]


def test_limit_keeps_the_first_rows(shop):
    frame = read_query(f"sqlite:///{shop}", "SELECT * FROM orders ORDER BY id DESC;", limit=5)
    assert frame["id"].tolist() == [12, 11, 10, 9, 8]


def test_limit_wraps_a_with_query_and_keeps_percent_signs(shop):
    query = "WITH o AS (SELECT * FROM orders WHERE city LIKE 'O%') SELECT id FROM o ORDER BY id"
    assert read_query(f"sqlite:///{shop}", query, limit=3)["id"].tolist() == [1, 3, 5]


def test_with_query_comments_and_strings(shop):
    query = """-- Oslo only; a comment with ; and DROP
    WITH o AS (SELECT * FROM orders WHERE city = 'Oslo') /* block; DELETE */
    SELECT city, COUNT(*) AS n, 'a;b -- c' AS text FROM o GROUP BY city;"""
    frame = read_query(f"sqlite:///{shop}", query)
    assert frame.to_dict("records") == [{"city": "Oslo", "n": 6, "text": "a;b -- c"}]


@pytest.mark.parametrize("limit", [0, -1, 2.5, "10"], ids=["zero", "negative", "float", "string"])
def test_bad_limit(shop, limit):
    with pytest.raises(QueryError, match="'limit' parameter of read_query"):
        read_query(f"sqlite:///{shop}", "SELECT * FROM orders", limit=limit)


@pytest.mark.parametrize("url, shown", [
    ("postgresql://ann:s3cret@db:5432/shop", "postgresql://ann:***@db:5432/shop"),
    ("mysql+pymysql://bob:p%40ss@localhost/sales", "mysql+pymysql://bob:***@localhost/sales"),
    ("sqlite:///data/shop.db", "sqlite:///data/shop.db"),
    ("not a url://x:secret@y", "not a url://x:***@y"),
], ids=["postgres", "mysql-escaped", "sqlite-no-password", "unparsable"])
def test_redact_url(url, shown):
    assert redact_url(url) == shown


@pytest.mark.parametrize("query", [
    "INSERT INTO orders VALUES (13, 'Rome', 1.0)",
    "UPDATE orders SET amount = 0",
    "DELETE FROM orders",
    "DROP TABLE orders",
    "ALTER TABLE orders ADD COLUMN x INTEGER",
    "CREATE TABLE copy AS SELECT * FROM orders",
    "ATTACH DATABASE 'other.db' AS other",
    "PRAGMA journal_mode = DELETE",
    "REPLACE INTO orders VALUES (1, 'x', 1.0)",
    "VACUUM",
    "WITH gone AS (DELETE FROM orders RETURNING *) SELECT * FROM gone",
    "SELECT * INTO backup FROM orders",
], ids=["insert", "update", "delete", "drop", "alter", "create", "attach", "pragma", "replace", "vacuum",
        "with-delete", "select-into"])
def test_rejects_writes(shop, query):
    with pytest.raises(QueryError, match="read-only SELECT"):
        read_query(f"sqlite:///{shop}", query)
    with sqlite3.connect(shop) as conn:
        assert conn.execute("SELECT COUNT(*) FROM orders").fetchone() == (12,)
    conn.close()


@pytest.mark.parametrize("query", [
    "SELECT 1; DROP TABLE orders",
    "SELECT 1; SELECT 2",
    "SELECT 1 ;\n-- trailing\n; SELECT 2",
    "SELECT $$'$$ AS a; COMMIT; DROP TABLE orders; SELECT $$'$$ AS b",
    "SELECT $$--$$ AS a; DROP TABLE orders",
    "SELECT E'\\'' AS a; DROP TABLE orders; SELECT ''",
], ids=["select-drop", "two-selects", "after-comment", "dollar-quoted-quote", "dollar-quoted-dashes", "escape-string"])
def test_rejects_several_statements(query):
    with pytest.raises(QueryError, match="several statements"):
        check_select(query)


@pytest.mark.parametrize("query", ["", "  -- only a comment\n", ";"], ids=["blank", "comment", "semicolon"])
def test_rejects_empty_query(query):
    with pytest.raises(QueryError, match="empty"):
        check_select(query)


def test_check_select_keeps_dollar_quoted_text_whole():
    assert check_select("SELECT $t$ a;b -- c $t$ AS x;") == "SELECT $t$ a;b -- c $t$ AS x"


def test_check_select_strips_comments_and_semicolon():
    assert check_select("SELECT a -- note\nFROM t; ") == "SELECT a  \nFROM t"
    assert check_select('SELECT "update" FROM t') == 'SELECT "update" FROM t'


def test_missing_sqlite_file(tmp_path):
    with pytest.raises(ConnectError, match="no SQLite file at") as info:
        read_query(f"sqlite:///{tmp_path / 'nope.db'}", "SELECT 1")
    assert not (tmp_path / "nope.db").exists()
    assert isinstance(info.value, DataError)


def test_repeated_column_names(shop):
    with pytest.raises(ColumnError, match=r"columns \['id'\] more than once"):
        read_query(f"sqlite:///{shop}", "SELECT id, id, city FROM orders")


def test_sql_error_names_the_problem(shop):
    with pytest.raises(QueryError, match="no such table: customers"):
        read_query(f"sqlite:///{shop}", "SELECT * FROM customers")


@pytest.mark.parametrize("url, match", [
    ("just some text", "is not a database URL"),
    ("nosuchdb://user:hunter2@host/db", "unknown database kind"),
    ("postgresql+pg8000://ann:hunter2@localhost:1/shop", "postgresql\\+pg8000, for which the workbench cannot"),
    ("mysql+mysqldb://ann:hunter2@localhost:1/shop", "use one of: sqlite\\+pysqlite, postgresql\\+psycopg"),
    ("sqlite://", "names no database file"),
], ids=["not-a-url", "unknown-dialect", "postgres-driver", "mysql-driver", "sqlite-memory"])
def test_connection_errors_hide_the_password(url, match):
    with pytest.raises(ConnectError, match=match) as info:
        read_query(url, "SELECT 1")
    assert "hunter2" not in str(info.value)


def test_unreachable_server_is_a_typed_error(monkeypatch):
    """A server that refuses the connection: the driver's message, with the password hidden."""
    from sqlalchemy import exc

    from engine.data import sql
    class Refusing:
        def connect(self):
            raise exc.OperationalError("connect", {}, Exception("connection refused for ann:hunter2"))

        def dispose(self):
            pass

    monkeypatch.setattr(sql, "create_engine", lambda url, **kwargs: Refusing())
    with pytest.raises(ConnectError, match="Could not connect to 'postgresql://ann:\\*\\*\\*@db:5432/shop'") as info:
        read_query("postgresql://ann:hunter2@db:5432/shop", "SELECT 1")
    assert "hunter2" not in str(info.value)
    assert "ann:***" in str(info.value)


def test_sqlite_is_opened_read_only(shop):
    """Even past the query check, the connection itself refuses writes."""
    from sqlalchemy import create_engine, exc

    from engine.data.sql import _connect_target

    url, _ = _connect_target(f"sqlite:///{shop}", 5)
    engine = create_engine(url)
    with engine.connect() as conn, pytest.raises(exc.OperationalError, match="readonly"):
        conn.exec_driver_sql("DELETE FROM orders")
    engine.dispose()
