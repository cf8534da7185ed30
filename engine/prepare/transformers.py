"""Custom scikit-learn transformers used by compiled recipes.

They follow scikit-learn's contract (parameters stored untouched in ``__init__``, learned
state ending in ``_``, ``get_feature_names_out``) so pipelines holding them clone, pickle
and accept raw columns. Each takes a DataFrame and returns one with the same index.

>>> import pandas as pd
>>> from sklearn.preprocessing import StandardScaler
>>> X = pd.DataFrame({"city": ["x", "y"], "a": [1.0, 3.0], "b": [0.0, 2.0]})
>>> ColumnStep(StandardScaler(), ColumnSelector("numeric")).fit_transform(X).to_dict("list")
{'city': ['x', 'y'], 'a': [-1.0, 1.0], 'b': [-1.0, 1.0]}
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from engine.data.schema import convert_series
from engine.errors import RecipeError

__all__ = ["ColumnSelector", "ColumnStep", "DateParts", "KindCaster", "ModelInputGuard"]

SELECTOR_KINDS = ("all", "numeric", "datetime", "text", "categorical")


class KindCaster(TransformerMixin, BaseEstimator):
    """Convert raw columns to the dtypes of their kinds, so a pipeline accepts raw CSV values.

    ``columns`` is a list of ``(name, kind)`` pairs; columns absent from the input become
    all-missing (imputers downstream fill them) and extra input columns are ignored. ±inf in a numeric
    column is read as missing, in training and scoring alike: no imputer, scaler or model accepts it.
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
            values = convert_series(series, kind)
            out[name] = values.where(~np.isinf(values), np.nan) if kind == "numeric" else values
        return pd.DataFrame(out, index=frame.index)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "feature_names_in_")
        return self.feature_names_in_.copy()


@dataclass(frozen=True)
class ColumnSelector:
    """Pick a step's columns when it runs: by ``names`` if given, else by ``kind``.

    >>> X = pd.DataFrame({"n": [1.0], "city": ["x"], "note": ["hi"]})
    >>> ColumnSelector("categorical", text_columns=("note",))(X)
    ['city']
    """

    kind: str | None = None
    names: tuple = ()
    text_columns: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "text_columns", tuple(self.text_columns))

    def __call__(self, X: pd.DataFrame) -> list:
        if self.names:
            wanted = set(self.names)
            return [c for c in X.columns if c in wanted]
        if self.kind not in SELECTOR_KINDS:
            raise RecipeError(f"The 'kind' of a column selector must be one of {list(SELECTOR_KINDS)}. "
                              f"Got {self.kind!r} instead.")
        return [c for c in X.columns if self._matches(c, X[c].dtype)]

    def _matches(self, name, dtype) -> bool:
        if self.kind == "all":
            return True
        if self.kind == "numeric":
            return pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        if self.kind == "datetime":
            return pd.api.types.is_datetime64_any_dtype(dtype)
        labels = pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)
        return labels and (name in self.text_columns) == (self.kind == "text")


