"""Split advice (group / time) and the leakage audit: small hand-built frames, real numbers asserted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.data.schema import infer_schema
from engine.errors import TargetError
from engine.prepare.leakage import AuditResult, LeakFinding, audit_leakage
from engine.prepare.split_advisor import SplitAdvice, advise_split


def _customers(n_customers: int = 20, rows_each: int = 3) -> pd.DataFrame:
    n = n_customers * rows_each
    return pd.DataFrame({
        "customer_id": [f"C{i // rows_each:03d}" for i in range(n)],
        "spend": np.arange(n, dtype=float) % 7,
        "plan": ["basic", "pro", "max"] * (n // 3),
        "churned": ["yes", "no"] * (n // 2),
    })


def _advise(frame: pd.DataFrame, split: dict | None = None, target: str = "churned") -> list[SplitAdvice]:
    return advise_split(frame, infer_schema(frame), target, "classification", split)


# ---------------------------------------------------------------- split advice

def test_repeated_customer_id_gives_group_advice_with_counts():
    advice = _advise(_customers())
    assert [(a.strategy, a.column) for a in advice] == [("group", "customer_id")]
    assert advice[0].evidence == {"rows": 60, "groups": 20, "mean_rows_per_group": 3.0, "repeated_share": 1.0}
    assert advice[0].update == {"strategy": "group", "group_column": "customer_id"}
    assert advice[0].message.startswith("60 rows share 20 customer_id values (3.0 rows each on average")
    assert "split by groups of customer_id instead" in advice[0].message


def test_missing_keys_are_ignored_in_the_counts():
    frame = _customers()
    frame.loc[:5, "customer_id"] = None
    (advice,) = _advise(frame)
    assert advice.evidence["rows"] == 54 and advice.evidence["groups"] == 18


def test_unique_row_id_gives_no_group_advice():
    frame = pd.DataFrame({"row_id": np.arange(60), "order_id": [f"O{i}" for i in range(60)],
                          "churned": ["yes", "no"] * 30})
    assert _advise(frame) == []


def test_an_integer_quantity_is_not_mistaken_for_a_key():
    frame = pd.DataFrame({"age": np.arange(60) % 25 + 20, "churned": ["yes", "no"] * 30})
    assert _advise(frame) == []


def test_the_target_is_never_advised():
    frame = _customers()
    assert _advise(frame, target="customer_id") == []


def test_date_column_gives_time_advice():
    frame = _customers()
    frame["signup_date"] = pd.date_range("2024-01-01", periods=60, freq="D").strftime("%Y-%m-%d")
    advice = [a for a in _advise(frame) if a.strategy == "time"]
    assert [a.column for a in advice] == ["signup_date"]
    assert advice[0].evidence == {"first": "2024-01-01", "last": "2024-02-29", "distinct": 60}
    assert advice[0].update == {"strategy": "time", "time_column": "signup_date"}
    assert "train on the earlier rows" in advice[0].message


def test_dates_within_one_day_give_no_time_advice():
    frame = _customers()
    frame["seen_at"] = pd.date_range("2024-01-01 08:00", periods=60, freq="min")
    assert [a.strategy for a in _advise(frame)] == ["group"]


def test_advice_already_applied_is_skipped():
    frame = _customers()
    frame["signup_date"] = pd.date_range("2024-01-01", periods=60, freq="D")
    assert [a.strategy for a in _advise(frame, {"strategy": "group", "group_column": "customer_id"})] == ["time"]
    assert [a.strategy for a in _advise(frame, {"strategy": "time", "time_column": "signup_date"})] == ["group"]
    assert len(_advise(frame, {"strategy": "group", "group_column": "other"})) == 2


def test_at_most_three_group_advices_most_rows_per_group_first():
    frame = _customers(30, 4)
    for name, size in [("store_id", 6), ("account_id", 2), ("device_id", 5), ("region_id", 10)]:
        frame[name] = [f"x{i // size}" for i in range(len(frame))]
    advice = _advise(frame)
    assert [a.column for a in advice] == ["region_id", "store_id", "device_id"]


def test_unknown_task_is_a_target_error():
    with pytest.raises(TargetError, match="'classification' or 'regression'"):
        advise_split(_customers(), infer_schema(_customers()), "churned", "ranking")


# ---------------------------------------------------------------- leakage audit

def _honest(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.random.Generator]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"age": rng.normal(40, 10, n), "plan": rng.choice(["basic", "pro", "max"], n),
                          "visits": rng.integers(0, 30, n)})
    return frame, rng


def _findings(result: AuditResult) -> dict[str, str]:
    return {f.column: f.reason for f in result.findings}


def test_honest_random_features_give_no_findings_and_scores_near_half():
    frame, rng = _honest()
    y = pd.Series(rng.choice(["stay", "churn"], len(frame)))
    result = audit_leakage(frame, y, infer_schema(frame), "churned", "classification", seed=0)
    assert result.findings == []
    assert list(result.scores.columns) == ["column", "kind", "score", "metric"]
    assert set(result.scores["metric"]) == {"ROC-AUC"}
    assert result.scores["score"].between(0.4, 0.6).all()
    assert result.scores["score"].is_monotonic_decreasing


def test_honest_regression_scores_near_zero():
    frame, rng = _honest()
    y = pd.Series(rng.normal(size=len(frame)))
    result = audit_leakage(frame, y, infer_schema(frame), "price", "regression")
    assert result.findings == [] and (result.scores["score"] < 0.1).all()
    assert set(result.scores["metric"]) == {"R²"}


def test_regression_copy_of_target_is_found():
    frame, rng = _honest()
    y = pd.Series(rng.normal(100, 20, len(frame)))
    frame["price_cents"] = y * 2 + 0
    result = audit_leakage(frame, y, infer_schema(frame), "price", "regression")
    (finding,) = result.findings
    assert finding.column == "price_cents" and finding.reason == "copy_of_target"
    assert finding.metric == "Spearman |ρ|" and finding.score == pytest.approx(1.0)
    assert "'price_cents'" in finding.message and "price" in finding.message


def test_classification_copy_with_string_labels_takes_priority():
    frame, rng = _honest()
    y = pd.Series(rng.choice(["stay", "churn"], len(frame)))
    frame["status_code"] = y.map({"stay": "S", "churn": "C"})
    result = audit_leakage(frame, y, infer_schema(frame), "churned", "classification")
    assert result.findings == [LeakFinding("status_code", "copy_of_target", 1.0, "match", result.findings[0].message)]
    assert result.scores.iloc[0]["column"] == "status_code" and result.scores.iloc[0]["score"] == pytest.approx(1.0)


def test_target_with_two_percent_flipped_predicts_target():
    frame, rng = _honest(500)
    y = pd.Series(rng.choice(["stay", "churn"], len(frame)))
    status = y.copy()
    flip = rng.choice(len(frame), 10, replace=False)
    status.iloc[flip] = status.iloc[flip].map({"stay": "churn", "churn": "stay"})
    frame["account_status"] = status
    result = audit_leakage(frame, y, infer_schema(frame), "churned", "classification")
    (finding,) = result.findings
    assert finding.column == "account_status" and finding.reason == "predicts_target"
    assert finding.metric == "ROC-AUC" and 0.97 <= finding.score < 0.99
    assert finding.message.startswith("'account_status' alone predicts churned with ROC-AUC 0.97 on the training rows")


def test_id_sorted_by_target_is_an_identifier_shortcut():
    frame, rng = _honest()
    y = pd.Series(rng.choice(["stay", "churn"], len(frame)))
    order = np.argsort(y.to_numpy(), kind="stable")
    frame["customer_id"] = np.empty(len(frame), dtype=int)
    frame.loc[order, "customer_id"] = np.arange(1000, 1000 + len(frame))
    schema = infer_schema(frame)
    assert {c.name: c.kind for c in schema}["customer_id"] == "identifier"
    result = audit_leakage(frame, y, schema, "churned", "classification")
    assert _findings(result) == {"customer_id": "identifier_shortcut"}
    assert result.findings[0].score >= 0.75


def test_multiclass_uses_macro_auc():
    frame, rng = _honest(300)
    y = pd.Series(rng.choice(["a", "b", "c"], len(frame)))
    frame["leak"] = y.map({"a": 1.0, "b": 2.0, "c": 3.0}) + rng.uniform(0, 0.5, len(frame))
    result = audit_leakage(frame, y, infer_schema(frame), "grade", "classification")
    assert _findings(result) == {"leak": "predicts_target"}
    assert result.scores.set_index("column").loc["leak", "score"] == pytest.approx(1.0)


def test_all_missing_column_scores_half_and_datetimes_are_scored():
    frame, rng = _honest(100)
    frame["empty"] = np.nan
    frame["seen"] = pd.date_range("2024-01-01", periods=100, freq="h")
    y = pd.Series(rng.choice(["stay", "churn"], 100))
    scores = audit_leakage(frame, y, infer_schema(frame), "churned", "classification").scores.set_index("column")
    assert scores.loc["empty", "score"] == 0.5 and scores.loc["seen", "kind"] == "datetime"


def test_sampling_is_deterministic_and_target_column_is_excluded():
    frame, rng = _honest(3000)
    y = pd.Series(rng.normal(size=3000))
    frame["price"] = y
    first = audit_leakage(frame, y, [], "price", "regression", max_rows=500, seed=3)
    again = audit_leakage(frame, y, [], "price", "regression", max_rows=500, seed=3)
    assert "price" not in set(first.scores["column"])
    pd.testing.assert_frame_equal(first.scores, again.scores)


@pytest.mark.parametrize("y, task, match", [
    (pd.Series(["a"] * 30), "classification", "at least two"),
    (pd.Series([1.0] * 30), "regression", "at least two"),
    (pd.Series(["x", "y"] * 15), "regression", "non-numeric"),
], ids=["one-class", "constant", "text-regression"])
def test_unlearnable_targets_are_target_errors(y, task, match):
    frame = pd.DataFrame({"f": np.arange(30.0)})
    with pytest.raises(TargetError, match=match):
        audit_leakage(frame, y, [], "t", task)


def test_empty_frame_is_a_target_error():
    with pytest.raises(TargetError, match="nothing to audit"):
        audit_leakage(pd.DataFrame(), pd.Series([], dtype=float), [], "t", "regression")
