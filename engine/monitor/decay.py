"""Performance decay: how a model scores on labels that arrive after its predictions, window by window,
compared with the score it had on the validation rows when it was chosen.

Ground truth usually comes late (a churned customer is known a month later). The analyst uploads a file of
``key, actual`` rows; ``join_labels`` matches it to the rows the model scored (by an ID column), and
``decay_report`` computes the project's metric per window with a 95% bootstrap interval.

Verdict per window (``DecayThresholds`` holds every number):
    - "too few rows" below ``min_rows`` labelled rows: a metric on a handful of rows means nothing.
    - "alert" when the score is worse than the validation baseline by more than the tolerance (``score_drop``
      in the metric's units for scores where higher is better, such as accuracy, ROC-AUC and R²; a relative
      ``error_rise`` for errors such as RMSE, MAE and log loss) AND the baseline lies outside the window's 95%
      interval, so sampling noise alone does not raise an alert.
    - "warn" when only one of the two holds; otherwise "ok".

>>> import pandas as pd
>>> scored = pd.DataFrame({"id": [1, 2, 3], "prediction": ["a", "b", "a"], "arrived_at": ["2026-01-05"] * 3})
>>> joined, notes = join_labels(scored, pd.DataFrame({"id": [1, 2, 9], "y": ["a", "a", "b"]}), "id", "y")
>>> joined["actual"].tolist(), notes
(['a', 'a'], ['1 of 3 labels match no scored row (their id is unknown); they are left out.'])
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from engine.errors import DecayError
from engine.evaluate.metrics import METRICS, compute_metrics, metric_interval
from engine.monitor.drift_windows import window_keys

__all__ = ["DecayThresholds", "decay_report", "join_labels", "key_text"]

ACTUAL = "actual"
#: Text that is a plain decimal number, compared as that number ("7.0" is 7). Leading zeros keep it text: "007"
#: is a code, not 7.
_DECIMAL = re.compile(r"[+-]?(0|[1-9]\d*)(\.\d+)?")
_COLUMNS = ["window", "n_rows", "value", "low", "high", "baseline", "change", "verdict", "reason"]


@dataclass
class DecayThresholds:
    """When a window's score counts as decayed; JSON round trip with ``to_dict`` / ``from_dict``."""

    score_drop: float = 0.05  # absolute fall of a higher-is-better score (accuracy, ROC-AUC, R², ...)
    error_rise: float = 0.10  # relative rise of an error (RMSE, MAE, log loss, ...): 0.10 = 10% worse
    min_rows: int = 30  # labelled rows a window needs before it gets a verdict

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict | None) -> DecayThresholds:
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise DecayError(f"Unknown decay thresholds {unknown}; known ones are {sorted(known)}.")
        out = cls(**values)
        for name in ("score_drop", "error_rise"):
            value = getattr(out, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < 10:
                raise DecayError(f"The decay threshold '{name}' must be a number above 0. Got {value!r}.")
        if not isinstance(out.min_rows, int) or isinstance(out.min_rows, bool) or out.min_rows < 1:
            raise DecayError(f"The decay threshold 'min_rows' must be a positive int. Got {out.min_rows!r}.")
        return out


def key_text(values: pd.Series) -> pd.Series:
    """Join keys as comparable text whatever their dtype: a whole number loses its '.0' (7, 7.0, "7.0" and " 7 "
    are all "7"), other text is stripped, a missing key stays missing.

    A column of whole numbers turns float as soon as one of several stacked batches lacks it, and a labels file
    may hold the same IDs as text: compared as raw text, "7.0" would never match "7".

    >>> key_text(pd.Series([7, 7.0, "7.0", " 7 ", "007", 1.5, None])).tolist()
    ['7', '7', '7', '7', '007', '1.5', nan]
    """
    out = np.full(len(values), np.nan, dtype=object)
    present = values.notna().to_numpy()
    if not present.any():
        return pd.Series(out, index=values.index)
    filled = values[present].reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(filled) and not pd.api.types.is_bool_dtype(filled):
        out[present] = _number_text(filled.astype(float)).to_numpy()
        return pd.Series(out, index=values.index)
    text = filled.astype(str).str.strip()
    numeric = text.str.fullmatch(_DECIMAL).fillna(False).to_numpy(dtype=bool)
    text = text.astype(object)
    if numeric.any():
        text[numeric] = _number_text(text[numeric].astype(float)).to_numpy()
    out[present] = text.to_numpy()
    return pd.Series(out, index=values.index)


def _number_text(numbers: pd.Series) -> pd.Series:
    """Whole numbers as integers ("7"), others in their shortest exact form ("1.5")."""
    whole = ((numbers % 1 == 0) & (numbers.abs() < 2**53)).to_numpy()
    text = numbers.map(repr).astype(object)
    text[whole] = numbers[whole].astype("int64").astype(str).astype(object).to_numpy()
    return text


def _describe_keys(keys: pd.Series) -> str:
    """What a side's keys are, in the user's words, with a few examples: "whole numbers (e.g. 1, 2, 3)"."""
    present = keys.dropna()
    if present.empty:
        return "all missing"
    examples = ", ".join(map(str, present.unique()[:3]))
    if present.str.fullmatch(r"[+-]?\d+").all():
        kind = "whole numbers"
    elif pd.to_numeric(present, errors="coerce").notna().all():
        kind = "numbers"
    else:
        kind = "text"
        examples = ", ".join(f"'{v}'" for v in present.unique()[:3])
    missing = len(keys) - len(present)
    gaps = f", missing in {missing:,} of {len(keys):,} rows" if missing else ""
    return f"{kind} (e.g. {examples}){gaps}"


def join_labels(scored: pd.DataFrame, labels: pd.DataFrame, key: str, target: str) -> tuple[pd.DataFrame, list[str]]:
    """The scored rows that have a label, with the label as column ``actual``, and notes on what did not match.

    ``scored`` holds ``key``, ``prediction`` (and ``proba_<class>`` columns) plus any others (e.g. the
    arrival time); ``labels`` holds ``key`` and ``target``. Keys compare by ``key_text``, so 7, 7.0 and "7" match.
    """
    for frame, what in ((scored, "scored rows"), (labels, "labels file")):
        if key not in frame.columns:
            raise DecayError(f"The {what} have no column '{key}' to join on; columns are {list(frame.columns)[:20]}.")
    if target not in labels.columns:
        raise DecayError(f"The labels file has no column '{target}' (the target); columns are "
                         f"{list(labels.columns)[:20]}.")
    labels = labels[[key, target]].dropna()
    if labels.empty:
        raise DecayError(f"The labels file has no row with both '{key}' and '{target}' filled in.")
    keys = key_text(labels[key])
    repeated = keys[keys.duplicated()].unique()
    if len(repeated):
        raise DecayError(f"{len(repeated)} key(s) appear more than once in the labels file (e.g. "
                         f"{', '.join(map(str, repeated[:5]))}); keep one label per '{key}'.")
    actual = pd.Series(labels[target].to_numpy(), index=keys.to_numpy(), name=ACTUAL)
    scored_keys = key_text(scored[key])
    matched = scored_keys.isin(actual.index).to_numpy()
    joined = scored.assign(**{ACTUAL: scored_keys.map(actual).to_numpy()})
    joined = joined[matched].reset_index(drop=True)
    notes = []
    unknown = int((~actual.index.isin(scored_keys)).sum())
    if unknown:
        notes.append(f"{unknown:,} of {len(actual):,} labels match no scored row (their {key} is unknown); "
                     "they are left out.")
    if joined.empty:
        raise DecayError(f"None of the {len(actual):,} labels matches a scored row by '{key}': the labels' {key} "
                         f"values are {_describe_keys(keys)}; the scored rows' are {_describe_keys(scored_keys)}. "
                         f"Check that the labels belong to data this model scored (uploaded on Monitor, scored on "
                         f"Deploy or sent to its REST API) and that '{key}' holds the same IDs in both.")
    return joined, notes


def decay_report(joined: pd.DataFrame, task: str, metric: str, baseline: float, *, time: pd.Series | None = None,
                 freq: str = "W", batch: pd.Series | None = None, thresholds: DecayThresholds | None = None,
                 classes: list | None = None) -> pd.DataFrame:
    """One row per window: labelled rows, the metric with its 95% bootstrap interval, the validation
    ``baseline``, the change, a verdict and the reason in one sentence. Windows as in
    ``engine.monitor.drift_windows``: ``freq`` "D" / "W" from ``time``, or "batch" from ``batch``; ``freq`` "all"
    puts every row in one window."""
    if metric not in METRICS or METRICS[metric].task != task:
        raise DecayError(f"Metric '{metric}' does not measure {task}.")
    thresholds = thresholds or DecayThresholds()
    if freq == "all":
        keys = pd.Series("all labelled rows", index=joined.index)
    else:
        keys = window_keys(joined, time, freq, batch)
    rows = [_window(str(label), joined.loc[index], task, metric, baseline, thresholds, classes)
            for label, index in keys.groupby(keys, sort=True).groups.items()]
    return pd.DataFrame(rows, columns=_COLUMNS)


def _window(label: str, rows: pd.DataFrame, task: str, metric: str, baseline: float, thresholds: DecayThresholds,
            classes: list | None) -> dict:
    n = len(rows)
    out = {"window": label, "n_rows": n, "value": np.nan, "low": np.nan, "high": np.nan, "baseline": baseline,
           "change": np.nan}
    if n < thresholds.min_rows:
        return {**out, "verdict": "too few rows",
                "reason": f"{n} labelled rows; {thresholds.min_rows} are needed for a score that means something."}
    y_true, y_pred, proba, labels = _columns(rows, task, classes)
    value = compute_metrics(task, y_true, y_pred, proba, labels).get(metric, np.nan)
    low, high = metric_interval(metric, y_true, y_pred, proba, labels)
    out.update(value=value, low=low, high=high, change=value - baseline)
    if not np.isfinite(value):
        return {**out, "verdict": "too few rows",
                "reason": f"{METRICS[metric].label} cannot be computed on these rows (e.g. only one class)."}
    return {**out, **_verdict(metric, value, low, high, baseline, thresholds)}


def _columns(rows: pd.DataFrame, task: str, classes: list | None):
    if task == "regression":
        return rows[ACTUAL].astype(float).to_numpy(), rows["prediction"].astype(float).to_numpy(), None, None
    labels = [c for c in (classes or []) if f"proba_{c}" in rows.columns]
    proba = rows[[f"proba_{c}" for c in labels]].to_numpy(float) if labels else None
    return rows[ACTUAL].astype(str).to_numpy(), rows["prediction"].astype(str).to_numpy(), proba, labels or None


def _verdict(metric: str, value: float, low: float, high: float, baseline: float,
             thresholds: DecayThresholds) -> dict:
    better = METRICS[metric].greater_is_better
    label = METRICS[metric].label
    if better:
        worse = baseline - value > thresholds.score_drop
        tolerance = f"more than {thresholds.score_drop:g} below"
    else:
        worse = value > baseline * (1 + thresholds.error_rise)
        tolerance = f"more than {thresholds.error_rise:.0%} above"
    outside = bool(np.isfinite(low) and not low <= baseline <= high)
    where = f"{label} {value:.4g} (95% interval {low:.4g} to {high:.4g}) vs {baseline:.4g} on validation"
    if worse and outside:
        return {"verdict": "alert", "reason": f"{where}: {tolerance} it, and outside what chance explains."}
    if worse:
        return {"verdict": "warn", "reason": f"{where}: {tolerance} it, but within what chance explains on "
                                             "this many rows."}
    if outside and (value < baseline if better else value > baseline):
        return {"verdict": "warn", "reason": f"{where}: clearly worse, though within the tolerance."}
    return {"verdict": "ok", "reason": f"{where}: no real decay."}
