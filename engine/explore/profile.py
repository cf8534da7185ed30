"""Profiling: overview, per-column statistics, data-quality warnings, missingness, associations.

Compute here, render in ``engine.explore.plots``: these functions return plain data (NamedTuples, DataFrames).
Everything is vectorised; associations run on a sample of at most ``SAMPLE_ROWS`` rows and at most
``MAX_ASSOCIATION_COLUMNS`` columns (so a wide table costs memory linear in its cells, not quadratic in its
columns), chart data never holds more than about ``MAX_POINTS`` points, and each result says how many rows and
columns it used.

>>> import pandas as pd
>>> a = pd.Series(["x", "y", "x", "y"])
>>> cramers_v(a, a)
1.0
"""

from __future__ import annotations

import warnings
from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd

from engine.data.schema import ColumnInfo

__all__ = [
    "MAX_ASSOCIATION_COLUMNS",
    "MAX_POINTS",
    "METHODS",
    "SAMPLE_ROWS",
    "Associations",
    "BoxStats",
    "Distribution",
    "Finding",
    "MissingPattern",
    "Overview",
    "Profile",
    "ScatterInfo",
    "TargetView",
    "association_columns",
    "association_matrix",
    "box_stats",
    "class_imbalance",
    "column_distribution",
    "column_stats",
    "correlation_ratio",
    "cramers_v",
    "group_findings",
    "missing_pattern",
    "missing_table",
    "overview",
    "profile",
    "quality_warnings",
    "sample_rows",
    "scatter_info",
    "summarize",
    "target_association",
    "target_view",
    "top_pairs",
]

SAMPLE_ROWS = 200_000  # rows used for associations
MAX_POINTS = 5_000  # points shipped to one chart
MAX_ASSOCIATION_COLUMNS = 50  # columns of one association matrix: its cost grows with their square
_TOP_CATEGORIES = 30
_MAX_LEVELS = 50  # categories kept for Cramér's V / eta; rarer ones are lumped together
_NUMERIC = ("numeric", "boolean")
_LEAK = 0.98  # a single feature this associated with the target is probably derived from it
GROUP_OVER = 5  # more warnings than this of one check become one grouped warning
_GROUPED = {  # how a grouped warning says what its columns have in common
    "constant": "have a single value on every filled row",
    "near-constant": "have one value on at least 95% of filled rows",
    "missing": "are missing on at least half of the rows",
    "id-like": "look like identifiers (a different value on every row); leave them out of the features",
    "high cardinality": "have more than 50 distinct categories",
    "skewed": "are heavily skewed (|skew| > 2)",
    "zeros": "are 0 on 50% to 95% of filled rows",
    "mixed types": "mix numbers and text; they are kept as categorical",
    "target leak": "predict the target almost perfectly; check that they are known before the outcome",
}
_BOOL_MAP = {"true": 1.0, "yes": 1.0, "y": 1.0, "t": 1.0, "1": 1.0, "1.0": 1.0,
             "false": 0.0, "no": 0.0, "n": 0.0, "f": 0.0, "0": 0.0, "0.0": 0.0}
METHODS = ("pearson", "spearman", "mixed")


class Distribution(NamedTuple):
    """Counts per bin (numeric / datetime) or per category, ready to draw as bars."""

    column: str
    kind: str
    labels: list[str]
    counts: list[int]
    bin_edges: list[float] | None
    n_missing: int
    n_other: int  # rows in categories beyond the top ones shown


class Overview(NamedTuple):
    """The table at a glance."""

    n_rows: int
    n_columns: int
    memory_bytes: int
    n_duplicate_rows: int
    n_missing_cells: int
    kinds: dict[str, int]


class Finding(NamedTuple):
    """One data-quality warning: which check fired, on which column ("" for the table), and the evidence.

    A grouped warning (one check on many columns) has ``column`` "", every column in ``columns`` and each
    column's own message in ``details``.
    """

    check: str
    column: str
    message: str
    columns: tuple[str, ...] = ()
    details: tuple[str, ...] = ()


class Associations(NamedTuple):
    """A symmetric column-by-column association matrix, the rows it was computed on and, when the table had
    more suitable columns than the matrix holds, how many there were and how the kept ones were chosen
    (``ranked_by``: "variance" or "target")."""

    method: str
    matrix: pd.DataFrame
    n_rows: int
    n_total: int
    n_columns_total: int | None = None  # suitable columns of the table; None: the same as the matrix
    ranked_by: str = "variance"

    @property
    def note(self) -> str:
        """Which columns the matrix holds when it does not hold them all, e.g. for a page caption."""
        shown, total = len(self.matrix), self.n_columns_total
        if total is None or shown >= total:
            return ""
        if self.ranked_by == "target":
            return (f"Associations computed for the target and the {shown - 1:,} features most associated "
                    f"with it, of {total:,} columns.")
        return f"Associations computed for the {shown:,} most variable of {total:,} columns."


