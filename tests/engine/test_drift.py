"""Drift: the reference profile, the statistics, the verdicts, data quality, windows and their JSON forms."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engine.errors import DriftError, WorkbenchError
from engine.monitor.drift import (
    DriftReport,
    DriftThresholds,
    bucket_shares,
    drift_report,
    features_by_drift,
)
from engine.monitor.drift_reference import reference_profile
from engine.monitor.drift_windows import windowed_drift

NUM = {"name": "x", "kind": "numeric"}
CAT = {"name": "plan", "kind": "categorical"}
FEATURES = [{"name": "income", "kind": "numeric"}, {"name": "age", "kind": "numeric"},
            {"name": "visits", "kind": "numeric"}, {"name": "plan", "kind": "categorical"},
            {"name": "city", "kind": "categorical"}, {"name": "member", "kind": "boolean"},
            {"name": "score", "kind": "numeric"}]
_CITIES = np.array([f"k{j}" for j in range(20)])
_CITY_P = np.arange(20, 0, -1) / np.arange(20, 0, -1).sum()


def draw(n: int, seed: int) -> pd.DataFrame:
    """Seven features of every kind, the same distribution for every seed."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "income": rng.lognormal(10, 0.5, n), "age": rng.normal(40, 12, n).round(), "visits": rng.poisson(3, n),
        "plan": rng.choice(["basic", "standard", "premium"], n, p=[0.5, 0.3, 0.2]),
        "city": _CITIES[rng.choice(20, n, p=_CITY_P)], "member": rng.choice(["yes", "no"], n),
        "score": np.where(rng.random(n) < 0.05, np.nan, rng.normal(0, 1, n))})


@pytest.fixture(scope="module")
def reference() -> dict:
    return reference_profile(draw(5000, 999), FEATURES)


def verdicts(report: DriftReport) -> dict:
    return dict(zip(report.features["name"], report.features["verdict"], strict=True))


# -- the reference profile -------------------------------------------------------------------------------------------

def test_numeric_profile_keeps_deciles_shares_range_and_a_sorted_sample():
    frame = pd.DataFrame({"x": [float(v) for v in range(1000)] + [np.nan] * 1000})
    entry = reference_profile(frame, [NUM])["features"]["x"]
    assert entry["edges"] == [99.0, 199.0, 299.0, 399.0, 499.0, 599.0, 699.0, 799.0, 899.0]
    assert entry["counts"] == [100] * 10 and entry["shares"] == [0.1] * 10  # bins are (edge, next edge]
    assert (entry["min"], entry["max"], entry["mean"], entry["missing"], entry["n_values"]) == (0, 999, 499.5, 0.5,
                                                                                               1000)
    assert len(entry["sample"]) == 500 and entry["sample"] == sorted(entry["sample"])
    assert set(entry["sample"]) <= set(range(1000))


def test_discrete_values_give_deduplicated_edges():
    entry = reference_profile(pd.DataFrame({"x": [0, 0, 0, 0, 1, 1, 2, 2, 2, 5] * 10}), [NUM])["features"]["x"]
    assert entry["edges"] == [0.0, 1.0, 2.0]  # observed values: a bin each for 0, 1 and 2, then one above
    assert entry["counts"] == [40, 20, 30, 10]


def test_categorical_profile_keeps_the_top_50_then_other_and_missing():
    values = [f"c{i:02d}" for i in range(60) for _ in range(60 - i)] + [None] * 30
    entry = reference_profile(pd.DataFrame({"plan": values}), [CAT])["features"]["plan"]
    assert entry["categories"][:3] == ["c00", "c01", "c02"] and len(entry["categories"]) == 50
    assert entry["counts"][-2:] == [sum(range(1, 11)), 30]  # other: c50..c59 hold 10..1 rows; missing: 30
    assert (entry["complete"], entry["n_categories"], entry["n_rows"]) == (False, 60, len(values))
    assert sum(entry["shares"]) == pytest.approx(1.0)


