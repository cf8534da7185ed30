"""AppTest fixtures: each page runs as its own script with the project id in session state.

AppTest runs only the entry script's first run through ``st.navigation``; later runs run
the page alone. So pages are tested one by one, and the sidebar through a function app.
"""

from __future__ import annotations

import pytest

from tests.champion import confirm_champion
from usecases import projects
from usecases.training import run_training_job


@pytest.fixture
def churn_project(ws):
    """A project holding the generated churn sample with its target chosen."""
    project = ws.create_project("Churn")
    projects.import_sample(ws, project["id"], "customer_churn")
    return ws.get_project(project["id"])


@pytest.fixture
def trained_project(ws, churn_project):
    """The churn project after one quick training job (run in this process), its best model confirmed as the
    champion as on Evaluate."""
    pid = churn_project["id"]
    projects.save_settings(ws, pid, {"models": ["linear"], "cv_folds": 2})
    job = ws.create_job(pid, "train")
    run_training_job(ws, job["id"])
    assert ws.get_job(job["id"])["status"] == "succeeded"
    confirm_champion(ws, pid)
    return ws.get_project(pid)


@pytest.fixture(autouse=True)
def _page_links_as_text(monkeypatch):
    """A page run alone has no st.navigation, so st.page_link cannot resolve; draw links as text."""
    import streamlit as st

    monkeypatch.setattr(st, "page_link", lambda page, *, label, **kwargs: st.markdown(f"[link] {label}"))
