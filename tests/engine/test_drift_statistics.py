"""The drift statistics table: each entry's columns, thresholds and role, and a new entry flowing into reports."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd

from engine.monitor import drift, drift_statistics
from engine.monitor.drift import DriftThresholds, drift_report
from engine.monitor.drift_reference import reference_profile
from engine.monitor.drift_statistics import STATISTICS, DriftStatistic


def _frames(shift: float) -> tuple[dict, pd.DataFrame]:
    rng = np.random.default_rng(3)
    reference = pd.DataFrame({"age": rng.normal(40, 10, 400), "plan": rng.choice(["a", "b"], 400)})
    current = pd.DataFrame({"age": rng.normal(40 + shift, 10, 300), "plan": rng.choice(["a", "b"], 300)})
    features = [{"name": "age", "kind": "numeric"}, {"name": "plan", "kind": "categorical"}]
    return reference_profile(reference, features), current


def test_every_statistic_names_its_columns_its_thresholds_and_a_role():
    threshold_names = {f.name for f in fields(DriftThresholds)}
    for key, statistic in STATISTICS.items():
        assert statistic.judged in statistic.columns and set(statistic.types) <= {"numeric", "categorical"}, key
        assert statistic.role in ("effect", "test"), key
        assert {statistic.warn, *([statistic.alert] if statistic.role == "effect" else [])} <= threshold_names, key
    assert drift_statistics.report_columns() == {"psi": "PSI", "ks_p": "KS p", "chi2_p": "chi-square p", "js": "JS"}


def test_the_report_columns_follow_the_table():
    reference, current = _frames(0.0)
    report = drift_report(reference, current)
    assert list(report.features.columns) == ["name", "kind", "psi", "ks_stat", "ks_p", "chi2_p", "js", "missing_ref",
                                             "missing_cur", "n_values", "verdict", "reason"]
    age, plan = report.features.to_dict("records")
    assert np.isnan(age["chi2_p"]) and np.isnan(age["js"]) and 0 <= age["ks_p"] <= 1
    assert np.isnan(plan["ks_p"]) and 0 <= plan["js"] <= 1


def test_a_statistic_added_to_the_table_is_computed_reported_and_judged(monkeypatch):
    mean_gap = DriftStatistic(
        "mean gap", "Gap between the means in reference standard deviations", ("numeric",),
        lambda b: {"mean_gap": abs(float(b.present.mean()) - b.entry["mean"]) / b.entry["std"]}, ("mean_gap",),
        "mean_gap", "effect", "psi_warn", "psi_alert")
    table = {**STATISTICS, "mean_gap": mean_gap}
    monkeypatch.setattr(drift_statistics, "STATISTICS", table)  # computed there, judged in drift
    monkeypatch.setattr(drift, "STATISTICS", table)
    monkeypatch.setattr(drift, "_STAT_COLUMNS", [c for s in table.values() for c in s.columns])
    monkeypatch.setattr(drift, "_COLUMNS", ["name", "kind", *drift._STAT_COLUMNS, "missing_ref", "missing_cur",
                                            "n_values", "verdict", "reason"])
    reference, current = _frames(6.0)
    report = drift_report(reference, current, thresholds=DriftThresholds(psi_warn=0.5, psi_alert=0.5))
    age = report.features.set_index("name").loc["age"]
    assert 0.4 < age["mean_gap"] < 0.8
    assert age["verdict"] == "alert" and "mean gap 0." in age["reason"]
    assert np.isnan(report.features.set_index("name").loc["plan", "mean_gap"])
