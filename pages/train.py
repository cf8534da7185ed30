"""Train: choose model families and cross-validation, then train in a background job and watch it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine import METRICS, MODELS, models_for_task, validate_settings
from pages import ui
from pages.sections import train_tuning
from usecases import jobs, projects, training

AUTOML_SECONDS = 60.0  # the one-click AutoML's budget when the page's time budget is 0 (none)

st.title("Train")
project = ui.require_project(need_problem=True)
ws = ui.workspace()
pid = project["id"]
problem = projects.project_problem(ws, pid)
settings = projects.project_settings(ws, pid)
st.caption(f"Predicting **{problem.target}** ({problem.task}); models are compared on "
           f"**{METRICS[problem.metric].label}**.")

recipe = projects.project_recipe(ws, pid)
left_out = recipe["leakage"]["excluded"] + recipe["leakage"]["after_outcome"]
st.caption("Before training starts, the leakage audit scores each column alone on the training rows and leaves "
           "out any that predicts the target suspiciously well (see **Prepare → Leakage audit**)."
           + (f" Left out now: {', '.join(left_out)}." if left_out else ""))

# No form: each setting is saved with the project as it changes, so it is there when the analyst comes back;
# Enter in a number box only commits its value, and only the Start button starts a run.
# A one-click AutoML saves its own settings; the widgets then get fresh keys and draw them (under the old keys the
# browser would send the old values back and the next rerun would save those over the AutoML's).
drawn = f"train_{pid}_drawn"
key = f"train_{pid}_{st.session_state.get(drawn, 0)}"
choices = [m for m in models_for_task(problem.task) if m != "baseline"]
chosen = st.multiselect("Models", choices, default=[m for m in settings["models"] if m in choices],
                        format_func=lambda m: MODELS[m].label, key=f"{key}_models",
                        help="A baseline that ignores the features is always trained for comparison.")
a, b, c = st.columns(3)
folds = a.number_input("Cross-validation folds (0 = off)", 0, 20, settings["cv_folds"], key=f"{key}_folds")
seed = b.number_input("Seed", 0, 2**31 - 1, settings["seed"], key=f"{key}_seed")
budget = c.number_input("Time budget, seconds (0 = none)", 0, 86_400, int(settings["time_budget"] or 0),
                        key=f"{key}_budget")
search = train_tuning.search_settings(settings, key)
losses = train_tuning.loss_settings(settings, problem.task, key)
chosen_settings = {"models": chosen, "cv_folds": int(folds), "seed": int(seed),
                   "time_budget": float(budget) or None, "losses": losses, **search}
with ui.user_errors():
    if validate_settings(chosen_settings, problem.task) != settings:
        settings = projects.save_settings(ws, pid, chosen_settings)
left, right = st.columns([1, 3])
start = left.button("Start training", type="primary", key=f"{key}_start")
automl_seconds = float(budget) or AUTOML_SECONDS
one_click = right.button(f"One-click AutoML ({automl_seconds:g} s)", key=f"{key}_automl_start",
                         help="Ignores the settings above except the seed and time budget: searches the AutoML "
                              "families with Bayesian search, 3-fold cross-validation and a vote of the best.")
train_tuning.slow_warnings(settings["models"], projects.active_dataset(ws, pid)["n_rows"])

if start:
    with ui.user_errors():
        job = training.start_training(ws, pid, chosen_settings)
if one_click:
    with ui.user_errors():
        training.start_automl(ws, pid, automl_seconds, int(seed))
        st.session_state[drawn] = st.session_state.get(drawn, 0) + 1
        st.rerun()

history = projects.project_jobs(ws, pid)


def job_details(job: dict) -> None:
    """Under the progress bar: the log, the tuning studies so far, and a form to continue a finished search."""
    finished = job["status"] not in jobs.ACTIVE
    with st.expander("Log"):
        st.code(job["log"] or "(empty)", language=None)
    trials = 0
    with ui.user_errors():
        trials = train_tuning.studies_view(ws, job["id"], problem.metric, finished=finished)
    if finished:
        train_tuning.extend_form(ws, pid, job["id"], trials)


if history:
    st.subheader("Latest job")
    latest = ui.watch_job(ws, history[0]["id"], title="Job", cancel="Cancel training", key="train",
                          details=job_details)
    if latest["status"] == "succeeded":
        st.page_link("pages/evaluate.py", label="See the results on Evaluate", icon=":material/leaderboard:")
    with st.expander(f"All jobs ({len(history)})"):
        st.dataframe(pd.DataFrame(history)[["id", "status", "message", "created_at", "finished_at"]],
                     hide_index=True, width="stretch")