class BoxStats(NamedTuple):
    """Five numbers of a box plot; whiskers end at the furthest values within 1.5 IQR."""

    column: str
    low: float
    q1: float
    median: float
    q3: float
    high: float
    n_outliers: int


class MissingPattern(NamedTuple):
    """Which cells are missing in evenly spaced rows of the table."""

    columns: list[str]
    rows: list[int]
    is_missing: list[list[int]]
    n_total: int


class ScatterInfo(NamedTuple):
    """Sampled points of y against x, optional colour, and the least-squares line on all rows."""

    x: str
    y: str
    color: str | None
    xs: list[float]
    ys: list[float]
    colors: list | None
    slope: float | None
    intercept: float | None
    n_rows: int
    n_shown: int


class TargetView(NamedTuple):
    """A feature against the target: ``box`` per class, ``rate`` of each class, or ``mean`` target per group."""

    feature: str
    target: str
    mode: str
    labels: list[str]
    series: dict[str, list[float]]
    counts: list[int]


class Profile(NamedTuple):
    """Everything the Explore page and the report show, computed once."""

    overview: Overview
    stats: pd.DataFrame
    warnings: list[Finding]
    missing: pd.DataFrame
    correlations: dict[str, Associations]
    target: str | None
    task: str | None
    target_association: pd.DataFrame | None
    distributions: dict[str, Distribution]


# --- helpers ---------------------------------------------------------------------------------------


def _numeric(series: pd.Series, kind: str = "numeric") -> pd.Series:
    """Float view of a numeric or boolean column; anything else becomes missing."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    if kind == "boolean":
        return series.astype(str).str.strip().str.lower().map(_BOOL_MAP).astype(float)
    return pd.to_numeric(series, errors="coerce").astype(float)


def _codes(series: pd.Series) -> np.ndarray:
    """Integer codes (-1 for missing); beyond the ``_MAX_LEVELS`` most frequent, all share one code."""
    codes, uniques = pd.factorize(series)
    if len(uniques) > _MAX_LEVELS:
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        remap = np.full(len(uniques), _MAX_LEVELS)
        remap[np.argsort(-counts, kind="stable")[:_MAX_LEVELS]] = np.arange(_MAX_LEVELS)
        codes = np.where(codes >= 0, remap[codes.clip(0)], -1)
    return codes


def _sample(frame: pd.DataFrame, max_rows: int, random_state: int = 0) -> pd.DataFrame:
    return frame if len(frame) <= max_rows else frame.sample(max_rows, random_state=random_state)


def _cramers_v_codes(a: np.ndarray, b: np.ndarray) -> float:
    keep = (a >= 0) & (b >= 0)
    a, b = a[keep], b[keep]
    if not len(a):
        return float("nan")
    kb = int(b.max()) + 1
    table = np.bincount(a * kb + b, minlength=(int(a.max()) + 1) * kb).reshape(-1, kb).astype(float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if min(table.shape) < 2:
        return float("nan")
    n = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = ((table - expected) ** 2 / expected).sum()
    return float(min(1.0, np.sqrt(chi2 / n / (min(table.shape) - 1))))


def _eta_codes(codes: np.ndarray, values: np.ndarray) -> float:
    keep = (codes >= 0) & np.isfinite(values)
    codes, values = codes[keep], values[keep]
    if len(values) < 2:
        return float("nan")
    total = ((values - values.mean()) ** 2).sum()
    if total == 0:
        return float("nan")
    counts = np.bincount(codes)
    sums = np.bincount(codes, weights=values)
    used = counts > 0
    between = (counts[used] * (sums[used] / counts[used] - values.mean()) ** 2).sum()
    return float(min(1.0, np.sqrt(between / total)))


def cramers_v(a: pd.Series, b: pd.Series) -> float:
    """Cramér's V of two categorical columns: 0 independent, 1 each determines the other."""
    return _cramers_v_codes(_codes(a), _codes(b))


def correlation_ratio(categories: pd.Series, values: pd.Series) -> float:
    """Correlation ratio (eta): how much of a numeric column's variance the categories explain, in [0, 1]."""
    return _eta_codes(_codes(categories), _numeric(values).to_numpy())


# --- overview and per-column statistics ------------------------------------------------------------


def overview(frame: pd.DataFrame, schema: list[ColumnInfo]) -> Overview:
    """Rows, columns, memory, duplicate rows, missing cells and how many columns of each kind."""
    kinds: dict[str, int] = {}
    for info in schema:
        kinds[info.kind] = kinds.get(info.kind, 0) + 1
    return Overview(len(frame), frame.shape[1], int(frame.memory_usage(deep=True).sum()),
                    _n_duplicates(frame), int(frame.isna().sum().sum()), kinds)


