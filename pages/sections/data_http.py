"""The Data page's "From a URL" tab: a CSV / JSON address (an API) or an HTML page's tables."""

from __future__ import annotations

import streamlit as st

from pages import ui
from usecases import web


@st.cache_data(ttl=300, max_entries=4, show_spinner="Fetching…")
def _tables(url: str) -> list:
    return web.url_tables(url)


def url_section(ws, pid: int) -> None:
    url = st.text_input("Address of a CSV, a JSON API or a web page with tables", key="data_url",
                        placeholder="https://…/data.csv")
    if not url:
        st.caption("The answer is read like an uploaded file; a web page lists its tables to pick from.")
        return
    with ui.user_errors():
        tables = _tables(url)
        if not tables:
            st.warning("That page has no tables.", icon=":material/warning:")
            return
        choice = 0
        if len(tables) > 1:
            choice = st.selectbox("Table", range(len(tables)), key="data_url_table",
                                  format_func=lambda i: f"Table {i + 1} ({tables[i].shape[0]:,} rows × "
                                                        f"{tables[i].shape[1]} columns)")
        st.dataframe(tables[choice].head(20), width="stretch", height=230)
        if st.button("Import this table", key="data_url_import", type="primary"):
            web.import_url(ws, pid, url, table=choice)
            st.rerun()
