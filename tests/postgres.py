"""A database of its own for a test module, on the session's throw-away PostgreSQL server (``postgres_url``)."""

from __future__ import annotations

from sqlalchemy import create_engine, make_url


def fresh_database(postgres_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server of ``postgres_url``; its URL, password included."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
