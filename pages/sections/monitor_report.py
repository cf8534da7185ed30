"""Monitor page section: one drift check rendered (banner, table, charts, data quality) and drift over time."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from engine.monitor.drift import STATISTICS, DriftThresholds, report_columns
from engine.monitor.drift_plots import distribution_figure, drift_bar_figure, heat_strip_figure
from pages import ui
from usecases import monitoring
from usecases.verdicts import VERDICT_PALETTE

WINDOWS = {"batch": "per batch", "D": "per day", "W": "per week"}


def signature(batches: list[dict], thresholds: DriftThresholds) -> str:
    """What a cached check depends on besides the model: the batches there are and the thresholds."""
    return json.dumps([[b["key"], b["n_rows"]] for b in batches] + [thresholds.to_dict()], sort_keys=True)


@st.cache_data(max_entries=16, show_spinner="Comparing the new data with the training data…")
def cached_check(home: str, model_id: int, key: str, signature: str) -> monitoring.MonitorCheck | None:
    return monitoring.drift_check(ui.workspace(), model_id, key)


@st.cache_data(max_entries=16, show_spinner="Computing drift per window…")
def _windows(home: str, model_id: int, freq: str, signature: str) -> pd.DataFrame:
    return monitoring.drift_over_time(ui.workspace(), model_id, freq)


def _banner(report) -> None:
    counts = report.features["verdict"].value_counts()
    alert, warn, total = int(counts.get("alert", 0)), int(counts.get("warn", 0)), len(report.features)
    rows = f"{report.n_rows:,} rows"
    if report.overall == "too few rows":
        st.info(f"{rows}: too few to judge drift (at least {report.thresholds.min_rows:,} needed; see the "
                "thresholds). The numbers below are shown for information, without an alert.",
                icon=":material/hourglass_empty:")
    elif report.overall == "alert":
        st.error(f"Drift alert: {alert} of {total} features drifted ({report.share_drifted:.0%}; an alert from "
                 f"{report.thresholds.share_alert:.0%}){f', {warn} more to watch' if warn else ''}. {rows}.",
                 icon=":material/crisis_alert:")
    elif report.overall == "warn":
        watch = f"{warn} feature{'s' if warn != 1 else ''} to watch"
        st.warning(f"Some drift: {alert} of {total} features drifted{f', {watch}' if warn else ''} (an alert from "
                   f"{report.thresholds.share_alert:.0%} of features). {rows}.", icon=":material/warning:")
    else:
        st.success(f"No drift: 0 of {total} features drifted. {rows}.", icon=":material/check_circle:")


def _table(report) -> pd.DataFrame:
    table = report.features
    statistics = {header: table[column] for column, header in report_columns().items()}
    return pd.DataFrame({
        "feature": table["name"], "kind": table["kind"], **statistics,
        "missing (training → new)": [f"{r:.1%} → {c:.1%}" for r, c in zip(table["missing_ref"], table["missing_cur"],
                                                                          strict=True)],
        "verdict": "● " + table["verdict"], "reason": table["reason"]})


def _statistic_formats() -> dict:
    """Effect sizes to 3 decimals, test p-values to 3 significant digits, one column per statistic."""
    judged = {s.judged: s.role for s in STATISTICS.values()}
    return {header: st.column_config.NumberColumn(format="%.3f" if judged[column] == "effect" else "%.3g")
            for column, header in report_columns().items()}


def render_check(check: monitoring.MonitorCheck, thresholds: DriftThresholds) -> None:
    """The verdict banner, the per-feature table and chart, the predictions, data quality, one distribution."""
    report = check.report
    _banner(report)
    if report.prediction is not None:
        p = report.prediction
        st.markdown(f"**Predictions:** :{VERDICT_PALETTE[p['verdict']].markdown}[● {p['verdict']}] — {p['reason']}")
    else:
        st.caption("Predictions: not compared (the model could not score these rows, or its reference has none).")
    st.dataframe(_table(report).style.map(ui.verdict_style, subset=["verdict"]), hide_index=True, width="stretch",
                 key="monitor_drift_table",
                 column_config={**_statistic_formats(), "reason": st.column_config.TextColumn(width="large")})
    st.markdown("**Data quality**")
    if report.quality:
        ui.show_notes(report.quality)
    else:
        st.caption("No data-quality findings: every column is there, no new categories, values within the "
                   "training range, missing rates as in training.")
    left, right = st.columns(2)
    left.plotly_chart(drift_bar_figure(report), width="stretch")
    ranked = report.features.sort_values("psi", ascending=False, na_position="last")["name"].tolist()
    shown = [n for n in ranked if n in check.current.columns]
    if shown:
        feature = right.selectbox("Distribution of", shown, key="monitor_feature",
                                  help="Training (reference) shares next to the new data's, on the training bins")
        right.plotly_chart(distribution_figure(check.reference, check.current, feature), width="stretch")


def render_over_time(ws, model_id: int, batches: list[dict], thresholds: DriftThresholds) -> None:
    """The heat strip of features x windows over all incoming data."""
    st.subheader("Drift over time")
    freq = st.radio("Windows", list(WINDOWS), format_func=WINDOWS.get, horizontal=True, key="monitor_windows")
    windows = _windows(str(ws.home), model_id, freq, signature(batches, thresholds))
    if windows.empty:
        st.caption("No windows yet.")
        return
    st.plotly_chart(heat_strip_figure(windows), width="stretch")
    few = windows.loc[windows["verdict"] == "too few rows", "window"].unique()
    if len(few):
        st.caption(f"{len(few)} window(s) have fewer than {thresholds.min_rows:,} rows: their PSI is shown, "
                   "but they get no verdict.")