def _n_duplicates(frame: pd.DataFrame) -> int:
    """Rows equal to an earlier row, found through one 64-bit hash per row."""
    if not frame.shape[1] or not len(frame):
        return 0
    return int(pd.util.hash_pandas_object(frame, index=False).duplicated().sum())


def summarize(frame: pd.DataFrame, schema: list[ColumnInfo]) -> pd.DataFrame:
    """One row per column: kind, missing, distinct, and numeric statistics or the top value."""
    columns = ["column", "kind", "missing", "missing_%", "distinct", "mean", "std", "min", "median", "max",
               "top", "top_count"]
    return column_stats(frame, schema).reindex(columns=columns)


def column_stats(frame: pd.DataFrame, schema: list[ColumnInfo]) -> pd.DataFrame:
    """One row per column: missing, distinct, mode and top values; moments and quantiles for numbers."""
    return _column_stats(frame, schema)[0]


_Counted = dict[str, tuple[np.ndarray, np.ndarray]]  # column -> its values and their counts, most frequent first


def _column_stats(frame: pd.DataFrame, schema: list[ColumnInfo]) -> tuple[pd.DataFrame, _Counted]:
    """``column_stats`` and the value counts behind it, which the profile's category charts reuse."""
    n = len(frame)
    missing = frame.isna().sum().to_dict()
    moments = _moments(_floats(frame, [c for c in schema if c.kind in _NUMERIC]), missing, n)
    counted = _number_value_counts(frame)
    counted.update({c.name: _value_counts(frame[c.name]) for c in schema if c.name not in counted})
    rows = [{**_counts_row(counted[info.name], info, n, int(missing[info.name])), **moments.get(info.name, {})}
            for info in schema]
    columns = ["column", "kind", "count", "missing", "missing_%", "distinct", "top", "top_count", "top_%",
               "top_values", "mean", "std", "variance", "min", "p5", "p25", "median", "p75", "p95", "max",
               "skew", "kurtosis", "zeros_%"]
    return pd.DataFrame(rows).reindex(columns=columns), counted


def _floats(frame: pd.DataFrame, infos: list[ColumnInfo]) -> pd.DataFrame:
    """The numeric and boolean columns of ``infos`` as one float block, so that reductions run column-wise at
    once (a frame read from a file holds one block per column)."""
    dtypes = frame.dtypes  # looked up by name: taking each column as a Series costs more than its sum
    direct = [c.name for c in infos if pd.api.types.is_numeric_dtype(dtypes[c.name])]
    block = pd.DataFrame(frame[direct].to_numpy(dtype=float), index=frame.index, columns=direct)
    if len(direct) == len(infos):
        return block
    done = set(direct)
    others = {c.name: _numeric(frame[c.name], c.kind) for c in infos if c.name not in done}
    block = pd.concat([block, pd.DataFrame(others, index=frame.index)], axis=1)
    return block[[c.name for c in infos]]


def _moments(block: pd.DataFrame, missing: dict, n: int) -> dict[str, dict]:
    """Moments, quantiles and the share of zeros of each column of a float block, computed column-wise at once."""
    filled = block.columns[block.notna().any().to_numpy()]
    block = block[filled]
    if not len(filled):
        return {}
    n_filled = np.array([n - missing[c] for c in filled], dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):  # ±inf makes moments undefined: NaN, and a warning says so
        q = block.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).to_numpy()
        table = pd.DataFrame({"mean": block.mean(), "std": block.std(), "variance": block.var(), "min": block.min(),
                              "max": block.max(), "p5": q[0], "p25": q[1], "median": q[2], "p75": q[3],
                              "p95": q[4], "skew": block.skew(), "kurtosis": block.kurt(),
                              "zeros_%": (100 * (block == 0).sum().to_numpy() / n_filled).round(2)}, index=filled)
    return table.to_dict("index")


def _counts_row(counted: tuple[np.ndarray, np.ndarray], info: ColumnInfo, n: int, missing: int) -> dict:
    values, counts = counted
    row = {"column": info.name, "kind": info.kind, "count": n - missing, "missing": missing,
           "missing_%": round(100 * missing / n, 2) if n else 0.0, "distinct": len(counts)}
    if len(counts):
        shares = 100 * counts[:3] / (n - missing)
        row.update({"top": str(values[0]), "top_count": int(counts[0]), "top_%": round(float(shares[0]), 2)},
                   top_values=", ".join(f"{k} ({v:.0f}%)" for k, v in zip(values[:3], shares, strict=True)))
    return row


_BLOCK_CELLS = 2_000_000  # plain number columns are counted from arrays of about this many cells


