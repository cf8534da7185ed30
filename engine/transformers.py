"""Custom scikit-learn transformers used by compiled recipes.

They follow scikit-learn's contract (parameters stored untouched in ``__init__``, learned
state ending in ``_``, ``get_feature_names_out``) so pipelines holding them clone, pickle
and accept raw columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from engine.schema import convert_series

__all__ = ["DateParts", "KindCaster"]


class KindCaster(TransformerMixin, BaseEstimator):
    """Convert raw columns to the dtypes of their kinds, so a pipeline accepts raw CSV values.

    ``columns`` is a list of ``(name, kind)`` pairs; columns absent from the input become
    all-missing (imputers downstream fill them) and extra input columns are ignored.
    """

    def __init__(self, columns=()):
        self.columns = columns

    def fit(self, X, y=None):
        self.feature_names_in_ = np.array([name for name, _ in self.columns], dtype=object)
        self.n_features_in_ = len(self.columns)
        return self

    def transform(self, X):
        check_is_fitted(self, "feature_names_in_")
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X, columns=self.feature_names_in_)
        out = {}
        for name, kind in self.columns:
            series = frame[name] if name in frame.columns else pd.Series(np.nan, index=frame.index, dtype=object)
            out[name] = convert_series(series, kind)
        return pd.DataFrame(out, index=frame.index)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "feature_names_in_")
        return self.feature_names_in_.copy()


class DateParts(TransformerMixin, BaseEstimator):
    """Expand datetime columns into numeric parts (year, month, day, day of week)."""

    PARTS = ("year", "month", "day", "dayofweek")
    _ACCESSORS = {"dayofweek": "day_of_week"}  # pandas 3 deprecates ``.dt.dayofweek``

    def fit(self, X, y=None):
        frame = pd.DataFrame(X)
        self.feature_names_in_ = np.array([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = frame.shape[1]
        return self

    def transform(self, X):
        check_is_fitted(self, "feature_names_in_")
        frame = pd.DataFrame(X)
        out = {}
        for name in frame.columns:
            values = pd.to_datetime(frame[name], errors="coerce")
            for part in self.PARTS:
                out[f"{name}_{part}"] = getattr(values.dt, self._ACCESSORS.get(part, part)).astype(float)
        return pd.DataFrame(out, index=frame.index)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "feature_names_in_")
        return np.array([f"{n}_{p}" for n in self.feature_names_in_ for p in self.PARTS], dtype=object)
