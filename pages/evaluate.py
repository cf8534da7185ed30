"""Evaluate: the leaderboard of trained models, one model's validation results, the final test report."""

from __future__ import annotations

import streamlit as st

from engine import METRICS, model_label
from engine.evaluate.plots import cv_scores_figure
from engine.explore.plots import scores_figure
from pages import ui
from pages.sections import evaluate_calibration, evaluate_compare, evaluate_explain
from pages.sections import evaluate_details as details
from usecases import evaluation, projects, verdicts

st.title("Evaluate")
project = ui.require_project(need_problem=True)
ws = ui.workspace()
home = str(ws.home)
pid = project["id"]
every_run = evaluation.leaderboard(ws, pid)
if every_run.empty:
    st.info("No trained models yet. Train some on the **Train** page.")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()

latest_run = evaluation.latest_run(every_run) or int(every_run["run_id"].max())
runs = sorted(set(every_run["run_id"]), reverse=True)
run = st.selectbox("Run", runs + ["all"], key="evaluate_run",
                   format_func=lambda r: "Every run (the latest baseline only)" if r == "all"
                   else f"Run #{r}" + (" (latest)" if r == latest_run else ""))
# one run's own leaderboard: over every run only the latest baseline is listed, so filtering that drops it
board = every_run if run == "all" else evaluation.leaderboard(ws, pid, run_id=run)
metric = board["metric"].iloc[0]
label = METRICS[metric].label
models = {m["id"]: m for m in projects.project_models(ws, pid)}
intervals = {i: details.interval(home, i, models[i]["sha256"], models[i]["decision_threshold"], metric)
             for i, s in zip(board["model_id"], board["status"], strict=True) if s == "ok"}
board = verdicts.interval_marks(ws, board, intervals)
st.subheader("Leaderboard")
st.caption(f"Ranked by validation {label} ({'higher' if METRICS[metric].greater_is_better else 'lower'} is "
           "better), with a 95% bootstrap interval over the validation rows. CV columns: mean and spread over "
           "the folds of the training split. Versus the best: whether a model's interval overlaps the best model's "
           "(on the same validation rows); compare two models below for a sharper, paired test."
           + (" Class decisions use each model's decision threshold (column *threshold*; 0.5 until one is saved)."
              if board["threshold"].notna().any() else ""))
shown = board.drop(columns=["metric", "status"] + ([] if board["error"].any() else ["error"])
                   + ([] if board["threshold"].notna().any() else ["threshold"]))
shown["model"] = shown["model"].map(model_label)
st.dataframe(shown, hide_index=True, width="stretch",
             column_order=["model_id", "run_id", "model", "validation", "interval", "versus_best", "threshold",
                           "cv_mean", "cv_std", "test", "fit_seconds", "champion", "error"],
             column_config={"model_id": "model #", "run_id": "run #",
                            "validation": st.column_config.NumberColumn(f"validation {label}", format="%.4f"),
                            "interval": "95% interval", "versus_best": "versus the best",
                            "threshold": st.column_config.NumberColumn("threshold", format="%.2f"),
                            "cv_mean": st.column_config.NumberColumn("CV mean", format="%.4f"),
                            "cv_std": st.column_config.NumberColumn("CV std", format="%.4f"),
                            "test": st.column_config.NumberColumn(f"test {label}", format="%.4f"),
                            "fit_seconds": st.column_config.NumberColumn("fit time (s)", format="%.1f"),
                            "champion": st.column_config.CheckboxColumn("champion")})
trained = board[board["status"] == "ok"]
chart_run = latest_run if run == "all" else run
charted = trained[trained["run_id"] == chart_run].assign(model=lambda t: t["model"].map(model_label))
folds = evaluation.cv_fold_scores(ws, pid, int(chart_run))
left, right = st.columns(2) if not folds.empty else (st.container(), None)
left.plotly_chart(scores_figure(charted, label), width="stretch")
if right is not None:
    right.plotly_chart(cv_scores_figure(folds.assign(model=folds["model"].map(model_label)), label),
                       width="stretch")
proposal = details.champion_proposal(ws, pid, details_key=f"evaluate_model_{run}")

st.subheader("Model details")
ids = trained["model_id"].tolist()
champion = project["champion_model_id"]
opened = champion if champion in ids else proposal.model_id if proposal else None  # else the best shown
model_id = st.selectbox("Model", ids, index=ids.index(opened) if opened in ids else 0,
                        format_func=lambda i: f"#{i} {model_label(trained.set_index('model_id').loc[i, 'model'])}"
                        + (" (champion)" if i == champion else ""), key=f"evaluate_model_{run}")
model = projects.model_record(ws, model_id)
if verdict := verdicts.baseline_verdict(evaluation.leaderboard(ws, pid, run_id=model["run_id"]), model_id):
    (st.success if verdict.good else st.warning)(verdict.text)
key = (home, model_id, model["sha256"])
threshold = model["decision_threshold"]
task = model["task"]
classes = details.predictions(*key, threshold)[1]
binary = task == "classification" and classes is not None and len(classes) == 2
if binary:
    st.caption(f"Classes are decided at the decision threshold **{threshold or 0.5:.2f}** "
               + ("(saved on the Threshold tab)" if threshold is not None else "(none saved: the most probable "
                  "class)") + ": the scores, per-class table and confusion matrix below, the downloads, Deploy "
               "scoring, the REST server and Monitor all use it.")
names = ["Scores", "Plots"] + (["Threshold"] if binary else []) + ["Explain"]
tabs = dict(zip(names, st.tabs(names), strict=True))
with tabs["Scores"]:
    details.scores_tab(key, task, threshold)
with tabs["Plots"]:
    details.plots_tab(key, task, threshold)
if binary:
    with tabs["Threshold"]:
        details.threshold_tab(key, threshold)
with tabs["Explain"]:
    evaluate_explain.render(key, metric)
evaluate_calibration.render(key, task)

st.subheader("Champion and final test")
details.champion_and_test(ws, pid, model, champion, metric)

evaluate_compare.render(ws, pid, board)
