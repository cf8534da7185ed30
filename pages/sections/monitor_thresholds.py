"""Monitor page section: the project's drift thresholds, editable and saved with the project."""

from __future__ import annotations

import streamlit as st

from engine.monitor.drift import DriftThresholds
from engine.monitor.drift_statistics import STATISTICS
from pages import ui
from usecases import monitoring


def _statistic_fields() -> dict:
    """One input per threshold the drift statistics name: warn / alert per effect size, one shared test p-value."""
    fields, tests = {}, []
    for statistic in STATISTICS.values():
        if statistic.role == "test":
            tests.append(statistic.name)
            continue
        fields[statistic.warn] = (f"{statistic.label}: warn from", 0.0, 10.0, 0.01,
                                  f"{statistic.name} at which a feature gets a warning")
        fields[statistic.alert] = (f"{statistic.label}: alert from", 0.0, 10.0, 0.01,
                                   f"{statistic.name} at which a feature has drifted")
    p_value = next(s.warn for s in STATISTICS.values() if s.role == "test")
    fields[p_value] = ("Test p-value below", 0.0, 1.0, 0.001,
                       f"{' / '.join(tests)} p-value that counts as a real difference")
    return fields


#: field -> (label, min, max, step, help)
FIELDS = {
    **_statistic_fields(),
    "missing_jump": ("Missing-rate rise", 0.0, 1.0, 0.01, "How much more often a column may be empty than in "
                     "training (0.1 = 10 points)"),
    "min_rows": ("Fewest rows for a verdict", 1, 1_000_000, 10, "Below this many rows a batch gets no verdict: "
                 "too few rows for the tests to mean anything"),
    "share_alert": ("Share of drifted features for an alert", 0.0, 1.0, 0.05, "The overall verdict is an alert "
                    "when at least this share of features drifted"),
}

def _key(project_id: int, field: str) -> str:
    return f"monitor_threshold_{project_id}_{field}"


def thresholds_expander(ws, project_id: int) -> DriftThresholds:
    """Number inputs for every threshold (saved on Apply, back to the defaults on Reset); the ones that apply."""
    current = monitoring.project_thresholds(ws, project_id)
    values = current.to_dict()
    custom = values != DriftThresholds().to_dict()
    with st.expander("Drift thresholds" + (" (customised for this project)" if custom else " (defaults)")):
        with st.form(f"monitor_thresholds_{project_id}", border=False):
            columns = st.columns(4)
            edited = {}
            for i, (field, (label, low, high, step, help_)) in enumerate(FIELDS.items()):
                whole = isinstance(low, int)
                edited[field] = columns[i % 4].number_input(
                    label, min_value=low, max_value=high, step=step, help=help_, key=_key(project_id, field),
                    value=int(values[field]) if whole else float(values[field]), format=None if whole else "%g")
            applied = st.form_submit_button("Apply and save", type="primary",
                                            key=f"monitor_thresholds_apply_{project_id}")
        reset = st.button("Reset to defaults", key=f"monitor_thresholds_reset_{project_id}", disabled=not custom)
    if applied:
        with ui.user_errors():
            current = monitoring.save_thresholds(ws, project_id, edited)
            st.toast("Thresholds saved; the report below uses them.", icon=":material/check:")
    if reset:
        current = monitoring.save_thresholds(ws, project_id, None)
        for field in FIELDS:
            st.session_state.pop(_key(project_id, field), None)
        st.rerun()
    return current
