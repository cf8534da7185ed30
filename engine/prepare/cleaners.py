"""Cleaning steps that learn from training rows: drop sparse columns, clip or flag outliers.

>>> import pandas as pd
>>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 100.0]})
>>> OutlierClipper().fit(X).upper_["a"]
np.float64(7.0)
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import IsolationForest
from sklearn.utils.validation import check_is_fitted

from engine.errors import RecipeError
from engine.prepare.transformers import _require_columns

__all__ = ["DropSparseColumns", "IsolationFlag", "OutlierClipper", "outlier_row_mask"]

_DEFAULT_FACTORS = {"iqr": 1.5, "zscore": 3.0}
FLAG = "outlier_flag"


class DropSparseColumns(TransformerMixin, BaseEstimator):
    """Drop the columns whose share of missing training values is above ``threshold``."""

    def __init__(self, threshold=0.5):
        self.threshold = threshold

    def fit(self, X, y=None):
        if not _is_number(self.threshold) or not 0 < self.threshold <= 1:
            raise RecipeError(f"The 'threshold' parameter of DropSparseColumns must be a number in (0, 1]. "
                              f"Got {self.threshold!r} instead.")
        frame = pd.DataFrame(X)
        self.feature_names_in_ = np.array(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        share = frame.isna().mean() if len(frame) else pd.Series(0.0, index=frame.columns)
        self.dropped_ = [c for c in frame.columns if share[c] > self.threshold]
        return self

    def transform(self, X):
        check_is_fitted(self, "dropped_")
        frame = pd.DataFrame(X)
        kept = list(self.get_feature_names_out())
        _require_columns(frame, kept, "Drop mostly-empty columns")
        return frame[kept]

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "dropped_")
        return np.array([c for c in self.feature_names_in_ if c not in self.dropped_], dtype=object)


class OutlierClipper(TransformerMixin, BaseEstimator):
    """Clip numeric columns to bounds learned on training rows, ignoring missing values.

    ``iqr``: [Q1 - f·IQR, Q3 + f·IQR], f = 1.5 by default. ``zscore``: mean ± f·std (population
    std), f = 3.0 by default. Missing values stay missing.
    """

    def __init__(self, method="iqr", factor=None):
        self.method = method
        self.factor = factor

    def fit(self, X, y=None):
        frame = _numeric_frame(X, "Clip outliers")
        self.feature_names_in_ = np.array(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.lower_, self.upper_ = _bounds(frame, self.method, self.factor)
        return self

    def transform(self, X):
        check_is_fitted(self, "lower_")
        frame = pd.DataFrame(X)
        columns = list(self.feature_names_in_)
        _require_columns(frame, columns, "Clip outliers")
        values = _numeric_frame(frame[columns], "Clip outliers")
        return values.clip(lower=self.lower_.fillna(-np.inf), upper=self.upper_.fillna(np.inf), axis=1)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "lower_")
        return self.feature_names_in_.copy()


class IsolationFlag(TransformerMixin, BaseEstimator):
    """Keep the numeric columns and add ``outlier_flag``: 1.0 where an isolation forest finds the row unusual.

    Missing values are filled with training medians before the forest sees them.
    """

    def __init__(self, contamination="auto", random_state=0):
        self.contamination = contamination
        self.random_state = random_state

    def fit(self, X, y=None):
        frame = _numeric_frame(X, "Flag outliers")
        if FLAG in frame.columns:
            raise RecipeError(f"The data already has an '{FLAG}' column; keep only one 'Flag outliers' step.")
        self.feature_names_in_ = np.array(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        finite = _finite(frame)
        self.medians_ = finite.median().fillna(0.0)
        forest = IsolationForest(contamination=self.contamination, random_state=self.random_state)
        self.forest_ = forest.fit(finite.fillna(self.medians_).to_numpy())
        return self

    def transform(self, X):
        check_is_fitted(self, "forest_")
        frame = pd.DataFrame(X)
        columns = list(self.feature_names_in_)
        _require_columns(frame, columns, "Flag outliers")
        filled = _finite(_numeric_frame(frame[columns], "Flag outliers")).fillna(self.medians_)
        out = frame[columns].copy()
        out[FLAG] = (self.forest_.predict(filled.to_numpy()) == -1).astype(float)
        return out

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "forest_")
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
    numeric = frame[[c for c in frame.columns if _is_numeric_column(frame[c])]]
    if numeric.shape[1] == 0 or len(numeric) == 0:
        return np.zeros(len(frame), dtype=bool)
    if method == "isolation_forest":
        flags = IsolationFlag(random_state=random_state).fit(numeric).transform(numeric)[FLAG]
        return flags.to_numpy() == 1.0
    values = numeric.astype(float)
    lower, upper = _bounds(_finite(values), method, factor)
    return ((values < lower) | (values > upper)).any(axis=1).to_numpy()


def _bounds(frame: pd.DataFrame, method: str, factor) -> tuple[pd.Series, pd.Series]:
    if method not in _DEFAULT_FACTORS:
        raise RecipeError(f"The 'method' parameter of OutlierClipper must be one of {list(_DEFAULT_FACTORS)}. "
                          f"Got {method!r} instead.")
    if factor is not None and (not _is_number(factor) or factor <= 0):
        raise RecipeError(f"The 'factor' parameter of outlier clipping must be a positive number or None. "
                          f"Got {factor!r} instead.")
    f = _DEFAULT_FACTORS[method] if factor is None else float(factor)
    values = _finite(frame)
    if method == "iqr":
        q1, q3 = values.quantile(0.25), values.quantile(0.75)
        return q1 - f * (q3 - q1), q3 + f * (q3 - q1)
    mean, std = values.mean(), values.std(ddof=0)
    return mean - f * std, mean + f * std


def _numeric_frame(X, what: str) -> pd.DataFrame:
    frame = pd.DataFrame(X)
    text = [c for c in frame.columns if not _is_numeric_column(frame[c])]
    if text:
        raise RecipeError(f"{what} works on numbers, but columns {text} hold text; "
                          "pick numeric columns for this step or encode them first.")
    return frame.astype("float64")


def _finite(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.where(np.isfinite(frame.to_numpy(dtype=float)), np.nan)


def _is_numeric_column(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
