"""Evaluate: the leaderboard of trained models, one model's validation results, the final test report."""

from __future__ import annotations

import streamlit as st

from engine import METRICS, model_label
from engine.evaluate.plots import cv_scores_figure
from engine.explore.plots import scores_figure
from pages import ui
from pages.sections import evaluate_compare, evaluate_explain
from pages.sections import evaluate_details as details
from usecases import evaluation, projects, verdicts

st.title("Evaluate")
project = ui.require_project(need_problem=True)
ws = ui.workspace()
home = str(ws.home)
pid = project["id"]
board = evaluation.leaderboard(ws, pid)
if board.empty:
    st.info("No trained models yet. Train some on the **Train** page.")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()

metric = board["metric"].iloc[0]
label = METRICS[metric].label
shas = {m["id"]: m["sha256"] for m in projects.project_models(ws, pid)}
intervals = {i: details.interval(home, i, shas[i], metric)
             for i, s in zip(board["model_id"], board["status"], strict=True) if s == "ok"}
board = verdicts.interval_marks(ws, board, intervals)
st.subheader("Leaderboard")
st.caption(f"Ranked by validation {label} ({'higher' if METRICS[metric].greater_is_better else 'lower'} is "
           "better), with a 95% bootstrap interval over the validation rows. CV columns: mean and spread over "
           "the folds of the training split. Versus the best: whether a model's interval overlaps the best model's "
           "(on the same validation rows); compare two models below for a sharper, paired test.")
shown = board.drop(columns=["metric", "status"] + ([] if board["error"].any() else ["error"]))
shown["model"] = shown["model"].map(model_label)
st.dataframe(shown, hide_index=True, width="stretch",
             column_order=["model_id", "run_id", "model", "validation", "interval", "versus_best", "cv_mean",
                           "cv_std", "test", "fit_seconds", "champion", "error"],
             column_config={"model_id": "model #", "run_id": "run #",
                            "validation": st.column_config.NumberColumn(f"validation {label}", format="%.4f"),
                            "interval": "95% interval", "versus_best": "versus the best",
                            "cv_mean": st.column_config.NumberColumn("CV mean", format="%.4f"),
                            "cv_std": st.column_config.NumberColumn("CV std", format="%.4f"),
                            "test": st.column_config.NumberColumn(f"test {label}", format="%.4f"),
                            "fit_seconds": st.column_config.NumberColumn("fit time (s)", format="%.1f"),
                            "champion": st.column_config.CheckboxColumn("champion")})
trained = board[board["status"] == "ok"]
latest_run = trained["run_id"].max()
latest = trained[trained["run_id"] == latest_run].assign(model=lambda t: t["model"].map(model_label))
folds = evaluation.cv_fold_scores(ws, pid, int(latest_run))
left, right = st.columns(2) if not folds.empty else (st.container(), None)
left.plotly_chart(scores_figure(latest, label), width="stretch")
if right is not None:
    right.plotly_chart(cv_scores_figure(folds.assign(model=folds["model"].map(model_label)), label),
                       width="stretch")

st.subheader("Model details")
ids = trained["model_id"].tolist()
champion = project["champion_model_id"]
model_id = st.selectbox("Model", ids, index=ids.index(champion) if champion in ids else 0,
                        format_func=lambda i: f"#{i} {model_label(trained.set_index('model_id').loc[i, 'model'])}"
                        + (" (champion)" if i == champion else ""), key="evaluate_model")
model = projects.model_record(ws, model_id)
if verdict := verdicts.baseline_verdict(board, model_id):
    (st.success if verdict.good else st.warning)(verdict.text)
key = (home, model_id, model["sha256"])
task = model["task"]
classes = details.predictions(*key)[1]
binary = task == "classification" and classes is not None and len(classes) == 2
names = ["Scores", "Plots"] + (["Threshold"] if binary else []) + ["Explain"]
tabs = dict(zip(names, st.tabs(names), strict=True))
with tabs["Scores"]:
    details.scores_tab(key, task)
with tabs["Plots"]:
    details.plots_tab(key, task)
if binary:
    with tabs["Threshold"]:
        details.threshold_tab(key)
with tabs["Explain"]:
    evaluate_explain.render(key, metric)

st.subheader("Champion and final test")
if model_id != champion:
    st.caption("The champion is the model you deploy and test. Only the champion can be scored on the test split.")
    if st.button("Make this the champion", key="evaluate_champion"):
        with ui.user_errors():
            evaluation.set_champion(ws, pid, model_id)
            st.rerun()
elif model["test_metrics"]:
    st.metric(f"test {label}", f"{model['test_metrics'][metric]:.4f}")
    st.caption(f"Scored once on {model['test_metrics']['rows']:,} held-out rows at "
               f"{model['test_metrics']['scored_at'][:19].replace('T', ' ')} UTC.")
else:
    st.caption("This is the champion. The test split is scored once, for the model you have chosen: choosing "
               "between models by their test scores would make the test score optimistic.")
    if st.button("Score on the test split", key="evaluate_test", type="primary"):
        with ui.user_errors():
            evaluation.final_test_report(ws, model_id)
            st.rerun()

evaluate_compare.render(ws, pid, board)
