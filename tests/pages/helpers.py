"""Helpers for page tests (AppTest)."""

from __future__ import annotations

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
