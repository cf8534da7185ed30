"""Compare two models scored on the same validation rows: paired bootstrap intervals of their difference.

Both models are scored under the same resamples of the rows, so the interval of ``B - A`` reflects how
much the difference itself varies, which is narrower (and fairer) than checking whether two separate
intervals overlap.

>>> y = ["a", "b"] * 10
>>> a = Predictions(["a"] * 20)          # always "a": accuracy 0.5
>>> b = Predictions(y)                   # always right: accuracy 1.0
>>> d = paired_difference("accuracy", y, a, b)
>>> round(d.difference, 2), d.low > 0, verdict(d.low, d.high, True)
(0.5, True, 'B better')
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from engine.evaluate.metrics import METRICS, compute_metrics, weighted_scores

__all__ = [
    "VERDICTS",
    "Difference",
    "Predictions",
    "compare_predictions",
    "difference_sentence",
    "paired_difference",
    "verdict",
]

VERDICTS = ("A better", "B better", "not clearly different")


class Predictions(NamedTuple):
    """One model's validation predictions: labels or values, and class probabilities in ``classes`` order."""

    y_pred: object
    proba: object | None = None
    classes: list[str] | None = None


class Difference(NamedTuple):
    """``metric`` of A and of B on all rows, ``B - A``, and its paired-bootstrap 95% interval."""

    a: float
    b: float
    difference: float
    low: float
    high: float


def _resamples(n: int, n_boot: int, seed: int):
    """Weight matrices (how often each row was drawn), in chunks of at most ~2 million cells."""
    rng = np.random.default_rng(seed)
    chunk = max(1, 2_000_000 // max(n, 1))
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        draws = rng.integers(0, n, (size, n)) + n * np.arange(size)[:, None]
        yield np.bincount(draws.ravel(), minlength=size * n).reshape(size, n).astype(float)


def paired_difference(metric: str, y_true, a: Predictions, b: Predictions, n_boot: int = 500,
                      seed: int = 0) -> Difference:
    """``metric`` of A and B, ``B - A`` and its percentile 95% interval over the same resampled rows.

    NaN where the metric cannot be computed (e.g. a probability metric of a model without probabilities).
    """
    if metric not in METRICS:
        raise KeyError(f"Unknown metric '{metric}'; use one of {list(METRICS)}.")
    n = len(y_true)
    if n == 0 or n_boot < 1:
        raise ValueError(f"`n_rows >= 1 and n_boot >= 1` must hold, but got (n_rows={n}, n_boot={n_boot}).")
    def scores(p: Predictions, weights: np.ndarray) -> np.ndarray:
        values = weighted_scores(metric, y_true, p.y_pred, p.proba, p.classes, weights)
        # scikit-learn defines MCC as 0 when a side holds one class only (e.g. a majority-class baseline)
        return np.nan_to_num(values, nan=0.0) if metric == "mcc" else values

    ones = np.ones((1, n))
    value_a, value_b = (float(scores(p, ones)[0]) for p in (a, b))
    diffs = np.concatenate([scores(b, w) - scores(a, w) for w in _resamples(n, n_boot, seed)])
    diffs = diffs[np.isfinite(diffs)]
    low, high = np.percentile(diffs, [2.5, 97.5]) if len(diffs) else (math.nan, math.nan)
    return Difference(value_a, value_b, value_b - value_a, float(low), float(high))


def verdict(low: float, high: float, greater_is_better: bool) -> str:
    """'A better', 'B better', or 'not clearly different' (the interval of B - A holds 0, or is unknown)."""
    if not (math.isfinite(low) and math.isfinite(high)) or low <= 0 <= high:
        return "not clearly different"
    b_higher = low > 0
    return "B better" if b_higher == greater_is_better else "A better"


def compare_predictions(task: str, metric: str, y_true, a: Predictions, b: Predictions, n_boot: int = 500,
                        seed: int = 0) -> pd.DataFrame:
    """Every metric both models can be scored on, ``metric`` first: a, b, difference (B - A), 95% interval, verdict.

    Columns: metric, label, a, b, difference, low, high, verdict, higher_is_better.
    """
    scored_a = compute_metrics(task, y_true, a.y_pred, a.proba, a.classes)
    scored_b = compute_metrics(task, y_true, b.y_pred, b.proba, b.classes)
    common = [m for m in METRICS if m in scored_a and m in scored_b]
    names = [metric] * (metric in common) + [m for m in common if m != metric]
    rows = []
    for name in names:
        d = paired_difference(name, y_true, a, b, n_boot, seed)
        better = METRICS[name].greater_is_better
        rows.append({"metric": name, "label": METRICS[name].label, "a": scored_a[name], "b": scored_b[name],
                     "difference": scored_b[name] - scored_a[name], "low": d.low, "high": d.high,
                     "verdict": verdict(d.low, d.high, better), "higher_is_better": better})
    return pd.DataFrame(rows, columns=["metric", "label", "a", "b", "difference", "low", "high", "verdict",
                                       "higher_is_better"])


def _number(value: float) -> str:
    """4 decimals like the tables, 2 (with thousands separators) for large values."""
    return f"{value:,.4f}" if abs(value) < 100 else f"{value:,.2f}"


def difference_sentence(row: dict) -> str:
    """One sentence on a row of ``compare_predictions``.

    >>> difference_sentence({"label": "ROC-AUC", "difference": 0.012, "low": 0.004, "high": 0.02,
    ...                      "verdict": "B better"})
    'On validation ROC-AUC, B is better by 0.0120 (95% interval of B − A: 0.0040 to 0.0200).'
    """
    if not (math.isfinite(row["low"]) and math.isfinite(row["high"])):
        return f"On validation {row['label']}, A and B cannot be told apart (no interval could be computed)."
    if row["low"] == row["high"] == row["difference"] == 0:
        return f"On validation {row['label']}, A and B score the same on the validation rows and every resample."
    span = f"95% interval of B − A: {_number(row['low'])} to {_number(row['high'])}"
    if row["verdict"] == "not clearly different":
        return (f"On validation {row['label']}, A and B are not clearly different: B − A is "
                f"{_number(row['difference'])} ({span}, which holds 0).")
    winner = row["verdict"].split()[0]
    return f"On validation {row['label']}, {winner} is better by {_number(abs(row['difference']))} ({span})."
