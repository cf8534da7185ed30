"""Start: the road from a table to a monitored model, a sample project one click away, and the recent projects."""

from __future__ import annotations

import streamlit as st

from engine.data.samples import SAMPLES
from pages import ui
from pages.sections.sidebar import select_project
from usecases import start

STAGES = {  # each stage of usecases.start.ROAD -> (page, icon, what it does)
    "Data": ("pages/data.py", ":material/table:", "Bring a table in and choose the column to predict."),
    "Explore": ("pages/explore.py", ":material/query_stats:", "Profile each column; find gaps, outliers, leaks."),
    "Prepare": ("pages/prepare.py", ":material/tune:", "A recipe of cleaning steps and a fair split."),
    "Train": ("pages/train.py", ":material/model_training:", "Train and tune several kinds of models at once."),
    "Evaluate": ("pages/evaluate.py", ":material/leaderboard:", "Compare them, see why, pick the champion."),
    "Deploy": ("pages/deploy.py", ":material/rocket_launch:", "Score files, download it, serve it over REST."),
    "Monitor": ("pages/monitor.py", ":material/monitor_heart:", "Watch new data drift; retrain when it does."),
}

ui.enter_through_app()
st.title("Start")
st.markdown("From a table to a model you can trust and deploy, without writing code: "
            + " → ".join(f"**{stage}**" for stage in start.ROAD))
for column, stage in zip(st.columns(len(start.ROAD)), start.ROAD, strict=True):
    page, icon, what = STAGES[stage]
    with column:
        st.page_link(page, label=stage, icon=icon)
        st.caption(what)

ws = ui.workspace()
st.subheader("Try it on a sample")
sample = SAMPLES[start.SAMPLE]
st.markdown(f"**{sample.label}**: {sample.description} The sample project opens with its columns typed, the "
            "target chosen and a preparation recipe proposed, so training is one click away on **Train**.")
if st.button("Open the sample project", type="primary", icon=":material/science:", key="start_sample"):
    with ui.user_errors(), st.spinner("Opening the sample…"):
        select_project(start.open_sample_project(ws)["id"], page=STAGES["Data"][0])
st.caption("Create or open a project in the sidebar to start.")

recent = start.recent_projects(ws)
current = st.session_state.get(ui.PROJECT_KEY)
if recent:
    st.subheader("Recent projects")
    for project in recent:
        with st.container(border=True):
            name, stage, champion, action = st.columns([3, 2, 4, 1.2], vertical_alignment="center")
            name.markdown(f"**{project.name}**" + (" (open)" if project.id == current else ""))
            name.caption(f"Changed {project.updated_at[:16].replace('T', ' ')} UTC")
            stage.markdown(f"{STAGES[project.stage][1]} Continue on **{project.stage}**")
            if project.champion:
                champion.markdown(f"Champion **{project.champion}**")
                champion.caption(project.score or "")
            else:
                champion.caption(f"{project.n_models} trained model{'s' if project.n_models != 1 else ''}, "
                                 "no champion yet: choose one on Evaluate" if project.n_models
                                 else "No trained model yet")
            if action.button("Open", key=f"start_open_{project.id}", help=f"Open it on {project.stage}"):
                select_project(project.id, page=STAGES[project.stage][0])