def test_booleans_dates_and_identifiers():
    frame = pd.DataFrame({"ok": ["yes", "no", "yes", None], "day": ["2024-01-01", "2024-01-02", None, "2024-01-04"],
                          "id": [1, 2, 3, 4]})
    profile = reference_profile(frame, [{"name": "ok", "kind": "boolean"}, {"name": "day", "kind": "datetime"},
                                        {"name": "id", "kind": "identifier"}])
    assert list(profile["features"]) == ["ok", "day"]
    assert profile["features"]["ok"]["categories"] == ["true", "false"]
    assert profile["features"]["ok"]["counts"] == [2, 1, 0, 1]
    day = profile["features"]["day"]
    assert (day["type"], day["min"], day["max"], day["missing"]) == ("numeric", 1704067200.0, 1704326400.0, 0.25)


def test_predictions_are_profiled_as_classes_or_as_numbers():
    frame = pd.DataFrame({"x": range(200)})
    classes = reference_profile(frame, [NUM], pd.DataFrame({"prediction": ["a"] * 150 + ["b"] * 50}))["prediction"]
    assert (classes["type"], classes["categories"], classes["shares"]) == ("categorical", ["a", "b"],
                                                                           [0.75, 0.25, 0.0, 0.0])
    numbers = reference_profile(frame, [NUM], pd.DataFrame({"prediction": np.arange(200) / 2}))["prediction"]
    assert numbers["type"] == "numeric" and len(numbers["edges"]) == 9
    as_task = reference_profile(frame, [NUM], pd.DataFrame({"prediction": [0, 1] * 100}), task="regression")
    assert as_task["prediction"]["type"] == "numeric"
    assert reference_profile(frame, [NUM])["prediction"] is None


def test_profile_survives_a_json_round_trip(reference):
    assert json.loads(json.dumps(reference)) == reference
    assert reference["n_rows"] == 5000 and "created_at" not in reference


@pytest.mark.parametrize("bins", [1, 101, 2.5], ids=["too-few", "too-many", "not-int"])
def test_profile_refuses_odd_bins(bins):
    with pytest.raises(DriftError, match="'bins' parameter of reference_profile must be an int in \\[2, 100\\]"):
        reference_profile(pd.DataFrame({"x": [1.0, 2.0]}), [NUM], bins=bins)


# -- unshifted data does not alert -----------------------------------------------------------------------------------

def test_false_alarm_rate_over_50_unshifted_draws():
    """Fresh reference (5,000 rows) and batch (2,000 rows) per draw, seven features, default thresholds.

    Measured: 0 alerts; 6 of 350 feature checks warn (1.7%, each from a KS or chi-square p-value just under
    0.01 with PSI <= 0.03), so 6 of 50 batches warn overall (7 tests at alpha 0.01 give ~7% by design).
    """
    overall, features, top_psi = [], [], 0.0
    for seed in range(50):
        report = drift_report(reference_profile(draw(5000, 1000 + seed), FEATURES), draw(2000, seed))
        overall.append(report.overall)
        features += list(report.features["verdict"])
        top_psi = max(top_psi, report.features["psi"].max())
    assert "alert" not in overall and "alert" not in features
    assert overall.count("warn") <= 8  # 16%: the measured 6 plus room for other BLAS / scipy builds
    assert features.count("warn") / len(features) <= 0.03
    assert top_psi < 0.05  # noise PSI ~ 9 / 2000 per numeric feature: far under the 0.1 warn line


def test_unshifted_batch_is_ok_with_plain_reasons(reference):
    report = drift_report(reference, draw(2000, 7))
    assert report.overall == "ok" and report.share_drifted == 0.0
    row = report.features.set_index("name").loc["plan"]
    assert row["reason"].startswith("PSI 0.00 < 0.1, chi-square p-value ") and row["reason"].endswith(": no drift.")
    assert 0 <= row["js"] < 0.05 and np.isnan(row["ks_p"])
    assert report.features.set_index("name").loc["age", "ks_p"] > 0.01


# -- shifts that must be flagged -------------------------------------------------------------------------------------

def test_mean_shift_alerts_and_says_where_the_mean_went(reference):
    batch = draw(2000, 1).assign(age=lambda f: f["age"] + 12)
    report = drift_report(reference, batch)
    row = report.features.set_index("name").loc["age"]
    assert row["verdict"] == "alert" and row["psi"] > 0.25 and row["ks_p"] < 1e-10
    assert row["reason"].startswith(f"PSI {row['psi']:.2f} >= 0.25: mean moved from 40")
    assert verdicts(report) == {**dict.fromkeys(verdicts(report), "ok"), "age": "alert"}
    assert report.overall == "warn"  # 1 of 7 features (14%) is below the 30% share that makes the batch an alert


