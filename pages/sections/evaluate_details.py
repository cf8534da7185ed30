"""Evaluate page sections for one model: scores, plots, decision threshold (explanations: evaluate_explain).

Everything slow is cached by model id (and the model file's sha256).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.evaluate import plots as ep
from pages import ui
from pages.sections import evaluate_replay
from usecases import evaluation


def _ws():
    return ui.workspace()


@st.cache_data(max_entries=32, show_spinner=False)
def predictions(home: str, model_id: int, sha: str) -> tuple[pd.DataFrame, list[str] | None]:
    return evaluation.validation_predictions(_ws(), model_id)


@st.cache_data(max_entries=64, show_spinner=False)
def interval(home: str, model_id: int, sha: str, metric: str) -> tuple[float, float]:
    return evaluation.validation_interval(_ws(), model_id, metric)


@st.cache_data(max_entries=32, show_spinner="Scoring with bootstrap intervals…")
def _scores(home: str, model_id: int, sha: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    return evaluation.score_table(_ws(), model_id), evaluation.class_report(_ws(), model_id)


def scores_tab(key: tuple, task: str) -> None:
    table, classes = _scores(*key)
    st.caption("Validation rows. The interval is a 95% bootstrap interval (200 resamples of the rows): "
               "scores of models whose intervals overlap may not really differ.")
    shown = table.assign(better=table["higher_is_better"].map({True: "higher", False: "lower"}))
    st.dataframe(shown[["label", "value", "low", "high", "better"]], hide_index=True, width="stretch",
                 height=35 * len(shown) + 38,
                 column_config={"label": "metric", "value": st.column_config.NumberColumn(format="%.4f"),
                                "low": st.column_config.NumberColumn("95% low", format="%.4f"),
                                "high": st.column_config.NumberColumn("95% high", format="%.4f"),
                                "better": "better is"})
    if task == "classification":
        st.markdown("**Per class**")
        st.dataframe(classes, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.3f")
                                    for c in ("precision", "recall", "f1")})
    evaluate_replay.reproducibility(key)


def plots_tab(key: tuple, task: str) -> None:
    frame, classes = predictions(*key)
    y, pred = frame["y_true"], frame["y_pred"]
    if task == "regression":
        evaluate_replay.interval_note(key[1])
        st.plotly_chart(ep.predicted_actual_figure(y, pred), width="stretch")
        left, right = st.columns(2)
        left.plotly_chart(ep.residuals_figure(y, pred), width="stretch")
        right.plotly_chart(ep.residual_histogram_figure(y, pred), width="stretch")
        return
    labels = classes or sorted(set(y.astype(str)) | set(pred.astype(str)))
    normalise = st.toggle("Show shares of each actual class", key=f"evaluate_normalise_{key[1]}")
    st.plotly_chart(ep.confusion_matrix_figure(y, pred, labels, normalize=normalise), width="stretch")
    if classes is None:
        st.info("This model gives no probabilities, so there are no ROC, precision-recall or calibration curves.")
        return
    proba = frame[[f"proba_{c}" for c in classes]].to_numpy(dtype=float)
    left, right = st.columns(2)
    left.plotly_chart(ep.roc_figure(y, proba, classes), width="stretch")
    right.plotly_chart(ep.pr_figure(y, proba, classes), width="stretch")
    left, right = st.columns(2)
    left.plotly_chart(ep.calibration_figure(y, proba, classes), width="stretch")
    if len(classes) == 2:
        right.plotly_chart(ep.gain_lift_figure(y, proba[:, 1], classes[1]), width="stretch")


def threshold_tab(key: tuple) -> None:
    ws, model_id = _ws(), key[1]
    with ui.user_errors():
        table, positive = evaluation.threshold_report(ws, model_id)
        saved = evaluation.model_threshold(ws, model_id)
        st.caption(f"A row is predicted **{positive}** when its probability of '{positive}' is at least the "
                   f"threshold. Saved threshold: **{saved if saved is not None else 'none (0.5)'}**.")
        chosen = st.slider("Decision threshold", 0.01, 0.99, float(saved or 0.5), 0.01,
                           key=f"evaluate_threshold_{model_id}")
        row = table.loc[(table["threshold"] - chosen).abs().idxmin()]
        for col, name in zip(st.columns(5), ["precision", "recall", "f1", "accuracy", "flagged"], strict=True):
            value = f"{int(row[name]):,}" if name == "flagged" else "–" if pd.isna(row[name]) else f"{row[name]:.3f}"
            col.metric(f"{name} (validation)" if name != "flagged" else f"rows predicted {positive}", value)
        st.plotly_chart(ep.threshold_figure(table, chosen), width="stretch")
        if st.button("Save threshold with the model", key=f"evaluate_save_threshold_{model_id}"):
            evaluation.set_threshold(ws, model_id, chosen)
            st.toast(f"Threshold {chosen:.2f} saved with model #{model_id}.")
            st.rerun()
