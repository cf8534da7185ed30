"""Shared Streamlit helpers for the pages: the workspace, the current project, errors, cached loaders, and the
widgets several pages draw (a model picker, a background job's progress, a verdict's colour).

Session state holds ids and choices only; everything else is rebuilt from storage.
"""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urlparse

import pandas as pd
import streamlit as st

from engine import model_label
from usecases import USER_ERRORS, default_home, evaluation, jobs, open_workspace, projects
from usecases.verdicts import VERDICT_PALETTE

PROJECT_KEY = "project_id"
ENTERED_KEY = "entered_through_app"  # set by app.py on every run
DEEP_LINK_KEY = "deep_link_page"  # the page a deep link asked for, before app.py took over


@st.cache_resource
def _workspace(home: str):
    return open_workspace(home)


def workspace():
    """The workspace of this server (``$WORKBENCH_HOME``); it holds no open connection."""
    return _workspace(str(default_home()))


def current_project() -> dict | None:
    """The project chosen in the sidebar, or None."""
    project_id = st.session_state.get(PROJECT_KEY)
    if project_id is None:
        return None
    try:
        return projects.open_project(workspace(), project_id)
    except USER_ERRORS:
        st.session_state.pop(PROJECT_KEY, None)
        return None


def enter_through_app() -> None:
    """Route a deep link opened on a fresh server through app.py.

    Until app.py has run once, Streamlit serves ``/prepare`` from the pages/ folder alone: no
    navigation, no sidebar, no project. Remember the page and go through app.py, which returns here.
    """
    if st.session_state.get(ENTERED_KEY):
        return
    st.session_state[DEEP_LINK_KEY] = urlparse(st.context.url).path.rstrip("/").rsplit("/", 1)[-1]
    st.switch_page("app.py", query_params=st.query_params.to_dict())


def require_project(need_data: bool = True, need_problem: bool = False) -> dict:
    """The current project; stops the page with a pointer to what is missing first."""
    enter_through_app()
    project = current_project()
    if project is None:
        st.info("Create or open a project in the sidebar to start.")
        st.stop()
    if need_data and not project["dataset_id"]:
        st.info("This project has no data yet. Upload a file or open a sample on the **Data** page.")
        st.page_link("pages/data.py", label="Go to Data", icon=":material/table:")
        st.stop()
    if need_problem and not project["problem"]:
        st.info("Choose the target column on the **Data** page first.")
        st.page_link("pages/data.py", label="Go to Data", icon=":material/table:")
        st.stop()
    return project


@contextmanager
def user_errors():
    """Show the project's own errors as a message on the page; real bugs still surface."""
    try:
        yield
    except USER_ERRORS as exc:
        st.error(str(exc), icon=":material/error:")


def data_key(project: dict) -> tuple:
    """What a cached result about a project's data depends on: project, dataset, column types and target."""
    return project["id"], project["dataset_id"], str(project["column_kinds"]), str(project["problem"])


@st.cache_data(max_entries=8, show_spinner="Loading data…")
def _project_frame(home: str, project_id: int, dataset_id: int, sha256: str) -> pd.DataFrame:
    """The project's active dataset, cached by its sha256 (a new upload never hits a stale entry)."""
    return projects.project_frame(workspace(), project_id)


def project_data(project: dict) -> pd.DataFrame:
    """The project's active dataset, from the cache."""
    dataset = projects.active_dataset(workspace(), project["id"])
    return _project_frame(str(workspace().home), project["id"], dataset["id"], dataset["sha256"])


def download_button(target, label: str, data, **kwargs) -> None:
    """``target.download_button`` (``st`` or a container) that does not rerun the page: a rerun re-registers every
    download on it, so a second download clicked during that rerun would find its file gone (a deferred one, built
    on click like the deployment bundle, is hit most)."""
    target.download_button(label, data, on_click="ignore", **kwargs)


def show_notes(notes: list[str]) -> None:
    for note in notes or []:
        st.warning(note, icon=":material/warning:")


