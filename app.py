"""Workbench: the entry point. Builds the navigation and the sidebar project picker."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pages.sidebar import project_sidebar

FAVICON = Path(__file__).parent / "pages" / "assets" / "favicon.png"
LOGO = Path(__file__).parent / "pages" / "assets" / "logo.png"
st.set_page_config(page_title="Workbench", page_icon=str(FAVICON), layout="wide")
st.logo(str(LOGO), size="large", icon_image=str(FAVICON))

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