class ColumnStep(TransformerMixin, BaseEstimator):
    """Run ``transformer`` on the columns ``selector`` picks and put its output where they were.

    ``selector`` is a ``ColumnSelector``, any callable ``frame -> names``, or a list of names.
    When it picks nothing the step passes its input through. ``label`` names the step in errors.
    """

    def __init__(self, transformer, selector, label=""):
        self.transformer = transformer
        self.selector = selector
        self.label = label

    def fit(self, X, y=None):
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        frame = pd.DataFrame(X)
        self.feature_names_in_ = np.array(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.columns_ = self._select(frame)
        if not self.columns_:
            self.transformer_ = None
            self.feature_names_out_ = self.feature_names_in_.copy()
            return frame
        inner = clone(self.transformer)
        if hasattr(inner, "set_output") and not _makes_sparse(inner):
            inner.set_output(transform="pandas")
        self.transformer_ = inner
        selected = frame[self.columns_]
        if hasattr(inner, "fit_transform"):  # not fit().transform(): TargetEncoder cross-fits only here
            out = inner.fit_transform(selected, y, **fit_params)
        else:
            out = inner.fit(selected, y, **fit_params).transform(selected)
        out = self._as_frame(out, frame.index)
        result = self._assemble(frame, out)
        self.feature_names_out_ = np.array(result.columns, dtype=object)
        return result

    def transform(self, X):
        check_is_fitted(self, "feature_names_out_")
        frame = pd.DataFrame(X)
        if not self.columns_:
            return frame
        _require_columns(frame, self.columns_, self._name())
        out = self._as_frame(self.transformer_.transform(frame[self.columns_]), frame.index)
        return self._assemble(frame, out)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()

    def _name(self) -> str:
        return self.label or f"The {type(self.transformer).__name__} step"

    def _select(self, frame: pd.DataFrame) -> list:
        if callable(self.selector):
            return list(self.selector(frame))
        wanted = set(self.selector)
        return [c for c in frame.columns if c in wanted]

    def _as_frame(self, out, index) -> pd.DataFrame:
        if isinstance(out, pd.DataFrame):
            out = out.copy()
            out.index = index
            return out
        if sparse.issparse(out):
            out = out.toarray()
        out = np.asarray(out)
        if out.ndim == 1:
            out = out.reshape(-1, 1)
        names = self.transformer_.get_feature_names_out(np.array(self.columns_, dtype=object))
        return pd.DataFrame(out, columns=[str(n) for n in names], index=index)

    def _assemble(self, frame: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
        selected = set(self.columns_)
        clash = [c for c in out.columns if c in frame.columns and c not in selected]
        if clash:
            raise RecipeError(f"{self._name()} makes columns {clash} that already exist; rename them or "
                              "remove the earlier step that made them.")
        names = list(frame.columns)
        first = next(i for i, name in enumerate(names) if name in selected)
        before = [c for c in names[:first] if c not in selected]
        after = [c for c in names[first:] if c not in selected]
        # Three blocks, not one frame per column: this runs on every predict call.
        return pd.concat([frame[before], out, frame[after]], axis=1)


class ModelInputGuard(TransformerMixin, BaseEstimator):
    """Last stage of every pipeline: only numbers reach the model, and gaps become training medians."""

    def fit(self, X, y=None):
        frame = pd.DataFrame(X)
        if frame.shape[1] == 0:
            raise RecipeError("No columns are left for the model after the preparation steps; "
                              "disable the step that drops them or keep more columns.")
        dates = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c].dtype)]
        if dates:
            raise RecipeError(f"Columns {dates} still hold dates when they reach the model; "
                              "add a Date parts step for them or leave them out.")
        text = [c for c in frame.columns if not _is_numeric(frame[c].dtype)]
        if text:
            raise RecipeError(f"Columns {text} still hold text when they reach the model; "
                              "add an Encode step for them or leave them out.")
        self.feature_names_in_ = np.array(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        values = _finite_floats(frame)
        self.fill_values_ = values.median().fillna(0.0)
        return self

    def transform(self, X):
        check_is_fitted(self, "fill_values_")
        frame = pd.DataFrame(X)
        columns = list(self.feature_names_in_)
        _require_columns(frame, columns, "The model")
        values = frame[columns].copy()
        for name in columns:
            if not _is_numeric(values[name].dtype):
                values[name] = pd.to_numeric(values[name].astype(object), errors="coerce")
        return _finite_floats(values).fillna(self.fill_values_)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "fill_values_")
        return self.feature_names_in_.copy()


class DateParts(TransformerMixin, BaseEstimator):
    """Expand datetime columns into numeric parts, named ``f"{column}_{part}"``.

    Parts: year, month, day, dayofweek (Monday = 0), hour, and elapsed_days (days since the
    column's earliest training date, kept in ``reference_``).
    """

    PARTS = ("year", "month", "day", "dayofweek")
    ALLOWED = (*PARTS, "hour", "elapsed_days")
    _ACCESSORS = {"dayofweek": "day_of_week"}  # pandas 3 deprecates ``.dt.dayofweek``

    def __init__(self, parts=PARTS):
        self.parts = parts

    def fit(self, X, y=None):
        unknown = [p for p in self.parts if p not in self.ALLOWED]
        if unknown or not len(self.parts):
            raise RecipeError(f"The 'parts' parameter of DateParts must be a non-empty list drawn from "
                              f"{list(self.ALLOWED)}. Got {list(self.parts)!r} instead.")
        frame = pd.DataFrame(X)
        self.feature_names_in_ = np.array([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.reference_ = {str(c): _dates(frame[c]).min() for c in frame.columns}
        return self

    def transform(self, X):
        check_is_fitted(self, "reference_")
        frame = pd.DataFrame(X)
        out = {}
        for name in frame.columns:
            values = _dates(frame[name])
            for part in self.parts:
                if part == "elapsed_days":
                    part_values = (values - self.reference_.get(str(name), pd.NaT)) / pd.Timedelta(days=1)
                else:
                    part_values = getattr(values.dt, self._ACCESSORS.get(part, part))
                out[f"{name}_{part}"] = part_values.astype(float)
        return pd.DataFrame(out, index=frame.index)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "reference_")
        return np.array([f"{n}_{p}" for n in self.feature_names_in_ for p in self.parts], dtype=object)


def _makes_sparse(transformer) -> bool:
    params = transformer.get_params(deep=False) if hasattr(transformer, "get_params") else {}
    return params.get("sparse_output") is True


def _is_numeric(dtype) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def _finite_floats(frame: pd.DataFrame) -> pd.DataFrame:
    values = frame.astype("float64")
    return values.where(np.isfinite(values.to_numpy()), np.nan)


def _dates(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series
    return convert_series(series, "datetime")


def _require_columns(frame: pd.DataFrame, columns, who: str) -> None:
    """Raise a RecipeError naming the columns ``who`` needs that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise RecipeError(f"{who} needs columns {missing}, but the data given to it lacks them; "
                          "pass the same columns the pipeline was trained on.")

