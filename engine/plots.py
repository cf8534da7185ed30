"""Plotly figures built from plain data (``engine.profile`` results, predictions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from sklearn.metrics import confusion_matrix

from engine.profile import Distribution

__all__ = ["confusion_figure", "distribution_figure", "residual_figure", "scores_figure"]

_LAYOUT = {"template": "plotly_white", "margin": {"l": 40, "r": 20, "t": 50, "b": 40}, "height": 380}


def distribution_figure(dist: Distribution) -> go.Figure:
    """Bars of a column's distribution, titled with what is not shown."""
    extra = []
    if dist.n_missing:
        extra.append(f"{dist.n_missing:,} missing")
    if dist.n_other:
        extra.append(f"{dist.n_other:,} rows in other categories")
    title = dist.column + (f" ({', '.join(extra)})" if extra else "")
    figure = go.Figure(go.Bar(x=dist.labels, y=dist.counts, marker_color="#4c78a8"))
    figure.update_layout(title=title, xaxis_title=dist.column, yaxis_title="rows", bargap=0.05, **_LAYOUT)
    return figure


def confusion_figure(y_true, y_pred, labels: list[str]) -> go.Figure:
    """Confusion matrix heatmap: rows are actual classes, columns predicted."""
    labels = [str(c) for c in labels]
    matrix = confusion_matrix(np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str), labels=labels)
    figure = go.Figure(go.Heatmap(z=matrix, x=labels, y=labels, colorscale="Blues", text=matrix,
                                  texttemplate="%{text}", hovertemplate="actual %{y}<br>predicted %{x}<br>%{z} rows"))
    figure.update_layout(title="Confusion matrix (validation)", xaxis_title="predicted", yaxis_title="actual",
                         yaxis_autorange="reversed", **_LAYOUT)
    return figure


def residual_figure(y_true, y_pred) -> go.Figure:
    """Predicted against actual values, with the ideal diagonal."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    low, high = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    figure = go.Figure([
        go.Scattergl(x=y_true, y=y_pred, mode="markers", marker={"size": 6, "opacity": 0.6}, name="rows"),
        go.Scatter(x=[low, high], y=[low, high], mode="lines", line={"dash": "dash", "color": "grey"},
                   name="perfect"),
    ])
    figure.update_layout(title="Predicted vs actual (validation)", xaxis_title="actual",
                         yaxis_title="predicted", **_LAYOUT)
    return figure


def scores_figure(table: pd.DataFrame, metric_label: str) -> go.Figure:
    """Validation score per model, with the cross-validation spread as error bars."""
    figure = go.Figure(go.Bar(x=table["model"], y=table["validation"], name="validation",
                              error_y={"type": "data", "array": table["cv_std"].fillna(0)},
                              marker_color="#4c78a8"))
    figure.update_layout(title=f"Validation {metric_label} per model (bars: ± CV std)", yaxis_title=metric_label,
                         **_LAYOUT)
    return figure
