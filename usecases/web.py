"""Web use cases: list the tables behind a URL and import one into a project."""

from __future__ import annotations

import pandas as pd

from engine.data.redaction import redact_url, url_name
from engine.data.web import fetch, html_tables, read_page, read_url
from storage import Workspace
from usecases.projects import add_frame

__all__ = ["import_url", "url_tables"]


def url_tables(url: str) -> list[pd.DataFrame]:
    """The tables at ``url``: all <table>s of an HTML page, or the one table of a CSV / JSON answer."""
    page = fetch(url)
    return html_tables(page) if page.is_html else [read_page(page).frame]


def import_url(ws: Workspace, project_id: int, url: str, table: int = 0) -> dict:
    """Fetch the ``table``-th table at ``url`` and make it the project's active dataset.

    The source is stored as ``url:<url>`` with its secrets (userinfo, ``api_key=`` and the like) as ``***``.
    """
    loaded = read_url(url, table=table)
    return add_frame(ws, project_id, loaded.frame, f"{url_name(url)} (web)", f"url:{redact_url(url)}", loaded.notes)
