"""Late labels on a model trained in a tmp workspace: joined to stored batches by a key, decay per window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import load_sample
from engine.errors import ColumnError, DecayError
from storage import Workspace
from usecases import monitor_labels, monitoring


@pytest.fixture(scope="module")
def churn() -> pd.DataFrame:
    return load_sample("customer_churn")


@pytest.fixture
def model_id(churn_champion) -> int:
    return churn_champion["champion_model_id"]


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _labels(rows: pd.DataFrame, wrong: float, seed: int = 0) -> pd.DataFrame:
    """The true outcome of ``rows``, with a share ``wrong`` of them flipped (a world that changed)."""
    rng = np.random.default_rng(seed)
    flip = rng.random(len(rows)) < wrong
    truth = np.where(flip, np.where(rows["churned"] == "yes", "no", "yes"), rows["churned"])
    return pd.DataFrame({"customer_id": rows["customer_id"], "churned": truth})


def test_labels_join_by_key_and_the_metric_is_compared_with_validation(ws, model_id, churn):
    assert monitor_labels.decay_check(ws, model_id) is None  # nothing uploaded yet
    with pytest.raises(DecayError, match="has not scored any stored rows"):
        monitor_labels.add_label_file(ws, model_id, _csv(_labels(churn.head(50), 0)), "early.csv", "customer_id")
    rows = churn.sample(600, random_state=3).reset_index(drop=True)
    monitoring.add_upload(ws, model_id, _csv(rows.drop(columns="churned")), "june.csv")
    assert monitor_labels.key_columns(ws, model_id)[0] == "customer_id"  # all distinct: the likeliest key

    record, notes = monitor_labels.add_label_file(ws, model_id, _csv(_labels(rows, 0.0)), "june-labels.csv",
                                                  "customer_id")
    assert record["n_rows"] == 600 and notes == []
    check = monitor_labels.decay_check(ws, model_id, "all")
    card = ws.load_model(model_id)[1]
    assert check.metric == card["metric"] and check.baseline == card["metrics"]["validation"][card["metric"]]
    row = check.table.iloc[0]
    assert check.labelled == 600 and row["n_rows"] == 600
    assert row["verdict"] in ("ok", "warn") and abs(row["value"] - check.baseline) < 0.1

    # the same customers, relabelled: a third of the outcomes changed -> the newest label of a key wins
    monitor_labels.add_label_file(ws, model_id, _csv(_labels(rows, 0.35, seed=1)), "july-labels.csv", "customer_id")
    worse = monitor_labels.decay_check(ws, model_id, "all").table.iloc[0]
    assert worse["value"] < row["value"] - 0.1
    assert worse["verdict"] == "alert" and "outside what chance explains" in worse["reason"]

    fresh = Workspace(ws.home)  # survives a restart: labels and thresholds are in the workspace
    project_id = ws.get_model(model_id)["project_id"]
    monitor_labels.save_decay_thresholds(fresh, project_id, {"score_drop": 0.9})
    assert monitor_labels.decay_check(fresh, model_id, "all").table.iloc[0]["verdict"] != "alert"
    assert monitor_labels.decay_thresholds(fresh, project_id).score_drop == 0.9
    assert monitor_labels.save_decay_thresholds(fresh, project_id, None).score_drop == 0.05


def test_bad_labels_files_are_refused_and_nothing_is_saved(ws, model_id, churn):
    rows = churn.head(100)
    monitoring.add_upload(ws, model_id, _csv(rows.drop(columns="churned")), "june.csv")
    project_id = ws.get_model(model_id)["project_id"]
    with pytest.raises(ColumnError, match="no column 'churned'"):
        monitor_labels.add_label_file(ws, model_id, _csv(rows[["customer_id"]]), "x.csv", "customer_id")
    with pytest.raises(DecayError, match="None of the 3 labels matches"):
        monitor_labels.add_label_file(ws, model_id, _csv(pd.DataFrame({"customer_id": ["X1", "X2", "X3"],
                                                                       "churned": ["no"] * 3})), "y.csv",
                                      "customer_id")
    with pytest.raises(DecayError, match="appear more than once"):
        monitor_labels.add_label_file(ws, model_id, _csv(pd.concat([_labels(rows, 0)] * 2)), "z.csv", "customer_id")
    with pytest.raises(DecayError, match="no column 'plan_code' to join on"):
        monitor_labels.add_label_file(ws, model_id, _csv(_labels(rows, 0).assign(plan_code=1)), "w.csv", "plan_code")
    assert ws.list_labels(project_id) == []


def test_a_numeric_key_matches_though_some_batches_lack_it(ws, model_id, churn):
    """Issue 17 item 2: an integer key read back as float ('1.0') once a batch without it is stacked."""
    rows = churn.sample(150, random_state=4).reset_index(drop=True).drop(columns="churned")
    with_ids = rows.head(100).assign(loan_id=range(1, 101))
    monitoring.add_upload(ws, model_id, _csv(with_ids), "loans.csv")
    monitoring.add_upload(ws, model_id, _csv(rows.tail(50)), "no-ids.csv")  # e.g. a file scored without the ID
    labels = pd.DataFrame({"loan_id": range(1, 121), "churned": ["no"] * 120})  # 20 the model never scored
    record, notes = monitor_labels.add_label_file(ws, model_id, _csv(labels), "loan-labels.csv", "loan_id")
    assert record["n_rows"] == 120
    assert notes == ["20 of 120 labels match no scored row (their loan_id is unknown); they are left out."]
    assert monitor_labels.decay_check(ws, model_id, "all").labelled == 100
    keys = monitor_labels.key_columns(ws, model_id)
    assert keys[:2] == ["customer_id", "loan_id"]  # identifiers first
    assert keys.index("monthly_charges") > keys.index("plan")  # a measurement with fractions is no key


def test_a_key_that_matches_nothing_says_what_each_side_holds(ws, model_id, churn):
    rows = churn.head(40).drop(columns="churned").assign(loan_id=range(1, 41))
    monitoring.add_upload(ws, model_id, _csv(rows), "loans.csv")
    labels = pd.DataFrame({"loan_id": [f"L-{i}" for i in range(1, 6)], "churned": ["no"] * 5})
    with pytest.raises(DecayError) as error:
        monitor_labels.add_label_file(ws, model_id, _csv(labels), "loan-labels.csv", "loan_id")
    assert "the labels' loan_id values are text (e.g. 'L-1', 'L-2', 'L-3'); the scored rows' are whole numbers " \
           "(e.g. 1, 2, 3)" in str(error.value)
    assert ws.list_labels(ws.get_model(model_id)["project_id"]) == []
