"""Evaluate page sections for one model: scores, plots, decision threshold, and the champion (explanations:
evaluate_explain).

Everything slow is cached by model id (and the model file's sha256, and the saved decision threshold where the
numbers depend on it). The threshold slider reruns only its own fragment: the curves behind it are computed once per
model and each position is read from them in memory.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine import METRICS
from engine.evaluate import plots as ep
from pages import ui
from pages.sections import evaluate_replay
from usecases import evaluation


def _ws():
    return ui.workspace()


@st.cache_data(max_entries=32, show_spinner=False)
def predictions(home: str, model_id: int, sha: str, threshold: float | None) -> tuple[pd.DataFrame, list[str] | None]:
    """The validation predictions, classes decided at ``threshold`` (the saved one: part of the cache key)."""
    return evaluation.validation_predictions(_ws(), model_id)


@st.cache_data(max_entries=64, show_spinner=False)
def interval(home: str, model_id: int, sha: str, threshold: float | None, metric: str) -> tuple[float, float]:
    return evaluation.validation_interval(_ws(), model_id, metric)


@st.cache_data(max_entries=32, show_spinner="Scoring with bootstrap intervals…")
def _scores(home: str, model_id: int, sha: str, threshold: float | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    return evaluation.score_table(_ws(), model_id), evaluation.class_report(_ws(), model_id)


@st.cache_data(max_entries=32, show_spinner=False)
def _threshold_table(home: str, model_id: int, sha: str) -> tuple[pd.DataFrame, str]:
    """Precision, recall, F1, accuracy at every threshold 0.01..0.99: computed once per model."""
    return evaluation.threshold_report(_ws(), model_id)


def _at(threshold: float | None) -> str:
    return f"at the decision threshold {threshold or 0.5:.2f}"


def scores_tab(key: tuple, task: str, threshold: float | None = None) -> None:
    table, classes = _scores(*key, threshold)
    decided = f" Classes are decided {_at(threshold)} (ROC-AUC, PR-AUC and log loss do not depend on it)." \
        if "roc_auc" in set(table["metric"]) else ""
    st.caption("Validation rows. The interval is a 95% bootstrap interval (200 resamples of the rows): "
               f"scores of models whose intervals overlap may not really differ.{decided}")
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


def plots_tab(key: tuple, task: str, threshold: float | None = None) -> None:
    frame, classes = predictions(*key, threshold)
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
    if classes is not None and len(classes) == 2:
        st.caption(f"The confusion matrix counts the classes decided {_at(threshold)}; the curves below do not "
                   "depend on it.")
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


@st.fragment
def threshold_tab(key: tuple, saved: float | None) -> None:
    """The slider previews a threshold on the validation rows (this fragment reruns alone); saving it reruns the
    page, whose scores, plots and downloads then follow the saved one."""
    model_id = key[1]
    with ui.user_errors():
        table, positive = _threshold_table(*key)
        st.caption(f"A row is predicted **{positive}** when its probability of '{positive}' is at least the "
                   f"threshold. Saved threshold: **{saved if saved is not None else 'none (0.5)'}**. The slider "
                   "previews another one here; the rest of the page and every download follow the saved one.")
        chosen = st.slider("Decision threshold", 0.01, 0.99, float(saved or 0.5), 0.01,
                           key=f"evaluate_threshold_{model_id}")
        row = table.loc[(table["threshold"] - chosen).abs().idxmin()]
        for col, name in zip(st.columns(5), ["precision", "recall", "f1", "accuracy", "flagged"], strict=True):
            value = f"{int(row[name]):,}" if name == "flagged" else "–" if pd.isna(row[name]) else f"{row[name]:.3f}"
            col.metric(f"{name} at {chosen:.2f} (validation)" if name != "flagged"
                       else f"rows predicted {positive} at {chosen:.2f}", value)
        st.plotly_chart(ep.threshold_figure(table, chosen), width="stretch")
        if st.button("Save threshold with the model", key=f"evaluate_save_threshold_{model_id}",
                     disabled=saved is not None and abs(chosen - saved) < 1e-9):
            evaluation.set_threshold(_ws(), model_id, chosen)
            st.toast(f"Threshold {chosen:.2f} saved with model #{model_id}.")
            st.rerun(scope="app")


# -- the champion -----------------------------------------------------------------------------------------------

def champion_proposal(ws, project_id: int, details_key: str):
    """The best model of the latest run, proposed when it is not the champion; it becomes one only on a click, and
    Model details (the selectbox ``details_key``) then shows it. Returns the proposal (or None)."""
    proposal, origin = evaluation.proposed_champion(ws, project_id), evaluation.champion_origin(ws, project_id)
    if proposal is None:
        if origin:
            st.caption(origin + " Choose the champion under Model details below.")
        return None
    st.info(proposal.text + (f" {origin}" if origin else "") + " The champion is what Deploy, Monitor and the "
            "shared report use; it changes only when you choose.", icon=":material/emoji_events:")
    if st.button(f"Make #{proposal.model_id} the champion", key="evaluate_propose_champion", type="primary"):
        with ui.user_errors():
            evaluation.set_champion(ws, project_id, proposal.model_id)
            st.session_state.pop(details_key, None)  # open Model details on the new champion
            st.rerun()
    return proposal


def champion_and_test(ws, project_id: int, model: dict, champion: int | None, metric: str) -> None:
    """Make the shown model the champion, or score the champion once on the test split and show every metric."""
    model_id, label = model["id"], METRICS[metric].label
    if model_id != champion:
        st.caption("The champion is the model you deploy and test. Only the champion can be scored on the test "
                   "split." + (" No champion is chosen yet." if champion is None else ""))
        if st.button("Make this the champion", key="evaluate_champion"):
            with ui.user_errors():
                evaluation.set_champion(ws, project_id, model_id)
                st.rerun()
    elif model["test_metrics"]:
        test = model["test_metrics"]
        st.metric(f"test {label}", f"{test[metric]:.4f}")
        at = f" {_at(test.get('decision_threshold'))}" if "roc_auc" in test else ""
        st.caption(f"Scored once on {test['rows']:,} held-out rows at "
                   f"{test['scored_at'][:19].replace('T', ' ')} UTC{at}.")
        if "roc_auc" in test and test.get("decision_threshold") != model["decision_threshold"]:
            st.warning(f"The threshold saved since ({model['decision_threshold'] or 0.5:.2f}) differs from the one "
                       "the test split was scored at; the test split is scored once only, so these scores stay as "
                       "they were.", icon=":material/info:")
        scores = pd.DataFrame([{"metric": METRICS[m].label, "test": test[m]} for m in
                               [metric] + [m for m in METRICS if m != metric] if m in test])
        st.dataframe(scores, hide_index=True, width="stretch", height=35 * len(scores) + 38,
                     column_config={"test": st.column_config.NumberColumn("test (held-out rows)", format="%.4f")})
    else:
        st.caption("This is the champion. The test split is scored once, for the model you have chosen: choosing "
                   "between models by their test scores would make the test score optimistic."
                   + (f" Classes are decided {_at(model['decision_threshold'])}." if "roc_auc" in
                      (model["valid_metrics"] or {}) else ""))
        if st.button("Score on the test split", key="evaluate_test", type="primary"):
            with ui.user_errors():
                evaluation.final_test_report(ws, model_id)
                st.rerun()