def test_variance_change_is_flagged_as_spread():
    rng = np.random.default_rng(0)
    reference = reference_profile(pd.DataFrame({"x": rng.normal(0, 1, 5000)}), [NUM])
    wider = drift_report(reference, pd.DataFrame({"x": rng.normal(0, 2, 2000)})).features.iloc[0]
    assert wider["verdict"] == "alert" and "spread (std) went from 0.9954 to 2.014" in wider["reason"]
    somewhat = drift_report(reference, pd.DataFrame({"x": rng.normal(0, 1.5, 2000)})).features.iloc[0]
    assert somewhat["verdict"] in ("warn", "alert") and "spread (std)" in somewhat["reason"]


def test_new_category_alerts_and_is_named_with_its_count(reference):
    batch = draw(2000, 2)
    batch.loc[:299, "plan"] = "gold"
    report = drift_report(reference, batch)
    row = report.features.set_index("name").loc["plan"]
    assert row["verdict"] == "alert" and row["js"] >= 0.2 and row["chi2_p"] < 1e-10
    assert "the share of other (incl. unseen 'gold') went from 0.0% to 15.0%" in row["reason"]
    assert "Column 'plan' has 1 new category: 'gold' (300 rows)." in report.quality


def test_missing_rate_jump_alerts(reference):
    batch = draw(2000, 3)
    batch.loc[:599, "income"] = np.nan
    report = drift_report(reference, batch)
    row = report.features.set_index("name").loc["income"]
    assert (row["verdict"], row["missing_ref"], row["missing_cur"]) == ("alert", 0.0, 0.3)
    assert "the missing rate rose from 0.0% to 30.0%" in row["reason"].lower()
    assert "Column 'income': the missing rate rose from 0.0% to 30.0%." in report.quality


def test_a_column_that_empties_is_an_alert_not_too_few_rows(reference):
    report = drift_report(reference, draw(2000, 4).assign(visits=np.nan))
    row = report.features.set_index("name").loc["visits"]
    assert row["verdict"] == "alert" and row["reason"].startswith("The missing rate rose from 0.0% to 100.0%")


def test_prediction_shift_alerts_the_batch(reference):
    rng = np.random.default_rng(5)
    ref = reference_profile(draw(5000, 999), FEATURES, pd.DataFrame({"prediction": rng.choice(["no", "yes"], 5000,
                                                                                               p=[0.8, 0.2])}))
    same = drift_report(ref, draw(2000, 6), pd.DataFrame({"prediction": rng.choice(["no", "yes"], 2000, p=[0.8, 0.2])}))
    assert same.prediction["verdict"] == "ok" and same.overall == "ok"
    shifted = drift_report(ref, draw(2000, 6), pd.DataFrame({"prediction": rng.choice(["no", "yes"], 2000,
                                                                                      p=[0.4, 0.6])}))
    assert shifted.prediction["verdict"] == "alert" and shifted.prediction["name"] == "prediction"
    assert "the share of 'no' went from 80" in shifted.prediction["reason"]
    assert shifted.overall == "alert" and shifted.share_drifted == 0.0


def test_shifting_a_third_of_the_features_alerts_the_batch(reference):
    batch = draw(2000, 8).assign(age=lambda f: f["age"] + 12, income=lambda f: f["income"] * 2,
                                 plan="basic")
    report = drift_report(reference, batch)
    assert report.share_drifted == pytest.approx(3 / 7) and report.overall == "alert"
    assert report.message == "ALERT: 3 of 7 features in alert (43%), 0 warn; 0 data-quality findings." or \
        report.message.startswith("ALERT: 3 of 7 features in alert (43%), 0 warn; ")


def test_dates_moved_a_year_later_alert():
    days = pd.Series(pd.date_range("2024-01-01", periods=365, freq="D"))
    reference = reference_profile(pd.DataFrame({"day": days.astype(str)}), [{"name": "day", "kind": "datetime"}])
    row = drift_report(reference, pd.DataFrame({"day": days + pd.Timedelta(days=365)})).features.iloc[0]
    assert row["verdict"] == "alert" and "mean moved from 2024-07-01 to 2025-07-01" in row["reason"]


