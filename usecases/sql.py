"""SQL use cases: import the result of a read-only query into a project, without keeping credentials."""

from __future__ import annotations

import pandas as pd

from engine.data.redaction import redact_url, url_name
from engine.data.sql import read_query
from engine.errors import EmptyDataError
from storage import Workspace
from usecases.projects import add_frame

__all__ = ["import_query", "preview_query"]

PREVIEW_ROWS = 100


def preview_query(url: str, query: str) -> pd.DataFrame:
    """The first ``PREVIEW_ROWS`` rows of ``query``."""
    return read_query(url, query, limit=PREVIEW_ROWS)


def import_query(ws: Workspace, project_id: int, url: str, query: str) -> dict:
    """Read every row of ``query`` and make it the project's active dataset.

    Only the redacted URL (password and credential parameters replaced by ``***``) is stored, as the source
    ``sql:<url>``; the dataset is named after the database.
    """
    frame = read_query(url, query)
    shown = redact_url(url)
    if frame.empty:
        raise EmptyDataError(f"The query on '{shown}' returned no rows; change it so it selects some data.")
    return add_frame(ws, project_id, frame, f"{url_name(url)} (sql)", f"sql:{shown}", [])
