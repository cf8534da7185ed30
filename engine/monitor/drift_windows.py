"""Drift over time: a drift report per day, week or batch, and the window each row falls in.

``windowed_drift`` runs ``engine.monitor.drift.drift_report`` on the rows of each window and keeps the PSI and
verdict of every feature (and of the predictions), the table the Monitor page's heat strip draws.
``window_keys`` labels the rows; ``engine.monitor.decay`` windows its metrics with it, so drift and performance
decay share their windows.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from engine.errors import DriftError
from engine.monitor.drift import DriftThresholds, drift_report
from engine.monitor.drift_reference import PREDICTION

__all__ = ["window_keys", "windowed_drift"]


def windowed_drift(reference: dict, current: pd.DataFrame, time: pd.Series | None = None, freq: str = "D",
                   batch: pd.Series | None = None, thresholds: DriftThresholds | None = None,
                   predictions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Drift per time window (``freq`` "D" day / "W" week, from ``time``) or per ``batch`` (``freq`` "batch").

    A long table: window (label), feature, psi, verdict, n_rows, in window order; the predictions, when
    given, appear as the feature "prediction".
    """
    if freq not in ("D", "W", "batch"):
        raise DriftError(f"The 'freq' parameter of windowed_drift must be 'D', 'W' or 'batch'. Got {freq!r}.")
    keys = _window_keys(current, time, freq, batch)
    out = []
    for label, index in keys.groupby(keys, sort=True).groups.items():
        rows = current.loc[index]
        preds = None if predictions is None else predictions.loc[index]
        report = drift_report(reference, rows, preds, thresholds)
        table = report.features[["name", "psi", "verdict"]].rename(columns={"name": "feature"})
        if report.prediction is not None:
            table = pd.concat([table, pd.DataFrame([{"feature": PREDICTION, "psi": report.prediction["psi"],
                                                     "verdict": report.prediction["verdict"]}])])
        out.append(table.assign(window=str(label), n_rows=report.n_rows))
    columns = ["window", "feature", "psi", "verdict", "n_rows"]
    return pd.concat(out, ignore_index=True)[columns] if out else pd.DataFrame(columns=columns)


def _window_keys(current: pd.DataFrame, time: pd.Series | None, freq: str, batch: pd.Series | None) -> pd.Series:
    """The window label of each row of ``current`` (rows without a time or batch are left out): the day, the
    Monday of the week (both "YYYY-MM-DD", so they sort in time order) or the batch value."""
    if freq == "batch":
        if batch is None or len(batch) != len(current):
            raise DriftError("Windows by batch need a batch column as long as the data.")
        return pd.Series(np.asarray(batch), index=current.index).dropna()
    if time is None or len(time) != len(current):
        raise DriftError("Windows by day or week need a time column as long as the data.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stamps = pd.to_datetime(pd.Series(np.asarray(time), index=current.index), errors="coerce", format="mixed")
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert(None)
    start = stamps.dt.floor("D") if freq == "D" else (stamps.dt.floor("D") - pd.to_timedelta(stamps.dt.day_of_week,
                                                                                            unit="D"))
    return start.dropna().dt.strftime("%Y-%m-%d")


window_keys = _window_keys  # public name; engine.monitor.decay windows its metrics the same way
