"""Custom scikit-learn transformers used by compiled recipes, and the base class of every step transformer.

They follow scikit-learn's contract (parameters stored untouched in ``__init__``, learned
state ending in ``_``, ``get_feature_names_out``) so pipelines holding them clone, pickle
and accept raw columns. Each takes a DataFrame and returns one with the same index (``ModelInputGuard`` a float
array once ``set_output(transform="default")``). Inside a ``FramePipeline`` they pass 1-D arrays by column name
instead (``_transform_columns``), so that scoring one row costs no more than a hand-built pipeline.

A new step's transformer subclasses ``FrameTransformer``, which keeps the column bookkeeping: ``fit`` starts
with ``frame = self._fit_columns(X)`` (``feature_names_in_``, ``n_features_in_``), ``transform`` with
``frame = self._input_frame(X)`` (fitted? the columns it needs there?), and ``get_feature_names_out`` returns the
input names unless the class overrides ``_names_out``. ``numeric_frame`` is the one check-and-convert for steps
that need numbers. Model files name these classes and their fitted attributes: rename neither.

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
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from engine.data.schema import convert_series
from engine.errors import RecipeError

__all__ = ["ColumnSelector", "ColumnStep", "DateParts", "FramePipeline", "FrameTransformer", "KindCaster",
           "ModelInputGuard", "cast_column", "cast_values", "column_frame", "numeric_frame", "stack_columns"]

SELECTOR_KINDS = ("all", "numeric", "datetime", "text", "categorical")


class FrameTransformer(TransformerMixin, BaseEstimator):
    """Column bookkeeping shared by the workbench's transformers: names in, names out, input checks.

    ``_fitted`` names the attribute ``check_is_fitted`` looks for (the one ``fit`` sets last) and ``_who`` names
    the step in errors ("Clip outliers needs columns [...]").
    """

    _fitted = "feature_names_in_"
    _who = ""

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, self._fitted)
        return self._names_out()

    def _names_out(self) -> np.ndarray:
        """The output column names; by default the input's (a step that keeps its columns)."""
        return self.feature_names_in_.copy()

    def _fit_columns(self, X, names=None) -> pd.DataFrame:
        """``X`` as a DataFrame, recording its columns (or ``names``) as the fitted input."""
        frame = pd.DataFrame(X)
        columns = list(frame.columns) if names is None else list(names)
        self.feature_names_in_ = np.array(columns, dtype=object)
        self.n_features_in_ = len(columns)
        return frame

    def _transform_columns(self, columns: dict) -> dict:
        """``transform`` on named 1-D arrays (the form a ``FramePipeline`` passes between its stages): by default
        through a DataFrame; steps on the fast path override it."""
        out = self.transform(column_frame(columns))
        return {name: out[name].to_numpy() for name in out.columns}

    def _input_frame(self, X, columns=None) -> pd.DataFrame:
        """``X`` as a DataFrame once fitted; RecipeError when it lacks ``columns`` (default: the fitted input)."""
        check_is_fitted(self, self._fitted)
        frame = pd.DataFrame(X)
        _require_columns(frame, list(self.feature_names_in_ if columns is None else columns),
                         self._who or type(self).__name__)
        return frame


class KindCaster(FrameTransformer):
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
        check_is_fitted(self, self._fitted)
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X, columns=self.feature_names_in_)
        return column_frame(self._cast_columns(frame), frame.index)

    def _cast_columns(self, frame: pd.DataFrame) -> dict:
        """Each column of ``frame`` converted to its kind's dtype, as a 1-D array (``transform`` without the
        DataFrame): the first stage of a ``FramePipeline``."""
        check_is_fitted(self, self._fitted)
        present = frame.columns
        return {name: cast_column(frame[name] if name in present else
                                  pd.Series(np.nan, index=frame.index, dtype=object), kind)
                for name, kind in self.columns}


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


