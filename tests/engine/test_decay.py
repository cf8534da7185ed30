"""Performance decay on late labels: joining labels to scored rows, per-window scores against validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.errors import DecayError
from engine.monitor.decay import DecayThresholds, decay_report, join_labels, key_text


def _scored(n: int = 400, seed: int = 0, flip: float = 0.1, weeks: int = 2) -> pd.DataFrame:
    """Binary predictions, ``flip`` of them wrong, spread over ``weeks`` weeks; labels in column "truth"."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(["no", "yes"], n)
    wrong = rng.random(n) < flip
    prediction = np.where(wrong, np.where(truth == "yes", "no", "yes"), truth)
    p_yes = np.clip(np.where(prediction == "yes", 0.8, 0.2) + rng.normal(0, 0.05, n), 0, 1)
    days = pd.Timestamp("2026-03-02") + pd.to_timedelta(np.sort(rng.integers(0, 7 * weeks, n)), unit="D")
    return pd.DataFrame({"id": np.arange(n), "prediction": prediction, "proba_no": 1 - p_yes, "proba_yes": p_yes,
                         "arrived_at": days.strftime("%Y-%m-%d"), "truth": truth})


def test_join_labels_matches_by_key_as_text_and_reports_what_did_not_match():
    scored = _scored(10)
    labels = pd.DataFrame({"id": [str(i) for i in range(5)] + ["99"], "y": ["yes"] * 6})
    joined, notes = join_labels(scored.drop(columns="truth"), labels, "id", "y")
    assert joined["id"].tolist() == [0, 1, 2, 3, 4]
    assert (joined["actual"] == "yes").all()
    assert notes == ["1 of 6 labels match no scored row (their id is unknown); they are left out."]


@pytest.mark.parametrize(("labels", "message"), [
    (pd.DataFrame({"key": [1], "y": ["a"]}), "no column 'id'"),
    (pd.DataFrame({"id": [1], "z": ["a"]}), "no column 'y' (the target)"),
    (pd.DataFrame({"id": [1, 1, 2], "y": ["a", "b", "a"]}), "1 key(s) appear more than once"),
    (pd.DataFrame({"id": [1000, 1001], "y": ["a", "b"]}), "None of the 2 labels matches"),
    (pd.DataFrame({"id": [None], "y": ["a"]}), "no row with both"),
])
def test_join_labels_refuses_what_it_cannot_join(labels, message):
    with pytest.raises(DecayError, match=message.replace("(", r"\(").replace(")", r"\)")):
        join_labels(_scored(10), labels, "id", "y")


def test_a_model_as_good_as_on_validation_is_ok_and_a_worse_one_alerts():
    good = _scored(600, flip=0.1).rename(columns={"truth": "actual"})
    report = decay_report(good, "classification", "accuracy", 0.9, time=good["arrived_at"], freq="W",
                          classes=["no", "yes"])
    assert report["window"].tolist() == ["2026-03-02", "2026-03-09"]
    assert report["n_rows"].sum() == 600
    assert (report["verdict"] == "ok").all()
    assert report["value"].between(0.85, 0.95).all()
    assert (report["low"] < report["value"]).all() and (report["value"] < report["high"]).all()

    worse = _scored(600, seed=1, flip=0.3).rename(columns={"truth": "actual"})
    report = decay_report(worse, "classification", "accuracy", 0.9, freq="all")
    row = report.iloc[0]
    assert row["verdict"] == "alert" and row["change"] == pytest.approx(row["value"] - 0.9)
    assert 0.65 < row["value"] < 0.75
    assert "more than 0.05 below" in row["reason"] and "outside what chance explains" in row["reason"]