def test_a_significant_test_alone_only_warns_on_a_big_batch():
    rng = np.random.default_rng(0)
    reference = reference_profile(pd.DataFrame({"x": rng.normal(0, 1, 5000)}), [NUM])
    row = drift_report(reference, pd.DataFrame({"x": rng.normal(0.25, 1, 200_000)})).features.iloc[0]
    assert row["ks_p"] < 1e-5 and row["psi"] < 0.1
    assert row["verdict"] == "warn"
    assert row["reason"].startswith(f"KS p-value {row['ks_p']:.2g} < 0.01 but PSI {row['psi']:.2f} < 0.1: a small "
                                    "but detectable shift (mean moved from")


# -- small-sample honesty --------------------------------------------------------------------------------------------

def test_fifty_rows_are_too_few_even_when_everything_moved(reference):
    batch = draw(50, 9).assign(age=lambda f: f["age"] + 40, plan="gold", income=np.nan)
    report = drift_report(reference, batch)
    assert set(report.features["verdict"]) == {"too few rows"} and report.overall == "too few rows"
    assert report.features["reason"].iloc[0] == ("Only 50 rows (fewer than 100): too few for drift tests to mean "
                                                 "anything.")
    assert report.message == "Only 50 rows: too few to judge drift (at least 100 needed)."
    assert report.features.set_index("name").loc["age", "psi"] > 1  # the scores are still shown


def test_a_feature_with_few_values_is_too_few_rows():
    frame = pd.DataFrame({"x": [float(i) if i % 20 == 0 else np.nan for i in range(2000)]})
    reference = reference_profile(frame, [NUM])
    row = drift_report(reference, frame.iloc[:300] + 1000).features.iloc[0]
    assert (row["verdict"], row["n_values"]) == ("too few rows", 15)
    assert row["reason"].startswith("Only 15 non-missing values (fewer than 20)")


# -- data quality ----------------------------------------------------------------------------------------------------

def test_missing_column_is_named_and_in_alert(reference):
    report = drift_report(reference, draw(2000, 10).drop(columns=["city"]))
    assert "Column 'city' is missing from the new data; the model needs it." in report.quality
    row = report.features.set_index("name").loc["city"]
    assert (row["verdict"], row["missing_cur"], row["reason"]) == ("alert", 1.0,
                                                                  "The column is missing from the new data.")


def test_text_in_a_numeric_column_is_counted_as_missing(reference):
    batch = draw(2000, 11).astype({"age": object})
    batch.loc[:2, "age"] = ["abc", "n/a", "abc"]
    report = drift_report(reference, batch)
    assert "Column 'age' holds 3 values that are not numbers (e.g. ['abc', 'n/a']); they count as missing." \
        in report.quality
    assert report.features.set_index("name").loc["age", "missing_cur"] == 3 / 2000


def test_out_of_range_values_are_counted(reference):
    batch = draw(2000, 12)
    batch.loc[:24, "age"] = 150.0
    batch.loc[25:26, "age"] = -30.0
    found = [q for q in drift_report(reference, batch).quality if q.startswith("Column 'age'")]
    maximum = reference["features"]["age"]["max"]
    minimum = reference["features"]["age"]["min"]
    assert found == [f"Column 'age' has values out of the training range: 25 above the training maximum "
                     f"{maximum:.4g} (up to 150) and 2 below the training minimum {minimum:.4g} (down to -30)."]


def test_a_few_values_just_past_the_range_are_not_reported():
    reference = reference_profile(pd.DataFrame({"x": np.arange(1000.0)}), [NUM])
    batch = pd.DataFrame({"x": np.r_[np.arange(998.0), [1000.0, 1001.0]]})  # 2 values within 10% of the range
    assert drift_report(reference, batch).quality == []


def test_many_unseen_categories_are_summarised():
    reference = reference_profile(pd.DataFrame({"plan": ["a", "b"] * 100}), [CAT])
    batch = pd.DataFrame({"plan": ["a", "b"] * 50 + [f"n{i}" for i in range(7) for _ in range(i + 1)]})
    assert drift_report(reference, batch).quality == [
        "Column 'plan' has 7 new categories: 'n6' (7 rows), 'n5' (6 rows), 'n4' (5 rows), 'n3' (4 rows), "
        "'n2' (3 rows) and 2 more."]


