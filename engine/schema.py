"""Column kinds: what each column of a table is, inferred and overridable.

Kinds drive everything downstream (encoding, charts, the model's input schema):

- ``numeric``      numbers, used as they are
- ``boolean``      two values such as yes/no or true/false, used as 0/1
- ``categorical``  a small set of labels, one-hot encoded
- ``datetime``     dates and times, expanded to year / month / day / weekday
- ``text``         free text, treated as a categorical of its most frequent values
- ``identifier``   a unique key per row; excluded from features by default
"""

from __future__ import annotations

import re
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from engine.errors import ColumnError

__all__ = ["KINDS", "ColumnInfo", "apply_kinds", "infer_schema", "schema_from_dicts"]

KINDS = ("numeric", "boolean", "categorical", "datetime", "text", "identifier")
_BOOL_WORDS = {"true", "false", "yes", "no", "y", "n", "t", "f"}
_ID_NAME = re.compile(r"(^|_|\b)(id|key|uuid|guid)$|^id_|^index$", re.IGNORECASE)
_SAMPLE = 500


@dataclass(frozen=True)
class ColumnInfo:
    """One column's inferred (or chosen) kind, with the facts behind it."""

    name: str
    kind: str
    dtype: str
    n_missing: int
    n_unique: int
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def schema_from_dicts(rows: list[dict]) -> list[ColumnInfo]:
    """Rebuild a schema saved with ``ColumnInfo.to_dict``."""
    return [ColumnInfo(**row) for row in rows]


def infer_schema(frame: pd.DataFrame, overrides: dict[str, str] | None = None) -> list[ColumnInfo]:
    """Infer each column's kind; ``overrides`` (column -> kind) win over inference."""
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(frame.columns))
    if unknown:
        raise ColumnError(f"Type overrides name columns that do not exist: {unknown}.")
    bad = {c: k for c, k in overrides.items() if k not in KINDS}
    if bad:
        raise ColumnError(f"Unknown column kinds {bad}; use one of {list(KINDS)}.")
    schema = []
    for name in frame.columns:
        series = frame[name]
        kind, note = _infer_kind(name, series)
        if name in overrides and overrides[name] != kind:
            note = f"set to {overrides[name]} by you (inferred {kind})"
            kind = overrides[name]
        schema.append(
            ColumnInfo(
                name=str(name),
                kind=kind,
                dtype=str(series.dtype),
                n_missing=int(series.isna().sum()),
                n_unique=int(series.nunique(dropna=True)),
                note=note,
            )
        )
    return schema


def _infer_kind(name: str, series: pd.Series) -> tuple[str, str]:
    values = series.dropna()
    n_unique = values.nunique()
    if len(values) == 0:
        return "categorical", "all values are missing"
    if pd.api.types.is_bool_dtype(series):
        return "boolean", ""
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime", ""
    if pd.api.types.is_numeric_dtype(series):
        if n_unique == 2 and set(values.unique()) <= {0, 1}:
            return "boolean", "two values 0 / 1"
        is_int = pd.api.types.is_integer_dtype(series) or bool(np.all(np.mod(values, 1) == 0))
        if is_int and _ID_NAME.search(str(name)) and n_unique == len(values) and len(values) >= 20:
            return "identifier", "unique integer per row with an ID-like name"
        return "numeric", ""
    text = values.astype(str)
    if n_unique <= 2 and set(text.str.strip().str.lower().unique()) <= _BOOL_WORDS:
        return "boolean", "two yes/no values"
    mixed = _mixed_numeric_note(text)
    if mixed:
        return "categorical", mixed
    if _looks_like_dates(text):
        return "datetime", "text that parses as dates"
    if n_unique == len(values) and len(values) >= 20:
        if text.str.len().mean() > 30 and text.str.contains(" ").mean() > 0.5:
            return "text", "long free text"
        return "identifier", "a different value on every row"
    if text.str.len().mean() > 30 and n_unique > 0.5 * len(values):
        return "text", "long free text"
    return "categorical", ""


def _mixed_numeric_note(text: pd.Series) -> str:
    sample = text.head(_SAMPLE * 10)
    numeric = pd.to_numeric(sample, errors="coerce")
    share = numeric.notna().mean()
    if 0.5 <= share < 1.0:
        examples = sample[numeric.isna()].unique()[:3]
        return (
            f"mixes numbers and text ({share:.0%} numeric; e.g. {', '.join(map(repr, examples))}); "
            "kept as categorical - set it to numeric to turn the text into missing values"
        )
    return ""


def _looks_like_dates(text: pd.Series) -> bool:
    sample = text.head(_SAMPLE)
    if not sample.str.contains(r"\d{1,4}[-/.:]\d{1,2}", regex=True).all():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.95)


def apply_kinds(frame: pd.DataFrame, schema: list[ColumnInfo]) -> pd.DataFrame:
    """Return a copy of ``frame`` whose columns are converted to their kinds' dtypes.

    Values that do not fit a kind (text in a numeric column) become missing.
    Missing columns are added as all-missing so a model can report them.
    """
    out = {}
    for col in schema:
        series = frame[col.name] if col.name in frame.columns else pd.Series(np.nan, index=frame.index)
        out[col.name] = convert_series(series, col.kind)
    return pd.DataFrame(out, index=frame.index)


def convert_series(series: pd.Series, kind: str) -> pd.Series:
    """Convert one column to the dtype its kind uses inside pipelines."""
    if kind == "numeric":
        if pd.api.types.is_bool_dtype(series):
            return series.astype(float)
        return pd.to_numeric(series, errors="coerce").astype(float)
    if kind == "boolean":
        return _to_bool_float(series)
    if kind == "datetime":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pd.to_datetime(series, errors="coerce", format="mixed")
    labels = series.astype(object).map(_label, na_action="ignore")
    return labels.where(series.notna(), np.nan).astype(object)  # a real NaN, so imputers see it as missing


def _label(value) -> str:
    """A category label; 3.0 reads '3' so codes match whether or not their column had gaps."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _to_bool_float(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series.astype(float)
    lowered = series.astype(object).where(series.notna(), None)
    mapping = {"true": 1.0, "yes": 1.0, "y": 1.0, "t": 1.0, "1": 1.0,
               "false": 0.0, "no": 0.0, "n": 0.0, "f": 0.0, "0": 0.0}
    return lowered.map(lambda v: mapping.get(str(v).strip().lower(), np.nan) if v is not None else np.nan).astype(float)