def test_error_metrics_alert_on_a_relative_rise_and_small_windows_say_so():
    rng = np.random.default_rng(0)
    actual = rng.normal(100, 10, 300)
    rows = pd.DataFrame({"actual": actual, "prediction": actual + rng.normal(0, 5, 300)})
    ok = decay_report(rows, "regression", "rmse", 5.0, freq="all").iloc[0]
    assert ok["verdict"] == "ok" and ok["value"] == pytest.approx(5.0, abs=0.5)
    worse = decay_report(rows.assign(prediction=actual + rng.normal(0, 8, 300)), "regression", "rmse", 5.0,
                         freq="all").iloc[0]
    assert worse["verdict"] == "alert" and "10% above" in worse["reason"]
    few = decay_report(rows.head(10), "regression", "rmse", 5.0, freq="all").iloc[0]
    assert few["verdict"] == "too few rows" and np.isnan(few["value"])
    assert "10 labelled rows; 30 are needed" in few["reason"]


def test_a_drop_within_noise_only_warns():
    actual = np.array(["yes", "no"] * 20)
    prediction = actual.copy()
    prediction[:7] = np.where(actual[:7] == "yes", "no", "yes")  # 33 of 40 right: 0.825
    rows = pd.DataFrame({"actual": actual, "prediction": prediction})
    row = decay_report(rows, "classification", "accuracy", 0.9, freq="all").iloc[0]
    assert row["value"] == pytest.approx(0.825)
    assert row["low"] < 0.9 < row["high"]
    assert row["verdict"] == "warn" and "within what chance explains" in row["reason"]


def test_a_one_class_window_cannot_score_roc_auc():
    rows = _scored(100).rename(columns={"truth": "actual"}).assign(actual="yes")
    row = decay_report(rows, "classification", "roc_auc", 0.9, freq="all", classes=["no", "yes"]).iloc[0]
    assert row["verdict"] == "too few rows" and "cannot be computed" in row["reason"]


def test_thresholds_round_trip_and_are_checked():
    assert DecayThresholds.from_dict(DecayThresholds(score_drop=0.02).to_dict()).score_drop == 0.02
    with pytest.raises(DecayError, match="Unknown decay thresholds"):
        DecayThresholds.from_dict({"drop": 1})
    with pytest.raises(DecayError, match="min_rows"):
        DecayThresholds.from_dict({"min_rows": 0})
    with pytest.raises(DecayError, match="does not measure regression"):
        decay_report(pd.DataFrame({"actual": [1.0], "prediction": [1.0]}), "regression", "accuracy", 0.5,
                     freq="all")


def test_keys_compare_by_value_whatever_their_dtype():
    assert key_text(pd.Series([7, 7.0, "7.0", " 7 ", "007", 1.5, None])).tolist() == [
        "7", "7", "7", "7", "007", "1.5", np.nan]
    # an integer key turns float when one of the stacked batches lacks it; the labels still hold integers
    scored = pd.DataFrame({"loan_id": [1.0, 2.0, np.nan, 3.0], "prediction": ["a", "b", "a", "b"]})
    joined, notes = join_labels(scored, pd.DataFrame({"loan_id": [1, 3, 9], "y": ["a", "a", "b"]}), "loan_id", "y")
    assert joined["loan_id"].tolist() == [1.0, 3.0] and joined["actual"].tolist() == ["a", "a"]
    assert notes == ["1 of 3 labels match no scored row (their loan_id is unknown); they are left out."]
    joined, _ = join_labels(scored, pd.DataFrame({"loan_id": ["2.0", " 3"], "y": ["b", "b"]}), "loan_id", "y")
    assert joined["loan_id"].tolist() == [2.0, 3.0]


def test_no_match_says_what_each_side_holds():
    scored = pd.DataFrame({"loan_id": [1.0, 2.0, np.nan], "prediction": ["a", "b", "a"]})
    with pytest.raises(DecayError) as error:
        join_labels(scored, pd.DataFrame({"loan_id": ["L-1", "L-2"], "y": ["a", "b"]}), "loan_id", "y")
    assert str(error.value).startswith(
        "None of the 2 labels matches a scored row by 'loan_id': the labels' loan_id values are text (e.g. 'L-1', "
        "'L-2'); the scored rows' are whole numbers (e.g. 1, 2), missing in 1 of 3 rows.")
