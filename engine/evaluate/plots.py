"""Plotly figures of a model's validation predictions: curves, calibration, gain, residuals, thresholds.

Curves are computed here from plain arrays (``y_true``, the class probabilities in ``classes`` order);
no figure ships more than 5,000 points, and a sampled figure says so in its title.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from sklearn.calibration import calibration_curve
from sklearn.metrics import auc, average_precision_score, confusion_matrix, precision_recall_curve, roc_curve

from engine.evaluate.explain import LearningCurve, PartialDependence

__all__ = [
    "MAX_POINTS",
    "calibration_figure",
    "confusion_matrix_figure",
    "cv_scores_figure",
    "gain_lift_figure",
    "importance_figure",
    "learning_curve_figure",
    "partial_dependence_figure",
    "pr_figure",
    "predicted_actual_figure",
    "Reliability",
    "reliability_figure",
    "reliability_info",
    "residual_histogram_figure",
    "residuals_figure",
    "roc_figure",
    "threshold_figure",
]

MAX_POINTS = 5_000
_PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d", "#ff9da6",
            "#bab0ac"]
_LAYOUT = {"template": "plotly_white", "margin": {"l": 40, "r": 20, "t": 50, "b": 40}, "height": 400}


def _rows_note(shown: int, total: int) -> str:
    return f" ({shown:,} of {total:,} rows sampled)" if shown < total else ""


def _sample(n: int, seed: int = 0) -> np.ndarray:
    """Positions of at most MAX_POINTS rows out of ``n`` (all of them, in order, when few enough)."""
    if n <= MAX_POINTS:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, MAX_POINTS, replace=False))


def _thin(*curves: np.ndarray) -> tuple[np.ndarray, ...]:
    """At most MAX_POINTS evenly spaced points of a curve (always keeping both ends)."""
    n = len(curves[0])
    if n <= MAX_POINTS:
        return curves
    keep = np.unique(np.linspace(0, n - 1, MAX_POINTS).round().astype(int))
    return tuple(c[keep] for c in curves)


def _one_vs_rest(y_true, classes: list[str]) -> list[tuple[str, int, np.ndarray]]:
    """(class, proba column, is-that-class) per curve: the positive class only for a binary task."""
    y = np.asarray(y_true).astype(str)
    columns = [1] if len(classes) == 2 else range(len(classes))
    return [(str(classes[j]), j, y == str(classes[j])) for j in columns]


def confusion_matrix_figure(y_true, y_pred, labels: list[str], normalize: bool = False) -> go.Figure:
    """Confusion matrix heatmap (rows actual, columns predicted): counts, or shares of each actual class."""
    labels = [str(c) for c in labels]
    counts = confusion_matrix(np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str), labels=labels)
    rows = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    z = shares if normalize else counts
    text = [[f"{s:.0%}" for s in row] for row in shares] if normalize else counts
    figure = go.Figure(go.Heatmap(z=z, x=labels, y=labels, colorscale="Blues", text=text, texttemplate="%{text}",
                                  customdata=counts, zmin=0, zmax=1 if normalize else None,
                                  hovertemplate="actual %{y}<br>predicted %{x}<br>%{customdata} rows<extra></extra>"))
    title = "Confusion matrix (validation, " + ("share of each actual class)" if normalize else "row counts)")
    figure.update_layout(title=title, xaxis_title="predicted", yaxis_title="actual", yaxis_autorange="reversed",
                         **_LAYOUT)
    return figure


def roc_figure(y_true, proba, classes: list[str]) -> go.Figure:
    """ROC curve of the positive class (binary) or of each class against the rest, AUC in the legend."""
    proba = np.asarray(proba, dtype=float)
    figure = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance",
                                  line={"dash": "dash", "color": "grey"}))
    for i, (label, j, positive) in enumerate(_one_vs_rest(y_true, classes)):
        if positive.all() or not positive.any():
            continue
        fpr, tpr, _ = roc_curve(positive, proba[:, j])
        fpr, tpr = _thin(fpr, tpr)
        figure.add_trace(go.Scatter(x=fpr, y=tpr, mode="lines", name=f"{label} (AUC {auc(fpr, tpr):.3f})",
                                    line={"color": _PALETTE[i % len(_PALETTE)]}))
    kind = "" if len(classes) == 2 else ", one-vs-rest"
    figure.update_layout(title=f"ROC curve (validation{kind})", xaxis_title="false positive rate",
                         yaxis_title="true positive rate", **_LAYOUT)
    return figure


def pr_figure(y_true, proba, classes: list[str]) -> go.Figure:
    """Precision-recall curve per class (positive class only for binary), average precision in the legend."""
    proba = np.asarray(proba, dtype=float)
    figure = go.Figure()
    for i, (label, j, positive) in enumerate(_one_vs_rest(y_true, classes)):
        if not positive.any():
            continue
        precision, recall, _ = precision_recall_curve(positive, proba[:, j])
        precision, recall = _thin(precision, recall)
        ap = average_precision_score(positive, proba[:, j])
        color = _PALETTE[i % len(_PALETTE)]
        figure.add_trace(go.Scatter(x=recall, y=precision, mode="lines", line={"shape": "hv", "color": color},
                                    name=f"{label} (AP {ap:.3f})"))
        figure.add_trace(go.Scatter(x=[0, 1], y=[positive.mean()] * 2, mode="lines", showlegend=False,
                                    line={"dash": "dot", "color": color}, hoverinfo="skip"))
    figure.update_layout(title="Precision-recall curve (validation; dotted: share of the class)",
                         xaxis_title="recall", yaxis_title="precision", yaxis_range=[0, 1.05], **_LAYOUT)
    return figure


def calibration_figure(y_true, proba, classes: list[str], n_bins: int = 10) -> go.Figure:
    """Reliability diagram (observed share vs mean predicted probability per bin) over a histogram of predictions."""
    proba = np.asarray(proba, dtype=float)
    figure = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                                  line={"dash": "dash", "color": "grey"}))
    for i, (label, j, positive) in enumerate(_one_vs_rest(y_true, classes)):
        if positive.all() or not positive.any():
            continue
        observed, predicted = calibration_curve(positive, proba[:, j], n_bins=n_bins, strategy="uniform")
        color = _PALETTE[i % len(_PALETTE)]
        figure.add_trace(go.Scatter(x=predicted, y=observed, mode="lines+markers", name=label,
                                    line={"color": color}))
        counts, edges = np.histogram(proba[:, j], bins=n_bins, range=(0, 1))
        figure.add_trace(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, yaxis="y2", width=1 / n_bins,
                                marker_color=color, opacity=0.25, name=f"{label}: rows per bin"))
    figure.update_layout(title="Calibration (validation): observed share vs predicted probability",
                         xaxis_title="mean predicted probability", yaxis_title="observed share",
                         yaxis_range=[0, 1.02], barmode="overlay",
                         yaxis2={"overlaying": "y", "side": "right", "title": "rows", "showgrid": False},
                         **_LAYOUT)
    return figure


class Reliability(NamedTuple):
    """A reliability diagram's data: per bin of predicted probability, the rows in it, their mean predicted
    probability and the observed share; ``subject`` says what probability is binned (the positive class of a binary
    model; for more classes, the top class: the probability of the predicted class against whether it was right).
    ``calibration_error`` is the rows-weighted mean |observed - predicted| over the bins."""

    subject: str
    bins: pd.DataFrame  # low, high, rows, predicted, observed
    calibration_error: float
    rows: int


def reliability_info(y_true, proba, classes: list[str], n_bins: int = 10) -> Reliability:
    """Bin the probability of the positive class (binary) or of the predicted class (multiclass) into ``n_bins``
    equal-width bins and measure, per bin, how often the event happened.

    >>> info = reliability_info(["a", "b", "b", "b"], [[0.9, 0.1], [0.2, 0.8], [0.2, 0.8], [0.1, 0.9]], ["a", "b"], 2)
    >>> info.bins[["rows", "predicted", "observed"]].values.round(3).tolist()
    [[1.0, 0.1, 0.0], [3.0, 0.833, 1.0]]
    """
    proba, y = np.asarray(proba, dtype=float), np.asarray(y_true).astype(str)
    labels = np.asarray([str(c) for c in classes])
    if len(labels) == 2:
        subject, p, hit = f"P({labels[1]})", proba[:, 1], y == labels[1]
    else:
        top = proba.argmax(axis=1)
        subject, p, hit = "P(predicted class)", proba[np.arange(len(y)), top], labels[top] == y
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        inside = which == b
        if inside.any():
            rows.append({"low": edges[b], "high": edges[b + 1], "rows": int(inside.sum()),
                         "predicted": float(p[inside].mean()), "observed": float(hit[inside].mean())})
    bins = pd.DataFrame(rows, columns=["low", "high", "rows", "predicted", "observed"])
    error = float((bins["rows"] * (bins["observed"] - bins["predicted"]).abs()).sum() / max(len(y), 1))
    return Reliability(subject, bins, error, len(y))


def reliability_figure(info: Reliability) -> go.Figure:
    """Observed share against mean predicted probability per bin (marker area by rows), the diagonal of perfect
    calibration, and the rows per bin as bars on a second axis."""
    bins = info.bins
    figure = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                                  line={"dash": "dash", "color": "grey"}))
    figure.add_trace(go.Bar(x=(bins["low"] + bins["high"]) / 2, y=bins["rows"], yaxis="y2", width=bins["high"] -
                            bins["low"], marker_color=_PALETTE[0], opacity=0.2, name="rows per bin",
                            hovertemplate="%{y:,} rows<extra></extra>"))
    size = 8 + 16 * np.sqrt(bins["rows"] / max(int(bins["rows"].max()) if len(bins) else 1, 1))
    figure.add_trace(go.Scatter(x=bins["predicted"], y=bins["observed"], mode="lines+markers", name=info.subject,
                                marker={"size": size, "color": _PALETTE[1]}, line={"color": _PALETTE[1]},
                                customdata=bins["rows"], hovertemplate="predicted %{x:.2f}<br>observed %{y:.2f}"
                                                                       "<br>%{customdata:,} rows<extra></extra>"))
    figure.update_layout(title=f"Reliability of {info.subject} (validation, {info.rows:,} rows; calibration error "
                               f"{info.calibration_error:.3f})",
                         xaxis_title=f"mean predicted {info.subject}", yaxis_title="observed share",
                         xaxis_range=[0, 1], yaxis_range=[0, 1.02],
                         yaxis2={"overlaying": "y", "side": "right", "title": "rows", "showgrid": False,
                                 "rangemode": "tozero", "tickformat": ",d"},
                         legend={"orientation": "h", "y": -0.2}, **_LAYOUT)
    return figure


def gain_lift_figure(y_true, proba_positive, positive_label) -> go.Figure:
    """Cumulative gain (share of positives found) and lift, ranking rows by predicted probability."""
    positive = np.asarray(y_true).astype(str) == str(positive_label)
    order = np.argsort(-np.asarray(proba_positive, dtype=float), kind="mergesort")
    found = np.cumsum(positive[order])
    share = np.arange(1, len(order) + 1) / len(order)
    gain = found / max(found[-1], 1)
    lift = np.divide(gain, share)
    share, gain, lift = _thin(share, gain, lift)
    figure = go.Figure([
        go.Scatter(x=share, y=gain, mode="lines", name="cumulative gain", line={"color": _PALETTE[0]}),
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="random order", line={"dash": "dash", "color": "grey"}),
        go.Scatter(x=share, y=lift, mode="lines", name="lift (right axis)", yaxis="y2",
                   line={"color": _PALETTE[1]}),
    ])
    figure.update_layout(title=f"Cumulative gain and lift for '{positive_label}' (validation)",
                         xaxis_title="share of rows, highest probability first", xaxis_tickformat=".0%",
                         yaxis_title="share of positives found", yaxis_tickformat=".0%",
                         yaxis2={"overlaying": "y", "side": "right", "title": "lift", "showgrid": False,
                                 **_lift_ticks(lift)}, **_LAYOUT)
    return figure


def _lift_ticks(lift: np.ndarray) -> dict:
    """The lift axis from 0 to a round value above the largest lift, at most 8 round steps ("1.5×"): left to
    itself, plotly ticked this overlaid axis at values such as 0.073 and 0.337."""
    top = float(np.nanmax(lift)) if len(lift) else 1.0
    step = next(s for s in (0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, np.inf) if top / s <= 8)
    step = step if np.isfinite(step) else 10 ** np.ceil(np.log10(top))
    return {"range": [0, step * max(1, np.ceil(top / step))], "tick0": 0, "dtick": step, "tickformat": ".2~f",
            "ticksuffix": "×"}


def threshold_figure(table: pd.DataFrame, chosen: float) -> go.Figure:
    """Precision, recall, F1 and accuracy against the decision threshold, with the chosen one marked."""
    figure = go.Figure([go.Scatter(x=table["threshold"], y=table[name], mode="lines", name=name,
                                   line={"color": _PALETTE[i]})
                        for i, name in enumerate(["precision", "recall", "f1", "accuracy"])])
    figure.add_vline(x=chosen, line_dash="dash", line_color="black", annotation_text=f"threshold {chosen:.2f}")
    figure.update_layout(title="Trade-off by decision threshold (validation)", xaxis_title="threshold",
                         yaxis_title="score", yaxis_range=[0, 1.02], **_LAYOUT)
    return figure


def predicted_actual_figure(y_true, y_pred) -> go.Figure:
    """Predicted against actual values, with the y = x line."""
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    rows = _sample(len(y_true))
    low, high = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    figure = go.Figure([
        go.Scattergl(x=y_true[rows], y=y_pred[rows], mode="markers", marker={"size": 5, "opacity": 0.6},
                     name="rows"),
        go.Scatter(x=[low, high], y=[low, high], mode="lines", line={"dash": "dash", "color": "grey"},
                   name="predicted = actual"),
    ])
    figure.update_layout(title="Predicted vs actual (validation)" + _rows_note(len(rows), len(y_true)),
                         xaxis_title="actual", yaxis_title="predicted", **_LAYOUT)
    return figure


def residuals_figure(y_true, y_pred) -> go.Figure:
    """Residuals (actual - predicted) against predicted values, with the zero line."""
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    rows = _sample(len(y_true))
    figure = go.Figure(go.Scattergl(x=y_pred[rows], y=(y_true - y_pred)[rows], mode="markers", name="rows",
                                    marker={"size": 5, "opacity": 0.6}))
    figure.add_hline(y=0, line_dash="dash", line_color="grey")
    figure.update_layout(title="Residuals vs predicted (validation)" + _rows_note(len(rows), len(y_true)),
                         xaxis_title="predicted", yaxis_title="actual - predicted", **_LAYOUT)
    return figure


def residual_histogram_figure(y_true, y_pred, bins: int = 40) -> go.Figure:
    """Histogram of residuals over every row (binned here, so no row is dropped)."""
    residuals = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    counts, edges = np.histogram(residuals, bins=bins)
    figure = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges),
                              marker_color=_PALETTE[0]))
    figure.update_layout(title=f"Residuals (validation; mean {residuals.mean():.4g}, sd {residuals.std():.4g})",
                         xaxis_title="actual - predicted", yaxis_title="rows", bargap=0.02, **_LAYOUT)
    return figure


def cv_scores_figure(folds: pd.DataFrame, metric_label: str) -> go.Figure:
    """Box of each model's cross-validation fold scores with the folds drawn as points (columns model, score)."""
    figure = go.Figure([go.Box(y=group["score"], name=str(model), boxpoints="all", jitter=0.3, pointpos=0,
                               marker_color=_PALETTE[i % len(_PALETTE)])
                        for i, (model, group) in enumerate(folds.groupby("model", sort=False))])
    figure.update_layout(title=f"Cross-validation {metric_label} per fold", yaxis_title=metric_label,
                         showlegend=False, **_LAYOUT)
    return figure


