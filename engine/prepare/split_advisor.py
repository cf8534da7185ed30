"""Split advice: spot columns that make a random split overstate the score, and say which split to use instead.

Two patterns are looked for:

- **groups**: a key such as ``customer_id`` repeats across rows; a random split puts rows of the same customer in
  both training and test, so the model is tested on customers it has already seen.
- **time**: a date column spans a period; a random split trains on later rows and tests on earlier ones.

>>> import pandas as pd
>>> from engine.data.schema import infer_schema
>>> frame = pd.DataFrame({"customer_id": [f"c{i // 3}" for i in range(60)], "churned": [0, 1] * 30})
>>> [(a.strategy, a.column, a.evidence["groups"]) for a in advise_split(frame, infer_schema(frame), "churned",
...                                                                    "classification")]
[('group', 'customer_id', 20)]
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd

from engine.data.schema import _ID_NAME, ColumnInfo
from engine.errors import TargetError

__all__ = ["SplitAdvice", "advise_split"]

MIN_MEAN_ROWS_PER_GROUP = 1.2  # a key repeats when its values cover more than this many rows each on average
MIN_REPEATED_SHARE = 0.10  # ... and at least this share of rows shares its value with another row
MIN_GROUPS = 5  # fewer groups than this cannot make a grouped split
MANY_DISTINCT_SHARE, MANY_DISTINCT_MIN = 0.05, 20  # a categorical with this many distinct values may be a key
MIN_TIME_DISTINCT = 20  # a date column needs this many distinct values ...
MIN_TIME_SPAN = pd.Timedelta(days=1)  # ... and must span more than this
MAX_ADVICE = 3  # per strategy


class SplitAdvice(NamedTuple):
    """One suggested split: ``update`` is merged into the recipe's ``split`` section to apply it."""

    strategy: str  # "group" or "time"
    column: str
    message: str
    evidence: dict
    update: dict


def advise_split(frame: pd.DataFrame, schema: list[ColumnInfo], target: str, task: str,
                 split: dict | None = None) -> list[SplitAdvice]:
    """Group splits (strongest repetition first, at most 3), then time splits; advice ``split`` already follows
    is left out."""
    if task not in ("classification", "regression"):
        raise TargetError(f"The task must be 'classification' or 'regression'. Got {task!r} instead.")
    split = split or {}
    columns = [c for c in schema if c.name != target and c.name in frame.columns]
    ranked = sorted(filter(None, (_group_advice(frame[c.name], c) for c in columns)), key=lambda a: a[0],
                    reverse=True)
    times = sorted(filter(None, (_time_advice(frame[c.name], c.name) for c in columns if c.kind == "datetime")),
                   key=lambda a: a.evidence["distinct"], reverse=True)
    groups = [a for _, a in ranked if not _applied(a, split)][:MAX_ADVICE]
    return groups + [a for a in times if not _applied(a, split)][:MAX_ADVICE]


def _applied(advice: SplitAdvice, split: dict) -> bool:
    return split.get("strategy") == advice.strategy and split.get(f"{advice.strategy}_column") == advice.column


def _may_be_key(series: pd.Series, info: ColumnInfo) -> bool:
    """Identifiers, ID-named whole numbers and labels: columns that may name an entity (a customer, a patient)."""
    if info.kind in ("identifier", "categorical"):
        return True
    return (info.kind == "numeric" and bool(_ID_NAME.search(info.name)) and pd.api.types.is_numeric_dtype(series)
            and bool((series.dropna() % 1 == 0).all()))


def _group_advice(series: pd.Series, info: ColumnInfo) -> tuple[tuple, SplitAdvice] | None:
    """Advice to split by groups of ``series`` when its values repeat like an entity key, with its rank."""
    if not _may_be_key(series, info):
        return None
    counts = series.value_counts(dropna=True).to_numpy()
    rows, groups = int(counts.sum()), len(counts)
    id_like = info.kind == "identifier" or bool(_ID_NAME.search(info.name))
    many = groups >= MANY_DISTINCT_MIN and groups >= MANY_DISTINCT_SHARE * len(series)
    if groups < MIN_GROUPS or not (id_like or many):
        return None
    mean_rows = rows / groups
    repeated = float(counts[counts > 1].sum() / rows)
    if mean_rows <= MIN_MEAN_ROWS_PER_GROUP or repeated < MIN_REPEATED_SHARE:
        return None
    name = info.name
    message = (f"{rows} rows share {groups} {name} values ({mean_rows:.1f} rows each on average; {repeated:.0%} of "
               f"rows share their {name} with another row). A random split puts rows of the same {name} in both "
               f"training and test, so the score would be overstated; split by groups of {name} instead.")
    evidence = {"rows": rows, "groups": groups, "mean_rows_per_group": round(mean_rows, 3),
                "repeated_share": round(repeated, 4)}
    rank = (id_like, repeated, mean_rows)
    return rank, SplitAdvice("group", name, message, evidence, {"strategy": "group", "group_column": name})


def _time_advice(series: pd.Series, name: str) -> SplitAdvice | None:
    """Advice to split by time when ``series`` holds dates spread over more than a day."""
    times = _distinct_times(series)
    if len(times) < MIN_TIME_DISTINCT or times.max() - times.min() <= MIN_TIME_SPAN:
        return None
    first, last = _iso(times.min()), _iso(times.max())
    message = (f"'{name}' runs from {first} to {last} ({len(times)} distinct values). A random split trains on "
               f"later rows and tests on earlier ones, so the model learns from the future and the score is "
               f"overstated for new rows; split by time instead: train on the earlier rows, validate and test on "
               f"the later ones.")
    evidence = {"first": first, "last": last, "distinct": len(times)}
    return SplitAdvice("time", name, message, evidence, {"strategy": "time", "time_column": name})


def _distinct_times(series: pd.Series) -> pd.Series:
    """The distinct timestamps of ``series``, parsing each distinct text value once (fast on many rows)."""
    values = series.dropna().unique()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if pd.api.types.is_datetime64_any_dtype(series):
            parsed = pd.Series(values)
        else:
            parsed = pd.Series(pd.to_datetime(pd.Series(values, dtype=object), errors="coerce", format="mixed",
                                              utc=True))
    parsed = parsed.dropna()
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert(None)
    return pd.Series(np.unique(parsed.to_numpy()))


def _iso(moment: pd.Timestamp) -> str:
    """ISO text of ``moment``; just the date when it falls on midnight."""
    moment = pd.Timestamp(moment)
    return moment.date().isoformat() if moment == moment.normalize() else moment.isoformat()