def test_integer_codes_and_text_codes_are_the_same_category():
    reference = reference_profile(pd.DataFrame({"plan": [1, 2, 3, None] * 50}), [CAT])
    report = drift_report(reference, pd.DataFrame({"plan": ["1", "2", "3", None] * 50}))
    assert report.quality == [] and report.features["psi"].iloc[0] == pytest.approx(0.0)


# -- JSON and errors ---------------------------------------------------------------------------------------------

def test_report_survives_a_json_round_trip(reference):
    batch = draw(2000, 13).assign(age=lambda f: f["age"] + 12)
    report = drift_report(reference, batch, thresholds=DriftThresholds(psi_alert=0.5))
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["features"][0]["chi2_p"] is None and data["thresholds"]["psi_alert"] == 0.5
    assert (data["overall"], data["n_rows"], data["format_version"]) == ("warn", 2000, 1)
    again = DriftReport.from_dict(data)
    assert again.to_dict() == data
    pd.testing.assert_frame_equal(again.features, report.features, check_dtype=False)


def test_thresholds_round_trip_and_check_their_values():
    custom = DriftThresholds(psi_alert=0.3, min_rows=50)
    assert DriftThresholds.from_dict(json.loads(json.dumps(custom.to_dict()))) == custom
    assert DriftThresholds.from_dict({"p_value": 0.05}) == DriftThresholds(p_value=0.05)
    with pytest.raises(DriftError, match=r"Unknown drift thresholds \['psi'\]"):
        DriftThresholds.from_dict({"psi": 0.2})
    with pytest.raises(DriftError, match="The 'min_rows' drift threshold must be a whole number >= 1. Got 0"):
        DriftThresholds(min_rows=0)
    with pytest.raises(DriftError, match="must not exceed alert thresholds"):
        DriftThresholds(psi_warn=0.5)
    with pytest.raises(DriftError, match="'p_value' drift threshold must be a number in \\[0, 10\\]. Got 'x'"):
        DriftThresholds.from_dict({"p_value": "x"})


@pytest.mark.parametrize(
    ("reference", "current", "message"),
    [
        pytest.param(None, pd.DataFrame({"x": [1.0]}), "reference profile is corrupt", id="no-reference"),
        pytest.param({"format_version": 99, "features": {}}, pd.DataFrame({"x": [1.0]}), "another version",
                     id="other-version"),
        pytest.param({"format_version": 1, "features": {"x": {"type": "numeric"}}}, pd.DataFrame({"x": [1.0]}),
                     "reference profile of 'x' is corrupt", id="corrupt-feature"),
        pytest.param("ok", pd.DataFrame(columns=["x"]), "The new data has no rows", id="empty-current"),
        pytest.param("ok", pd.DataFrame({"y": [1.0]}), "shares no column with the reference", id="no-shared-column"),
    ],
)
def test_drift_errors(reference, current, message):
    if reference == "ok":
        reference = reference_profile(pd.DataFrame({"x": np.arange(200.0)}), [NUM])
    with pytest.raises(DriftError, match=message) as caught:
        drift_report(reference, current)
    assert isinstance(caught.value, WorkbenchError)


# -- shares for the chart, windows -----------------------------------------------------------------------------------

def test_bucket_shares_for_numbers_and_categories():
    reference = reference_profile(pd.DataFrame({"x": np.arange(100.0), "plan": ["a"] * 60 + ["b"] * 40}), [NUM, CAT])
    labels, ref, cur = bucket_shares(reference, pd.DataFrame({"x": [5.0, 95.0, np.nan, np.nan]}), "x")
    assert labels[:2] == ["<= 9", "(9, 19]"] and labels[-2:] == ["> 89", "missing"]
    assert ref == pytest.approx([0.1] * 10 + [0.0]) and cur == pytest.approx([0.25] + [0.0] * 8 + [0.25, 0.5])
    labels, ref, cur = bucket_shares(reference, pd.DataFrame({"plan": ["b", "z", None, "b"]}), "plan")
    assert (labels, ref, cur) == (["a", "b", "other", "missing"], [0.6, 0.4, 0.0, 0.0], [0.0, 0.5, 0.25, 0.25])
    with pytest.raises(DriftError, match="'nope' is not in the reference profile"):
        bucket_shares(reference, pd.DataFrame({"x": [1.0]}), "nope")