class ColumnStep(FrameTransformer):
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
        frame = self._fit_columns(X)
        self.columns_ = self._select(frame)
        if not self.columns_:
            self.transformer_ = None
            self.feature_names_out_ = self.feature_names_in_.copy()
            return frame
        inner = clone(self.transformer)
        selected = frame[self.columns_]
        # A scikit-learn transformer gets one NumPy array, as in a hand-built pipeline: the same values, without
        # pandas work on every call. Workbench steps (and mixed dtypes, which an array would turn into objects)
        # keep their DataFrame.
        self.array_input_ = not isinstance(inner, FrameTransformer) and _single_array_dtype(selected)
        if self.array_input_:
            selected = selected.to_numpy()
        elif hasattr(inner, "set_output") and not _makes_sparse(inner):
            inner.set_output(transform="pandas")
        self.transformer_ = inner
        if hasattr(inner, "fit_transform"):  # not fit().transform(): TargetEncoder cross-fits only here
            out = inner.fit_transform(selected, y, **fit_params)
        else:
            out = inner.fit(selected, y, **fit_params).transform(selected)
        out = self._as_frame(out, frame.index)
        self.made_columns_ = [str(c) for c in out.columns]
        result = self._assemble(frame, out)
        self.feature_names_out_ = np.array(result.columns, dtype=object)
        return result

    _fitted = "feature_names_out_"

    def transform(self, X):
        check_is_fitted(self, self._fitted)
        frame = self._input_frame(X, self.columns_)
        if not self.columns_:
            return frame
        selected = frame[self.columns_]
        if getattr(self, "array_input_", False):  # models saved before it was recorded fitted on DataFrames
            selected = selected.to_numpy()
        out = self._as_frame(self.transformer_.transform(selected), frame.index)
        return self._assemble(frame, out)

    def _transform_columns(self, columns: dict) -> dict:
        if not self.columns_:
            return columns
        if getattr(self, "array_input_", False) and hasattr(self, "made_columns_"):
            out = self.transformer_.transform(stack_columns([columns[c] for c in self.columns_]))
            if sparse.issparse(out):
                out = out.toarray()
            out = np.asfortranarray(np.asarray(out).reshape(len(out), -1))  # each column contiguous
            made = dict(zip(self.made_columns_, out.T, strict=True))
        elif isinstance(self.transformer_, FrameTransformer):
            made = {str(c): values for c, values in
                    self.transformer_._transform_columns({c: columns[c] for c in self.columns_}).items()}
        else:
            frame = column_frame({c: columns[c] for c in self.columns_})
            out = self._as_frame(self.transformer_.transform(frame), frame.index)
            made = {str(c): out[c].to_numpy() for c in out.columns}
        # The fitted order: the step's output where its first column was, the other columns around it.
        return {name: made[name] if name in made else columns[name] for name in self.feature_names_out_}

    def _names_out(self) -> np.ndarray:
        return self.feature_names_out_.copy()

    @property
    def _who(self) -> str:
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
            raise RecipeError(f"{self._who} makes columns {clash} that already exist; rename them or "
                              "remove the earlier step that made them.")
        names = list(frame.columns)
        first = next(i for i, name in enumerate(names) if name in selected)
        before = [c for c in names[:first] if c not in selected]
        after = [c for c in names[first:] if c not in selected]
        # Three blocks, not one frame per column: this runs on every predict call.
        return pd.concat([frame[before], out, frame[after]], axis=1)


class ModelInputGuard(FrameTransformer):
    """Last stage of every pipeline: only numbers reach the model, and gaps become training medians."""

    _fitted = "fill_values_"
    _who = "The model"

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
        self._fit_columns(frame)
        values = _finite_floats(frame)
        self.fill_values_ = values.median().fillna(0.0)
        return self

    def transform(self, X):
        """The model's input: a DataFrame, or one float array once ``set_output(transform="default")``."""
        frame = self._input_frame(X)
        values = self._model_input({name: frame[name].to_numpy() for name in self.feature_names_in_})
        if _array_output(self):
            return values
        return pd.DataFrame(values, columns=list(self.feature_names_in_), index=frame.index)

    def _transform_columns(self, columns: dict) -> np.ndarray:
        """The model's input as one float array (the last stage of a ``FramePipeline`` names its columns)."""
        check_is_fitted(self, self._fitted)
        return self._model_input(columns)

    def _model_input(self, columns: dict) -> np.ndarray:
        """The fitted columns as floats (text read as numbers where it can be), non-finite and missing values
        filled with the training medians."""
        values = stack_columns([_as_floats(columns[name]) for name in self.feature_names_in_])
        fill = self.fill_values_  # a dict once exported through skops
        fill = (np.array([fill[n] for n in self.feature_names_in_], dtype=float) if isinstance(fill, dict)
                else fill.to_numpy(dtype=float))
        return np.where(np.isfinite(values), values, fill)


