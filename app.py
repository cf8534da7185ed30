"""Workbench: the entry point. Builds the navigation and the sidebar project picker."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pages.password import password_form, signed_in
from pages.sections.sidebar import project_sidebar
from pages.ui import DEEP_LINK_KEY, ENTERED_KEY, PROJECT_KEY

FAVICON = Path(__file__).parent / "pages" / "assets" / "favicon.png"
LOGO = Path(__file__).parent / "pages" / "assets" / "logo.png"
st.set_page_config(page_title="Workbench", page_icon=str(FAVICON), layout="wide")
st.logo(str(LOGO), size="large", icon_image=str(FAVICON))

START = st.Page("pages/start.py", title="Start", icon=":material/home:", default=True)
DATA = st.Page("pages/data.py", title="Data", icon=":material/table:")
PAGES = [
    START,
    DATA,
    st.Page("pages/explore.py", title="Explore", icon=":material/query_stats:"),
    st.Page("pages/prepare.py", title="Prepare", icon=":material/tune:"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/evaluate.py", title="Evaluate", icon=":material/leaderboard:"),
    st.Page("pages/deploy.py", title="Deploy", icon=":material/rocket_launch:"),
    st.Page("pages/monitor.py", title="Monitor", icon=":material/monitor_heart:"),
]

# A share link opens one project's read-only report and nothing else: no navigation, no sidebar, no password.
if "share" in st.query_params:
    st.navigation([st.Page("pages/shared_report.py", title="Shared report", default=True)], position="hidden").run()
    st.stop()
if not signed_in():  # WORKBENCH_PASSWORD is set and this session has not typed it yet
    st.navigation([st.Page(password_form, title="Sign in", default=True)], position="hidden").run()
    st.stop()

st.session_state[ENTERED_KEY] = True
was_open = st.session_state.get(PROJECT_KEY)
navigation = st.navigation(PAGES)
project_sidebar()
deep_link = st.session_state.pop(DEEP_LINK_KEY, None)
target = next((page for page in PAGES if page.url_path == deep_link), None)
if target is not None and target.url_path != navigation.url_path:
    st.switch_page(target, query_params=st.query_params.to_dict())
# Start is the front door: a project opened from it (created, picked in the sidebar, or named by ?project=) opens
# on its Data page.
if navigation.url_path == START.url_path and st.session_state.get(PROJECT_KEY) not in (None, was_open):
    st.switch_page(DATA, query_params=st.query_params.to_dict())
navigation.run()
