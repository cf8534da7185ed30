"""Plotly figures built from plain data (``engine.explore.profile`` results, predictions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from sklearn.metrics import confusion_matrix

from engine.explore.profile import (
    Associations,
    BoxStats,
    Distribution,
    MissingPattern,
    ScatterInfo,
    TargetView,
)

__all__ = [
    "association_figure",
    "box_figure",
    "confusion_figure",
    "distribution_figure",
    "kinds_figure",
    "missing_figure",
    "missing_pattern_figure",
    "residual_figure",
    "scatter_figure",
    "scatter_matrix_figure",
    "scores_figure",
    "target_association_figure",
    "target_view_figure",
]

_PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d", "#ff9da6",
            "#bab0ac"]
_MAX_BARS = 100  # bars of one per-column chart; a wide table shows its top ones
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


def _rows_note(shown: int, total: int) -> str:
    return f" ({shown:,} of {total:,} rows sampled)" if shown < total else ""


def kinds_figure(kinds: dict[str, int]) -> go.Figure:
    """How many columns of each kind."""
    figure = go.Figure(go.Bar(x=list(kinds), y=list(kinds.values()), marker_color="#4c78a8"))
    figure.update_layout(title="Columns per kind", yaxis_title="columns", **{**_LAYOUT, "height": 300})
    return figure


def box_figure(box: BoxStats) -> go.Figure:
    """A box plot drawn from precomputed quartiles (every row counted, no points shipped)."""
    figure = go.Figure(go.Box(name=box.column, x=[box.column], q1=[box.q1], median=[box.median], q3=[box.q3],
                              lowerfence=[box.low], upperfence=[box.high], marker_color="#4c78a8"))
    title = f"{box.column}: box plot" + (f" ({box.n_outliers:,} values beyond the whiskers)" if box.n_outliers else "")
    figure.update_layout(title=title, showlegend=False, **_LAYOUT)
    return figure


def missing_figure(table: pd.DataFrame) -> go.Figure:
    """Share of missing cells per column (``missing_table``, most missing first: the first ``_MAX_BARS``)."""
    note = f" ({_MAX_BARS} of {len(table):,} columns, most missing first)" if len(table) > _MAX_BARS else ""
    table = table.head(_MAX_BARS)
    figure = go.Figure(go.Bar(x=table["column"], y=table["missing_%"], marker_color="#e45756",
                              customdata=table["missing"], hovertemplate="%{x}: %{customdata:,} missing (%{y}%)"))
    figure.update_layout(title="Missing values per column" + note, yaxis_title="% of rows", yaxis_range=[0, 100],
                         **_LAYOUT)
    return figure


def missing_pattern_figure(pattern: MissingPattern) -> go.Figure:
    """Heatmap of missing cells (dark) in evenly spaced rows."""
    figure = go.Figure(go.Heatmap(z=pattern.is_missing, x=pattern.columns, y=pattern.rows, zmin=0, zmax=1,
                                  colorscale=[[0, "#eef2f7"], [1, "#e45756"]], showscale=False,
                                  hovertemplate="row %{y}<br>%{x}<br>missing: %{z}<extra></extra>"))
    shown = len(pattern.rows)
    note = f" ({shown:,} of {pattern.n_total:,} rows, evenly spaced)" if shown < pattern.n_total else ""
    figure.update_layout(title="Missing cells by row" + note, yaxis_title="row", yaxis_autorange="reversed",
                         **{**_LAYOUT, "height": 460})
    return figure


def association_figure(assoc: Associations) -> go.Figure:
    """Heatmap of an association matrix, annotated when small enough to read."""
    matrix = assoc.matrix.round(2)
    signed = assoc.method != "mixed"
    text = matrix.to_numpy() if len(matrix) <= 15 else None
    figure = go.Figure(go.Heatmap(z=matrix.to_numpy(), x=list(matrix.columns), y=list(matrix.index),
                                  zmin=-1 if signed else 0, zmax=1, colorscale="RdBu" if signed else "Blues",
                                  reversescale=signed, text=text, texttemplate="%{text}" if text is not None else None))
    name = {"pearson": "Pearson", "spearman": "Spearman",
            "mixed": "|Pearson| · Cramér's V · correlation ratio"}[assoc.method]
    columns = "" if not assoc.note else f" ({len(matrix):,} of {assoc.n_columns_total:,} columns)"
    figure.update_layout(title=name + _rows_note(assoc.n_rows, assoc.n_total) + columns, yaxis_autorange="reversed",
                         **{**_LAYOUT, "height": 520})
    return figure


def target_association_figure(table: pd.DataFrame, target: str) -> go.Figure:
    """Features ranked by their association with the target (the ``_MAX_BARS`` strongest)."""
    table = table.dropna(subset=["association"]).head(_MAX_BARS).iloc[::-1]
    figure = go.Figure(go.Bar(x=table["association"], y=table["feature"], orientation="h", marker_color="#4c78a8",
                              customdata=table["measure"], hovertemplate="%{y}: %{x:.3f} (%{customdata})"))
    figure.update_layout(title=f"Association with the target '{target}'", xaxis_range=[0, 1],
                         **{**_LAYOUT, "height": max(300, 60 + 24 * len(table))})
    return figure


def scatter_figure(info: ScatterInfo) -> go.Figure:
    """Points of y against x, coloured by a column, with the least-squares line."""
    figure = go.Figure()
    if info.colors is not None and info.colors and isinstance(info.colors[0], str):
        frame = pd.DataFrame({"x": info.xs, "y": info.ys, "c": info.colors})
        for label, group in list(frame.groupby("c", sort=True))[:20]:
            figure.add_trace(go.Scattergl(x=group["x"], y=group["y"], mode="markers", name=str(label),
                                          marker={"size": 5, "opacity": 0.6}))
    else:
        marker = {"size": 5, "opacity": 0.6}
        if info.colors is not None:
            marker.update(color=info.colors, colorscale="Viridis", showscale=True, colorbar={"title": info.color})
        figure.add_trace(go.Scattergl(x=info.xs, y=info.ys, mode="markers", name="rows", marker=marker))
    if info.slope is not None and info.xs:
        low, high = min(info.xs), max(info.xs)
        figure.add_trace(go.Scatter(x=[low, high], y=[info.slope * low + info.intercept,
                                                      info.slope * high + info.intercept],
                                    mode="lines", name=f"trend: y = {info.slope:.3g}·x + {info.intercept:.3g}",
                                    line={"color": "black", "dash": "dash"}))
    figure.update_layout(title=f"{info.y} vs {info.x}" + _rows_note(info.n_shown, info.n_rows),
                         xaxis_title=info.x, yaxis_title=info.y, **{**_LAYOUT, "height": 460})
    return figure


def scatter_matrix_figure(rows: pd.DataFrame, n_total: int, color: str | None = None) -> go.Figure:
    """Pairwise scatter plots of the columns of ``rows`` (already sampled)."""
    columns = [c for c in rows.columns if c != color]
    groups = list(rows.groupby(rows[color].astype(str), sort=True))[:10] if color else [("rows", rows)]
    figure = go.Figure([go.Splom(dimensions=[{"label": c, "values": group[c]} for c in columns], name=str(label),
                                 marker={"size": 4, "opacity": 0.6, "color": _PALETTE[i % len(_PALETTE)]},
                                 diagonal_visible=False, showupperhalf=False, showlegend=bool(color))
                        for i, (label, group) in enumerate(groups)])
    title = "Scatter matrix" + (f" coloured by {color}" if color else "") + _rows_note(len(rows), n_total)
    figure.update_layout(title=title, **{**_LAYOUT, "height": 180 * len(columns) + 120})
    return figure


def target_view_figure(view: TargetView) -> go.Figure:
    """Box per class, stacked class shares per group, or mean target per group."""
    if view.mode == "box":
        s = view.series
        figure = go.Figure(go.Box(x=view.labels, q1=s["q1"], median=s["median"], q3=s["q3"], lowerfence=s["low"],
                                  upperfence=s["high"], marker_color="#4c78a8"))
        figure.update_layout(title=f"{view.feature} per class of {view.target}", xaxis_title=view.target,
                             yaxis_title=view.feature, showlegend=False, **_LAYOUT)
        return figure
    if view.mode == "rate":
        figure = go.Figure([go.Bar(x=view.labels, y=shares, name=label) for label, shares in view.series.items()])
        figure.update_layout(barmode="stack", title=f"Share of each {view.target} class by {view.feature}",
                             xaxis_title=view.feature, yaxis_title="share of rows", yaxis_tickformat=".0%", **_LAYOUT)
        return figure
    figure = go.Figure(go.Bar(x=view.labels, y=view.series["mean"], marker_color="#4c78a8", customdata=view.counts,
                              hovertemplate="%{x}: mean %{y:.4g} (%{customdata:,} rows)"))
    figure.update_layout(title=f"Mean {view.target} by {view.feature}", xaxis_title=view.feature,
                         yaxis_title=f"mean {view.target}", **_LAYOUT)
    return figure
