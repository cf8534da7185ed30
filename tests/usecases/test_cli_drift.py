"""``python -m engine drift``: one file against a trained model's reference, the drift.json contract, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from usecases.cli import main


def customers(n: int, seed: int, shifted: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 10, n) + (15 if shifted else 0)
    plan = rng.choice(["basic", "premium", "standard"], n, p=[0.1, 0.2, 0.7] if shifted else [0.5, 0.2, 0.3])
    churned = np.where(rng.random(n) < 1 / (1 + np.exp(-(age - 40) / 10)), "yes", "no")
    return pd.DataFrame({"age": age.round(1), "plan": plan, "visits": rng.poisson(5, n), "churned": churned})


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """A model trained by ``python -m engine train`` (in-process) on 400 generated customers."""
    folder = tmp_path_factory.mktemp("drift")
    customers(400, 0).to_csv(folder / "train.csv", index=False)
    customers(300, 1).drop(columns="churned").to_csv(folder / "same.csv", index=False)
    customers(300, 2, shifted=True).to_csv(folder / "shifted.csv", index=False)
    assert main(["train", "--data", str(folder / "train.csv"), "--target", "churned", "--time-budget", "10",
                 "--out", str(folder / "model")]) == 0
    return folder / "model"


def test_train_writes_the_reference_profile(model_dir):
    reference = json.loads((model_dir / "reference.json").read_text())
    assert list(reference["features"]) == ["age", "plan", "visits"]
    assert reference["n_rows"] == 400 and reference["features"]["plan"]["categories"] == ["basic", "standard",
                                                                                            "premium"]
    assert reference["prediction"]["type"] == "categorical"
    assert set(reference["prediction"]["categories"]) == {"no", "yes"}


def test_unshifted_file_exits_0(model_dir, tmp_path, capsys):
    out = tmp_path / "drift.json"
    assert main(["drift", "--model", str(model_dir), "--data", str(model_dir.parent / "same.csv"),
                 "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert (report["overall"], report["n_rows"], report["share_drifted"]) == ("ok", 300, 0.0)
    assert [f["name"] for f in report["features"]] == ["age", "plan", "visits"]
    assert {f["verdict"] for f in report["features"]} == {"ok"} and report["prediction"]["verdict"] == "ok"
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ok           age: PSI 0.")
    assert lines[-1] == f"{report['message']} Wrote {out}"


def test_shifted_file_exits_4_with_a_valid_report(model_dir, tmp_path, capsys):
    out = tmp_path / "sub" / "drift.json"
    assert main(["drift", "--model", str(model_dir), "--data", str(model_dir.parent / "shifted.csv"),
                 "--out", str(out)]) == 4
    report = json.loads(out.read_text())
    assert report["overall"] == "alert" and report["format_version"] == 1
    verdicts = {f["name"]: f["verdict"] for f in report["features"]}
    assert verdicts == {"age": "alert", "plan": "alert", "visits": "ok"}
    assert report["prediction"]["verdict"] == "alert"
    reason = report["features"][0]["reason"]
    assert reason.startswith("PSI ") and "mean moved from 39" in reason
    assert report["thresholds"]["psi_alert"] == 0.25
    assert "alert        age: PSI" in capsys.readouterr().out


def test_thresholds_inline_or_from_a_file(model_dir, tmp_path):
    shifted = str(model_dir.parent / "shifted.csv")
    assert main(["drift", "--model", str(model_dir), "--data", shifted, "--out", str(tmp_path / "a.json"),
                 "--thresholds", '{"min_rows": 1000}']) == 0
    assert json.loads((tmp_path / "a.json").read_text())["overall"] == "too few rows"
    (tmp_path / "t.json").write_text(json.dumps({"psi_warn": 5, "psi_alert": 9, "js_warn": 0.9, "js_alert": 1,
                                                 "p_value": 0}))
    assert main(["drift", "--model", str(model_dir), "--data", shifted, "--out", str(tmp_path / "b.json"),
                 "--thresholds", str(tmp_path / "t.json")]) == 0
    assert json.loads((tmp_path / "b.json").read_text())["overall"] == "ok"


def test_a_missing_column_is_reported_not_fatal(model_dir, tmp_path):
    customers(300, 3).drop(columns=["plan"]).to_csv(tmp_path / "few.csv", index=False)
    assert main(["drift", "--model", str(model_dir), "--data", str(tmp_path / "few.csv"),
                 "--out", str(tmp_path / "d.json")]) == 4  # 1 of 3 features (33%) in alert
    report = json.loads((tmp_path / "d.json").read_text())
    assert report["prediction"] is None  # the model cannot score rows without 'plan'
    assert "Column 'plan' is missing from the new data; the model needs it." in report["quality"]


def test_a_model_without_reference_exits_2(model_dir, tmp_path, capsys):
    old = tmp_path / "old"
    shutil.copytree(model_dir, old)
    (old / "reference.json").unlink()
    assert main(["drift", "--model", str(old), "--data", str(model_dir.parent / "same.csv"),
                 "--out", str(tmp_path / "d.json")]) == 2
    assert capsys.readouterr().err == (
        f"error: '{old}' has no reference.json (it was trained before drift monitoring); retrain it with "
        "`python -m engine train` to store one.\n")
    assert not (tmp_path / "d.json").exists()


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        pytest.param('{"psi": 1}', "error: Unknown drift thresholds ['psi']", id="unknown-key"),
        pytest.param("[1, 2]", "error: --thresholds must be a JSON object", id="not-an-object"),
        pytest.param("{oops", "error: --thresholds must be a JSON object or a JSON file", id="not-json"),
    ],
)
def test_bad_thresholds_exit_1_with_one_line(model_dir, tmp_path, capsys, thresholds, message):
    assert main(["drift", "--model", str(model_dir), "--data", str(model_dir.parent / "same.csv"),
                 "--out", str(tmp_path / "d.json"), "--thresholds", thresholds]) == 1
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_empty_data_exits_1(model_dir, tmp_path, capsys):
    (tmp_path / "empty.csv").write_text("age,plan,visits\n")
    assert main(["drift", "--model", str(model_dir), "--data", str(tmp_path / "empty.csv"),
                 "--out", str(tmp_path / "d.json")]) == 1
    assert capsys.readouterr().err.startswith("error: ")
