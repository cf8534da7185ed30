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
    """Infer each column's kind; ``overrides`` (column -> kind) win over inference.

    Plain numeric columns are looked at many at a time (one sort per block of columns); text columns through
    their distinct values, so wide tables stay quick.
    """
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(frame.columns))
    if unknown:
        raise ColumnError(f"Type overrides name columns that do not exist: {unknown}.")
    bad = {c: k for c, k in overrides.items() if k not in KINDS}
    if bad:
        raise ColumnError(f"Unknown column kinds {bad}; use one of {list(KINDS)}.")
    schema = []
    for (name, dtype), (kind, note, n_missing, n_unique) in zip(frame.dtypes.items(), _column_facts(frame),
                                                                 strict=True):
        if name in overrides and overrides[name] != kind:
            note = f"set to {overrides[name]} by you (inferred {kind})"
            kind = overrides[name]
        schema.append(ColumnInfo(name=str(name), kind=kind, dtype=str(dtype), n_missing=n_missing,
                                 n_unique=n_unique, note=note))
    return schema


_Facts = tuple[str, str, int, int]  # kind, note, missing values, distinct values
_BLOCK_CELLS = 2_000_000  # numeric columns are sorted in blocks of about this many cells


def _column_facts(frame: pd.DataFrame) -> list[_Facts]:
    """Kind, note, missing and distinct count of every column, in order."""
    facts: list[_Facts | None] = [None] * frame.shape[1]
    blocks: dict[np.dtype, list[int]] = {}
    for i, dtype in enumerate(frame.dtypes):
        if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            blocks.setdefault(dtype, []).append(i)
        else:
            facts[i] = _series_facts(frame.columns[i], frame.iloc[:, i])
    step = max(1, _BLOCK_CELLS // max(len(frame), 1))
    for positions in blocks.values():
        for start in range(0, len(positions), step):
            chunk = positions[start:start + step]
            block = frame.iloc[:, chunk].to_numpy()
            for i, fact in zip(chunk, _numeric_block_facts(frame.columns[chunk], block), strict=True):
                facts[i] = fact
    return facts  # type: ignore[return-value]


def _numeric_block_facts(names: pd.Index, block: np.ndarray) -> list[_Facts]:
    """Facts of plain int / float columns (the columns of ``block``) from one sort: NaN sorts last."""
    n = block.shape[0]
    missing = np.isnan(block).sum(axis=0) if block.dtype.kind == "f" else np.zeros(block.shape[1], dtype=int)
    filled = n - missing
    ordered = np.sort(block, axis=0)
    changes = (ordered[1:] != ordered[:-1]) & (np.arange(1, n)[:, None] < filled[None, :])
    distinct = changes.sum(axis=0) + (filled > 0)
    facts = []
    for j, name in enumerate(names):
        n_filled, n_distinct = int(filled[j]), int(distinct[j])
        if n_filled == 0:
            kind, note = "categorical", "all values are missing"
        elif n_distinct == 2 and ordered[0, j] == 0 and ordered[n_filled - 1, j] == 1:
            kind, note = "boolean", "two values 0 / 1"
        elif (_ID_NAME.search(str(name)) and n_distinct == n_filled and n_filled >= 20
              and (block.dtype.kind in "iu" or bool(np.all(np.mod(ordered[:n_filled, j], 1) == 0)))):
            kind, note = "identifier", "unique integer per row with an ID-like name"
        else:
            kind, note = "numeric", ""
        facts.append((kind, note, int(missing[j]), n_distinct))
    return facts


def _series_facts(name: str, series: pd.Series) -> _Facts:
    n_missing = int(series.isna().sum())
    if (pd.api.types.is_bool_dtype(series) or pd.api.types.is_datetime64_any_dtype(series)
            or pd.api.types.is_numeric_dtype(series)):
        kind, note = _infer_kind(name, series)
        return kind, note, n_missing, int(series.nunique(dropna=True))
    codes, uniques = pd.factorize(series)
    codes = codes[codes >= 0]
    if not len(codes):
        return "categorical", "all values are missing", n_missing, 0
    text = uniques.tolist() if isinstance(series.dtype, pd.StringDtype) else pd.Series(uniques).astype(str).tolist()
    return (*_infer_text_kind(codes, text), n_missing, len(uniques))


def _infer_kind(name: str, series: pd.Series) -> tuple[str, str]:
    """The kind of a boolean, datetime or numeric column."""
    values = series.dropna()
    n_unique = values.nunique()
    if len(values) == 0:
        return "categorical", "all values are missing"
    if pd.api.types.is_bool_dtype(series):
        return "boolean", ""
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime", ""
    if n_unique == 2 and set(values.unique()) <= {0, 1}:
        return "boolean", "two values 0 / 1"
    is_int = pd.api.types.is_integer_dtype(series) or bool(np.all(np.mod(values, 1) == 0))
    if is_int and _ID_NAME.search(str(name)) and n_unique == len(values) and len(values) >= 20:
        return "identifier", "unique integer per row with an ID-like name"
    return "numeric", ""


def _infer_text_kind(codes: np.ndarray, text: list[str]) -> tuple[str, str]:
    """The kind of a text column from its filled values as ``codes`` into its distinct values ``text``.

    Codes number the values in order of first appearance, so ``codes[:k]`` are the first ``k`` filled rows.
    """
    n, n_unique = len(codes), len(text)
    if n_unique <= 2 and set(pd.Series(text, dtype="str").str.strip().str.lower().unique()) <= _BOOL_WORDS:
        return "boolean", "two yes/no values"
    mixed = _mixed_numeric_note(codes[:_SAMPLE * 10], text)
    if mixed:
        return "categorical", mixed
    if _looks_like_dates(codes[:_SAMPLE], text):
        return "datetime", "text that parses as dates"
    counts = np.bincount(codes, minlength=n_unique)
    mean_length = float(np.dot([len(t) for t in text], counts)) / n
    if n_unique == n and n >= 20:
        if mean_length > 30 and float(np.dot([" " in t for t in text], counts)) / n > 0.5:
            return "text", "long free text"
        return "identifier", "a different value on every row"
    if mean_length > 30 and n_unique > 0.5 * n:
        return "text", "long free text"
    return "categorical", ""


_MAYBE_NUMBER = re.compile(r"\d|inf", re.IGNORECASE)  # what every text pandas reads as a number contains
_DATE_LIKE = re.compile(r"\d{1,4}[-/.:]\d{1,2}")


def _mixed_numeric_note(sample: np.ndarray, text: list[str]) -> str:
    present = np.unique(sample)
    is_number = np.zeros(len(text), dtype=bool)
    maybe = [c for c in present if _MAYBE_NUMBER.search(text[c])]
    if maybe:
        numbers = pd.to_numeric(pd.Series([text[c] for c in maybe], dtype="str"), errors="coerce")
        is_number[maybe] = numbers.notna().to_numpy()
    share = is_number[sample].mean()
    if 0.5 <= share < 1.0:
        examples = list(dict.fromkeys(text[c] for c in present if not is_number[c]))[:3]
        return (
            f"mixes numbers and text ({share:.0%} numeric; e.g. {', '.join(map(repr, examples))}); "
            "kept as categorical - set it to numeric to turn the text into missing values"
        )
    return ""


def _looks_like_dates(sample: np.ndarray, text: list[str]) -> bool:
    if not all(_DATE_LIKE.search(text[c]) for c in np.unique(sample)):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(pd.Series([text[c] for c in sample], dtype="str"), errors="coerce", format="mixed")
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
