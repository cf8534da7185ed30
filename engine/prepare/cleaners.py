"""Cleaning steps that learn from training rows: drop sparse columns, clip or flag outliers; and the row masks of
the row steps (which training rows to keep).

>>> import pandas as pd
>>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 100.0]})
>>> OutlierClipper().fit(X).upper_["a"]
np.float64(7.0)
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from engine.data.schema import convert_series
from engine.errors import RecipeError
from engine.prepare.transformers import FrameTransformer, _finite_floats, _is_numeric, numeric_frame

__all__ = ["DropSparseColumns", "IsolationFlag", "OutlierClipper", "keep_complete_rows", "keep_unique_rows",
           "keep_usual_rows", "outlier_row_mask"]

_DEFAULT_FACTORS = {"iqr": 1.5, "zscore": 3.0}
FLAG = "outlier_flag"


class DropSparseColumns(FrameTransformer):
    """Drop the columns whose share of missing training values is above ``threshold``."""

    _fitted = "dropped_"
    _who = "Drop mostly-empty columns"

    def __init__(self, threshold=0.5):
        self.threshold = threshold

    def fit(self, X, y=None):
        if not _is_number(self.threshold) or not 0 < self.threshold <= 1:
            raise RecipeError(f"The 'threshold' parameter of DropSparseColumns must be a number in (0, 1]. "
                              f"Got {self.threshold!r} instead.")
        frame = self._fit_columns(X)
        share = frame.isna().mean() if len(frame) else pd.Series(0.0, index=frame.columns)
        self.dropped_ = [c for c in frame.columns if share[c] > self.threshold]
        return self

    def transform(self, X):
        kept = list(self.get_feature_names_out())
        return self._input_frame(X, kept)[kept]

    def _names_out(self) -> np.ndarray:
        return np.array([c for c in self.feature_names_in_ if c not in self.dropped_], dtype=object)


class OutlierClipper(FrameTransformer):
    """Clip numeric columns to bounds learned on training rows, ignoring missing values.

    ``iqr``: [Q1 - f·IQR, Q3 + f·IQR], f = 1.5 by default. ``zscore``: mean ± f·std (population
    std), f = 3.0 by default. Missing values (and ±inf) stay missing.
    """

    _fitted = "lower_"
    _who = "Clip outliers"

    def __init__(self, method="iqr", factor=None):
        self.method = method
        self.factor = factor

    def fit(self, X, y=None):
        frame = self._fit_columns(numeric_frame(X, self._who))
        self.lower_, self.upper_ = _bounds(frame, self.method, self.factor)
        return self

    def transform(self, X):
        values = numeric_frame(self._input_frame(X)[list(self.feature_names_in_)], self._who)
        return values.clip(lower=self.lower_.fillna(-np.inf), upper=self.upper_.fillna(np.inf), axis=1)


class IsolationFlag(FrameTransformer):
    """Keep the numeric columns and add ``outlier_flag``: 1.0 where an isolation forest finds the row unusual.

    Missing values are filled with training medians before the forest sees them.
    """

    _fitted = "forest_"
    _who = "Flag outliers"

    def __init__(self, contamination="auto", random_state=0):
        self.contamination = contamination
        self.random_state = random_state

    def fit(self, X, y=None):
        frame = numeric_frame(X, self._who)
        if FLAG in frame.columns:
            raise RecipeError(f"The data already has an '{FLAG}' column; keep only one 'Flag outliers' step.")
        self._fit_columns(frame)
        self.medians_ = frame.median().fillna(0.0)
        forest = IsolationForest(contamination=self.contamination, random_state=self.random_state)
        self.forest_ = forest.fit(frame.fillna(self.medians_).to_numpy())
        return self

    def transform(self, X):
        frame = self._input_frame(X)
        columns = list(self.feature_names_in_)
        filled = numeric_frame(frame[columns], self._who).fillna(self.medians_)
        out = frame[columns].copy()
        out[FLAG] = (self.forest_.predict(filled.to_numpy()) == -1).astype(float)
        return out

    def _names_out(self) -> np.ndarray:
        return np.array([*self.feature_names_in_, FLAG], dtype=object)


def outlier_row_mask(frame: pd.DataFrame, method: str, factor: float | None, random_state: int = 0) -> np.ndarray:
    """True for the rows to drop: outside the iqr/zscore bounds of ``frame`` in any numeric column,
    or judged unusual by an isolation forest (``method="isolation_forest"``; ``factor`` is ignored).

    >>> outlier_row_mask(pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 100.0]}), "iqr", None).tolist()
    [False, False, False, False, True]
    """
    if method not in (*_DEFAULT_FACTORS, "isolation_forest"):
        raise RecipeError(f"The 'method' of outlier row removal must be one of "
                          f"{[*_DEFAULT_FACTORS, 'isolation_forest']}. Got {method!r} instead.")
    numeric = frame[[c for c in frame.columns if _is_numeric(frame[c].dtype)]]
    if numeric.shape[1] == 0 or len(numeric) == 0:
        return np.zeros(len(frame), dtype=bool)
    if method == "isolation_forest":
        flags = IsolationFlag(random_state=random_state).fit(numeric).transform(numeric)[FLAG]
        return flags.to_numpy() == 1.0
    values = numeric.astype(float)
    lower, upper = _bounds(_finite_floats(values), method, factor)
    return ((values < lower) | (values > upper)).any(axis=1).to_numpy()


# -- row masks: (checked step, training X, y, column kinds, seed) -> the rows to keep ---------------------------

def keep_unique_rows(step: dict, X: pd.DataFrame, y: pd.Series, kinds: dict[str, str], seed: int) -> np.ndarray:
    """Rows that do not repeat an earlier row exactly (features and target)."""
    return ~pd.concat([X, y.rename("__target__")], axis=1).duplicated().to_numpy()


def keep_complete_rows(step: dict, X: pd.DataFrame, y: pd.Series, kinds: dict[str, str], seed: int) -> np.ndarray:
    """Rows without a missing value in the step's columns."""
    columns = step["columns"]
    if "names" in columns:
        names = [c for c in columns["names"] if c in X.columns]
    else:
        wanted = columns["kind"]
        names = [c for c in X.columns if wanted == "all" or kinds.get(c) == wanted
                 or (wanted == "numeric" and kinds.get(c) == "boolean")]
    return ~X[names].isna().any(axis=1).to_numpy() if names else np.ones(len(X), bool)