class DateParts(FrameTransformer):
    """Expand datetime columns into numeric parts, named ``f"{column}_{part}"``.

    Parts: year, month, day, dayofweek (Monday = 0), hour, and elapsed_days (days since the
    column's earliest training date, kept in ``reference_``).
    """

    PARTS = ("year", "month", "day", "dayofweek")
    ALLOWED = (*PARTS, "hour", "elapsed_days")
    _ACCESSORS = {"dayofweek": "day_of_week"}  # pandas 3 deprecates ``.dt.dayofweek``
    _fitted = "reference_"

    def __init__(self, parts=PARTS):
        self.parts = parts

    def fit(self, X, y=None):
        unknown = [p for p in self.parts if p not in self.ALLOWED]
        if unknown or not len(self.parts):
            raise RecipeError(f"The 'parts' parameter of DateParts must be a non-empty list drawn from "
                              f"{list(self.ALLOWED)}. Got {list(self.parts)!r} instead.")
        frame = pd.DataFrame(X)
        self._fit_columns(frame, names=[str(c) for c in frame.columns])
        self.reference_ = {str(c): _dates(frame[c]).min() for c in frame.columns}
        return self

    def transform(self, X):
        check_is_fitted(self, self._fitted)
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

    def _names_out(self) -> np.ndarray:
        return np.array([f"{n}_{p}" for n in self.feature_names_in_ for p in self.parts], dtype=object)

    def _transform_columns(self, columns: dict) -> dict:
        """Calendar parts of NumPy dates by NumPy's calendar arithmetic (the values pandas' ``.dt`` gives); other
        input (text, time-zone aware dates) and ``elapsed_days`` through ``transform``."""
        check_is_fitted(self, self._fitted)
        if "elapsed_days" in self.parts or not all(
                isinstance(v, np.ndarray) and v.dtype.kind == "M" for v in columns.values()):
            return super()._transform_columns(columns)
        return {f"{name}_{part}": _calendar_part(values, part) for name, values in columns.items()
                for part in self.parts}


def _calendar_part(values: np.ndarray, part: str) -> np.ndarray:
    """One calendar part of datetime64 values as floats, NaN where a date is missing (``values.astype`` floors to
    the coarser unit, before 1970 too)."""
    days = values.astype("datetime64[D]")
    if part == "year":
        out = values.astype("datetime64[Y]").astype(np.int64) + 1970
    elif part == "month":
        out = values.astype("datetime64[M]").astype(np.int64) % 12 + 1
    elif part == "day":
        out = (days - values.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    elif part == "dayofweek":
        out = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    else:  # hour
        out = (values - days).astype("timedelta64[h]").astype(np.int64)
    out = out.astype(np.float64)
    out[np.isnat(values)] = np.nan
    return out


class FramePipeline(Pipeline):
    """The preprocessing of a compiled recipe: ``KindCaster``, the column steps, then ``ModelInputGuard``.

    Fitting is ``Pipeline``'s, on DataFrames. ``transform`` selects and casts the raw columns once, passes the
    stages named 1-D arrays (``_transform_columns``: each step runs its fitted transformer on one array of the
    columns it fitted on) and builds one DataFrame at the end, instead of a DataFrame per stage: scoring one row
    costs about what a hand-built ``ColumnTransformer`` pipeline does. The values are those of ``Pipeline``'s own
    ``transform``, column for column.
    """

    def transform(self, X, **params):
        if params or not isinstance(X, pd.DataFrame) or not self._takes_columns():
            return super().transform(X, **params)
        return self._run(self.steps[0][1]._cast_columns(X), X.index)

    def transform_records(self, records: list[dict]):
        """``transform`` of JSON records (one dict per row, ``None`` for a missing value, absent keys missing),
        without the DataFrame of the records: what a REST server scores.

        >>> prepare = FramePipeline([("cast", KindCaster([("a", "numeric"), ("b", "boolean")])),
        ...                          ("guard", ModelInputGuard())]).fit(pd.DataFrame({"a": [1.0, 3.0], "b": [1, 0]}))
        >>> prepare.transform_records([{"a": None, "b": True}]).to_dict("records")
        [{'a': 2.0, 'b': 1.0}]
        """
        if not self._takes_columns():
            return self.transform(pd.DataFrame.from_records(records, columns=self.feature_names_in_))
        caster = self.steps[0][1]
        check_is_fitted(caster, caster._fitted)
        columns = {name: cast_values([record.get(name) for record in records], kind) for name, kind in caster.columns}
        return self._run(columns, pd.RangeIndex(len(records)))

    def _takes_columns(self) -> bool:
        stages = [stage for _, stage in self.steps]
        return isinstance(stages[0], KindCaster) and all(isinstance(stage, FrameTransformer) for stage in stages)

    def _run(self, columns: dict, index: pd.Index):
        """The stages after the cast on named arrays; the output as ``transform`` gives it."""
        stages = [stage for _, stage in self.steps]
        for stage in stages[1:]:
            columns = stage._transform_columns(columns)
        if not isinstance(columns, np.ndarray):  # no guard: the cast columns (an ensemble's shared input)
            return column_frame(columns, index)
        if _array_output(stages[-1]):
            return columns
        return pd.DataFrame(columns, columns=list(stages[-1].feature_names_in_), index=index)


def cast_column(series: pd.Series, kind: str) -> np.ndarray:
    """``engine.data.schema.convert_series`` as an array (±inf read as missing in numeric columns), without its
    pandas work for the dtypes raw columns mostly have: numbers for numeric and boolean columns, text for
    categories."""
    dtype = series.dtype
    if kind in ("numeric", "boolean") and isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        values = series.to_numpy(dtype=np.float64, copy=True)
        if kind == "numeric":
            values[np.isinf(values)] = np.nan
        return values
    if kind not in ("numeric", "boolean", "datetime") and pd.api.types.is_string_dtype(dtype):  # object or str
        values = series.to_numpy(dtype=object, copy=True)
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):  # labels already
            values[pd.isna(values)] = np.nan
            return values
    converted = convert_series(series, kind)
    if kind == "numeric":
        converted = converted.where(~np.isinf(converted), np.nan)
    # Time-zone aware dates stay a pandas array: as NumPy they would be objects.
    return converted.array if isinstance(converted.dtype, pd.DatetimeTZDtype) else converted.to_numpy()


