"""Read the result of one read-only SELECT query from a database named by a SQLAlchemy URL.

    DataError
    └── SqlError                   a database cannot be read
        ├── ConnectError           bad URL, missing driver or file, unreachable server
        └── QueryError             not a single read-only SELECT, or the database rejected it

Passwords never leave this module: every message shows the URL through ``redact_url``.

>>> read_query("sqlite:///shop.db", "SELECT * FROM orders", limit=100)  # doctest: +SKIP
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, exc
from sqlalchemy.engine import URL, Engine, make_url

from engine.errors import ColumnError, DataError

__all__ = ["ConnectError", "QueryError", "SqlError", "check_select", "read_query", "redact_url"]


class SqlError(DataError):
    """A database or a query cannot be read."""


class ConnectError(SqlError):
    """The URL is malformed, its driver is not installed, or the database cannot be reached."""


class QueryError(SqlError):
    """The query is not a single read-only SELECT, or the database rejected it."""


#: Driver module -> the package that provides it.
DRIVER_PACKAGES = {
    "psycopg2": "psycopg2-binary",
    "psycopg": "psycopg[binary]",
    "pg8000": "pg8000",
    "asyncpg": "asyncpg",
    "mysqldb": "mysqlclient",
    "pymysql": "pymysql",
    "mysqlconnector": "mysql-connector-python",
    "mariadbconnector": "mariadb",
    "pyodbc": "pyodbc",
    "pymssql": "pymssql",
    "oracledb": "oracledb",
}
# Anywhere in the query (a WITH may hold a data-modifying statement; SELECT … INTO creates a table).
_WRITES = ("INSERT", "UPDATE", "DELETE", "DROP", "ALTER", "CREATE", "ATTACH", "DETACH", "PRAGMA", "TRUNCATE",
           "GRANT", "REVOKE", "MERGE", "VACUUM", "REINDEX", "COPY", "CALL", "EXEC", "EXECUTE", "INTO")
# Quoted strings and identifiers are kept whole; comments are matched so they can be dropped.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|--[^\n]*|/\*.*?\*/", re.DOTALL)
_EXAMPLE = "sqlite:///path/to/file.db or postgresql+psycopg://user:password@host:5432/database"


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***``.

    >>> redact_url("postgresql://ann:secret@db:5432/shop")
    'postgresql://ann:***@db:5432/shop'
    """
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (exc.ArgumentError, ValueError):
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def check_select(query: str) -> str:
    """The query without comments or a trailing ``;``; raise QueryError unless it is one read-only SELECT."""
    kept = []
    for piece in re.split(f"({_TOKENS.pattern})", query, flags=re.DOTALL):
        if piece.startswith("--") or piece.startswith("/*"):
            kept.append(" ")
        else:
            kept.append(piece)
    statement = "".join(kept).strip().rstrip(";").strip()
    bare = _TOKENS.sub(" ", statement)
    if not bare.strip():
        raise QueryError("The query is empty; write one SELECT statement, e.g. SELECT * FROM orders.")
    if ";" in bare:
        raise QueryError("The query holds several statements separated by ';'; write exactly one SELECT statement.")
    first = bare.lstrip("( \n\t").split(None, 1)[0].upper()
    if first not in ("SELECT", "WITH"):
        raise QueryError(f"Only a read-only SELECT (or WITH … SELECT) query can be imported, but it starts "
                         f"with {first!r}.")
    found = [word for word in re.findall(r"[A-Za-z_]+", bare) if word.upper() in _WRITES]
    if found:
        raise QueryError(f"Only a read-only SELECT query can be imported, but it contains {found[0].upper()!r}. "
                         f"If that is a column or table name, put it in double quotes.")
    return statement


def read_query(url: str, query: str, limit: int | None = None, timeout: int = 10) -> pd.DataFrame:
    """The rows of ``query`` (at most ``limit``) read in a read-only connection; ``timeout`` in seconds."""
    statement = check_select(query)
    if limit is not None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise QueryError(f"The 'limit' parameter of read_query must be an int >= 1 or None. Got {limit!r} instead.")
        statement = f"SELECT * FROM ({statement}) AS preview LIMIT {limit}"
    parsed, connect_args = _connect_target(url, timeout)
    shown = redact_url(url)
    try:
        engine = create_engine(parsed, connect_args=connect_args)
    except (exc.NoSuchModuleError, exc.ArgumentError) as error:
        raise ConnectError(f"'{shown}' names an unknown database kind ({error}); write it like {_EXAMPLE}.") from None
    except ImportError as error:
        raise ConnectError(_missing_driver(parsed, shown, error)) from None
    try:
        return _run(engine, statement, parsed, shown)
    finally:
        engine.dispose()


def _connect_target(url: str, timeout: int) -> tuple[URL, dict]:
    shown = redact_url(url)
    try:
        parsed = make_url(url.strip())
    except (exc.ArgumentError, ValueError):
        raise ConnectError(f"'{shown}' is not a database URL; write it like {_EXAMPLE}.") from None
    if parsed.drivername in ("mysql", "mariadb"):  # the driver this workbench installs, not mysqlclient
        parsed = parsed.set(drivername=f"{parsed.drivername}+pymysql")
    backend = parsed.get_backend_name()
    if backend != "sqlite":
        return parsed, {"connect_timeout": timeout} if backend in ("postgresql", "mysql", "mariadb") else {}
    if not parsed.database or parsed.database == ":memory:":
        raise ConnectError(f"'{shown}' names no database file; write it like sqlite:///path/to/file.db.")
    path = Path(parsed.database).expanduser().resolve()
    if not path.is_file():
        raise ConnectError(f"There is no SQLite file at '{path}'; check the path in '{shown}'.")
    # Opened read-only by SQLite itself, whatever the query does.
    readonly = URL.create(parsed.drivername, database=path.as_uri(), query={"mode": "ro", "uri": "true"})
    return readonly, {"timeout": timeout}


def _run(engine: Engine, statement: str, url: URL, shown: str) -> pd.DataFrame:
    try:
        conn = engine.connect()
    except ImportError as error:
        raise ConnectError(_missing_driver(url, shown, error)) from None
    except exc.DBAPIError as error:
        raise ConnectError(f"Could not connect to '{shown}': {_reason(error, url)}. Check the host, port, user "
                           f"and password, and that the database server is running.") from None
    with conn:
        if url.get_backend_name() != "sqlite":
            try:
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            except exc.DBAPIError:
                conn.rollback()
        try:
            # No parameters: a '%' in the query reaches the driver as written.
            result = conn.exec_driver_sql(statement, execution_options={"no_parameters": True})
            frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        except exc.DBAPIError as error:
            raise QueryError(f"'{shown}' rejected the query: {_reason(error, url)}.") from None
        finally:
            conn.rollback()
    repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if repeated:
        raise ColumnError(f"The query returns the columns {repeated} more than once; give each its own name "
                          f"with AS, e.g. SELECT a.id AS order_id, b.id AS customer_id.")
    return frame.infer_objects()


def _reason(error: exc.DBAPIError, url: URL) -> str:
    text = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else type(error.orig).__name__
    return text.replace(url.password, "***") if url.password else text


def _missing_driver(url: URL, shown: str, error: ImportError) -> str:
    module = (error.name or url.get_driver_name()).split(".")[0]
    package = DRIVER_PACKAGES.get(module) or DRIVER_PACKAGES.get(url.get_driver_name(), module)
    return (f"The database driver '{module}' needed for '{shown}' is not installed; install it with "
            f"`pip install \"{package}\"` and restart the workbench.")
