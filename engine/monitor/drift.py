"""Data drift: compare incoming rows with a compact profile of the training rows.

Monitoring never needs the training file again: ``reference_profile`` keeps, per feature, what the tests
below need (quantile bins and their shares, category counts, missing rate, range, a small sorted sample),
plus the same for the model's predictions. ``drift_report`` scores a new batch against it.

Statistics, per feature (the ``STATISTICS`` table: one entry each)
    - PSI (population stability index) for every kind: ``sum((c - r) * ln(c / r))`` over buckets whose
      shares are floored at ``1e-4`` so an empty bucket does not make it infinite. Numeric (and datetime, as
      seconds) features use the reference deciles as bucket edges and compare non-missing values; categorical,
      boolean and text features use the reference's 50 most frequent categories plus an "other" and a
      "missing" bucket.
    - Kolmogorov-Smirnov (numeric): ``scipy.stats.ks_2samp`` between the stored reference sample (at most
      500 values) and at most 50,000 current values (seeded subsample). The 500-value sample limits power:
      at p = 0.01 it detects a gap of about 0.075 between the two cumulative distributions, no finer.
    - Chi-square (categorical): ``scipy.stats.chi2_contingency`` on the 2 x buckets table of reference and
      current counts (both are samples, so a goodness-of-fit test against fixed shares would over-alarm).
    - Jensen-Shannon distance (categorical): ``scipy.spatial.distance.jensenshannon`` on the bucket shares,
      base 2, so it lies in [0, 1].

Adding a drift statistic
    One ``DriftStatistic`` entry in ``STATISTICS``: its label, the profile types it applies to ("numeric" for
    numbers and dates, "categorical"), a ``compute`` function from the ``Buckets`` of one feature to its report
    columns, and its role: an effect size judged against warn / alert thresholds (larger is worse), or a test
    whose p-value below ``p_value`` makes a warning. A new threshold is a field of ``DriftThresholds``, named in
    the entry. The report's columns and the verdicts follow the table; the Monitor page's table and threshold form
    read ``report_columns()`` and each entry's label, name and threshold fields. ``tests/engine/
    test_drift_statistics.py`` shows a new entry flowing into a report.

Verdict rules (``DriftThresholds`` holds every number)
    1. Fewer than ``min_rows`` incoming rows, or fewer than ``min_values`` non-missing values of a feature:
       "too few rows", never "alert" (a test on so few values means nothing).
    2. "alert" when PSI >= ``psi_alert``, or (categorical) JS >= ``js_alert``, or the missing rate rose by
       ``missing_jump`` or more (a column that empties is a broken feed, even with few values left), or
       the column is absent.
    3. "warn" when PSI >= ``psi_warn`` or (categorical) JS >= ``js_warn``.
       In 2 and 3 the effect size must stand clear of chance and the test must agree: PSI is compared less its
       expected value when nothing drifted, (buckets - 1) * (1/n + 1/N) for n new and N reference values (about
       0.05 at n = 200 and 10 bins), and a PSI or JS verdict needs the KS or chi-square p-value below ``p_value``
       too. Without both, a few hundred rows of the training distribution itself warn one batch in seven.
    4. A test p-value (KS or chi-square) on its own only makes "warn", and only when far beyond chance (below
       ``p_value`` / 100): on large batches every tiny, harmless shift is "significant", so the effect sizes
       (PSI, JS) decide the alerts.
    5. Otherwise "ok".

Overall verdict: "too few rows" below ``min_rows`` rows; "alert" when the share of features in alert
(``share_drifted``) reaches ``share_alert`` or the predictions are in alert; "warn" when any feature or the
predictions warn or alert; else "ok". Data-quality findings (schema, new categories, out-of-range values,
missing-rate jumps) are listed as plain sentences in ``DriftReport.quality``.

Pure pandas / numpy / scipy; no I/O. Everything is vectorised (``np.searchsorted``, ``np.bincount``,
``pd.factorize`` on distinct values only), so a million rows of twenty features take a second or two.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, ks_2samp

from engine.data.schema import convert_series
from engine.errors import DriftError

__all__ = [
    "STATISTICS",
    "VERDICTS",
    "Buckets",
    "DriftReport",
    "DriftStatistic",
    "DriftThresholds",
    "bucket_shares",
    "drift_report",
    "features_by_drift",
    "reference_profile",
    "report_columns",
    "window_keys",
    "windowed_drift",
]

FORMAT_VERSION = 1
VERDICTS = ("ok", "warn", "alert", "too few rows")
PREDICTION = "prediction"
_RANK = {"ok": 0, "too few rows": 0, "warn": 1, "alert": 2}
_EPS = 1e-4  # share floor of a PSI bucket
_TOP = 50  # categories kept per feature
_SAMPLE = 500  # reference values kept for KS
_KS_MAX = 50_000  # current values KS looks at
_NUMERIC = ("numeric", "datetime")
_SEED = 0
_TEST_ALONE = 100  # a test without the effect size warns only below p_value / this (rule 4)


@dataclass
class DriftThresholds:
    """The numbers behind every verdict; stored per project as JSON (``to_dict`` / ``from_dict``)."""

    psi_warn: float = 0.1
    psi_alert: float = 0.25
    p_value: float = 0.01
    js_warn: float = 0.1
    js_alert: float = 0.2
    missing_jump: float = 0.1
    min_rows: int = 100
    share_alert: float = 0.3
    min_values: int = 20

    def __post_init__(self) -> None:
        for name in ("psi_warn", "psi_alert", "p_value", "js_warn", "js_alert", "missing_jump", "share_alert"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 10:
                raise DriftError(f"The '{name}' drift threshold must be a number in [0, 10]. Got {value!r} instead.")
        for name in ("min_rows", "min_values"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DriftError(f"The '{name}' drift threshold must be a whole number >= 1. Got {value!r} instead.")
        pairs = [(s.warn, s.alert) for s in STATISTICS.values() if s.role == "effect"]
        if any(getattr(self, warn) > getattr(self, alert) for warn, alert in pairs):
            got = ", ".join(f"{name}={getattr(self, name)}" for pair in pairs for name in pair)
            raise DriftError(f"Warn thresholds must not exceed alert thresholds, but got {got}.")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict | None) -> DriftThresholds:
        """Thresholds from a (possibly partial) dict; missing keys keep their defaults."""
        values = dict(values or {})
        unknown = sorted(set(values) - {f.name for f in fields(cls)})
        if unknown:
            raise DriftError(f"Unknown drift thresholds {unknown}; use {[f.name for f in fields(cls)]}.")
        return cls(**values)


@dataclass
class DriftReport:
    """One batch compared with a reference: a row per feature, the predictions, data quality, the verdict."""

    features: pd.DataFrame
    prediction: dict | None
    quality: list[str]
    share_drifted: float
    overall: str
    n_rows: int
    thresholds: DriftThresholds = field(default_factory=DriftThresholds)

    @property
    def message(self) -> str:
        """One sentence for a banner or the command line."""
        counts = self.features["verdict"].value_counts()
        if self.overall == "too few rows":
            return f"Only {self.n_rows} rows: too few to judge drift (at least {self.thresholds.min_rows} needed)."
        text = (f"{self.overall.upper()}: {int(counts.get('alert', 0))} of {len(self.features)} features in alert "
                f"({self.share_drifted:.0%}), {int(counts.get('warn', 0))} warn")
        if self.prediction is not None:
            text += f"; predictions {self.prediction['verdict']}"
        found = len(self.quality)
        return text + f"; {found} data-quality finding{'' if found == 1 else 's'}."

    def to_dict(self) -> dict:
        """JSON-serialisable form (the ``drift.json`` of ``python -m engine drift``); NaN becomes null."""
        return {"format_version": FORMAT_VERSION, "overall": self.overall, "message": self.message,
                "n_rows": self.n_rows, "share_drifted": self.share_drifted,
                "features": [_clean(row) for row in self.features.to_dict("records")],
                "prediction": None if self.prediction is None else _clean(self.prediction),
                "quality": list(self.quality), "thresholds": self.thresholds.to_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> DriftReport:
        """Rebuild a report saved with ``to_dict``."""
        try:
            frame = pd.DataFrame(data["features"], columns=_COLUMNS).astype(
                {c: float for c in _COLUMNS if c not in ("name", "kind", "verdict", "reason", "n_values")})
            return cls(frame, data["prediction"], list(data["quality"]), float(data["share_drifted"]),
                       data["overall"], int(data["n_rows"]), DriftThresholds.from_dict(data["thresholds"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise DriftError(f"This is not a drift report saved by the workbench ({exc!r}).") from exc


def _clean(row: dict) -> dict:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else _plain(v)) for k, v in row.items()}


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


# -- reference profile ---------------------------------------------------------------------------------------------

def reference_profile(frame: pd.DataFrame, features: list[dict], predictions: pd.DataFrame | None = None,
                      bins: int = 10, *, task: str | None = None) -> dict:
    """A compact, JSON-serialisable profile of the training rows and of the model's predictions on them.

    ``features`` are a model card's ``{"name", "kind", ...}`` dicts; identifier columns are skipped.
    ``task`` ("classification" / "regression") says how to profile ``predictions["prediction"]``; without it
    a numeric prediction with more than 20 distinct values counts as a regression.

    >>> frame = pd.DataFrame({"age": range(200), "plan": ["a", "b"] * 100})
    >>> profile = reference_profile(frame, [{"name": "age", "kind": "numeric"}, {"name": "plan", "kind": "text"}])
    >>> profile["features"]["age"]["edges"][:3], profile["features"]["plan"]["categories"]
    ([19.0, 39.0, 59.0], ['a', 'b'])
    """
    if not isinstance(bins, int) or not 2 <= bins <= 100:
        raise DriftError(f"The 'bins' parameter of reference_profile must be an int in [2, 100]. Got {bins!r}.")
    if frame.empty:
        raise DriftError("The reference rows are empty; a reference profile needs the training rows.")
    profiles = {}
    for feature in features:
        name, kind = feature["name"], feature.get("kind", "numeric")
        if kind == "identifier" or name not in frame.columns:
            continue
        profiles[name] = _profile_series(frame[name], kind, bins)
    out = {"format_version": FORMAT_VERSION, "n_rows": int(len(frame)), "bins": bins, "features": profiles,
           "prediction": None}
    if predictions is not None and PREDICTION in predictions.columns and len(predictions):
        out["prediction"] = _profile_series(predictions[PREDICTION], _prediction_kind(predictions[PREDICTION], task),
                                            bins)
    return out


def _prediction_kind(series: pd.Series, task: str | None) -> str:
    if task is not None:
        return "numeric" if task == "regression" else "categorical"
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    return "numeric" if numeric and series.nunique() > 20 else "categorical"


def _profile_series(series: pd.Series, kind: str, bins: int) -> dict:
    if kind in _NUMERIC:
        return _numeric_profile(_numbers(series, kind)[0], kind, len(series), bins)
    codes, labels = _labels(series, kind)
    counts = np.bincount(codes[codes >= 0], minlength=len(labels))
    order = np.argsort(-counts, kind="stable")[:_TOP]
    n_missing = int((codes < 0).sum())
    bucket_counts = [int(c) for c in counts[order]] + [int(counts.sum() - counts[order].sum()), n_missing]
    return {"kind": kind, "type": "categorical", "n_rows": int(len(series)), "missing": n_missing / len(series),
            "categories": [labels[i] for i in order], "counts": bucket_counts,
            "shares": [c / len(series) for c in bucket_counts], "complete": len(labels) <= _TOP,
            "n_categories": len(labels)}


def _numeric_profile(values: np.ndarray, kind: str, n_rows: int, bins: int) -> dict:
    present = values[~np.isnan(values)]
    entry = {"kind": kind, "type": "numeric", "n_rows": n_rows, "missing": (n_rows - len(present)) / n_rows,
             "n_values": int(len(present)), "edges": [], "counts": [0], "shares": [0.0], "min": None, "max": None,
             "mean": None, "std": None, "sample": []}
    if not len(present):
        return entry
    # Edges are observed values (no interpolation), so a discrete column gets one bin per value, not split ones.
    edges = np.unique(np.quantile(present, np.arange(1, bins) / bins, method="inverted_cdf"))
    counts = np.bincount(np.searchsorted(edges, present, side="left"), minlength=len(edges) + 1)
    rng = np.random.default_rng(_SEED)
    sample = present if len(present) <= _SAMPLE else rng.choice(present, _SAMPLE, replace=False)
    entry.update(edges=[float(e) for e in edges], counts=[int(c) for c in counts],
                 shares=[float(c) / len(present) for c in counts], min=float(present.min()),
                 max=float(present.max()), mean=float(present.mean()), std=float(present.std()),
                 sample=[float(v) for v in np.sort(sample)])
    return entry


# -- reading incoming columns fast -----------------------------------------------------------------------------------

def _numbers(series: pd.Series, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(float values with NaN for missing, codes-of-unreadable mask) for a numeric or datetime column.

    Datetimes become seconds since 1970. Text columns are converted through their distinct values only.
    """
    bad = np.zeros(len(series), dtype=bool)
    if kind == "numeric" and (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        return _finite(series.to_numpy(dtype=float, na_value=np.nan)), bad
    if kind == "datetime" and pd.api.types.is_datetime64_any_dtype(series):
        return _seconds(series), bad
    codes, uniques = pd.factorize(series)
    if not len(uniques):  # every value missing (e.g. an all-null column of logged requests)
        return np.full(len(series), np.nan), bad
    converted = convert_series(pd.Series(uniques, dtype=object), kind)
    values = _seconds(converted) if kind == "datetime" else converted.to_numpy(dtype=float, na_value=np.nan)
    taken = _finite(np.where(codes >= 0, values[np.maximum(codes, 0)], np.nan))
    return taken, (codes >= 0) & np.isnan(taken)


def _finite(values: np.ndarray) -> np.ndarray:
    """Infinities count as missing (as the model's guard treats them); a copy only when there are any."""
    return np.where(np.isinf(values), np.nan, values) if np.isinf(values).any() else values


def _seconds(series: pd.Series) -> np.ndarray:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert(None)
    stamps = series.to_numpy(dtype="datetime64[ns]")
    return (stamps - np.datetime64(0, "s")) / np.timedelta64(1, "s")


def _labels(series: pd.Series, kind: str) -> tuple[np.ndarray, list[str]]:
    """(codes, labels): -1 for missing; labels as the pipelines see them, so 3.0 and '3' are one category."""
    codes, uniques = pd.factorize(series)
    if not len(uniques):
        return codes, []
    labels = convert_series(pd.Series(uniques, dtype=object), "boolean" if kind == "boolean" else "categorical")
    text = [("missing" if pd.isna(v) else str(v)) if kind != "boolean" else _bool_label(v) for v in labels]
    if kind == "boolean":
        keep = ~pd.isna(labels.to_numpy())
        codes = np.where((codes >= 0) & keep[np.maximum(codes, 0)], codes, -1)
    merged: dict[str, int] = {}
    remap = np.array([merged.setdefault(t, len(merged)) for t in text] + [-1], dtype=np.int64)
    return remap[codes], list(merged)


def _bool_label(value) -> str:
    return "missing" if pd.isna(value) else ("true" if value else "false")


# -- the statistics -------------------------------------------------------------------------------------------------

class Buckets(NamedTuple):
    """One feature of a batch on its reference's buckets: what every statistic's ``compute`` gets."""

    entry: dict  # the feature's reference profile
    ref: np.ndarray  # reference shares per bucket
    cur: np.ndarray  # current shares per bucket
    counts: np.ndarray  # current counts per bucket
    present: np.ndarray | None  # numeric: the current non-missing values (numbers, or dates as seconds)


class DriftStatistic(NamedTuple):
    """One drift statistic: what it is called, where it applies, how it is computed and judged."""

    label: str  # its name in reasons and table headers: "PSI", "KS"
    name: str  # in full, for help texts
    types: tuple[str, ...]  # profile types it applies to: "numeric" (numbers and dates), "categorical"
    compute: Callable[[Buckets], dict[str, float]]  # -> its report columns (absent: not computed, NaN)
    columns: tuple[str, ...]  # the report columns it fills, in the report's order
    judged: str  # the column its verdict reads
    role: str  # "effect": warn / alert thresholds, larger is worse; "test": a p-value below p_value warns
    warn: str = ""  # the DriftThresholds field of each threshold ("test": the shared p_value)
    alert: str = ""


def _psi(ref: np.ndarray, cur: np.ndarray) -> float:
    ref, cur = np.maximum(ref, _EPS), np.maximum(cur, _EPS)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def _psi_noise(buckets: int, n: int, n_reference: int) -> float:
    """PSI's expected value when nothing drifted, from sampling alone: (buckets - 1) * (1/n + 1/N)."""
    if n <= 0 or n_reference <= 0:
        return 0.0
    return max(buckets - 1, 0) * (1 / n + 1 / n_reference)


def _psi_with_noise(b: Buckets) -> dict[str, float]:
    """PSI, and beside it (``psi_noise``) what PSI comes to from sampling alone at these sample sizes."""
    if b.present is not None:  # numbers: the reference's histogram buckets
        noise = _psi_noise(len(b.entry["counts"]), len(b.present), b.entry["n_values"])
    else:
        ref_counts = np.asarray(b.entry["counts"], dtype=float)
        noise = _psi_noise(int((ref_counts > 0).sum()), int(b.counts.sum()), int(ref_counts.sum()))
    return {"psi": _psi(b.ref, b.cur), "psi_noise": noise}


def _ks(b: Buckets) -> dict[str, float]:
    sample, present = np.asarray(b.entry["sample"]), b.present
    if len(sample) < 2 or len(present) < 2:
        return {}
    if len(present) > _KS_MAX:
        present = np.random.default_rng(_SEED).choice(present, _KS_MAX, replace=False)
    with warnings.catch_warnings():  # "exact calculation unsuccessful, switching to asymp" is fine here
        warnings.simplefilter("ignore", RuntimeWarning)
        result = ks_2samp(sample, present)
    return {"ks_stat": float(result.statistic), "ks_p": float(result.pvalue)}


def _chi2(b: Buckets) -> dict[str, float]:
    table = np.vstack([np.asarray(b.entry["counts"], dtype=float), b.counts])
    table = table[:, table.sum(axis=0) > 0]
    return {"chi2_p": 1.0 if table.shape[1] < 2 else float(chi2_contingency(table, correction=False).pvalue)}


#: Every drift statistic, in the order of the report's columns; effect sizes and tests are judged in this order.
STATISTICS: dict[str, DriftStatistic] = {
    "psi": DriftStatistic("PSI", "Population stability index", ("numeric", "categorical"), _psi_with_noise,
                          ("psi",), "psi", "effect", "psi_warn", "psi_alert"),
    "ks": DriftStatistic("KS", "Kolmogorov-Smirnov test", ("numeric",), _ks, ("ks_stat", "ks_p"), "ks_p", "test",
                         "p_value"),
    "chi2": DriftStatistic("chi-square", "Chi-square test", ("categorical",), _chi2, ("chi2_p",), "chi2_p", "test",
                           "p_value"),
    "js": DriftStatistic("JS", "Jensen-Shannon distance", ("categorical",),
                         lambda b: {"js": float(jensenshannon(b.ref, b.cur, base=2))}, ("js",), "js", "effect",
                         "js_warn", "js_alert"),
}
_HEADLINE = STATISTICS["psi"]  # applies to every kind: the reasons and the per-feature chart quote it
_STAT_COLUMNS = [column for statistic in STATISTICS.values() for column in statistic.columns]
_COLUMNS = ["name", "kind", *_STAT_COLUMNS, "missing_ref", "missing_cur", "n_values", "verdict", "reason"]


def report_columns() -> dict[str, str]:
    """The report column each statistic is judged by, with its table header: {"psi": "PSI", "ks_p": "KS p", …}."""
    return {s.judged: s.label + (" p" if s.role == "test" else "") for s in STATISTICS.values()}


def _statistics(kind_type: str, buckets: Buckets) -> dict[str, float]:
    out: dict[str, float] = {}
    for statistic in STATISTICS.values():
        if kind_type in statistic.types:
            out.update(statistic.compute(buckets))
    return out


# -- comparing ------------------------------------------------------------------------------------------------------

def bucket_shares(reference: dict, current: pd.DataFrame, feature: str) -> tuple[list[str], list[float], list[float]]:
    """(bucket labels, reference shares, current shares) of one feature, on the reference's buckets.

    Numeric buckets are the reference bins (shares of non-missing values, then a "missing" bucket); categorical
    ones are the reference categories, "other" and "missing". This is what the side-by-side chart draws.
    """
    entry = _reference_features(reference).get(feature) if feature != PREDICTION else reference.get("prediction")
    if entry is None:
        raise DriftError(f"'{feature}' is not in the reference profile; pick one of "
                         f"{list(_reference_features(reference))[:20]}.")
    if feature not in current.columns:
        raise DriftError(f"'{feature}' is not a column of the new data.")
    series = current[feature]
    if entry["type"] == "numeric":
        values = _numbers(series, entry["kind"])[0]
        present = values[~np.isnan(values)]
        counts = np.bincount(np.searchsorted(np.asarray(entry["edges"]), present, side="left"),
                             minlength=len(entry["counts"]))
        labels = _bin_labels(entry)
        cur = (counts / max(len(present), 1)) * (1 - (len(values) - len(present)) / max(len(values), 1))
        ref = np.asarray(entry["shares"]) * (1 - entry["missing"])
        return (labels + ["missing"], [*map(float, ref), entry["missing"]],
                [*map(float, cur), (len(values) - len(present)) / max(len(values), 1)])
    counts = _category_counts(series, entry)[0]
    return (entry["categories"] + ["other", "missing"], [float(s) for s in entry["shares"]],
            [float(c) for c in counts / max(len(series), 1)])


def _bin_labels(entry: dict) -> list[str]:
    """Bins are (previous edge, edge]; the first holds everything up to the lowest edge, the last everything above
    the highest, so values out of the training range still land in a labelled bin."""
    edges = entry["edges"]
    if not edges:
        return ["values"]
    show = _date_text if entry["kind"] == "datetime" else _number_text
    cuts = [show(e) for e in edges]
    middle = [f"({cuts[i - 1]}, {cuts[i]}]" for i in range(1, len(cuts))]
    return [f"<= {cuts[0]}", *middle, f"> {cuts[-1]}"]


def _number_text(value: float) -> str:
    return f"{value:.4g}"


def _date_text(value: float) -> str:
    return str(pd.Timestamp(value, unit="s").date())


def _category_counts(series: pd.Series, entry: dict) -> tuple[np.ndarray, dict[str, int]]:
    """Counts on the reference buckets (categories, other, missing) and the rows of each unseen category."""
    codes, labels = _labels(series, entry["kind"])
    position = {c: i for i, c in enumerate(entry["categories"])}
    other = len(position)
    mapping = np.array([position.get(label, other) for label in labels] + [other + 1], dtype=np.int64)
    counts = np.bincount(mapping[codes], minlength=other + 2)
    per_label = np.bincount(codes[codes >= 0], minlength=len(labels))
    unseen = {label: int(per_label[i]) for i, label in enumerate(labels) if label not in position}
    return counts, unseen


def drift_report(reference: dict, current: pd.DataFrame, predictions: pd.DataFrame | None = None,
                 thresholds: DriftThresholds | None = None) -> DriftReport:
    """Compare ``current`` rows (and the model's ``predictions`` on them) with a ``reference_profile``."""
    thresholds = thresholds or DriftThresholds()
    profiles = _reference_features(reference)
    if current is None or len(current) == 0:
        raise DriftError("The new data has no rows; upload a file with rows to compare against the reference.")
    shared = [name for name in profiles if name in current.columns]
    if not shared:
        raise DriftError(f"The new data shares no column with the reference (it expects {list(profiles)[:10]}); "
                         "check that this file belongs to this model.")
    rows, quality = [], []
    for name, entry in profiles.items():
        if name not in current.columns:
            quality.append(f"Column '{name}' is missing from the new data; the model needs it.")
            rows.append(_missing_column_row(name, entry))
            continue
        row, found = _compare(name, entry, current[name], thresholds)
        rows.append(row)
        quality.extend(found)
    prediction = None
    if predictions is not None and reference.get("prediction") and PREDICTION in predictions.columns \
            and len(predictions):
        prediction, _ = _compare(PREDICTION, reference["prediction"], predictions[PREDICTION], thresholds)
    features = pd.DataFrame(rows, columns=_COLUMNS)
    judged = features[features["verdict"] != "too few rows"]
    share = float((judged["verdict"] == "alert").mean()) if len(judged) else 0.0
    return DriftReport(features, prediction, quality, share, _overall(features, prediction, share, len(current),
                                                                      thresholds), int(len(current)), thresholds)


#: How bad each feature verdict is, worst first (``features_by_drift``).
_SEVERITY = {"alert": 0, "warn": 1, "ok": 2, "too few rows": 3}


def features_by_drift(report: DriftReport) -> list[str]:
    """The report's feature names, most drifted first: by verdict (alert, warn, ok, too few rows), then by PSI.

    PSI alone would put a harmless feature first when chance inflates it (few values, many bins) above one that
    really drifted; the verdict already accounts for that.
    """
    table = report.features.assign(severity=report.features["verdict"].map(_SEVERITY).fillna(len(_SEVERITY)))
    return table.sort_values(["severity", "psi"], ascending=[True, False], na_position="last",
                             kind="stable")["name"].tolist()


def _reference_features(reference: dict) -> dict:
    if not isinstance(reference, dict) or reference.get("format_version") != FORMAT_VERSION \
            or not isinstance(reference.get("features"), dict):
        raise DriftError("The reference profile is corrupt or from another version; retrain the model to store a "
                         "new one.")
    for name, entry in reference["features"].items():
        if not isinstance(entry, dict) or entry.get("type") not in ("numeric", "categorical") \
                or "counts" not in entry or "missing" not in entry:
            raise DriftError(f"The reference profile of '{name}' is corrupt; retrain the model to store a new one.")
    return reference["features"]


def _overall(features: pd.DataFrame, prediction: dict | None, share: float, n_rows: int,
             thresholds: DriftThresholds) -> str:
    if n_rows < thresholds.min_rows:
        return "too few rows"
    verdicts = set(features["verdict"]) | ({prediction["verdict"]} if prediction else set())
    if share >= thresholds.share_alert or (prediction and prediction["verdict"] == "alert"):
        return "alert"
    return "warn" if verdicts & {"warn", "alert"} else "ok"


def _missing_column_row(name: str, entry: dict) -> dict:
    return {"name": name, "kind": entry["kind"], **dict.fromkeys(_STAT_COLUMNS, float("nan")),
            "missing_ref": entry["missing"], "missing_cur": 1.0, "n_values": 0, "verdict": "alert",
            "reason": "The column is missing from the new data."}


def _compare(name: str, entry: dict, series: pd.Series, t: DriftThresholds) -> tuple[dict, list[str]]:
    row = {"name": name, "kind": entry["kind"], **dict.fromkeys(_STAT_COLUMNS, float("nan")),
           "missing_ref": float(entry["missing"])}
    if entry["type"] == "numeric":
        stats, quality, describe = _numeric_stats(name, entry, series)
    else:
        stats, quality, describe = _categorical_stats(name, entry, series)
    row.update(stats)
    row["verdict"], row["reason"] = _verdict(row, len(series), describe, t)
    for statistic in STATISTICS.values():  # a statistic's noise level only serves the verdict
        row.pop(f"{statistic.judged}_noise", None)
    jump = row["missing_cur"] - row["missing_ref"]
    if jump >= t.missing_jump:
        quality.append(f"Column '{name}': the missing rate rose from {row['missing_ref']:.1%} to "
                       f"{row['missing_cur']:.1%}.")
    return row, quality


def _numeric_stats(name: str, entry: dict, series: pd.Series) -> tuple[dict, list[str], str]:
    values, bad = _numbers(series, entry["kind"])
    missing = np.isnan(values)
    present = values[~missing]
    stats = {"missing_cur": float(missing.mean()), "n_values": int(len(present))}
    quality = []
    n_bad = int(bad.sum())
    if n_bad:
        examples = pd.unique(series[bad].astype(str))[:3].tolist()
        what = "dates" if entry["kind"] == "datetime" else "numbers"
        quality.append(f"Column '{name}' holds {n_bad:,} values that are not {what} (e.g. {examples}); they count "
                       "as missing.")
    if not len(present) or entry["min"] is None:
        return stats, quality, ""
    show = _date_text if entry["kind"] == "datetime" else _number_text
    found = _out_of_range(name, entry, present, show)
    quality.extend([found] if found else [])
    counts = np.bincount(np.searchsorted(np.asarray(entry["edges"]), present, side="left"),
                         minlength=len(entry["counts"]))
    stats.update(_statistics("numeric", Buckets(entry, np.asarray(entry["shares"]), counts / len(present), counts,
                                                present)))
    return stats, quality, _numeric_change(entry, present, show)


def _out_of_range(name: str, entry: dict, present: np.ndarray, show) -> str | None:
    """Values beyond the training range, when there are more than chance gives or any lies far out.

    A fresh draw lands above the maximum of n reference values with chance 1 / (n + 1), so a few such values
    are expected in any large batch; they are named only when there are clearly more (over twice the
    expected count, plus two) or when one lies more than a tenth of the training range outside it.
    """
    low, high = entry["min"], entry["max"]
    margin, expected = 0.1 * (high - low), len(present) / (entry["n_values"] + 1)
    parts = []
    for side, outside, edge, extreme in (("above the training maximum", present > high, high, present.max()),
                                         ("below the training minimum", present < low, low, present.min())):
        count = int(outside.sum())
        if count and (count > 2 * expected + 2 or abs(extreme - edge) > margin):
            parts.append(f"{count:,} {side} {show(edge)} ({'up' if edge == high else 'down'} to {show(extreme)})")
    return f"Column '{name}' has values out of the training range: {' and '.join(parts)}." if parts else None


def _numeric_change(entry: dict, present: np.ndarray, show) -> str:
    """What moved, in words: the mean, the spread, or else the shape."""
    mean, std = float(present.mean()), float(present.std())
    ref_std = entry["std"] or 0.0
    scale = ref_std if ref_std > 0 else max(abs(entry["mean"]), 1.0)
    parts = []
    if abs(mean - entry["mean"]) >= 0.1 * scale:
        parts.append(f"mean moved from {show(entry['mean'])} to {show(mean)}")
    if ref_std > 0 and not 0.8 <= std / ref_std <= 1.25:
        spread = f"{std / 86400:.4g} days" if entry["kind"] == "datetime" else f"{std:.4g}"
        was = f"{ref_std / 86400:.4g} days" if entry["kind"] == "datetime" else f"{ref_std:.4g}"
        parts.append(f"spread (std) went from {was} to {spread}")
    return " and ".join(parts) or "the shape of the distribution changed"


def _categorical_stats(name: str, entry: dict, series: pd.Series) -> tuple[dict, list[str], str]:
    counts, unseen = _category_counts(series, entry)
    n = len(series)
    ref_counts = np.asarray(entry["counts"], dtype=float)
    stats = {"missing_cur": float(counts[-1] / n), "n_values": int(n - counts[-1])}
    ref, cur = ref_counts / ref_counts.sum(), counts / n
    stats.update(_statistics("categorical", Buckets(entry, ref, cur, counts, None)))
    quality = []
    if unseen and name != PREDICTION:
        ranked = sorted(unseen.items(), key=lambda kv: -kv[1])
        shown = ", ".join(f"'{label}' ({count:,} rows)" for label, count in ranked[:5])
        more = f" and {len(ranked) - 5} more" if len(ranked) > 5 else ""
        what = "new categories" if entry["complete"] else \
            f"categories outside the training's {len(entry['categories'])} most frequent"
        if entry["complete"] and len(ranked) == 1:
            what = "new category"
        quality.append(f"Column '{name}' has {len(ranked)} {what}: {shown}{more}.")
    labels = entry["categories"] + ["other", "missing"]
    k = int(np.argmax(np.abs(cur - ref)))
    label = f"'{labels[k]}'" if k < len(entry["categories"]) else labels[k]
    if k == len(entry["categories"]) and unseen:
        label = f"other (incl. unseen {', '.join(repr(u) for u in list(unseen)[:3])})"
    return stats, quality, f"the share of {label} went from {ref[k]:.1%} to {cur[k]:.1%}"


def _verdict(row: dict, n_rows: int, describe: str, t: DriftThresholds) -> tuple[str, str]:
    """The verdict of one feature and the one sentence that says why (module docstring, rules 1-5)."""
    jump = row["missing_cur"] - row["missing_ref"]
    jumped = jump >= t.missing_jump and n_rows >= t.min_rows
    missing_text = f"missing rate rose from {row['missing_ref']:.1%} to {row['missing_cur']:.1%}"
    if n_rows < t.min_rows:
        return "too few rows", (f"Only {n_rows} rows (fewer than {t.min_rows}): too few for drift tests to mean "
                                "anything.")
    if row["n_values"] < t.min_values and not jumped:
        return "too few rows", (f"Only {row['n_values']} non-missing values (fewer than {t.min_values}): too few "
                                "for drift tests to mean anything.")
    if jumped and row["n_values"] < t.min_values:
        return "alert", f"The {missing_text}; only {row['n_values']} values are left."
    psi = row[_HEADLINE.judged]
    warn, noise = getattr(t, _HEADLINE.warn), row.get(f"{_HEADLINE.judged}_noise", 0.0)
    if math.isnan(psi) and not jumped:
        return "ok", "The column had no values in training, so there is nothing to compare with."
    effects = [st for st in STATISTICS.values() if st.role == "effect" and not math.isnan(row[st.judged])]
    p_values = [(st.label, row[st.judged]) for st in STATISTICS.values()
                if st.role == "test" and not math.isnan(row[st.judged])]
    # An effect size counts when it stands clear of what chance gives at these sample sizes (its ``*_noise``,
    # when its compute gives one) and a test agrees (rules 2-3).
    agree = not p_values or any(p < t.p_value for _, p in p_values)
    alerts, warns = [], []
    for statistic in effects if agree else []:
        value = row[statistic.judged]
        excess = value - row.get(f"{statistic.judged}_noise", 0.0)
        if excess >= getattr(t, statistic.alert):
            alerts.append(f"{statistic.label} {value:.2f} >= {getattr(t, statistic.alert):g}")
        elif excess >= getattr(t, statistic.warn):
            warns.append(f"{statistic.label} {value:.2f} >= {getattr(t, statistic.warn):g}")
    if jumped:
        alerts.append(f"the {missing_text}")
    if alerts:
        return "alert", f"{', '.join(alerts)}: {describe}." if describe and not (jumped and len(alerts) == 1) \
            else f"{', '.join(alerts).capitalize()}."
    if warns:
        return "warn", f"{', '.join(warns)}: {describe}."
    significant = [f"{test} p-value {p:.2g} < {t.p_value:g}" for test, p in p_values
                   if p < t.p_value / _TEST_ALONE]
    if significant:
        size = f"{_HEADLINE.label} {psi:.2f} < {warn:g}" if psi < warn else \
            f"{_HEADLINE.label} {psi:.2f} is within the {noise:.2f} chance gives"
        return "warn", f"{', '.join(significant)} but {size}: a small but detectable shift ({describe})."
    tests = "".join(f", {test} p-value {p:.2g}" for test, p in p_values)
    if any(row[st.judged] >= getattr(t, st.warn) for st in effects):
        why = "no test finds a significant difference" if not agree else \
            f"{noise:.2f} of it is expected by chance with {row['n_values']:,} values"
        sizes = ", ".join(f"{st.label} {row[st.judged]:.2f}" for st in effects)
        return "ok", f"{sizes} but {why}{tests}: no drift."
    return "ok", f"{_HEADLINE.label} {psi:.2f} < {warn:g}{tests}: no drift."


# -- over time -----------------------------------------------------------------------------------------------------

def windowed_drift(reference: dict, current: pd.DataFrame, time: pd.Series | None = None, freq: str = "D",
                   batch: pd.Series | None = None, thresholds: DriftThresholds | None = None,
                   predictions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Drift per time window (``freq`` "D" day / "W" week, from ``time``) or per ``batch`` (``freq`` "batch").

    A long table: window (label), feature, psi, verdict, n_rows, in window order; the predictions, when
    given, appear as the feature "prediction".
    """
    if freq not in ("D", "W", "batch"):
        raise DriftError(f"The 'freq' parameter of windowed_drift must be 'D', 'W' or 'batch'. Got {freq!r}.")
    keys = _window_keys(current, time, freq, batch)
    out = []
    for label, index in keys.groupby(keys, sort=True).groups.items():
        rows = current.loc[index]
        preds = None if predictions is None else predictions.loc[index]
        report = drift_report(reference, rows, preds, thresholds)
        table = report.features[["name", "psi", "verdict"]].rename(columns={"name": "feature"})
        if report.prediction is not None:
            table = pd.concat([table, pd.DataFrame([{"feature": PREDICTION, "psi": report.prediction["psi"],
                                                     "verdict": report.prediction["verdict"]}])])
        out.append(table.assign(window=str(label), n_rows=report.n_rows))
    columns = ["window", "feature", "psi", "verdict", "n_rows"]
    return pd.concat(out, ignore_index=True)[columns] if out else pd.DataFrame(columns=columns)


def _window_keys(current: pd.DataFrame, time: pd.Series | None, freq: str, batch: pd.Series | None) -> pd.Series:
    """The window label of each row of ``current`` (rows without a time or batch are left out): the day, the
    Monday of the week (both "YYYY-MM-DD", so they sort in time order) or the batch value."""
    if freq == "batch":
        if batch is None or len(batch) != len(current):
            raise DriftError("Windows by batch need a batch column as long as the data.")
        return pd.Series(np.asarray(batch), index=current.index).dropna()
    if time is None or len(time) != len(current):
        raise DriftError("Windows by day or week need a time column as long as the data.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stamps = pd.to_datetime(pd.Series(np.asarray(time), index=current.index), errors="coerce", format="mixed")
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert(None)
    start = stamps.dt.floor("D") if freq == "D" else (stamps.dt.floor("D") - pd.to_timedelta(stamps.dt.day_of_week,
                                                                                            unit="D"))
    return start.dropna().dt.strftime("%Y-%m-%d")


window_keys = _window_keys  # public name; engine.monitor.decay windows its metrics the same way
