"""Data drift: compare a batch of incoming rows with the reference profile of the training rows, and judge it.

``drift_report`` scores a new batch against a ``reference_profile`` (``engine.monitor.drift_reference``) with the
statistics of the ``STATISTICS`` table (``engine.monitor.drift_statistics``: PSI, KS, chi-square, Jensen-Shannon),
turns them into a verdict per feature and an overall one, and lists data-quality findings. ``windowed_drift``
(``engine.monitor.drift_windows``) does so per day, week or batch.

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
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd

from engine.errors import DriftError
from engine.monitor.drift_reference import FORMAT_VERSION, PREDICTION, _labels, _numbers, _reference_features
from engine.monitor.drift_statistics import _HEADLINE, STATISTICS, Buckets, _statistics

__all__ = [
    "VERDICTS",
    "DriftReport",
    "DriftThresholds",
    "bucket_shares",
    "drift_report",
    "features_by_drift",
]

VERDICTS = ("ok", "warn", "alert", "too few rows")
_TEST_ALONE = 100  # a test without the effect size warns only below p_value / this (rule 4)
#: The report's columns: the statistics' columns in the order of their table, between the feature and its verdict.
_STAT_COLUMNS = [column for statistic in STATISTICS.values() for column in statistic.columns]
_COLUMNS = ["name", "kind", *_STAT_COLUMNS, "missing_ref", "missing_cur", "n_values", "verdict", "reason"]


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