def cast_values(values: list, kind: str) -> np.ndarray:
    """``cast_column`` of one column's values from JSON records (``None`` where missing), as
    ``pd.DataFrame.from_records`` then ``cast_column`` give them, without the pandas work for the values JSON
    usually holds: numbers in numeric columns, true / false in boolean ones, text in categorical ones."""
    if kind == "numeric" and all(v is None or type(v) in (float, int) for v in values):
        out = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        out[np.isinf(out)] = np.nan
        return out
    if kind == "boolean" and all(v is None or type(v) is bool for v in values):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    if kind in ("categorical", "text") and all(v is None or type(v) is str for v in values):
        out = np.empty(len(values), dtype=object)
        out[:] = [np.nan if v is None else v for v in values]
        return out
    return cast_column(pd.Series(values), kind)


def column_frame(columns: dict, index=None) -> pd.DataFrame:
    """A DataFrame of named 1-D arrays; object arrays stay object (pandas would infer ``str`` for text)."""
    frame = pd.DataFrame({name: pd.Series(values, dtype=object, copy=False) if values.dtype == object else values
                          for name, values in columns.items()}, copy=False)
    if index is not None:
        frame.index = index
    return frame


def stack_columns(arrays: list) -> np.ndarray:
    """1-D arrays side by side as one 2-D array (column-major: each column is copied in one piece)."""
    out = np.empty((len(arrays[0]), len(arrays)), dtype=np.result_type(*arrays), order="F")
    for j, values in enumerate(arrays):
        out[:, j] = values
    return out


def _single_array_dtype(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` is one NumPy array without a change of values: every column float64, or every one text
    (object, or pandas' ``str``, which a DataFrame built from an object array infers)."""
    dtypes = set(frame.dtypes)
    return dtypes == {np.dtype(np.float64)} or bool(dtypes) and all(
        d == np.dtype(object) or isinstance(d, pd.StringDtype) and d.na_value is np.nan for d in dtypes)


def _as_floats(values) -> np.ndarray:
    """A column as float64; text read as numbers where it can be (else missing)."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        return values.astype(np.float64, copy=False)
    series = pd.Series(values)
    if not _is_numeric(series.dtype):
        series = pd.to_numeric(series.astype(object), errors="coerce")
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _array_output(transformer) -> bool:
    """Whether ``transformer`` was set to return arrays (``set_output(transform="default")``)."""
    return getattr(transformer, "_sklearn_output_config", {}).get("transform") == "default"


def _makes_sparse(transformer) -> bool:
    params = transformer.get_params(deep=False) if hasattr(transformer, "get_params") else {}
    return params.get("sparse_output") is True


def _is_numeric(dtype) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def numeric_frame(X, who: str) -> pd.DataFrame:
    """``X`` as float64 columns, ±inf read as missing; RecipeError when a column holds text or none is left.

    >>> numeric_frame(pd.DataFrame({"a": [1, np.inf], "b": [True, False]}), "PCA").to_dict("list")
    {'a': [1.0, nan], 'b': [1.0, 0.0]}
    """
    frame = pd.DataFrame(X)
    text = [c for c in frame.columns if not _is_numeric(frame[c].dtype)]
    if text:
        raise RecipeError(f"{who} works on numbers, but columns {text[:5]} hold text; "
                          "pick numeric columns for this step or encode them first.")
    if frame.shape[1] == 0:
        raise RecipeError(f"{who} has no columns to work on.")
    return _finite_floats(frame)


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