def pick_trained_model(ws, project: dict, key: str, none_text: str, *, champion_for: str) -> int:
    """A selectbox of the project's trained models (the champion first chosen); ``none_text`` and a stop when
    there is none yet; without a champion, what needs one (``champion_for``) and a link to choose it."""
    board = evaluation.leaderboard(ws, project["id"])
    trained = board[board["status"] == "ok"] if not board.empty else board
    if trained.empty:
        st.info(none_text)
        st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
        st.stop()
    ids = trained["model_id"].tolist()
    champion = project["champion_model_id"]
    names = trained.set_index("model_id")["model"].map(model_label)
    opening = evaluation.opening_model(ws, project["id"], board)  # the champion, else Evaluate's proposal
    if champion is None:
        no_champion_notice(champion_for, f"#{opening} {names[opening]}" if opening in ids else None)
    promoted = st.session_state.get(f"{key}_champion", champion) != champion
    if st.session_state.get(key) not in ids or promoted:  # after a promotion show the new champion: the old
        st.session_state[key] = opening if opening in ids else ids[0]  # one's label would keep its mark
    st.session_state[f"{key}_champion"] = champion
    return st.selectbox("Model", ids, key=key,
                        format_func=lambda i: f"#{i} {names[i]}" + (" (champion)" if i == champion else
                                                                   " (proposed)" if i == opening else ""))


def no_champion_notice(what: str, proposed: str | None = None) -> None:
    """What to do when a project has trained models but no champion (no training run chooses one): ``what`` needs
    one, and the analyst chooses it on Evaluate; ``proposed`` names the model Evaluate proposes, which the page
    shows meanwhile."""
    choose = (f"Shown meanwhile: **{proposed}**, the best model of the latest run, which Evaluate proposes: "
              "confirm it on **Evaluate**, or choose another." if proposed else
              "On **Evaluate**, confirm the proposed best model of the latest run, or choose another.")
    st.info(f"No champion chosen yet: {what} need one. {choose}", icon=":material/emoji_events:")
    st.page_link("pages/evaluate.py", label="Choose the champion on Evaluate", icon=":material/leaderboard:")


def watch_job(ws, job_id: int, *, title: str, cancel: str, key: str, details=None) -> dict:
    """A background job's progress bar, cancel button and error, redrawn every second while it runs; a job that
    finishes meanwhile reruns the page to show its results. ``details(job)`` draws what the page adds under it.
    Returns the job's record."""
    job = jobs.refresh_job(ws, job_id)
    if job["status"] in jobs.ACTIVE:
        st.fragment(_job_progress, run_every=1.0)(ws, job_id, title, cancel, key, details, polling=True)
    else:
        _job_progress(ws, job_id, title, cancel, key, details, polling=False)
    return job


def _job_progress(ws, job_id: int, title: str, cancel: str, key: str, details, polling: bool) -> None:
    job = jobs.refresh_job(ws, job_id)
    active = job["status"] in jobs.ACTIVE
    st.progress(float(job["progress"] or 0), text=f"{title} {job_id}: {job['status']} — {job['message']}")
    if active:
        stopping = job["status"] == "cancelling"
        if st.button("Stop now, skip the refit" if stopping else cancel, key=f"{key}_cancel_{job_id}"):
            jobs.cancel_job(ws, job_id)
        if stopping:
            st.caption("A search stops after the trial in progress and refits the best parameters found so far, "
                       "so you keep a model. Its trials stay in the study: you can continue it later.")
    if job["status"] in ("failed", "interrupted"):
        st.error(job["message"], icon=":material/error:")
    if details is not None:
        details(job)
    if polling and not active:
        st.rerun(scope="app")  # the finished job brought results the rest of the page shows


def verdict_style(verdict: str) -> str:
    """Table cell style for a verdict (written "● verdict": a coloured dot, as an emoji needs an emoji font many
    Linux browsers lack); one palette for every verdict table."""
    shade = VERDICT_PALETTE.get(verdict.removeprefix("● "))
    return f"color: {shade.hex if shade else 'inherit'}; font-weight: 600"
