"""Data: bring a table in, check its columns, and define the problem (target, task, metric)."""

from __future__ import annotations

import streamlit as st

from engine import METRICS, SAMPLES, TASKS, Problem, metrics_for_task
from pages import ui
from pages.sections import data_http, data_sources, data_sql, data_types
from usecases import projects

PREVIEW_COLUMNS = 50

st.title("Data")
project = ui.require_project(need_data=False)
ws = ui.workspace()
pid = project["id"]

upload_tab, sql_tab, url_tab, sample_tab = st.tabs(
    ["Upload a file", "Query a database", "From a URL", "Open a sample dataset"])
with upload_tab:
    data_sources.upload_section(ws, pid)
with sql_tab:
    data_sql.sql_section(ws, pid)
with url_tab:
    data_http.url_section(ws, pid)
with sample_tab:
    sample = st.selectbox("Sample dataset", list(SAMPLES), format_func=lambda k: SAMPLES[k].label,
                          key="data_sample")
    st.caption(SAMPLES[sample].description)
    if st.button("Open sample", key="data_open_sample"):
        with ui.user_errors():
            projects.import_sample(ws, pid, sample)
            st.rerun()

dataset = projects.active_dataset(ws, pid)
if dataset is None:
    st.info("No data yet: upload a file, query a database, fetch a URL or open a sample above.")
    st.stop()

frame = ui.project_data(project)
st.subheader(dataset["name"])
left, mid, right = st.columns(3)
left.metric("Rows", f"{dataset['n_rows']:,}")
mid.metric("Columns", f"{dataset['n_cols']:,}")
right.metric("Missing cells", f"{int(frame.isna().sum().sum()):,}")
ui.show_notes(dataset["notes"])
preview = frame.iloc[:200, :PREVIEW_COLUMNS]
st.dataframe(preview, width="stretch", height=min(260, 38 + 35 * len(preview)))
if frame.shape[1] > PREVIEW_COLUMNS:
    st.caption(f"The preview shows the first {PREVIEW_COLUMNS} of {frame.shape[1]:,} columns; all of them are "
               "loaded and listed under Column types.")
data_sources.versions_section(ws, pid)
data_sources.append_section(ws, pid, dataset)

data_types.types_section(ws, pid, dataset)

st.subheader("Problem")
columns = list(frame.columns)
stored = projects.project_problem(ws, pid)
target = st.selectbox("Target column (what to predict)", columns,
                      index=columns.index(stored.target) if stored and stored.target in columns else None,
                      placeholder="Choose the column to predict…", key=f"data_target_{dataset['id']}")
if target is None:
    st.stop()
with ui.user_errors():
    proposed = projects.propose_for(ws, pid, target)
    current = stored if stored and stored.target == target else proposed
    task = st.radio("Task", TASKS, index=TASKS.index(current.task), horizontal=True,
                    key=f"data_task_{target}", help=f"Proposed: {proposed.task}")
    options = metrics_for_task(task)
    metric_default = current.metric if current.metric in options else options[0]
    metric = st.selectbox("Success metric", options, index=options.index(metric_default),
                          format_func=lambda m: METRICS[m].label, key=f"data_metric_{target}_{task}")
    chosen = Problem(target, task, metric)
    if chosen != stored:
        ui.show_notes(projects.set_problem(ws, pid, chosen))
        st.toast(f"Problem saved: predict '{target}' ({task}, {METRICS[metric].label})")
    st.success(f"Predict **{target}** — {task}, judged by **{METRICS[metric].label}**. Next: explore the data "
               "or prepare it.", icon=":material/check_circle:")
