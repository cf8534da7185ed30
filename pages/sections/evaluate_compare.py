"""Evaluate page section: two models side by side (paired bootstrap on shared validation rows), and what
changed between two runs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine import METRICS, model_label
from engine.evaluate import plots as ep
from engine.evaluate.comparison import difference_sentence
from pages import ui
from pages.sections import evaluate_details as details
from usecases import comparison, projects, verdicts

_VIEWS = ["Two models", "Two runs"]


@st.cache_data(max_entries=16, show_spinner="Resampling the validation rows…")
def _compare(home: str, a: int, sha_a: str, b: int, sha_b: str, thresholds: tuple) -> pd.DataFrame:
    """``thresholds``: both models' saved decision thresholds, part of the cache key (the scores depend on them)."""
    return comparison.compare_models(ui.workspace(), a, b)


def render(ws, project_id: int, board: pd.DataFrame) -> None:
    """The "Compare" section at the end of the Evaluate page."""
    st.subheader("Compare")
    view = st.segmented_control("Compare", _VIEWS, default=_VIEWS[0], required=True, key="compare_view",
                                label_visibility="collapsed")
    if view == "Two runs":
        _two_runs(ws, project_id)
    else:
        _two_models(ws, board[board["status"] == "ok"])


def _two_models(ws, trained: pd.DataFrame) -> None:
    ids = trained["model_id"].tolist()
    if len(ids) < 2:
        st.info("Train at least two models to compare them.")
        return
    names = trained.set_index("model_id")

    def label(i: int) -> str:
        return f"#{i} {model_label(names.loc[i, 'model'])} (run #{names.loc[i, 'run_id']})"

    left, right = st.columns(2)  # B: the best model; A: the one it is best compared with
    a = left.selectbox("Model A", ids, index=ids.index(verdicts.runner_up(trained)), format_func=label,
                       key="compare_model_a")
    b = right.selectbox("Model B", ids, index=0, format_func=label, key="compare_model_b")
    if a == b:
        st.info("Pick two different models.")
        return
    records = {i: projects.model_record(ws, i) for i in (a, b)}
    with ui.user_errors():
        table = _compare(str(ws.home), a, records[a]["sha256"], b, records[b]["sha256"],
                         (records[a]["decision_threshold"], records[b]["decision_threshold"]))
        st.markdown(difference_sentence(table.iloc[0].to_dict()))
        st.caption("B − A on the validation rows, with a 95% paired-bootstrap interval (both models scored on the "
                   "same 500 resamples of the rows). When the interval holds 0, the data cannot tell them apart.")
        shown = table.assign(better=table["higher_is_better"].map({True: "higher", False: "lower"}))
        number = st.column_config.NumberColumn
        st.dataframe(shown[["label", "a", "b", "difference", "low", "high", "verdict", "better"]], hide_index=True,
                     width="stretch", height=35 * len(shown) + 38,
                     column_config={"label": "metric", "a": number(f"A #{a}", format="%.4f"),
                                    "b": number(f"B #{b}", format="%.4f"),
                                    "difference": number("B − A", format="%.4f"),
                                    "low": number("95% low", format="%.4f"), "high": number("95% high", format="%.4f"),
                                    "verdict": st.column_config.TextColumn(width=160), "better": "better is"})
        _charts(ws, {"A": (a, records[a]), "B": (b, records[b])}, label)


def _charts(ws, models: dict, label) -> None:
    task = next(iter(models.values()))[1]["task"]
    for column, (name, (model_id, record)) in zip(st.columns(2), models.items(), strict=True):
        frame, classes = details.predictions(str(ws.home), model_id, record["sha256"], record["decision_threshold"])
        y = frame["y_true"]
        if task == "regression":
            figure = ep.predicted_actual_figure(y, frame["y_pred"])
        elif classes is not None:
            figure = ep.roc_figure(y, frame[[f"proba_{c}" for c in classes]].to_numpy(dtype=float), classes)
        else:
            labels = sorted(set(y.astype(str)) | set(frame["y_pred"].astype(str)))
            figure = ep.confusion_matrix_figure(y, frame["y_pred"], labels)
        figure.update_layout(title=f"{name}: {label(model_id)}<br><sup>{figure.layout.title.text}</sup>")
        column.plotly_chart(figure, width="stretch", key=f"compare_chart_{name}")


def _run_label(run: dict) -> str:
    when = (run["created_at"] or "")[:16].replace("T", " ")
    metric = (run["problem"] or {}).get("metric")
    return f"Run #{run['id']} · {when} UTC" + (f" · {METRICS[metric].label}" if metric in METRICS else "")


def _two_runs(ws, project_id: int) -> None:
    runs = {r["id"]: r for r in projects.project_runs(ws, project_id)}  # latest first
    if len(runs) < 2:
        st.info("This project has one run so far. Train again after changing the data, recipe or settings, "
                "then compare the two runs here.")
        return
    ids = list(runs)
    left, right = st.columns(2)
    a = left.selectbox("Run A", ids, index=1, format_func=lambda i: _run_label(runs[i]), key="compare_run_a")
    b = right.selectbox("Run B", ids, index=0, format_func=lambda i: _run_label(runs[i]), key="compare_run_b")
    unchanged = st.checkbox("Show unchanged items too", key="compare_unchanged")
    with ui.user_errors():
        table = comparison.run_diff(ws, a, b, include_unchanged=unchanged)
        changed = table[table["changed"]]
        if verdicts.runs_identical(table):
            st.success("These runs are identical in data, recipe and settings.", icon=":material/check:")
        if not changed.empty:
            counts = changed["area"].value_counts(sort=False)
            st.caption("Changed from A to B: " + ", ".join(f"{n} in {area}" for area, n in counts.items()) + ".")
        if table.empty:
            return
        text, value_width = st.column_config.TextColumn, 215 if unchanged else 250  # pixels: fits a wide page
        st.dataframe(table if unchanged else table.drop(columns="changed"), hide_index=True, width="stretch",
                     height=min(35 * len(table) + 38, 640),
                     column_config={"area": text(width=80), "item": text(width=290),
                                    "a": text(f"A (run #{a})", width=value_width),
                                    "b": text(f"B (run #{b})", width=value_width),
                                    "changed": st.column_config.CheckboxColumn("changed", width=70)})
