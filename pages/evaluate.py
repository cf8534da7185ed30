"""Evaluate: the leaderboard of trained models, one model's validation results, the final test report."""

from __future__ import annotations

import streamlit as st

from engine import METRICS, MODELS
from engine.plots import confusion_figure, residual_figure, scores_figure
from pages import ui
from usecases import evaluation, projects

st.title("Evaluate")
project = ui.require_project(need_problem=True)
ws = ui.workspace()
pid = project["id"]
problem = projects.project_problem(ws, pid)
board = evaluation.leaderboard(ws, pid)
if board.empty:
    st.info("No trained models yet. Train some on the **Train** page.")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()

metric = board["metric"].iloc[0]
label = METRICS[metric].label
st.subheader("Leaderboard")
st.caption(f"Ranked by validation {label} ({'higher' if METRICS[metric].greater_is_better else 'lower'} is "
           "better). CV columns: mean and spread over the folds of the training split.")
shown = board.drop(columns=["metric", "status"] + ([] if board["error"].any() else ["error"]))
shown["model"] = shown["model"].map(lambda m: MODELS[m].label)
st.dataframe(shown, hide_index=True, width="stretch",
             column_config={"model_id": "model #", "run_id": "run #",
                            "validation": st.column_config.NumberColumn(f"validation {label}", format="%.4f"),
                            "cv_mean": st.column_config.NumberColumn("CV mean", format="%.4f"),
                            "cv_std": st.column_config.NumberColumn("CV std", format="%.4f"),
                            "test": st.column_config.NumberColumn(f"test {label}", format="%.4f"),
                            "fit_seconds": st.column_config.NumberColumn("fit time (s)", format="%.1f"),
                            "champion": st.column_config.CheckboxColumn("champion")})
trained = board[board["status"] == "ok"]
latest_run = trained["run_id"].max()
latest = trained[trained["run_id"] == latest_run].assign(model=lambda t: t["model"].map(lambda m: MODELS[m].label))
st.plotly_chart(scores_figure(latest, label), width="stretch")

st.subheader("Model details")
ids = trained["model_id"].tolist()
champion = project["champion_model_id"]
model_id = st.selectbox("Model", ids, index=ids.index(champion) if champion in ids else 0,
                        format_func=lambda i: f"#{i} {MODELS[trained.set_index('model_id').loc[i, 'model']].label}"
                        + (" (champion)" if i == champion else ""), key="evaluate_model")
model = ws.get_model(model_id)
baseline = trained[(trained["model"] == "baseline") & (trained["run_id"] == model["run_id"])]
shown = [metric] + [m for m in model["valid_metrics"] if m not in (metric, "mse")]
for col, name in zip(st.columns(4), shown[:4], strict=False):
    col.metric(f"validation {METRICS[name].label if name in METRICS else name}", f"{model['valid_metrics'][name]:.4f}")
if not baseline.empty and model["family"] != "baseline":
    gain = model["valid_metrics"][metric] - baseline["validation"].iloc[0]
    better = gain > 0 if METRICS[metric].greater_is_better else gain < 0
    (st.success if better else st.warning)(
        f"{'Beats' if better else 'Does not beat'} the baseline on validation {label} "
        f"({model['valid_metrics'][metric]:.4f} vs {baseline['validation'].iloc[0]:.4f}).")
predictions = ws.load_predictions(model_id)
if problem.task == "classification":
    labels = sorted(set(predictions["y_true"].astype(str)) | set(predictions["y_pred"].astype(str)))
    st.plotly_chart(confusion_figure(predictions["y_true"], predictions["y_pred"], labels), width="stretch")
else:
    st.plotly_chart(residual_figure(predictions["y_true"], predictions["y_pred"]), width="stretch")

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
