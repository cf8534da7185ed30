"""Explore: summary statistics of every column and the distribution of any one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.plots import distribution_figure
from engine.profile import column_distribution, summarize
from pages import ui
from usecases import projects

st.title("Explore")
project = ui.require_project()
ws = ui.workspace()
frame = ui.project_data(project)
schema = projects.project_schema(ws, project["id"])
dataset = ws.get_dataset(project["dataset_id"])


@st.cache_data(max_entries=8, show_spinner="Computing statistics…")
def _summary(sha256: str, kinds: tuple, _frame: pd.DataFrame, _schema: list) -> pd.DataFrame:
    return summarize(_frame, _schema)


kinds = tuple((c.name, c.kind) for c in schema)
summary = _summary(dataset["sha256"], kinds, frame, schema)
problem = projects.project_problem(ws, project["id"])

st.subheader("Summary statistics")
st.dataframe(summary, hide_index=True, width="stretch",
             column_config={"missing_%": st.column_config.ProgressColumn("missing %", min_value=0, max_value=100,
                                                                         format="%.1f%%")})

st.subheader("Distribution")
names = [c.name for c in schema]
default = names.index(problem.target) if problem and problem.target in names else 0
column = st.selectbox("Column", names, index=default, key="explore_column")
info = next(c for c in schema if c.name == column)
st.plotly_chart(distribution_figure(column_distribution(frame, info)), width="stretch")
row = summary.set_index("column").loc[column]
st.caption(f"Type **{info.kind}** · {int(row['distinct']):,} distinct values · {int(row['missing']):,} missing"
           + (f" · {info.note}" if info.note else ""))
