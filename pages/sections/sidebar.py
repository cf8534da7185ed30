"""The sidebar: open, create, rename and delete projects. Drawn by app.py on every page."""

from __future__ import annotations

import streamlit as st

from pages import ui
from usecases import USER_ERRORS, alerts, projects

_PENDING = "pending_project"
_PICKER = "sidebar_project"


def select_project(project_id: int | None, page: str | None = None) -> None:
    """Switch project on the next run (the picker widget may already be drawn in this one), on ``page`` if given."""
    st.session_state[_PENDING] = project_id
    if page is not None:
        st.switch_page(page)
    st.rerun()


def _apply_selection() -> None:
    """Apply a pending switch, or reopen the project named by ?project=ID (a reload or a link)."""
    if _PENDING in st.session_state:
        project_id = st.session_state.pop(_PENDING)
    elif ui.PROJECT_KEY not in st.session_state and "project" in st.query_params:
        try:
            project_id = projects.open_project(ui.workspace(), int(st.query_params["project"]))["id"]
        except (ValueError, *USER_ERRORS):
            project_id = None
    else:
        return
    st.session_state[ui.PROJECT_KEY] = project_id
    st.session_state[_PICKER] = project_id
    if project_id is None:
        st.query_params.pop("project", None)
    else:
        st.query_params["project"] = str(project_id)


def project_sidebar() -> None:
    ws = ui.workspace()
    _apply_selection()
    known = projects.list_projects(ws)
    names = {p["id"]: p["name"] for p in known}
    current = st.session_state.get(ui.PROJECT_KEY)
    if known:
        ids = list(names)
        if st.session_state.get(_PICKER) not in ids:
            st.session_state[_PICKER] = current if current in ids else None
        choice = st.sidebar.selectbox("Project", ids, format_func=names.get, placeholder="Open a project…",
                                      key=_PICKER)
        if choice != current:
            st.session_state[ui.PROJECT_KEY] = current = choice
            st.query_params["project"] = str(choice)
    with st.sidebar.expander("New project", expanded=not known, icon=":material/add:"):
        with st.form("new_project", clear_on_submit=True, border=False):
            name = st.text_input("Project name", placeholder="e.g. Customer churn")
            if st.form_submit_button("Create project", type="primary"):
                with ui.user_errors():
                    select_project(projects.create_project(ws, name)["id"])
    if current in names:
        # Page links drop the query string; put the project back so a reload or a shared link reopens it.
        if st.query_params.get("project") != str(current):
            st.query_params["project"] = str(current)
        _manage_project(ws, current, names[current])
        _open_alerts(ws, current)


def _manage_project(ws, project_id: int, name: str) -> None:
    with st.sidebar.expander("Manage project", icon=":material/settings:"):
        new_name = st.text_input("Rename to", value=name, key=f"rename_{project_id}")
        if st.button("Rename", key=f"rename_btn_{project_id}"):
            with ui.user_errors():
                projects.rename_project(ws, project_id, new_name)
                st.rerun()
        sure = st.checkbox(f"Yes, delete '{name}' and all its data", key=f"confirm_delete_{project_id}")
        if st.button("Delete project", disabled=not sure, key=f"delete_{project_id}"):
            with ui.user_errors(), st.spinner("Stopping its jobs and servers, then deleting…"):
                projects.delete_project(ws, project_id)
                select_project(None)


def _open_alerts(ws, project_id: int) -> None:
    """A link to Monitor when the monitor raised alerts on this project that nobody acknowledged yet."""
    count = len(alerts.open_alerts(ws, project_id))
    if count:
        st.sidebar.page_link("pages/monitor.py", label=f"{count} open monitor alert{'s' if count > 1 else ''}",
                             icon=":material/notifications_active:")