def test_windowed_drift_by_day_week_and_batch():
    rng = np.random.default_rng(0)
    reference = reference_profile(pd.DataFrame({"x": rng.normal(0, 1, 5000)}), [NUM])
    current = pd.DataFrame({"x": np.r_[rng.normal(0, 1, 300), rng.normal(3, 1, 300), rng.normal(0, 1, 50)]})
    time = pd.Series(np.repeat(pd.to_datetime(["2024-05-06", "2024-05-07", "2024-05-15"]), [300, 300, 50]))
    days = windowed_drift(reference, current, time, "D")
    assert list(days.columns) == ["window", "feature", "psi", "verdict", "n_rows"]
    assert days["window"].tolist() == ["2024-05-06", "2024-05-07", "2024-05-15"]
    assert days["verdict"].tolist() == ["ok", "alert", "too few rows"] and days["n_rows"].tolist() == [300, 300, 50]
    weeks = windowed_drift(reference, current, time, "W")
    assert weeks["window"].tolist() == ["2024-05-06", "2024-05-13"] and weeks["n_rows"].tolist() == [600, 50]
    batches = windowed_drift(reference, current, freq="batch", batch=pd.Series(np.repeat([2, 1, 3], [300, 300, 50])),
                             predictions=pd.DataFrame({"prediction": np.zeros(650)}))
    assert batches["window"].tolist() == ["1", "2", "3"]  # no prediction profile in the reference: no prediction row
    with pytest.raises(DriftError, match="'freq' parameter of windowed_drift must be 'D', 'W' or 'batch'"):
        windowed_drift(reference, current, time, "M")


def test_windowed_drift_adds_the_predictions():
    rng = np.random.default_rng(1)
    reference = reference_profile(pd.DataFrame({"x": rng.normal(0, 1, 1000)}), [NUM],
                                  pd.DataFrame({"prediction": ["a", "b"] * 500}))
    current = pd.DataFrame({"x": rng.normal(0, 1, 400)})
    table = windowed_drift(reference, current, freq="batch", batch=pd.Series([0] * 200 + [1] * 200),
                           predictions=pd.DataFrame({"prediction": ["a", "b"] * 100 + ["a"] * 200}))
    assert table["feature"].tolist() == ["x", "prediction", "x", "prediction"]
    assert table["verdict"].tolist()[1::2] == ["ok", "alert"]


def test_odd_columns_all_null_infinite_nullable_and_tz_aware():
    reference = reference_profile(
        pd.DataFrame({"x": np.r_[np.arange(299.0), np.inf], "e": [np.nan] * 300,
                      "d": pd.date_range("2024-01-01", periods=300, tz="UTC")}),
        [NUM, {"name": "e", "kind": "numeric"}, {"name": "d", "kind": "datetime"}])
    assert (reference["features"]["x"]["max"], reference["features"]["x"]["missing"]) == (298.0, 1 / 300)
    assert json.loads(json.dumps(reference, allow_nan=False)) == reference
    nulls = drift_report(reference, pd.DataFrame({"x": [None] * 150, "e": np.arange(150.0), "d": [None] * 150},
                                                 dtype=object))
    assert verdicts(nulls) == {"x": "alert", "e": "ok", "d": "alert"}
    assert nulls.features["reason"].tolist()[1] == ("The column had no values in training, so there is nothing to "
                                                    "compare with.")
    typed = drift_report(reference, pd.DataFrame({"x": pd.array(range(150), dtype="Int64"), "e": [1.0] * 150,
                                                  "d": pd.date_range("2024-03-01", periods=150, tz="Europe/Paris")}))
    assert typed.features["n_values"].tolist() == [150, 150, 150]
    assert "mean moved from 2024-05-29 to 2024-05-14" in typed.features["reason"].iloc[2]


def test_features_by_drift_puts_the_drifted_feature_first():
    """Issue 17 item 5: the distribution chart opens on the worst feature, not on the one whose PSI chance inflated."""
    features = pd.DataFrame({"name": ["Assets", "Income", "Debt", "Age"], "psi": [0.4, 0.3, np.nan, 0.9],
                             "verdict": ["ok", "alert", "warn", "too few rows"]})
    report = DriftReport(features, None, [], 0.25, "warn", 500)
    assert features_by_drift(report) == ["Income", "Debt", "Assets", "Age"]