def _number_value_counts(frame: pd.DataFrame) -> _Counted:
    """``_value_counts`` of every plain int / float column, read from one array per block of columns: taking
    each of 10,000 columns as a Series costs more than counting it."""
    by_dtype: dict[np.dtype, list[int]] = {}
    for i, dtype in enumerate(frame.dtypes):
        if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            by_dtype.setdefault(dtype, []).append(i)
    step = max(1, _BLOCK_CELLS // max(len(frame), 1))
    counted = {}
    for positions in by_dtype.values():
        for start in range(0, len(positions), step):
            chunk = positions[start:start + step]
            block = frame.iloc[:, chunk].to_numpy()
            for name, values in zip(frame.columns[chunk], block.T, strict=True):
                counted[name] = _sorted_counts(values)
    return counted


def _value_counts(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Values and their counts, most frequent first; sort-based for numbers (much faster than hashing floats)."""
    if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
        counts = series.value_counts(dropna=True)
        return counts.index.to_numpy(), counts.to_numpy()
    return _sorted_counts(series.to_numpy())


def _sorted_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values, counts = np.unique(values[~pd.isna(values)], return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return values[order], counts[order]


def box_stats(frame: pd.DataFrame, column: str) -> BoxStats:
    """Quartiles, whiskers and the number of values beyond them, from every row."""
    values = _numeric(frame[column]).dropna()
    q1, median, q3 = values.quantile([0.25, 0.5, 0.75]).tolist()
    reach = 1.5 * (q3 - q1)
    inside = values[(values >= q1 - reach) & (values <= q3 + reach)]
    return BoxStats(column, float(inside.min()), q1, median, q3, float(inside.max()), len(values) - len(inside))


def _datetimes(series: pd.Series) -> pd.Series:
    """Parse dates; the ISO 8601 fast path covers most files, ``mixed`` the rest."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    try:
        return pd.to_datetime(series, errors="raise", format="ISO8601")
    except (ValueError, TypeError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pd.to_datetime(series, errors="coerce", format="mixed")


def column_distribution(frame: pd.DataFrame, info: ColumnInfo, bins: int = 30) -> Distribution:
    """Histogram bins for numeric columns, counts over time for dates, top categories for the others."""
    series = frame[info.name]
    n_missing = int(series.isna().sum())
    if info.kind == "numeric":
        histogram = _histogram(info.name, _numeric(series).to_numpy(dtype=float), n_missing, bins)
        if histogram is not None:
            return histogram
    if info.kind == "datetime":
        values = _datetimes(series).dropna()
        if len(values):
            span = (values.max() - values.min()).days
            period = "D" if span <= 31 else "M" if span <= 365 * 20 else "Y"
            counts = values.dt.to_period(period).value_counts().sort_index()
            counts.index = counts.index.astype(str)
            return Distribution(info.name, "datetime", counts.index.tolist(), counts.tolist(), None, n_missing, 0)
    counts = series.dropna().astype(str).value_counts()
    return _category_distribution(info.name, counts.index.to_numpy(), counts.to_numpy(), n_missing)


def _category_distribution(name: str, values: np.ndarray, counts: np.ndarray, n_missing: int) -> Distribution:
    """The most frequent categories (``values`` and ``counts`` most frequent first) and the rest's count."""
    return Distribution(name, "categorical", values[:_TOP_CATEGORIES].tolist(), counts[:_TOP_CATEGORIES].tolist(),
                        None, n_missing, int(counts[_TOP_CATEGORIES:].sum()))


def _histogram(name: str, values: np.ndarray, n_missing: int, bins: int) -> Distribution | None:
    """Histogram bins of a numeric column's finite values; None when they hold fewer than two distinct values."""
    values = values[np.isfinite(values)]  # drops the missing ones too
    if not len(values) or values.min() == values.max():
        return None
    counts, edges = np.histogram(values, bins=bins)
    labels = [f"{edges[i]:.4g} – {edges[i + 1]:.4g}" for i in range(len(counts))]
    return Distribution(name, "numeric", labels, counts.tolist(), edges.tolist(), n_missing, 0)


# --- missing values --------------------------------------------------------------------------------


def missing_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing cells per column, most first."""
    missing = frame.isna().sum()
    table = pd.DataFrame({"column": [str(c) for c in frame.columns], "missing": missing.to_numpy(dtype=int),
                          "missing_%": (100 * missing / max(len(frame), 1)).round(2).to_numpy()})
    return table.sort_values("missing", ascending=False, kind="stable").reset_index(drop=True)


def missing_pattern(frame: pd.DataFrame, max_cells: int = MAX_POINTS) -> MissingPattern:
    """Missing cells of evenly spaced rows, so that rows × columns stays within ``max_cells``."""
    n_rows = min(len(frame), max(1, max_cells // max(frame.shape[1], 1)))
    positions = np.unique(np.linspace(0, len(frame) - 1, n_rows).round().astype(int)) if len(frame) else []
    cells = frame.iloc[positions].isna().to_numpy(dtype=int)
    return MissingPattern([str(c) for c in frame.columns], [int(p) for p in positions], cells.tolist(), len(frame))


# --- associations ----------------------------------------------------------------------------------


def association_matrix(frame: pd.DataFrame, schema: list[ColumnInfo], method: str = "pearson",
                       max_rows: int = SAMPLE_ROWS, random_state: int = 0,
                       max_columns: int = MAX_ASSOCIATION_COLUMNS, prefer: list[str] | None = None,
                       variability: pd.Series | None = None) -> Associations:
    """Pearson or Spearman between numeric columns, or ``mixed``: |Pearson| between numbers, Cramér's V
    between categories (booleans count as categories) and the correlation ratio between the two.

    Of more than ``max_columns`` suitable columns, the matrix keeps those named first in ``prefer`` (e.g. the
    target and the features most associated with it), then the most variable (``association_columns``, which
    takes ``variability`` when computed already, e.g. for several methods on the same rows).
    """
    if method not in METHODS:
        raise ValueError(f"The 'method' parameter of association_matrix must be one of {METHODS}. Got {method!r}.")
    if max_columns < 2:
        raise ValueError(f"The 'max_columns' parameter of association_matrix must be an int >= 2. "
                         f"Got {max_columns!r} instead.")
    kinds = _NUMERIC if method != "mixed" else (*_NUMERIC, "categorical")
    suitable = [c for c in schema if c.kind in kinds and c.name in frame.columns]
    sample = _sample(frame[[c.name for c in suitable]], max_rows, random_state)  # text ids are costly
    kept = association_columns(sample, suitable, max_columns, prefer, variability)
    ranked_by = "target" if prefer and len(suitable) > max_columns else "variance"
    found = partial(Associations, n_rows=len(sample), n_total=len(frame), n_columns_total=len(suitable),
                    ranked_by=ranked_by)
    if method != "mixed":
        data = _floats(sample, kept)
        ranked = data.rank() if method == "spearman" else data  # Spearman = Pearson of ranks, much faster
        return found(method, ranked.corr())
    numbers = {c.name: _numeric(sample[c.name]).to_numpy() for c in kept if c.kind == "numeric"}
    labels = {c.name: _codes(sample[c.name]) for c in kept if c.kind in ("boolean", "categorical")}
    names = list(numbers) + list(labels)
    matrix = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    if numbers:
        matrix.loc[list(numbers), list(numbers)] = pd.DataFrame(numbers).corr().abs().to_numpy()
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if a in labels and b in labels:
                matrix.loc[a, b] = matrix.loc[b, a] = _cramers_v_codes(labels[a], labels[b])
            elif b in labels:  # numbers come first, so a is numeric
                matrix.loc[a, b] = matrix.loc[b, a] = _eta_codes(labels[b], numbers[a])
    return found(method, matrix)


def association_columns(frame: pd.DataFrame, schema: list[ColumnInfo], max_columns: int = MAX_ASSOCIATION_COLUMNS,
                        prefer: list[str] | None = None, variability: pd.Series | None = None) -> list[ColumnInfo]:
    """At most ``max_columns`` of ``schema``, in schema order: those named in ``prefer`` first (in its order),
    then the most variable. Numbers rank by variance, categories and booleans by Gini impurity (the chance
    that two random rows differ); each group gets its share of the places. ``variability`` (those
    scores by column name, for at least the columns of ``schema``) saves computing them again.

    >>> frame = pd.DataFrame({"flat": [1.0, 1.0, 1.1], "wide": [0.0, 5.0, 9.0], "c": ["a", "b", "a"]})
    >>> schema = [ColumnInfo(n, k, "", 0, 3) for n, k in [("flat", "numeric"), ("wide", "numeric"),
    ...                                                    ("c", "categorical")]]
    >>> [c.name for c in association_columns(frame, schema, 2)]
    ['wide', 'c']
    """
    if len(schema) <= max_columns:
        return list(schema)
    names = {c.name for c in schema}
    chosen = list(dict.fromkeys(n for n in (prefer or []) if n in names))[:max_columns]
    taken = set(chosen)
    rest = [c for c in schema if c.name not in taken]
    places = max_columns - len(chosen)
    numbers = [c for c in rest if c.kind == "numeric"]
    categories = [c for c in rest if c.kind != "numeric"]
    n_numbers = min(len(numbers), max(places - len(categories), round(places * len(numbers) / max(len(rest), 1))))
    if variability is None:
        variability = _variability(frame, rest)
    spread = variability[[c.name for c in numbers]]
    chosen += spread.sort_values(ascending=False, kind="stable", na_position="last").index[:n_numbers].tolist()
    impurity = variability[[c.name for c in categories]]
    chosen += impurity.sort_values(ascending=False, kind="stable").index[:places - n_numbers].tolist()
    kept = set(chosen)
    return [c for c in schema if c.name in kept]


def _variability(frame: pd.DataFrame, schema: list[ColumnInfo]) -> pd.Series:
    """How much each column varies, as ``association_columns`` ranks them: the variance of a numeric column,
    the Gini impurity of any other."""
    numbers = [c for c in schema if c.kind == "numeric"]
    spread = _floats(frame, numbers).var()
    impurity = pd.Series({c.name: _gini(frame[c.name]) for c in schema if c.kind != "numeric"}, dtype=float)
    return pd.concat([spread, impurity])


def _gini(series: pd.Series) -> float:
    """Gini impurity of a column's filled values: 0 when one value, towards 1 with many even ones."""
    codes = pd.factorize(series)[0]  # quicker than value_counts, which also builds an index of the values
    codes = codes[codes >= 0]
    if not len(codes):
        return 0.0
    shares = np.sort(np.bincount(codes))[::-1] / len(codes)  # most frequent first, as value_counts sums them
    return float(1 - (shares**2).sum())


def top_pairs(assoc: Associations, n: int = 10) -> pd.DataFrame:
    """The ``n`` most strongly associated pairs of different columns."""
    matrix = assoc.matrix
    upper = np.triu_indices(len(matrix), 1)
    pairs = pd.DataFrame({"column_a": matrix.index[upper[0]], "column_b": matrix.columns[upper[1]],
                          assoc.method: matrix.to_numpy()[upper]}).dropna()
    order = pairs[assoc.method].abs().sort_values(ascending=False, kind="stable").index
    return pairs.loc[order].head(n).reset_index(drop=True)


def target_association(frame: pd.DataFrame, schema: list[ColumnInfo], target: str, task: str,
                       max_rows: int = SAMPLE_ROWS, random_state: int = 0) -> pd.DataFrame:
    """Each feature's association with the target in [0, 1], strongest first, with the measure used."""
    used = [c.name for c in schema if (c.kind not in ("datetime", "identifier") and c.name in frame.columns)
            or c.name == target]
    sample = _sample(frame[used], max_rows, random_state)
    kinds = {c.name: c.kind for c in schema}
    classify = task == "classification"
    y = _codes(sample[target]) if classify else _numeric(sample[target], kinds[target]).to_numpy()
    rows = []
    for info in schema:
        if info.name == target or info.kind in ("datetime", "identifier") or info.name not in sample.columns:
            continue
        if info.kind == "numeric":
            x = _numeric(sample[info.name]).to_numpy()
            measure, value = ("correlation ratio", _eta_codes(y, x)) if classify else ("|pearson|", _abs_r(x, y))
        else:
            x = _codes(sample[info.name])
            measure, value = ("cramér's v", _cramers_v_codes(x, y)) if classify else (
                "correlation ratio", _eta_codes(x, y))
        rows.append({"feature": info.name, "kind": info.kind, "measure": measure, "association": value})
    table = pd.DataFrame(rows, columns=["feature", "kind", "measure", "association"])
    return table.sort_values("association", ascending=False, kind="stable", na_position="last").reset_index(
        drop=True)


def _abs_r(x: np.ndarray, y: np.ndarray) -> float:
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(abs(np.corrcoef(x, y)[0, 1]))


# --- warnings --------------------------------------------------------------------------------------


def quality_warnings(stats: pd.DataFrame, view: Overview, target: str | None = None,
                     association: pd.DataFrame | None = None,
                     schema: list[ColumnInfo] | None = None) -> list[Finding]:
    """Data-quality warnings with their evidence, from the statistics already computed."""
    found = []
    if view.n_duplicate_rows:
        share = view.n_duplicate_rows / view.n_rows
        found.append(Finding("duplicates", "", f"{view.n_duplicate_rows:,} duplicate rows ({share:.1%} of rows)."))
    for row in stats.to_dict("records"):
        found += _column_findings(row, view.n_rows, row["column"] == target)
    for info in schema or []:
        if "mixes" in info.note:
            found.append(Finding("mixed types", info.name, f"'{info.name}' {info.note}."))
    if association is not None:
        for row in association[association["association"] >= _LEAK].to_dict("records"):
            found.append(Finding("target leak", row["feature"], (
                f"'{row['feature']}' predicts the target '{target}' almost perfectly ({row['measure']} "
                f"{row['association']:.3f}); check that it is known before the outcome.")))
    return group_findings(found)


def group_findings(findings: list[Finding], over: int = GROUP_OVER, named: int = 3) -> list[Finding]:
    """One warning per check that fired on more than ``over`` columns, naming the count and the first ``named``.

    The grouped warning takes the place of the first one of its check and keeps every column and message.

    >>> many = [Finding("skewed", c, f"'{c}' is skewed.") for c in "abcdefg"]
    >>> [grouped] = group_findings(many)
    >>> grouped.message, grouped.columns[-1]
    ("7 columns are heavily skewed (|skew| > 2): 'a', 'b', 'c' and 4 more.", 'g')
    """
    by_check: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.column:
            by_check.setdefault(finding.check, []).append(finding)
    out = []
    for finding in findings:
        same = by_check.get(finding.check, []) if finding.column else []
        if len(same) <= over:
            out.append(finding)
        elif finding is same[0]:
            columns = tuple(f.column for f in same)
            names = ", ".join(f"'{c}'" for c in columns[:named])
            what = _GROUPED.get(finding.check, f"have the warning '{finding.check}'")
            out.append(Finding(finding.check, "", f"{len(columns):,} columns {what}: {names} and "
                               f"{len(columns) - named:,} more.", columns, tuple(f.message for f in same)))
    return out


def _column_findings(row: dict, n_rows: int, is_target: bool) -> list[Finding]:
    name, distinct, count = row["column"], row["distinct"], row["count"]
    found = []
    if count and distinct <= 1:
        found.append(Finding("constant", name, f"'{name}' has a single value ({row['top']}) on every filled row."))
    elif count and row["top_%"] >= 95 and not is_target:  # for the target, class imbalance says it
        found.append(Finding("near-constant", name,
                             f"'{name}' is '{row['top']}' on {row['top_%']:.1f}% of filled rows."))
    if row["missing_%"] >= 50:
        found.append(Finding("missing", name, f"'{name}' is missing on {row['missing_%']:.1f}% of rows."))
    if is_target:
        return found
    unique = count >= 20 and distinct == count
    if row["kind"] == "identifier" or (unique and row["kind"] not in ("numeric", "datetime")):
        found.append(Finding("id-like", name, f"'{name}' has {distinct:,} distinct values in {count:,} filled rows "
                             "(an identifier); leave it out of the features."))
    elif row["kind"] in ("categorical", "text") and distinct > 50:
        found.append(Finding("high cardinality", name, f"'{name}' has {distinct:,} distinct categories."))
    if row["kind"] == "numeric" and np.isinf([row.get("min", np.nan), row.get("max", np.nan)]).any():
        found.append(Finding("infinite", name, f"'{name}' holds infinite values (from {row['min']} to {row['max']}); "
                             "training and scoring read them as missing."))
    if row["kind"] == "numeric" and pd.notna(row["skew"]) and abs(row["skew"]) > 2:
        found.append(Finding("skewed", name, f"'{name}' is heavily skewed (skew {row['skew']:.2f})."))
    if row["kind"] == "numeric" and pd.notna(row["zeros_%"]) and 50 <= row["zeros_%"] < 95:
        found.append(Finding("zeros", name, f"'{name}' is 0 on {row['zeros_%']:.1f}% of filled rows."))
    return found


def class_imbalance(series: pd.Series, target: str) -> list[Finding]:
    """A warning when the smallest class holds under 10% of the labelled rows."""
    counts = series.value_counts(dropna=True)
    if len(counts) < 2:
        return []
    share = counts.iloc[-1] / counts.sum()
    if share >= 0.1:
        return []
    return [Finding("class imbalance", target, (
        f"The smallest class of '{target}' ('{counts.index[-1]}') has {int(counts.iloc[-1]):,} rows "
        f"({share:.1%}); the largest has {int(counts.iloc[0]):,}. Prefer ROC AUC / F1 to accuracy."))]


# --- the whole profile -----------------------------------------------------------------------------


def profile(frame: pd.DataFrame, schema: list[ColumnInfo], target: str | None = None, task: str | None = None,
            max_rows: int = SAMPLE_ROWS) -> Profile:
    """Overview, statistics, warnings, missingness, associations and distributions of a table."""
    view = overview(frame, schema)
    stats, counted = _column_stats(frame, schema)
    view_missing = dict(zip(stats["column"], stats["missing"].astype(int), strict=True))
    target = target if target in frame.columns else None
    # Sample once for every association measure (each would otherwise draw the same rows again).
    keep = [c.name for c in schema if c.kind not in ("identifier", "datetime") or c.name == target]
    sampled = _sample(frame[keep], max_rows)
    association = target_association(sampled, schema, target, task, max_rows) if target and task else None
    findings = quality_warnings(stats, view, target, association, schema)
    if target and task == "classification":
        findings += class_imbalance(frame[target], target)
    prefer = None if association is None else [target, *association["feature"]]
    # Columns are ranked once for every method (the mixed method's columns include the others').
    rankable = [c for c in schema if c.kind in (*_NUMERIC, "categorical") and c.name in sampled.columns]
    variability = _variability(sampled, rankable) if len(rankable) > MAX_ASSOCIATION_COLUMNS else None
    correlations = {m: association_matrix(sampled, schema, m, max_rows, prefer=prefer, variability=variability)
                    ._replace(n_total=len(frame)) for m in METHODS}
    # Numeric histograms from one float block: a wide table spends most of its time in per-column overhead.
    numbers = [c for c in schema if c.kind == "numeric"]
    by_column = np.ascontiguousarray(_floats(frame, numbers).to_numpy().T)
    histograms = {c.name: _histogram(c.name, values, view_missing[c.name], 30)
                  for c, values in zip(numbers, by_column, strict=True)}
    # The value counts of text columns are those column_distribution would count again (text stays text).
    dtypes = frame.dtypes
    distributions = {c.name: histograms.get(c.name) or (
        _category_distribution(c.name, *counted[c.name], view_missing[c.name])
        if c.kind not in ("numeric", "datetime") and isinstance(dtypes[c.name], pd.StringDtype)
        else column_distribution(frame, c)) for c in schema}
    return Profile(view, stats, findings, missing_table(frame), correlations, target, task, association,
                   distributions)


# --- relationships ---------------------------------------------------------------------------------


def sample_rows(frame: pd.DataFrame, columns: list[str], max_rows: int = MAX_POINTS,
                random_state: int = 0) -> pd.DataFrame:
    """At most ``max_rows`` rows of ``columns``, sampled with a fixed seed."""
    return _sample(frame[columns], max_rows, random_state)


def scatter_info(frame: pd.DataFrame, x: str, y: str, color: str | None = None, max_points: int = MAX_POINTS,
                 random_state: int = 0) -> ScatterInfo:
    """Points of y against x (sampled) and the least-squares line y = slope·x + intercept (all rows)."""
    xs, ys = _numeric(frame[x]), _numeric(frame[y])
    keep = xs.notna() & ys.notna() & np.isfinite(xs) & np.isfinite(ys)
    xv, yv = xs[keep].to_numpy(), ys[keep].to_numpy()
    slope = intercept = None
    if len(xv) >= 2 and xv.var() > 0:
        slope = float(((xv - xv.mean()) * (yv - yv.mean())).sum() / ((xv - xv.mean()) ** 2).sum())
        intercept = float(yv.mean() - slope * xv.mean())
    index = keep[keep].index
    if len(index) > max_points:
        index = pd.Index(np.random.default_rng(random_state).choice(index, max_points, replace=False))
    colors = None
    if color:
        values = frame.loc[index, color]
        colors = values.astype(float).tolist() if pd.api.types.is_numeric_dtype(values) else values.astype(
            str).tolist()
    return ScatterInfo(x, y, color, xs.loc[index].tolist(), ys.loc[index].tolist(), colors, slope, intercept,
                       int(keep.sum()), len(index))


def target_view(frame: pd.DataFrame, feature: ColumnInfo, target: str, task: str, bins: int = 10) -> TargetView:
    """Box per class (numeric feature, classification), class shares per category, or mean target per bin."""
    classify = task == "classification"
    y = frame[target].astype(str).where(frame[target].notna()) if classify else _numeric(frame[target])
    if feature.kind == "numeric":
        x = _numeric(frame[feature.name])
        if classify:
            return _box_per_class(x, y, feature.name, target)
        groups = pd.qcut(x, bins, duplicates="drop").astype(str).where(x.notna())
    else:
        x = frame[feature.name].astype(str).where(frame[feature.name].notna())
        top = x.value_counts().head(_TOP_CATEGORIES).index
        groups = x.where(x.isin(top), "(other)").where(x.notna())
    data = pd.DataFrame({"g": groups, "y": y}).dropna()
    counts = data.groupby("g", sort=False).size()
    if feature.kind == "numeric":
        counts = counts.reindex(sorted(counts.index, key=lambda s: float(s.split(",")[0].strip("(["))))
    else:
        counts = counts.sort_values(ascending=False)
    if classify:
        shares = pd.crosstab(data["g"], data["y"], normalize="index").reindex(counts.index)
        series = {str(c): shares[c].round(4).tolist() for c in shares.columns}
        return TargetView(feature.name, target, "rate", counts.index.tolist(), series, counts.tolist())
    means = data.groupby("g")["y"].mean().reindex(counts.index)
    return TargetView(feature.name, target, "mean", counts.index.tolist(), {"mean": means.tolist()},
                      counts.tolist())


def _box_per_class(x: pd.Series, y: pd.Series, feature: str, target: str) -> TargetView:
    data = pd.DataFrame({"x": x, "y": y}).dropna()
    grouped = data.groupby("y")["x"]
    q = grouped.quantile([0.25, 0.5, 0.75]).unstack()
    reach = 1.5 * (q[0.75] - q[0.25])
    low_fence, high_fence = data["y"].map(q[0.25] - reach), data["y"].map(q[0.75] + reach)
    inside = data[(data["x"] >= low_fence) & (data["x"] <= high_fence)].groupby("y")["x"]
    series = {"low": inside.min().reindex(q.index).tolist(), "q1": q[0.25].tolist(), "median": q[0.5].tolist(),
              "q3": q[0.75].tolist(), "high": inside.max().reindex(q.index).tolist()}
    return TargetView(feature, target, "box", [str(i) for i in q.index], series, grouped.size().tolist())
