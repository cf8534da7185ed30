"""Plotly figures of drift: reference vs current distributions, score per feature, features x windows.

Compute, then render: the numbers come from ``engine.monitor.drift`` (``bucket_shares``, ``DriftReport``) and
``engine.monitor.drift_windows`` (``windowed_drift``); this module only draws them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from engine.monitor.drift import DriftReport, bucket_shares

__all__ = ["VERDICT_COLORS", "distribution_figure", "drift_bar_figure", "heat_strip_figure"]

VERDICT_COLORS = {"ok": "#54a24b", "warn": "#eeca3b", "alert": "#e45756", "too few rows": "#bab0ac"}
_LAYOUT = {"template": "plotly_white", "margin": {"l": 40, "r": 20, "t": 50, "b": 40}, "height": 380}


def distribution_figure(reference: dict, current: pd.DataFrame, feature: str) -> go.Figure:
    """Reference and current shares side by side, on the reference's bins or categories."""
    labels, ref, cur = bucket_shares(reference, current, feature)
    keep = [i for i, label in enumerate(labels) if label not in ("other", "missing") or ref[i] > 0 or cur[i] > 0]
    labels = [labels[i] for i in keep]
    figure = go.Figure([
        go.Bar(x=labels, y=[ref[i] for i in keep], name="reference (training)", marker_color="#4c78a8"),
        go.Bar(x=labels, y=[cur[i] for i in keep], name=f"current ({len(current):,} rows)", marker_color="#f58518"),
    ])
    figure.update_layout(title=f"{feature}: reference vs current", barmode="group", yaxis_title="share of rows",
                         yaxis_tickformat=".0%", xaxis_type="category", **_LAYOUT)
    return figure


def drift_bar_figure(report: DriftReport) -> go.Figure:
    """PSI per feature, highest first, coloured by verdict, with the warn and alert lines."""
    table = report.features.assign(score=report.features["psi"].fillna(0.0)).sort_values("score", ascending=False)
    figure = go.Figure(go.Bar(
        x=table["name"], y=table["score"], marker_color=[VERDICT_COLORS[v] for v in table["verdict"]],
        customdata=np.stack([table["verdict"], table["reason"]], axis=1),
        hovertemplate="%{x}: PSI %{y:.3f}<br>%{customdata[0]}<br>%{customdata[1]}<extra></extra>"))
    for value, name in ((report.thresholds.psi_warn, "warn"), (report.thresholds.psi_alert, "alert")):
        figure.add_hline(y=value, line_dash="dot", line_color=VERDICT_COLORS[name], annotation_text=name)
    figure.update_layout(title=f"Drift per feature (PSI), overall: {report.overall}", yaxis_title="PSI",
                         xaxis_type="category", **_LAYOUT)
    return figure


def heat_strip_figure(windows: pd.DataFrame) -> go.Figure:
    """Features x windows matrix of PSI (the ``windowed_drift`` table); the verdict shows on hover.

    A window with too few rows for a verdict is drawn grey, not on the PSI scale: chance alone gives a handful of
    rows a large PSI, and colouring it red would say "drifted" where the check says nothing.
    """
    order = list(dict.fromkeys(windows["window"]))
    psi = windows.pivot_table(index="feature", columns="window", values="psi", aggfunc="first", sort=False)
    verdicts = windows.pivot_table(index="feature", columns="window", values="verdict", aggfunc="first", sort=False)
    psi, verdicts = psi.reindex(columns=order), verdicts.reindex(index=psi.index, columns=order)
    values, judged = psi.to_numpy(dtype=float), (verdicts != "too few rows").to_numpy()
    figure = go.Figure([
        go.Heatmap(z=np.where(judged, values, np.nan), x=order, y=list(psi.index),
                   customdata=verdicts.to_numpy(dtype=object),
                   colorscale=[[0, "#f7fbff"], [0.2, "#fdd49e"], [0.5, "#fc8d59"], [1, "#b30000"]], zmin=0, zmax=0.5,
                   colorbar={"title": "PSI"}, xgap=1, ygap=1, hoverongaps=False, name="PSI",
                   hovertemplate="%{y} in %{x}<br>PSI %{z:.3f}<br>%{customdata}<extra></extra>"),
        go.Heatmap(z=np.where(judged, np.nan, 1.0), x=order, y=list(psi.index), customdata=values,
                   colorscale=[[0, VERDICT_COLORS["too few rows"]], [1, VERDICT_COLORS["too few rows"]]],
                   showscale=False, xgap=1, ygap=1, hoverongaps=False, name="too few rows",
                   hovertemplate="%{y} in %{x}<br>PSI %{customdata:.3f}<br>too few rows: no verdict<extra></extra>"),
    ])
    figure.update_layout(title="Drift over time (PSI per feature and window; grey: too few rows for a verdict)",
                         xaxis_type="category", yaxis_autorange="reversed",
                         **{**_LAYOUT, "height": max(300, 60 + 24 * len(psi))})
    return figure
