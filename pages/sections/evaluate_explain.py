"""Evaluate's Explain tab: what one model relies on, and why it predicted what it did for a few rows.

Permutation importance, partial dependence and the rows' explanations take well under a second on a sample of
the validation rows, so they are drawn at once (cached by model id and the model file's sha256). The learning
curve re-trains 15 copies of the model, which takes seconds to minutes: it runs on a background thread of this
server, one curve at a time, and the tab polls its progress instead of blocking the page. The click is
remembered in session state so later reruns render from the caches.
"""

from __future__ import annotations

import threading

import pandas as pd
import streamlit as st

from engine import METRICS
from engine.evaluate import plots as ep
from pages import ui
from usecases import evaluation, explanations

_ROW_COLUMNS = 8  # a row is explained by the model's most important columns


@st.cache_data(max_entries=16, show_spinner="Shuffling each column…")
def _importance(home: str, model_id: int, sha: str):
    return evaluation.permutation_importance(ui.workspace(), model_id)


@st.cache_data(max_entries=64, show_spinner="Computing partial dependence…")
def _dependence(home: str, model_id: int, sha: str, column: str):
    return evaluation.partial_dependence(ui.workspace(), model_id, column)


@st.cache_data(max_entries=16, show_spinner="Explaining a few rows…")
def _rows(home: str, model_id: int, sha: str, columns: tuple[str, ...]):
    return explanations.validation_row_explanations(ui.workspace(), model_id, list(columns))


@st.cache_resource(show_spinner=False)
def _one_curve_at_a_time() -> threading.Lock:
    return threading.Lock()  # 2 cores shared by every session: curves queue rather than compete


class _LearningCurveTask:
    """One model's learning curve computed on a daemon thread (a server shutting down does not wait for it), with
    how many folds are done; ``finished`` is set once ``curve`` or ``error`` is."""

    def __init__(self, model_id: int):
        self.done, self.folds = 0, 3
        self.curve, self.error = None, None
        self.finished = threading.Event()
        threading.Thread(target=self._run, args=(ui.workspace(), model_id, _one_curve_at_a_time()), daemon=True,
                         name=f"learning-curve-{model_id}").start()

    def _run(self, ws, model_id: int, lock: threading.Lock) -> None:
        with lock:
            try:
                self.curve = evaluation.learning_curve(ws, model_id, progress=self._report)
            except Exception as exc:  # noqa: BLE001 - handed to the page, which shows or raises it
                self.error = exc
            finally:
                self.finished.set()

    def _report(self, done: int, folds: int) -> None:
        self.done, self.folds = done, folds


@st.cache_resource(max_entries=16, show_spinner=False)
def _learning_task(home: str, model_id: int, sha: str) -> _LearningCurveTask:
    return _LearningCurveTask(model_id)


def render(key: tuple, metric: str) -> None:
    """The Explain tab of model ``key`` = (home, model id, sha256), scored by ``metric``."""
    model_id, flag = key[1], f"evaluate_explain_{key[1]}"
    st.caption("Permutation importance and partial dependence use a sample of the validation rows; the learning "
               "curve re-trains copies of this model on the training rows (without the recipe's row steps), in "
               "the background.")
    if not st.session_state.get(flag):
        if st.button("Compute explanations", key=f"evaluate_explain_button_{model_id}"):
            st.session_state[flag] = True
            st.rerun()
        return
    label = METRICS[metric].label
    with ui.user_errors():
        importance = _importance(*key)
        st.plotly_chart(ep.importance_figure(importance, label), width="stretch")
        columns = evaluation.numeric_columns(ui.workspace(), model_id)
        if columns:
            column = st.selectbox("Partial dependence on", columns, key=f"evaluate_pdp_{model_id}")
            st.plotly_chart(ep.partial_dependence_figure(_dependence(*key, column)), width="stretch")
        _row_explanations(key, tuple(importance["column"].head(_ROW_COLUMNS)))
    _learning_curve(key, label)


def _row_explanations(key: tuple, columns: tuple[str, ...]) -> None:
    st.markdown("**Why these predictions**")
    rows = _rows(*key, columns)
    chosen = st.selectbox(
        "Validation row", range(len(rows)), key=f"evaluate_row_{key[1]}",
        format_func=lambda i: f"Row {rows[i].row + 1:,}: {rows[i].output} = {rows[i].prediction:.3f}"
        + (f" (actual: {rows[i].actual})" if rows[i].actual is not None else ""),
        help="Validation rows whose predictions span the model's range, lowest first.")
    row = rows[chosen]
    st.caption(f"{row.output} is {row.prediction:.3f} for this row, {row.average:.3f} on average. An effect is how "
               f"much this row's value of a column raises {row.output} (negative: lowers it) compared with other "
               f"rows' values of it. The model's {len(columns)} most important columns are shown.")
    table = pd.DataFrame({"column": list(row.contributions),
                          "value": [_shown(row.values[c]) for c in row.contributions],
                          "effect": list(row.contributions.values())})
    st.dataframe(table, hide_index=True, width="stretch", height=38 + 35 * len(table),
                 column_config={"effect": st.column_config.NumberColumn(f"effect on {row.output}", format="%+.3f")})


def _shown(value) -> str:
    return "(missing)" if pd.isna(value) else str(value)


def _learning_curve(key: tuple, label: str) -> None:
    task = _learning_task(*key)
    if not task.finished.is_set():
        st.fragment(_learning_progress, run_every=1.0)(key)
        return
    if task.error is not None:
        _learning_task.clear(*key)  # a failed curve is not kept: the next visit tries again
        with ui.user_errors():
            raise task.error
        return
    st.plotly_chart(ep.learning_curve_figure(task.curve, label), width="stretch")


def _learning_progress(key: tuple) -> None:
    task = _learning_task(*key)
    if task.finished.is_set():
        st.rerun(scope="app")  # draw the finished curve with the rest of the page
    st.progress(task.done / task.folds, text=f"Learning curve: re-training copies of this model on growing shares "
                                             f"of the rows… {task.done} of {task.folds} folds done.")
