"""The reference profile of a model's training rows, and the fast readers of incoming columns.

Monitoring never needs the training file again: ``reference_profile`` keeps, per feature, what the drift
statistics (``engine.monitor.drift_statistics``) need: quantile bins and their shares, category counts, missing
rate, range, a small sorted sample, plus the same for the model's predictions. It is stored as JSON next to the
model (``reference.json``); ``engine.monitor.drift.drift_report`` scores a new batch against it.

Numeric (and datetime, as seconds) features keep the reference deciles as bucket edges and at most 500 values for
KS; categorical, boolean and text features keep their 50 most frequent categories plus an "other" and a "missing"
bucket.

The readers turn a column into what the profile and the comparison count: numbers (dates as seconds) or
category codes, read as the model's pipelines read them. They are vectorised: numeric columns go straight to
numpy, and text goes through ``pd.factorize``, so only its distinct values are converted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data.schema import convert_series
from engine.errors import DriftError

__all__ = ["reference_profile"]

FORMAT_VERSION = 1
PREDICTION = "prediction"
_TOP = 50  # categories kept per feature
_SAMPLE = 500  # reference values kept for KS
_NUMERIC = ("numeric", "datetime")
_SEED = 0  # seeds the reference's KS sample, and the KS subsample of a large batch


# -- reference profile ---------------------------------------------------------------------------------------------

def reference_profile(frame: pd.DataFrame, features: list[dict], predictions: pd.DataFrame | None = None,
                      bins: int = 10, *, task: str | None = None) -> dict:
    """A compact, JSON-serialisable profile of the training rows and of the model's predictions on them.

    ``features`` are a model card's ``{"name", "kind", ...}`` dicts; identifier columns are skipped.
    ``task`` ("classification" / "regression") says how to profile ``predictions["prediction"]``; without it
    a numeric prediction with more than 20 distinct values counts as a regression.

    >>> frame = pd.DataFrame({"age": range(200), "plan": ["a", "b"] * 100})
    >>> profile = reference_profile(frame, [{"name": "age", "kind": "numeric"}, {"name": "plan", "kind": "text"}])
    >>> profile["features"]["age"]["edges"][:3], profile["features"]["plan"]["categories"]
    ([19.0, 39.0, 59.0], ['a', 'b'])
    """
    if not isinstance(bins, int) or not 2 <= bins <= 100:
        raise DriftError(f"The 'bins' parameter of reference_profile must be an int in [2, 100]. Got {bins!r}.")
    if frame.empty:
        raise DriftError("The reference rows are empty; a reference profile needs the training rows.")
    profiles = {}
    for feature in features:
        name, kind = feature["name"], feature.get("kind", "numeric")
        if kind == "identifier" or name not in frame.columns:
            continue
        profiles[name] = _profile_series(frame[name], kind, bins)
    out = {"format_version": FORMAT_VERSION, "n_rows": int(len(frame)), "bins": bins, "features": profiles,
           "prediction": None}
    if predictions is not None and PREDICTION in predictions.columns and len(predictions):
        out["prediction"] = _profile_series(predictions[PREDICTION], _prediction_kind(predictions[PREDICTION], task),
                                            bins)
    return out


def _prediction_kind(series: pd.Series, task: str | None) -> str:
    if task is not None:
        return "numeric" if task == "regression" else "categorical"
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    return "numeric" if numeric and series.nunique() > 20 else "categorical"


def _profile_series(series: pd.Series, kind: str, bins: int) -> dict:
    if kind in _NUMERIC:
        return _numeric_profile(_numbers(series, kind)[0], kind, len(series), bins)
    codes, labels = _labels(series, kind)
    counts = np.bincount(codes[codes >= 0], minlength=len(labels))
    order = np.argsort(-counts, kind="stable")[:_TOP]
    n_missing = int((codes < 0).sum())
    bucket_counts = [int(c) for c in counts[order]] + [int(counts.sum() - counts[order].sum()), n_missing]
    return {"kind": kind, "type": "categorical", "n_rows": int(len(series)), "missing": n_missing / len(series),
            "categories": [labels[i] for i in order], "counts": bucket_counts,
            "shares": [c / len(series) for c in bucket_counts], "complete": len(labels) <= _TOP,
            "n_categories": len(labels)}


def _numeric_profile(values: np.ndarray, kind: str, n_rows: int, bins: int) -> dict:
    present = values[~np.isnan(values)]
    entry = {"kind": kind, "type": "numeric", "n_rows": n_rows, "missing": (n_rows - len(present)) / n_rows,
             "n_values": int(len(present)), "edges": [], "counts": [0], "shares": [0.0], "min": None, "max": None,
             "mean": None, "std": None, "sample": []}
    if not len(present):
        return entry
    # Edges are observed values (no interpolation), so a discrete column gets one bin per value, not split ones.
    edges = np.unique(np.quantile(present, np.arange(1, bins) / bins, method="inverted_cdf"))
    counts = np.bincount(np.searchsorted(edges, present, side="left"), minlength=len(edges) + 1)
    rng = np.random.default_rng(_SEED)
    sample = present if len(present) <= _SAMPLE else rng.choice(present, _SAMPLE, replace=False)
    entry.update(edges=[float(e) for e in edges], counts=[int(c) for c in counts],
                 shares=[float(c) / len(present) for c in counts], min=float(present.min()),
                 max=float(present.max()), mean=float(present.mean()), std=float(present.std()),
                 sample=[float(v) for v in np.sort(sample)])
    return entry


def _reference_features(reference: dict) -> dict:
    """The per-feature profiles of a stored reference, once its format is checked."""
    if not isinstance(reference, dict) or reference.get("format_version") != FORMAT_VERSION \
            or not isinstance(reference.get("features"), dict):
        raise DriftError("The reference profile is corrupt or from another version; retrain the model to store a "
                         "new one.")
    for name, entry in reference["features"].items():
        if not isinstance(entry, dict) or entry.get("type") not in ("numeric", "categorical") \
                or "counts" not in entry or "missing" not in entry:
            raise DriftError(f"The reference profile of '{name}' is corrupt; retrain the model to store a new one.")
    return reference["features"]


# -- reading incoming columns fast -----------------------------------------------------------------------------------

def _numbers(series: pd.Series, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(float values with NaN for missing, codes-of-unreadable mask) for a numeric or datetime column.

    Datetimes become seconds since 1970. Text columns are converted through their distinct values only.
    """
    bad = np.zeros(len(series), dtype=bool)
    if kind == "numeric" and (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        return _finite(series.to_numpy(dtype=float, na_value=np.nan)), bad
    if kind == "datetime" and pd.api.types.is_datetime64_any_dtype(series):
        return _seconds(series), bad
    codes, uniques = pd.factorize(series)
    if not len(uniques):  # every value missing (e.g. an all-null column of logged requests)
        return np.full(len(series), np.nan), bad
    converted = convert_series(pd.Series(uniques, dtype=object), kind)
    values = _seconds(converted) if kind == "datetime" else converted.to_numpy(dtype=float, na_value=np.nan)
    taken = _finite(np.where(codes >= 0, values[np.maximum(codes, 0)], np.nan))
    return taken, (codes >= 0) & np.isnan(taken)


def _finite(values: np.ndarray) -> np.ndarray:
    """Infinities count as missing (as the model's guard treats them); a copy only when there are any."""
    return np.where(np.isinf(values), np.nan, values) if np.isinf(values).any() else values


def _seconds(series: pd.Series) -> np.ndarray:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert(None)
    stamps = series.to_numpy(dtype="datetime64[ns]")
    return (stamps - np.datetime64(0, "s")) / np.timedelta64(1, "s")


def _labels(series: pd.Series, kind: str) -> tuple[np.ndarray, list[str]]:
    """(codes, labels): -1 for missing; labels as the pipelines see them, so 3.0 and '3' are one category."""
    codes, uniques = pd.factorize(series)
    if not len(uniques):
        return codes, []
    labels = convert_series(pd.Series(uniques, dtype=object), "boolean" if kind == "boolean" else "categorical")
    text = [("missing" if pd.isna(v) else str(v)) if kind != "boolean" else _bool_label(v) for v in labels]
    if kind == "boolean":
        keep = ~pd.isna(labels.to_numpy())
        codes = np.where((codes >= 0) & keep[np.maximum(codes, 0)], codes, -1)
    merged: dict[str, int] = {}
    remap = np.array([merged.setdefault(t, len(merged)) for t in text] + [-1], dtype=np.int64)
    return remap[codes], list(merged)


def _bool_label(value) -> str:
    return "missing" if pd.isna(value) else ("true" if value else "false")
