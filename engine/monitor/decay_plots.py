"""Plotly figure of performance decay: the metric per window with its 95% interval, against validation."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from engine.evaluate.metrics import METRICS
from engine.monitor.drift_plots import VERDICT_COLORS

__all__ = ["decay_figure"]

_LAYOUT = {"template": "plotly_white", "margin": {"l": 40, "r": 20, "t": 50, "b": 40}, "height": 380}


def decay_figure(table: pd.DataFrame, metric: str) -> go.Figure:
    """One point per window (coloured by verdict, with its bootstrap interval) and the validation baseline."""
    scored = table.dropna(subset=["value"])
    figure = go.Figure(go.Scatter(
        x=scored["window"], y=scored["value"], mode="lines+markers", name=METRICS[metric].label,
        marker={"size": 11, "color": [VERDICT_COLORS[v] for v in scored["verdict"]]},
        line={"color": "#4c78a8"},
        error_y={"type": "data", "symmetric": False, "array": scored["high"] - scored["value"],
                 "arrayminus": scored["value"] - scored["low"], "color": "#9d9d9d"},
        customdata=scored[["n_rows", "verdict", "reason"]].to_numpy(),
        hovertemplate="%{x}<br>%{customdata[0]} labelled rows<br>%{customdata[1]}: %{customdata[2]}<extra></extra>"))
    if len(table):
        figure.add_hline(y=float(table["baseline"].iloc[0]), line_dash="dash", line_color="#54a24b",
                         annotation_text="validation", annotation_position="top left")
    figure.update_layout(title=f"{METRICS[metric].label} on late labels, per window", xaxis_type="category",
                         xaxis_title="window (arrival of the scored rows)", yaxis_title=METRICS[metric].label,
                         showlegend=False, **_LAYOUT)
    return figure
