"""Helpers for page tests (AppTest)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def open_page(name: str, project_id: int | None = None) -> AppTest:
    """An AppTest of ``pages/<name>.py`` with the given project selected, already run once."""
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=60)
    at.session_state["entered_through_app"] = True  # as app.py sets it; pages run alone here
    if project_id is not None:
        at.session_state["project_id"] = project_id
    return at.run()


def assert_clean(at: AppTest) -> None:
    """No traceback box: user errors must show as st.error, bugs would show here."""
    assert not at.exception, [e.message for e in at.exception]


def rerun_until(at: AppTest, shown: Callable[[], bool], timeout: float, failure: str) -> None:
    """Rerun the page, as its poll does, until ``shown()`` holds; fail with ``failure`` after ``timeout`` s.

    For what a page computes in the background (a thread or a worker process): the page shows it on a later run.
    """
    deadline = time.monotonic() + timeout
    while not shown():
        assert time.monotonic() < deadline, failure
        time.sleep(0.2)
        at.run()
