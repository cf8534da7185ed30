"""Use cases: where the engine meets storage. Pages, the background worker and the CLI all call these.

Imports engine and storage, never streamlit.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import WorkbenchError
from storage import StorageError, Workspace

__all__ = ["USER_ERRORS", "default_home", "open_workspace"]

#: Errors a user can cause; pages and the CLI show their message instead of a traceback.
USER_ERRORS = (WorkbenchError, StorageError)


def default_home() -> Path:
    """The workspace folder: ``$WORKBENCH_HOME`` or ``./workspace``."""
    return Path(os.environ.get("WORKBENCH_HOME") or "workspace").resolve()


def open_workspace(home: str | Path | None = None) -> Workspace:
    """Open (creating if needed) the workspace at ``home`` or the default location."""
    return Workspace(home or default_home())
