"""Split-conformal prediction intervals for regression: ``prediction ± half_width``, calibrated on the
validation rows' absolute residuals, so that a new row's value falls inside with probability at least
``level`` (when new rows resemble the validation rows). No model refit is needed.

The coverage reported is measured, not assumed: the validation rows are cut into folds, each fold's
interval is calibrated on the other folds and checked on that fold.

>>> interval = conformal_interval([1.0, 2.0, 3.0, 4.0] * 10, [1.5, 2.0, 2.0, 4.0] * 10, level=0.9)
>>> interval.half_width, interval.rows
(1.0, 40)
>>> [(i["level"], i["half_width"]) for i in interval_table([1.0, 2.0, 3.0, 4.0] * 10, [1.5, 2.0, 2.0, 4.0] * 10)]
[(0.8, 1.0), (0.9, 1.0), (0.95, 1.0)]
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from engine.errors import ModelError

__all__ = ["LEVELS", "PredictionInterval", "conformal_interval", "interval_table", "with_intervals"]

LEVELS = (0.8, 0.9, 0.95)
_FOLDS = 5


class PredictionInterval(NamedTuple):
    """``prediction ± half_width`` covers a new value with probability >= ``level``; ``coverage`` is the share
    of validation rows covered when each fold is calibrated on the others."""

    level: float
    half_width: float
    coverage: float
    rows: int


def conformal_interval(y_true, y_pred, level: float = 0.9, seed: int = 0) -> PredictionInterval:
    """The split-conformal interval of a regression model from its validation predictions."""
    if not 0 < level < 1:
        raise ModelError(f"The interval level must be in (0, 1), e.g. 0.9. Got {level!r} instead.")
    residuals = _residuals(y_true, y_pred)
    n = len(residuals)
    if n < _min_rows(level):
        raise ModelError(f"A {level:.0%} prediction interval needs at least {_min_rows(level)} validation "
                         f"rows; this model has {n}. Give the validation split more rows.")
    folds = np.random.default_rng(seed).permutation(n) % _FOLDS
    covered = []
    for fold in range(_FOLDS):
        calibration = residuals[folds != fold]
        if len(calibration) >= _min_rows(level):
            covered.append(residuals[folds == fold] <= _quantile(calibration, level))
    coverage = float(np.concatenate(covered).mean()) if covered else float("nan")
    return PredictionInterval(level, _quantile(residuals, level), coverage, n)


def interval_table(y_true, y_pred, levels=LEVELS) -> list[dict]:
    """The intervals at each of ``levels`` that the validation rows can calibrate, as plain dicts (``level``,
    ``half_width``, ``coverage``, ``rows``) for a model card; a level needing more rows than there are is left out."""
    n = len(_residuals(y_true, y_pred))
    return [conformal_interval(y_true, y_pred, level)._asdict() for level in levels if n >= _min_rows(level)]


def _residuals(y_true, y_pred) -> np.ndarray:
    """The finite absolute residuals."""
    residuals = np.abs(np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float))
    return residuals[np.isfinite(residuals)]


def _min_rows(level: float) -> int:
    """The fewest residuals whose conformal quantile at ``level`` is not simply the largest one."""
    return math.ceil(1 / (1 - level))


def _quantile(residuals: np.ndarray, level: float) -> float:
    """The ceil((n + 1) * level)-th smallest residual: the finite-sample-valid conformal quantile."""
    n = len(residuals)
    rank = min(math.ceil((n + 1) * level), n)
    return float(np.sort(residuals)[rank - 1])


def with_intervals(predictions: pd.DataFrame, interval: PredictionInterval) -> pd.DataFrame:
    """``predictions`` (a ``prediction`` column) with ``lower`` and ``upper`` bounds of ``interval`` added."""
    out = predictions.copy()
    out[f"lower_{interval.level:.0%}"] = out["prediction"] - interval.half_width
    out[f"upper_{interval.level:.0%}"] = out["prediction"] + interval.half_width
    return out
