"""Workbench: the entry point. Builds the navigation and the sidebar project picker."""

from __future__ import annotations

import streamlit as st

from pages.sidebar import project_sidebar

st.set_page_config(page_title="Workbench", page_icon=":material/science:", layout="wide")

PAGES = [
    st.Page("pages/data.py", title="Data", icon=":material/table:", default=True),
    st.Page("pages/explore.py", title="Explore", icon=":material/query_stats:"),
    st.Page("pages/prepare.py", title="Prepare", icon=":material/tune:"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/evaluate.py", title="Evaluate", icon=":material/leaderboard:"),
    st.Page("pages/deploy.py", title="Deploy", icon=":material/rocket_launch:"),
]

navigation = st.navigation(PAGES)
project_sidebar()
navigation.run()
