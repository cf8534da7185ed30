"""Monitor page section: late labels (ground truth joined to the scored rows by a key) and performance decay."""

from __future__ import annotations

import streamlit as st

from engine.data.io import SUPPORTED_EXTENSIONS
from engine.evaluate.metrics import METRICS
from engine.monitor.decay_plots import decay_figure
from pages import ui
from usecases import monitor_labels

SEEN_KEY = "monitor_labels_seen"
WINDOWS = {"W": "week", "D": "day", "batch": "batch", "all": "all labels together"}


def _thresholds(ws, project_id: int) -> None:
    current = monitor_labels.decay_thresholds(ws, project_id).to_dict()
    with st.expander("Decay thresholds"):
        with st.form(f"monitor_decay_{project_id}", border=False):
            left, middle, right = st.columns(3)
            edited = {
                "score_drop": left.number_input("Score fall that alerts", 0.001, 1.0, float(current["score_drop"]),
                                                0.01, format="%g", help="For scores where higher is better "
                                                "(accuracy, ROC-AUC, R²…): how far below validation, in its units"),
                "error_rise": middle.number_input("Error rise that alerts", 0.01, 5.0, float(current["error_rise"]),
                                                  0.05, format="%g", help="For errors (RMSE, MAE, log loss): how "
                                                  "much above validation, as a fraction (0.1 = 10%)"),
                "min_rows": right.number_input("Fewest labelled rows per window", 1, 1_000_000,
                                               int(current["min_rows"]), 10),
            }
            if st.form_submit_button("Apply and save"):
                with ui.user_errors():
                    monitor_labels.save_decay_thresholds(ws, project_id, edited)
                    st.rerun()


def labels_section(ws, project_id: int, model_id: int) -> None:
    """Upload late labels, then the model's metric per window against its validation score."""
    st.subheader("Late labels and performance")
    st.caption("When the true outcomes become known, upload them as a file with a key column (e.g. a customer "
               "ID that is also in the new data) and the target. They are joined to the rows this model scored, "
               "and its metric is computed per window, with a 95% bootstrap interval, against its validation score.")
    keys = monitor_labels.key_columns(ws, model_id)
    left, right = st.columns([1, 2])
    key = left.selectbox("Key column", keys, key="monitor_labels_key", disabled=not keys)
    upload = right.file_uploader("Labels file (key + target)", type=list(SUPPORTED_EXTENSIONS),
                                 key="monitor_labels_upload", disabled=not keys)
    stored_notes: list[str] = []
    if upload is not None and key and st.session_state.get(SEEN_KEY) != (model_id, key, upload.file_id):
        with ui.user_errors():
            record, stored_notes = monitor_labels.add_label_file(ws, model_id, upload.getvalue(), upload.name, key)
            st.session_state[SEEN_KEY] = (model_id, key, upload.file_id)
            st.success(f"Stored {record['n_rows']:,} labels from '{upload.name}'.", icon=":material/label:")
    _thresholds(ws, project_id)
    freq = st.segmented_control("Window", list(WINDOWS), format_func=WINDOWS.get, default="W",
                                key="monitor_decay_window") or "W"
    ui.show_notes(stored_notes)  # what the new file did not match; the check below says it again only if it differs
    with ui.user_errors():
        check = monitor_labels.decay_check(ws, model_id, freq)
        check = check and check._replace(notes=[n for n in check.notes if n not in stored_notes])
        if check is None:
            st.info("No labels yet." if keys else "Labels are joined to stored new data: upload new data above "
                    "first.")
            return
        _render(check)


def _render(check: monitor_labels.DecayCheck) -> None:
    table, label = check.table, METRICS[check.metric].label
    alerts = int((table["verdict"] == "alert").sum())
    where = f"{check.labelled:,} labelled rows in {len(table)} window(s); validation {label} {check.baseline:.4g}"
    if alerts:
        st.error(f"Performance decayed in {alerts} window(s): {where}. Consider retraining with recent data.",
                 icon=":material/trending_down:")
    elif (table["verdict"] == "warn").any():
        st.warning(f"Possible decay, not yet clear: {where}.", icon=":material/warning:")
    elif (table["verdict"] == "ok").any():
        st.success(f"No decay: {where}.", icon=":material/check_circle:")
    else:
        st.info(f"Too few labelled rows for a verdict yet: {where}.")
    ui.show_notes(check.notes)
    st.plotly_chart(decay_figure(table, check.metric), key="monitor_decay_chart")
    shown = table.assign(verdict="● " + table["verdict"])
    st.dataframe(shown.style.map(ui.verdict_style, subset=["verdict"]), hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.4g")
                                for c in ("value", "low", "high", "baseline", "change")})