def importance_figure(table: pd.DataFrame, metric_label: str, top: int = 25) -> go.Figure:
    """Horizontal bars of permutation importance (± sd over the repeats), largest on top."""
    shown = table.head(top).iloc[::-1]
    more = f"; top {top} of {len(table)} columns" if len(table) > top else ""
    rows = int(table["rows"].iloc[0]) if len(table) else 0
    figure = go.Figure(go.Bar(x=shown["importance"], y=shown["column"], orientation="h",
                              error_x={"type": "data", "array": shown["std"]}, marker_color=_PALETTE[0]))
    figure.update_layout(title=f"Permutation importance: drop in {metric_label} when a column is shuffled "
                               f"({rows:,} validation rows{more})",
                         xaxis_title=f"drop in {metric_label}",
                         **{**_LAYOUT, "height": max(300, 80 + 24 * len(shown))})
    return figure


def partial_dependence_figure(info: PartialDependence) -> go.Figure:
    """Mean prediction against the chosen column's value."""
    figure = go.Figure([go.Scatter(x=info.grid, y=values, mode="lines+markers", name=name,
                                   line={"color": _PALETTE[i % len(_PALETTE)]})
                        for i, (name, values) in enumerate(info.curves.items())])
    figure.update_layout(title=f"Partial dependence on {info.column}" + _rows_note(info.n_rows, info.n_total),
                         xaxis_title=info.column,
                         yaxis_title=f"mean {next(iter(info.curves))}" if len(info.curves) == 1 else "mean probability",
                         **_LAYOUT)
    return figure


def learning_curve_figure(info: LearningCurve, metric_label: str) -> go.Figure:
    """Training and cross-validated scores by training rows, with ± sd bands as error bars."""
    figure = go.Figure([
        go.Scatter(x=info.sizes, y=info.train_mean, error_y={"type": "data", "array": info.train_std},
                   mode="lines+markers", name="training rows", line={"color": _PALETTE[0]}),
        go.Scatter(x=info.sizes, y=info.valid_mean, error_y={"type": "data", "array": info.valid_std},
                   mode="lines+markers", name="held-out folds", line={"color": _PALETTE[1]}),
    ])
    figure.update_layout(title=f"Learning curve ({metric_label})" + _rows_note(info.n_rows, info.n_total),
                         xaxis_title="training rows", yaxis_title=metric_label, **_LAYOUT)
    return figure
