"""Profiling: summary statistics per column and the data behind distribution charts.

Compute here, render in ``engine.plots``: these functions return plain data.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from engine.schema import ColumnInfo

__all__ = ["Distribution", "column_distribution", "summarize"]

_TOP_CATEGORIES = 30


class Distribution(NamedTuple):
    """Counts per bin (numeric / datetime) or per category, ready to draw as bars."""

    column: str
    kind: str
    labels: list[str]
    counts: list[int]
    bin_edges: list[float] | None
    n_missing: int
    n_other: int  # rows in categories beyond the top ones shown


def summarize(frame: pd.DataFrame, schema: list[ColumnInfo]) -> pd.DataFrame:
    """One row per column: kind, missing, distinct, and numeric statistics or the top value."""
    rows = []
    n = len(frame)
    for info in schema:
        series = frame[info.name]
        row = {"column": info.name, "kind": info.kind, "missing": int(series.isna().sum()),
               "missing_%": round(100 * series.isna().mean(), 2) if n else 0.0,
               "distinct": int(series.nunique(dropna=True))}
        numeric = pd.to_numeric(series, errors="coerce") if info.kind in ("numeric", "boolean") else None
        if numeric is not None and numeric.notna().any():
            row.update(mean=numeric.mean(), std=numeric.std(), min=numeric.min(),
                       median=numeric.median(), max=numeric.max())
        top = series.dropna().astype(str).value_counts().head(1)
        if len(top):
            row.update(top=top.index[0], top_count=int(top.iloc[0]))
        rows.append(row)
    columns = ["column", "kind", "missing", "missing_%", "distinct", "mean", "std", "min", "median", "max",
               "top", "top_count"]
    return pd.DataFrame(rows).reindex(columns=columns)


def column_distribution(frame: pd.DataFrame, info: ColumnInfo, bins: int = 30) -> Distribution:
    """Histogram bins for numeric and date columns, top categories for the others."""
    series = frame[info.name]
    n_missing = int(series.isna().sum())
    if info.kind == "numeric":
        values = pd.to_numeric(series, errors="coerce").dropna().to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if len(values) and values.min() != values.max():
            counts, edges = np.histogram(values, bins=bins)
            labels = [f"{edges[i]:.4g} – {edges[i + 1]:.4g}" for i in range(len(counts))]
            return Distribution(info.name, "numeric", labels, counts.tolist(), edges.tolist(), n_missing, 0)
    if info.kind == "datetime":
        values = pd.to_datetime(series, errors="coerce", format="mixed").dropna()
        if len(values):
            counts = values.dt.to_period("M").astype(str).value_counts().sort_index()
            return Distribution(info.name, "datetime", counts.index.tolist(), counts.tolist(), None, n_missing, 0)
    counts = series.dropna().astype(str).value_counts()
    shown = counts.head(_TOP_CATEGORIES)
    return Distribution(info.name, "categorical", shown.index.tolist(), shown.tolist(), None, n_missing,
                        int(counts.iloc[_TOP_CATEGORIES:].sum()))