def keep_usual_rows(step: dict, X: pd.DataFrame, y: pd.Series, kinds: dict[str, str], seed: int) -> np.ndarray:
    """Rows that are no outlier (the step's method and factor) in any numeric column."""
    numeric = [c for c in X.columns if kinds.get(c) == "numeric"]
    if not numeric:
        return np.ones(len(X), bool)
    frame = pd.DataFrame({c: convert_series(X[c], "numeric") for c in numeric})
    return ~outlier_row_mask(frame, step["params"]["method"], step["params"]["factor"], random_state=seed)


def _bounds(frame: pd.DataFrame, method: str, factor) -> tuple[pd.Series, pd.Series]:
    if method not in _DEFAULT_FACTORS:
        raise RecipeError(f"The 'method' parameter of OutlierClipper must be one of {list(_DEFAULT_FACTORS)}. "
                          f"Got {method!r} instead.")
    if factor is not None and (not _is_number(factor) or factor <= 0):
        raise RecipeError(f"The 'factor' parameter of outlier clipping must be a positive number or None. "
                          f"Got {factor!r} instead.")
    f = _DEFAULT_FACTORS[method] if factor is None else float(factor)
    values = _finite_floats(frame)
    if method == "iqr":
        q1, q3 = values.quantile(0.25), values.quantile(0.75)
        return q1 - f * (q3 - q1), q3 + f * (q3 - q1)
    mean, std = values.mean(), values.std(ddof=0)
    return mean - f * std, mean + f * std


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
