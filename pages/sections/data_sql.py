"""The Data page's "Query a database" tab: run one read-only SELECT and import its rows."""

from __future__ import annotations

import streamlit as st

from pages import ui
from usecases import sql
from usecases.sql import PREVIEW_ROWS


def sql_section(ws, pid: int) -> None:
    url = st.text_input("Database URL", key="data_sql_url", type="password",
                        placeholder="sqlite:///path/to/file.db or postgresql+psycopg://user:password@host/db",
                        help="PostgreSQL and MySQL need their driver: `pip install \"psycopg[binary]\"` or "
                             "`pip install pymysql` (then write mysql+pymysql://…).")
    query = st.text_area("Query (one read-only SELECT)", key="data_sql_query",
                         placeholder="SELECT * FROM orders")
    st.caption("The database is opened read-only; the password is never stored in the project.")
    left, right = st.columns(2)
    preview = left.button(f"Preview (first {PREVIEW_ROWS} rows)", key="data_sql_preview",
                          disabled=not (url and query))
    run_import = right.button("Import", key="data_sql_import", type="primary", disabled=not (url and query))
    with ui.user_errors():
        if preview:
            rows = sql.preview_query(url, query)
            st.caption(f"{len(rows):,} rows × {rows.shape[1]} columns")
            st.dataframe(rows, width="stretch", height=230)
        if run_import:
            sql.import_query(ws, pid, url, query)
            st.rerun()
