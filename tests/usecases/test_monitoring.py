"""Monitoring use cases on a model trained in a tmp workspace: reference profiles, batches, drift, thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import load_sample
from engine.errors import ColumnError, DriftError, EmptyDataError, MalformedFileError
from storage import Workspace, read_reference
from usecases import monitoring, projects, scoring


@pytest.fixture(scope="module")
def churn() -> pd.DataFrame:
    """The bundled churn sample (1,500 rows): plan, region, tenure_months, monthly_charges, ..."""
    return load_sample("customer_churn")


@pytest.fixture
def model_id(churn_champion) -> int:
    """The champion of a churn project trained in this process (baseline + linear, no CV)."""
    return churn_champion["champion_model_id"]


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _shifted(churn: pd.DataFrame, n: int = 400) -> pd.DataFrame:
    rows = churn.sample(n, random_state=1).reset_index(drop=True)
    return rows.assign(monthly_charges=rows["monthly_charges"] * 1.8 + 40)


def test_training_stores_a_reference_of_the_training_split_only(ws, model_id):
    reference = read_reference(ws.model_dir(model_id))
    card = ws.load_model(model_id)[1]
    assert reference["n_rows"] == card["trained_on"]["rows"] == 1050  # 70% of 1,500: never validation or test
    assert set(reference["features"]) >= {"plan", "region", "tenure_months", "monthly_charges"}
    assert reference["prediction"]["type"] == "categorical"
    assert reference["model_id"] == model_id and reference["created_at"]


def test_a_shifted_batch_flags_the_shifted_feature_with_a_reason(ws, model_id, churn):
    batch = monitoring.add_upload(ws, model_id, _csv(_shifted(churn)), "june.csv")
    assert (batch["source"], batch["name"], batch["n_rows"]) == ("upload", "june.csv", 400)
    check = monitoring.drift_check(ws, model_id)
    table = check.report.features.set_index("name")
    assert table.loc["monthly_charges", "verdict"] == "alert"
    assert "PSI" in table.loc["monthly_charges", "reason"] and "mean moved" in table.loc["monthly_charges", "reason"]
    assert table.loc["plan", "verdict"] == "ok" and table.loc["region", "verdict"] == "ok"
    assert any("monthly_charges" in finding and "training maximum" in finding for finding in check.report.quality)
    assert check.batch["key"] == f"batch:{batch['id']}"


def test_an_unshifted_batch_is_ok(ws, model_id, churn):
    monitoring.add_upload(ws, model_id, _csv(churn.sample(400, random_state=2)), "same.csv")
    check = monitoring.drift_check(ws, model_id)
    assert check.report.overall == "ok", check.report.features[["name", "verdict", "reason"]]
    assert set(check.report.features["verdict"]) == {"ok"}


def test_a_small_batch_says_too_few_rows_instead_of_alerting(ws, model_id, churn):
    monitoring.add_upload(ws, model_id, _csv(_shifted(churn, n=30)), "tiny.csv")
    report = monitoring.drift_check(ws, model_id).report
    assert report.overall == "too few rows"
    assert "alert" not in set(report.features["verdict"])


def test_thresholds_are_saved_applied_and_reset(ws, model_id, churn):
    project_id = ws.get_model(model_id)["project_id"]
    rows = churn.sample(400, random_state=3).reset_index(drop=True)
    monitoring.add_upload(ws, model_id, _csv(rows.assign(monthly_charges=rows["monthly_charges"] * 1.15)), "m.csv")
    before = monitoring.drift_check(ws, model_id).report.features.set_index("name").loc["monthly_charges"]
    psi = before["psi"]
    monitoring.save_thresholds(ws, project_id, {"psi_warn": psi / 4, "psi_alert": psi / 2})
    assert monitoring.project_thresholds(Workspace(ws.home), project_id).psi_alert == pytest.approx(psi / 2)
    after = monitoring.drift_check(ws, model_id).report.features.set_index("name").loc["monthly_charges"]
    assert after["verdict"] == "alert" and after["psi"] == pytest.approx(psi)
    with pytest.raises(DriftError, match="psi_warn"):
        monitoring.save_thresholds(ws, project_id, {"psi_warn": 0.5, "psi_alert": 0.2})
    assert monitoring.save_thresholds(ws, project_id, None).psi_alert == 0.25
    assert ws.get_drift_thresholds(project_id) is None


def test_a_model_without_reference_gets_it_rebuilt_on_demand(ws, model_id, churn):
    stored = read_reference(ws.model_dir(model_id))
    (ws.model_dir(model_id) / "reference.json").unlink()
    assert read_reference(ws.model_dir(model_id)) is None
    rebuilt = monitoring.model_reference(ws, model_id)
    assert rebuilt["features"] == stored["features"] and rebuilt["prediction"] == stored["prediction"]
    assert read_reference(ws.model_dir(model_id))["n_rows"] == 1050  # saved for next time


@pytest.mark.parametrize(("data", "name", "error", "match"), [
    (b"", "empty.csv", EmptyDataError, "empty"),
    (b"plan,region\n", "header.csv", EmptyDataError, "no data rows"),
    (b"plan,region\nbasic,east\n", "few.csv", ColumnError, "lacks 4 of the 6 columns"),
    (b"\x00\x01\x02garbage\xff" * 20, "junk.parquet", MalformedFileError, "cannot be read as .parquet"),
], ids=["empty", "header-only", "missing-columns", "not-a-table"])
def test_bad_uploads_are_refused_and_nothing_is_saved(ws, model_id, data, name, error, match):
    with pytest.raises(error, match=match):
        monitoring.add_upload(ws, model_id, data, name)
    assert monitoring.incoming_batches(ws, model_id) == []
    assert monitoring.drift_check(ws, model_id) is None


def test_batches_from_uploads_scoring_and_rest_are_listed_and_checked_together(ws, model_id, churn):
    rows = churn.sample(150, random_state=4)
    scoring.score_upload(ws, model_id, _csv(rows), "scored.csv")
    scoring.score_upload(ws, model_id, _csv(rows), "scored.csv")  # a rerun of the page: still one batch
    monitoring.add_upload(ws, model_id, _csv(_shifted(churn, 200)), "june.csv")
    records = churn.drop(columns=["churned"]).head(120).replace({np.nan: None}).to_dict("records")
    ws.log_prediction(model_id, inputs=records, outputs={"predictions": ["no"] * 120}, ms=3.0, model_version="v1",
                      created_at="2099-01-01T10:00:00.000+00:00")
    batches = monitoring.incoming_batches(ws, model_id)
    assert [b["source"] for b in batches] == ["batch scoring", "upload", "rest"]
    assert [b["n_rows"] for b in batches] == [150, 200, 120]
    rest = monitoring.drift_check(ws, model_id, "rest:2099-01-01")
    assert rest.report.n_rows == 120 and rest.report.prediction["verdict"] in ("warn", "alert")
    combined = monitoring.drift_check(ws, model_id, monitoring.ALL)
    assert combined.batch is None and combined.report.n_rows == 470
    windows = monitoring.drift_over_time(ws, model_id, "batch")
    assert windows["window"].nunique() == 3
    shifted = windows[(windows["feature"] == "monthly_charges") & windows["window"].str.contains("june")]
    assert shifted["verdict"].tolist() == ["alert"]
    assert set(monitoring.drift_over_time(ws, model_id, "W")["feature"]) >= {"monthly_charges", "prediction"}


def test_rows_appended_on_data_reach_the_champions_monitor_once(ws, churn_champion, model_id, churn):
    pid = churn_champion["id"]
    first = ws.get_project(pid)["dataset_id"]
    appended = projects.append_file(ws, pid, _csv(_shifted(churn, 120)), "july.csv")
    batches = monitoring.incoming_batches(ws, model_id)
    assert [(b["source"], b["n_rows"]) for b in batches] == [("append", 120)]
    assert f"july.csv (added to data version #{first})" in batches[0]["label"]
    projects.append_file(ws, pid, _csv(_shifted(churn, 120).head(100)), "july.csv", onto=first)  # read again
    assert [b["n_rows"] for b in monitoring.incoming_batches(ws, model_id)] == [100]  # replaced, not added
    projects.append_file(ws, pid, _csv(churn.head(30)), "august.csv", onto=appended["id"])
    assert [b["n_rows"] for b in monitoring.incoming_batches(ws, model_id)] == [100, 30]
    july = ws.list_batches(pid)[0]
    check = monitoring.drift_check(ws, model_id, f"batch:{july['id']}")
    assert check.report.features.set_index("name").loc["monthly_charges", "verdict"] == "alert"


def test_appending_rows_before_any_model_stores_no_batch(ws, churn):
    project = ws.create_project("Fresh")
    projects.import_sample(ws, project["id"], "customer_churn")
    projects.append_file(ws, project["id"], _csv(churn.head(20)), "more.csv")
    assert ws.list_batches(project["id"]) == []


def test_a_deleted_batch_leaves_the_monitor_and_another_projects_batch_is_refused(ws, churn_champion, model_id,
                                                                                  churn):
    pid = churn_champion["id"]
    kept = monitoring.add_upload(ws, model_id, _csv(churn.sample(100, random_state=8)), "kept.csv")
    wrong = monitoring.add_upload(ws, model_id, _csv(_shifted(churn, 100)), "mistake.csv")
    monitoring.delete_batch(ws, pid, wrong["id"])
    assert [b["key"] for b in monitoring.incoming_batches(ws, model_id)] == [f"batch:{kept['id']}"]
    assert not (ws.home / wrong["path"]).exists()
    other = ws.create_project("Other")
    with pytest.raises(ColumnError, match="another project"):
        monitoring.delete_batch(ws, other["id"], kept["id"])
    assert len(monitoring.incoming_batches(ws, model_id)) == 1
