"""New rows for an existing table: check they fit its columns and kinds, then stack them.

>>> import pandas as pd
>>> from engine.data.schema import infer_schema
>>> old = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
>>> append_rows(old, pd.DataFrame({"y": ["c"], "x": [3]}), infer_schema(old))["x"].tolist()
[1, 2, 3]
"""

from __future__ import annotations

import pandas as pd

from engine.data.schema import ColumnInfo
from engine.errors import ColumnError

__all__ = ["append_rows", "check_new_rows"]

_EXAMPLES = 3


def check_new_rows(current: pd.DataFrame, new: pd.DataFrame, schema: list[ColumnInfo]) -> None:
    """Raise ``ColumnError`` naming every column the new rows lack, add, or fill with values of the wrong kind."""
    missing = [c for c in current.columns if c not in new.columns]
    extra = [c for c in new.columns if c not in current.columns]
    problems = []
    if missing:
        problems.append(f"missing columns {missing}")
    if extra:
        problems.append(f"extra columns {extra}")
    if problems:
        raise ColumnError(f"The new rows do not have the same columns as the data: {'; '.join(problems)}. "
                          "Rename or remove columns in the file and upload it again.")
    misfits = [_misfit(info, current[info.name], new[info.name]) for info in schema if info.name in new.columns]
    misfits = [m for m in misfits if m]
    if misfits:
        raise ColumnError("Some new values do not fit their column: " + "; ".join(misfits)
                          + ". Fix them in the file, or change the column's type, and upload again.")


def append_rows(current: pd.DataFrame, new: pd.DataFrame, schema: list[ColumnInfo]) -> pd.DataFrame:
    """``current`` with ``new`` below it, in ``current``'s column order and dtypes where they allow."""
    check_new_rows(current, new, schema)
    new = new[list(current.columns)].copy()
    for column in current.columns:
        old, fresh = current[column], new[column]
        if pd.api.types.is_numeric_dtype(old) and not pd.api.types.is_bool_dtype(old):
            new[column] = pd.to_numeric(fresh, errors="coerce")
        elif pd.api.types.is_string_dtype(old) and not pd.api.types.is_string_dtype(fresh):
            new[column] = _as_text(fresh)
    return pd.concat([current, new], ignore_index=True)


def _as_text(series: pd.Series) -> pd.Series:
    """Values as text, missing kept missing; whole floats lose their '.0' (a code 7 read as 7.0 stays '7')."""
    values = series.dropna()
    if pd.api.types.is_float_dtype(series) and bool((values % 1 == 0).all()):
        series = series.astype("Int64")
    return series.astype(str).astype("str").mask(series.isna())


def _misfit(info: ColumnInfo, old: pd.Series, new: pd.Series) -> str:
    values = new.dropna()
    if values.empty or info.kind in ("categorical", "text", "identifier"):
        return ""
    if info.kind == "numeric":
        bad = values[pd.to_numeric(values, errors="coerce").isna()]
        expects = "numbers"
    elif info.kind == "boolean":
        known = {str(v).strip().lower() for v in old.dropna().unique()}
        bad = values[~values.astype(str).str.strip().str.lower().isin(known)]
        expects = f"one of {sorted(known)}"
    else:  # datetime
        if pd.api.types.is_datetime64_any_dtype(values):
            return ""
        bad = values[pd.to_datetime(values.astype(str), errors="coerce", format="mixed").isna()]
        expects = "dates"
    if bad.empty:
        return ""
    examples = ", ".join(repr(str(v)) for v in bad.unique()[:_EXAMPLES])
    return f"'{info.name}' expects {expects} but {len(bad)} of {len(values)} new values are not (e.g. {examples})"
