"""Monitor page section: one drift check rendered (banner, table, charts, data quality) and drift over time."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from engine.monitor.drift import DriftThresholds, features_by_drift
from engine.monitor.drift_plots import distribution_figure, drift_bar_figure, heat_strip_figure
from engine.monitor.drift_statistics import STATISTICS, report_columns
from pages import ui
from usecases import monitoring, verdicts
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


_BANNERS = {"too few rows": (st.info, ":material/hourglass_empty:"), "alert": (st.error, ":material/crisis_alert:"),
            "warn": (st.warning, ":material/warning:"), "ok": (st.success, ":material/check_circle:")}


def _banner(report) -> None:
    headline = verdicts.drift_headline(report)
    show, icon = _BANNERS[headline.level]
    show(headline.text, icon=icon)


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
    shown = [n for n in features_by_drift(report) if n in check.current.columns]
    if shown:
        feature = right.selectbox("Distribution of", shown, key=f"monitor_feature_{_check_id(check)}",
                                  help="Training (reference) shares next to the new data's, on the training bins; "
                                       "the most drifted feature first")
        right.plotly_chart(distribution_figure(check.reference, check.current, feature), width="stretch")


def _check_id(check: monitoring.MonitorCheck) -> str:
    """Which rows a check is on: a new batch opens its distribution chart on its own worst feature."""
    return "all" if check.batch is None else check.batch["key"]


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
        st.caption(f"{len(few)} window(s) have fewer than {thresholds.min_rows:,} rows: they are grey, with no "
                   "verdict, since chance alone gives so few rows a large PSI (it shows on hover).")
