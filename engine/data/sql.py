"""Read the result of one read-only SELECT query from a database named by a SQLAlchemy URL.

    DataError
    └── SqlError                   a database cannot be read
        ├── ConnectError           bad URL, missing or unsupported driver or file, unreachable server
        └── QueryError             not a single read-only SELECT, the database rejected it, or it ran too long

Read-only is enforced by the database, never by reading the query's text (``check_select`` only gives an early,
friendly message): SQLite files are opened read-only and ``query_only``; PostgreSQL sessions start with
``default_transaction_read_only`` and the query runs through a server-side cursor (one statement in the extended
protocol, so ``;``-chains, ``COMMIT`` and data-modifying ``WITH`` are refused by the server); MySQL / MariaDB run
in ``START TRANSACTION READ ONLY`` on a connection that refuses several statements. The read-only mode is checked
before the query runs, and the query is not run when it did not take. Drivers for which this cannot be guaranteed
are refused. Every query has a total time limit.

Passwords never leave this module: every message shows the URL through ``redact_url``.

>>> read_query("sqlite:///shop.db", "SELECT * FROM orders", limit=100)  # doctest: +SKIP
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from engine.data.redaction import redact_url
from engine.errors import ColumnError, DataError

__all__ = ["ConnectError", "QueryError", "SqlError", "check_select", "read_query", "redact_url"]


class SqlError(DataError):
    """A database or a query cannot be read."""


class ConnectError(SqlError):
    """The URL is malformed, its driver is not installed, or the database cannot be reached."""


class QueryError(SqlError):
    """The query is not a single read-only SELECT, or the database rejected it."""


#: Driver module -> the package that provides it.
DRIVER_PACKAGES = {"psycopg": "psycopg[binary]", "pymysql": "pymysql"}
#: backend -> the drivers whose connections run exactly one statement per call and can be made read-only.
READ_ONLY_DRIVERS = {"sqlite": ("pysqlite",), "postgresql": ("psycopg",), "mysql": ("pymysql",),
                     "mariadb": ("pymysql",)}
#: The default total time limit of a query, in seconds.
QUERY_TIME_LIMIT = 60.0
# PyMySQL's CLIENT.FOUND_ROWS (SQLAlchemy's default flag) without CLIENT.MULTI_STATEMENTS, whatever the URL says.
_MYSQL_CLIENT_FLAG = 2
# Anywhere in the query (a WITH may hold a data-modifying statement; SELECT … INTO creates a table).
_WRITES = ("INSERT", "UPDATE", "DELETE", "DROP", "ALTER", "CREATE", "ATTACH", "DETACH", "PRAGMA", "TRUNCATE",
           "GRANT", "REVOKE", "MERGE", "VACUUM", "REINDEX", "COPY", "CALL", "EXEC", "EXECUTE", "INTO")
# Quoted strings and identifiers are kept whole (PostgreSQL's $tag$...$tag$ and E'...\'...' too); comments are
# matched so they can be dropped.
_TOKENS = re.compile(r"\$(?P<tag>(?:[A-Za-z_]\w*)?)\$.*?\$(?P=tag)\$|[Ee]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'"
                     r"|\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|--[^\n]*|/\*.*?\*/", re.DOTALL)
_EXAMPLE = "sqlite:///path/to/file.db or postgresql+psycopg://user:password@host:5432/database"


def check_select(query: str) -> str:
    """The query without comments or a trailing ``;``; raise QueryError unless it is one read-only SELECT."""
    kept = _TOKENS.sub(lambda token: " " if token.group().startswith(("--", "/*")) else token.group(), query)
    statement = kept.strip().rstrip(";").strip()
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


def read_query(url: str, query: str, limit: int | None = None, timeout: int = 10,
               time_limit: float = QUERY_TIME_LIMIT) -> pd.DataFrame:
    """The rows of ``query`` (at most ``limit``) read in a read-only transaction.

    ``timeout`` bounds the connection in seconds; ``time_limit`` bounds the query itself, from start to last row.
    """
    statement = check_select(query)
    if limit is not None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise QueryError(f"The 'limit' parameter of read_query must be an int >= 1 or None. Got {limit!r} instead.")
        statement = f"SELECT * FROM ({statement}) AS preview LIMIT {limit}"
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not 0 < time_limit <= 86400:
        raise QueryError(f"The 'time_limit' parameter of read_query must be a number of seconds in (0, 86400]. "
                         f"Got {time_limit!r} instead.")
    parsed, connect_args = _connect_target(url, timeout, time_limit)
    shown = redact_url(url)
    try:
        engine = create_engine(parsed, connect_args=connect_args)
    except (exc.NoSuchModuleError, exc.ArgumentError) as error:
        raise ConnectError(f"'{shown}' names an unknown database kind ({error}); write it like {_EXAMPLE}.") from None
    except ImportError as error:
        raise ConnectError(_missing_driver(parsed, shown, error)) from None
    try:
        return _run(engine, statement, parsed, shown, time_limit)
    finally:
        engine.dispose()


def _connect_target(url: str, timeout: int, time_limit: float = QUERY_TIME_LIMIT) -> tuple[URL, dict]:
    """The URL to connect to and the driver arguments that make the session read-only and time-limited."""
    shown = redact_url(url)
    try:
        parsed = make_url(url.strip())
    except (exc.ArgumentError, ValueError):
        raise ConnectError(f"'{shown}' is not a database URL; write it like {_EXAMPLE}.") from None
    if parsed.host and "@" in parsed.host:  # the host would be the end of the password: shown in driver errors
        raise ConnectError(f"The user name or password in '{shown}' holds an '@'; write it as %40 (e.g. "
                           f"postgresql+psycopg://ann:p%40ss@host/db) so the URL's host is read right.")
    if parsed.drivername in ("mysql", "mariadb"):  # the driver this workbench installs, not mysqlclient
        parsed = parsed.set(drivername=f"{parsed.drivername}+pymysql")
    backend = parsed.get_backend_name()
    try:
        driver = parsed.get_driver_name()
    except (exc.NoSuchModuleError, exc.ArgumentError) as error:
        raise ConnectError(f"'{shown}' names an unknown database kind ({error}); write it like {_EXAMPLE}.") from None
    if driver not in READ_ONLY_DRIVERS.get(backend, ()):
        supported = ", ".join(f"{name}+{drivers[0]}" for name, drivers in READ_ONLY_DRIVERS.items())
        raise ConnectError(f"'{shown}' uses {backend}+{driver}, for which the workbench cannot guarantee a "
                           f"read-only, single-statement session; use one of: {supported}.")
    if backend == "postgresql":
        # Set in the connection's start-up packet: every transaction of the session is read-only from its start.
        options = f"-c default_transaction_read_only=on -c statement_timeout={int(time_limit * 1000)}"
        given = parsed.query.get("options")
        given = " ".join(given) if isinstance(given, tuple) else given
        return parsed, {"connect_timeout": timeout, "options": f"{given} {options}" if given else options}
    if backend in ("mysql", "mariadb"):
        return parsed, {"connect_timeout": timeout, "client_flag": _MYSQL_CLIENT_FLAG,
                        "read_timeout": int(time_limit) + 5, "local_infile": False}
    if not parsed.database or parsed.database == ":memory:":
        raise ConnectError(f"'{shown}' names no database file; write it like sqlite:///path/to/file.db.")
    path = Path(parsed.database).expanduser().resolve()
    if not path.is_file():
        raise ConnectError(f"There is no SQLite file at '{path}'; check the path in '{shown}'.")
    # Opened read-only by SQLite itself, whatever the query does.
    readonly = URL.create(parsed.drivername, database=path.as_uri(), query={"mode": "ro", "uri": "true"})
    return readonly, {"timeout": timeout}


def _run(engine: Engine, statement: str, url: URL, shown: str, time_limit: float) -> pd.DataFrame:
    try:
        conn = engine.connect()
    except ImportError as error:
        raise ConnectError(_missing_driver(url, shown, error)) from None
    except exc.DBAPIError as error:
        raise ConnectError(f"Could not connect to '{shown}': {_reason(error, url)}. Check the host, port, user "
                           f"and password, and that the database server is running.") from None
    with conn:
        started = time.monotonic()
        try:
            _enter_read_only(conn, url.get_backend_name(), shown, time_limit)
            # No parameters: a '%' in the query reaches the driver as written. A server-side cursor: PostgreSQL
            # runs one DECLARE through the extended protocol, which refuses a second statement.
            result = conn.exec_driver_sql(statement, execution_options={"no_parameters": True,
                                                                       "stream_results": True})
            frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        except exc.DBAPIError as error:
            if time.monotonic() - started >= time_limit:
                raise QueryError(f"The query on '{shown}' ran longer than its {time_limit:g} s time limit and was "
                                 f"stopped; select fewer rows or columns, or filter with WHERE.") from None
            raise QueryError(f"'{shown}' rejected the query: {_reason(error, url)}.") from None
        finally:
            conn.rollback()
    repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if repeated:
        raise ColumnError(f"The query returns the columns {repeated} more than once; give each its own name "
                          f"with AS, e.g. SELECT a.id AS order_id, b.id AS customer_id.")
    return frame.infer_objects()


def _enter_read_only(conn: Connection, backend: str, shown: str, time_limit: float) -> None:
    """Start a read-only transaction on ``conn`` and check that it took; raise QueryError when it did not."""
    try:
        read_only = _READ_ONLY_CHECKS[backend](conn, time_limit)
    except exc.DBAPIError:
        read_only = False
    if not read_only:
        raise QueryError(f"'{shown}' could not be put in read-only mode, so the query was not run; connect with a "
                         f"user and database that allow read-only transactions.")


def _sqlite_read_only(conn: Connection, time_limit: float) -> bool:
    deadline = time.monotonic() + time_limit
    # SQLite has no statement time-out: the progress handler interrupts the query once it answers true.
    conn.connection.driver_connection.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
    conn.exec_driver_sql("PRAGMA query_only = ON")
    return conn.exec_driver_sql("PRAGMA query_only").scalar() == 1


def _postgresql_read_only(conn: Connection, time_limit: float) -> bool:
    # The session started read-only with its statement time-out (see _connect_target); this transaction too.
    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
    return conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"


def _mysql_read_only(conn: Connection, time_limit: float) -> bool:
    mariadb = conn.dialect.is_mariadb
    limit = f"max_statement_time = {time_limit:g}" if mariadb else f"max_execution_time = {int(time_limit * 1000)}"
    conn.exec_driver_sql(f"SET SESSION {limit}")
    conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
    conn.exec_driver_sql("START TRANSACTION READ ONLY")
    variable = "tx_read_only" if mariadb else "transaction_read_only"
    return conn.exec_driver_sql(f"SELECT @@session.{variable}").scalar() == 1


_READ_ONLY_CHECKS = {"sqlite": _sqlite_read_only, "postgresql": _postgresql_read_only, "mysql": _mysql_read_only,
                     "mariadb": _mysql_read_only}


def _reason(error: exc.DBAPIError, url: URL) -> str:
    text = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else type(error.orig).__name__
    return text.replace(url.password, "***") if url.password else text


def _missing_driver(url: URL, shown: str, error: ImportError) -> str:
    module = (error.name or url.get_driver_name()).split(".")[0]
    package = DRIVER_PACKAGES.get(module) or DRIVER_PACKAGES.get(url.get_driver_name(), module)
    return (f"The database driver '{module}' needed for '{shown}' is not installed; install it with "
            f"`pip install \"{package}\"` and restart the workbench.")
