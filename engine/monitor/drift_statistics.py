"""The drift statistics, one table: what each one is, where it applies, how it is computed and judged.

Statistics, per feature (the ``STATISTICS`` table: one entry each)
    - PSI (population stability index) for every kind: ``sum((c - r) * ln(c / r))`` over buckets whose
      shares are floored at ``1e-4`` so an empty bucket does not make it infinite. Numeric (and datetime, as
      seconds) features use the reference deciles as bucket edges and compare non-missing values; categorical,
      boolean and text features use the reference's 50 most frequent categories plus an "other" and a
      "missing" bucket. Beside it, ``psi_noise`` is its expected value when nothing drifted,
      (buckets - 1) * (1/n + 1/N) for n new and N reference values: the verdict judges PSI less that noise.
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
    whose p-value below ``p_value`` makes a warning. A new threshold is a field of ``DriftThresholds``
    (``engine.monitor.drift``), named in the entry. The report's columns and the verdicts follow the table; the
    Monitor page's table and threshold form read ``report_columns()`` and each entry's label, name and threshold
    fields. ``tests/engine/test_drift_statistics.py`` shows a new entry flowing into a report.

The buckets come from the reference profile (``engine.monitor.drift_reference``); the verdicts that read these
columns are in ``engine.monitor.drift``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, ks_2samp

from engine.monitor.drift_reference import _SEED

__all__ = ["STATISTICS", "Buckets", "DriftStatistic", "report_columns"]

_EPS = 1e-4  # share floor of a PSI bucket
_KS_MAX = 50_000  # current values KS looks at


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


def report_columns() -> dict[str, str]:
    """The report column each statistic is judged by, with its table header: {"psi": "PSI", "ks_p": "KS p", …}."""
    return {s.judged: s.label + (" p" if s.role == "test" else "") for s in STATISTICS.values()}


def _statistics(kind_type: str, buckets: Buckets) -> dict[str, float]:
    out: dict[str, float] = {}
    for statistic in STATISTICS.values():
        if kind_type in statistic.types:
            out.update(statistic.compute(buckets))
    return out
