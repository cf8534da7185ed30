"""Web use cases: list the tables behind a URL and import one into a project."""

from __future__ import annotations

import pandas as pd

from engine.data.web import fetch, html_tables, read_page, read_url
from storage import Workspace
from usecases.projects import add_frame

__all__ = ["import_url", "url_tables"]


def url_tables(url: str) -> list[pd.DataFrame]:
    """The tables at ``url``: all <table>s of an HTML page, or the one table of a CSV / JSON answer."""
    page = fetch(url)
    return html_tables(page) if page.is_html else [read_page(page).frame]


def import_url(ws: Workspace, project_id: int, url: str, table: int = 0) -> dict:
    """Fetch the ``table``-th table at ``url`` and make it the project's active dataset."""
    loaded = read_url(url, table=table)
    name = url.rstrip("/").rsplit("/", 1)[-1] or url
    return add_frame(ws, project_id, loaded.frame, f"{name} (web)", f"url:{url}", loaded.notes)
