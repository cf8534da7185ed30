"""The command line: ``python -m engine train|predict`` as other tools call it, in a subprocess."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from engine import DEFAULT_RECIPE, ColumnInfo, build_pipeline, load_sample, metrics_for_task, predict_frame
from engine.deploy.export import loads_skops
from storage import sha256_file, write_model_dir
from usecases.cli import main
from usecases.export import load_model_dir, write_dir_skops

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """tiny_churn.csv trained once for the whole module."""
    out = tmp_path_factory.mktemp("cli") / "model"
    result = cli("train", "--data", str(DATA / "tiny_churn.csv"), "--target", "churned", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(f"; wrote {out / 'model.joblib'}\n")
    return out


@pytest.mark.slow
def test_train_writes_a_model_and_its_card(model_dir):
    assert sorted(p.name for p in model_dir.iterdir()) == ["exports.json", "model.joblib", "model.json", "model.onnx",
                                                           "model.skops", "reference.json"]
    card = json.loads((model_dir / "model.json").read_text())
    assert card["exports"]["model.onnx"]["reason"] is None and card["exports"]["model.onnx"]["rows"] == 6
    assert (card["task"], card["target"], card["metric"], card["classes"]) == (
        "classification", "churned", "roc_auc", ["no", "yes"])
    assert [f["name"] for f in card["features"]] == ["age", "plan", "visits", "signup"]
    assert {f["name"]: f["kind"] for f in card["features"]}["signup"] == "datetime"
    assert card["metrics"]["validation"]["roc_auc"] == 1.0
    assert set(card["metrics"]["cv"]) == {"scores", "mean", "std"}
    assert {"python", "scikit-learn", "pandas", "numpy"} <= set(card["versions"])
    assert card["trained_on"] == {"split": "all", "rows": 30}
    assert card["sha256"] == sha256_file(model_dir / "model.joblib")
    assert card["dataset"] == {"name": "tiny_churn.csv", "sha256": sha256_file(DATA / "tiny_churn.csv"), "rows": 30}
    assert set(card["leaderboard"]) == {"baseline", "linear", "random_forest", "gradient_boosting"}


@pytest.mark.slow
def test_predict_in_input_order_ignoring_the_target(model_dir, tmp_path):
    rows = pd.DataFrame({
        "churned": ["no", "no", "yes", "no"],  # wrong on purpose: the target column is ignored
        "signup": ["2024-05-01", "2024-06-01", None, "2024-07-01"],
        "visits": [1, 12, 11, 2],
        "plan": ["basic", "premium", "never seen", None],
        "age": [30, 40, None, 50],
    })
    rows.to_csv(tmp_path / "new.csv", index=False)
    rows.drop(columns="churned").to_csv(tmp_path / "no_target.csv", index=False)

    result = cli("predict", "--model", str(model_dir), "--data", str(tmp_path / "new.csv"),
                 "--out", str(tmp_path / "out.csv"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote 4 predictions to {tmp_path / 'out.csv'}\n"
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns) == ["prediction", "proba_no", "proba_yes"]
    assert out["prediction"].tolist() == ["yes", "no", "no", "yes"]
    assert (out["proba_no"] + out["proba_yes"]).round(6).tolist() == [1.0] * 4

    cli("predict", "--model", str(model_dir), "--data", str(tmp_path / "no_target.csv"),
        "--out", str(tmp_path / "out2.csv"))
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "out2.csv"), out)


@pytest.mark.slow
def test_time_budget_is_kept(tmp_path):
    load_sample("iris").to_csv(tmp_path / "iris.csv", index=False)
    started = time.monotonic()
    result = cli("train", "--data", str(tmp_path / "iris.csv"), "--target", "species", "--time-budget", "3",
                 "--out", str(tmp_path / "model"))
    elapsed = time.monotonic() - started
    assert elapsed < 3 + 8, f"took {elapsed:.1f} s"
    assert result.returncode == 0, result.stderr
    card = json.loads((tmp_path / "model" / "model.json").read_text())
    assert 0 < card["settings"]["time_budget"] < 3  # the budget less start-up and the fixed work after training
    assert card["metrics"]["validation"]["f1_macro"] >= 0.8


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["train", "--data", "nope.csv", "--target", "y", "--out", "m"],
                     "error: File 'nope.csv' does not exist.", id="missing-file"),
        pytest.param(["train", "--data", str(DATA / "tiny_churn.csv"), "--target", "price", "--out", "m"],
                     "error: Target column 'price' is not in " + str(DATA / "tiny_churn.csv") + "; columns are "
                     "['customer_id', 'age', 'plan', 'visits', 'signup', 'churned'].", id="unknown-target"),
        pytest.param(["train", "--data", str(DATA / "header_only.csv"), "--target", "age", "--out", "m"],
                     "error: 'header_only.csv' has a header but no data rows; add rows and upload again.",
                     id="empty-data"),
        pytest.param(["predict", "--model", "no-model", "--data", str(DATA / "tiny_churn.csv"), "--out", "p.csv"],
                     "error: 'no-model' is not a model directory: it has no model.json.", id="missing-model"),
    ],
)
def test_errors_exit_non_zero_with_one_line(args, message):
    result = cli(*args)
    assert result.returncode == 1
    assert result.stderr == message + "\n"
    assert result.stdout == ""


# -- the same main(), in-process: every user error is one line on stderr and exit code 1 -----------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["train", "--data", str(DATA / "empty.csv"), "--target", "age", "--out", "m"],
                     "error: 'empty.csv' is empty", id="empty-file"),
        pytest.param(["train", "--data", str(DATA / "binary_junk.csv"), "--target", "age", "--out", "m"],
                     "error: 'binary_junk.csv' does not look like a text table", id="binary-junk"),
        pytest.param(["train", "--data", str(DATA / "ragged.csv"), "--target", "a", "--out", "m"],
                     "error: 'ragged.csv' is not a well-formed table", id="ragged"),
        pytest.param(["train", "--data", str(DATA / "tiny_churn.csv"), "--target", "churned", "--time-budget", "0",
                      "--out", "m"], "error: --time-budget must be a positive number of seconds. Got 0.0 instead.",
                     id="zero-budget"),
        pytest.param(["train", "--data", str(DATA / "tiny_churn.csv"), "--target", "churned", "--task", "regression",
                      "--out", "m"], "error: Target 'churned' has 30 non-numeric values", id="text-as-regression"),
    ],
)
def test_user_errors_in_process(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(message)
    assert captured.err.count("\n") == 1
    assert not (tmp_path / "m").exists()


@pytest.fixture
def model_dir_stub(tmp_path) -> Path:
    """A model directory holding a small pipeline, written without training through the CLI."""
    features = [ColumnInfo("visits", "numeric", "int64", 0, 9), ColumnInfo("plan", "categorical", "str", 0, 3)]
    frame = pd.DataFrame({"visits": [1, 9, 2, 10], "plan": ["a", "b", "a", "b"]})
    pipeline = build_pipeline(features, DEFAULT_RECIPE, DummyClassifier()).fit(frame, ["yes", "no", "yes", "no"])
    card = {"task": "classification", "features": [f.to_dict() for f in features]}
    write_model_dir(tmp_path / "stub", pipeline, card)
    write_dir_skops(tmp_path / "stub", pipeline, frame)  # as train does: what --model loads
    return tmp_path / "stub"


def test_predict_with_a_file_lacking_model_columns(model_dir_stub, capsys, tmp_path):
    (tmp_path / "few.csv").write_text("visits\n3\n")
    assert main(["predict", "--model", str(model_dir_stub), "--data", str(tmp_path / "few.csv"),
                 "--out", str(tmp_path / "p.csv")]) == 1
    assert capsys.readouterr().err == (
        "error: The data lacks 1 column(s) the model needs: ['plan']; add them (they may be empty) and score again.\n"
    )


def test_predict_with_a_stub_model_in_process(model_dir_stub, tmp_path, capsys):
    (tmp_path / "in.csv").write_text("plan,visits,churned\nb,9,x\na,1,y\n")
    assert main(["predict", "--model", str(model_dir_stub), "--data", str(tmp_path / "in.csv"),
                 "--out", str(tmp_path / "p.csv")]) == 0
    assert capsys.readouterr().out == f"wrote 2 predictions to {tmp_path / 'p.csv'}\n"
    assert pd.read_csv(tmp_path / "p.csv").to_dict("list") == {
        "prediction": ["no", "no"], "proba_no": [0.5, 0.5], "proba_yes": [0.5, 0.5],
    }


def test_predict_streams_in_chunks_to_parquet_with_the_notes_of_the_whole_file(model_dir_stub, tmp_path, capsys):
    rows = pd.DataFrame({"plan": ["b", "a", None, "a", "b"] * 5, "visits": range(25)})
    rows.to_csv(tmp_path / "in.csv", index=False)
    assert main(["predict", "--model", str(model_dir_stub), "--data", str(tmp_path / "in.csv"),
                 "--out", str(tmp_path / "p.parquet"), "--chunk-rows", "4"]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"wrote 25 predictions to {tmp_path / 'p.parquet'}\n"
    assert captured.err == "note: Missing values are filled as in training: 'plan' (5 rows).\n"
    written = pd.read_parquet(tmp_path / "p.parquet")
    pipeline, card, _ = load_model_dir(model_dir_stub)
    expected = predict_frame(pipeline, rows, card["features"], card["task"])
    pd.testing.assert_frame_equal(written, expected)


def test_tampered_model_is_refused_in_process(model_dir_stub, tmp_path, capsys):
    with open(model_dir_stub / "model.skops", "ab") as handle:
        handle.write(b"\0")
    (tmp_path / "in.csv").write_text("plan,visits\nb,9\n")
    assert main(["predict", "--model", str(model_dir_stub), "--data", str(tmp_path / "in.csv"),
                 "--out", str(tmp_path / "p.csv")]) == 1
    assert "does not match its recorded sha256" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()


def test_export_writes_the_skops_file_a_directory_keeps(model_dir_stub, tmp_path, capsys):
    out = tmp_path / "out" / "m.skops"
    assert main(["export", "--model", str(model_dir_stub), "--format", "skops", "--out", str(out)]) == 0
    assert out.read_bytes() == (model_dir_stub / "model.skops").read_bytes()
    assert capsys.readouterr().out.startswith(f"wrote the skops file of {model_dir_stub} to {out} (")


def test_export_makes_a_checked_onnx_for_an_older_directory_and_serve_uses_it(model_dir_stub, tmp_path, capsys):
    from fastapi.testclient import TestClient

    from usecases.serving import model_app

    out = tmp_path / "m.onnx"
    args = ["export", "--model", str(model_dir_stub), "--format", "onnx", "--out", str(out)]
    assert main(args) == 1  # written before train kept an ONNX file: rows to check it on are needed
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "keeps no verified model.onnx" in err and "--data FILE" in err
    (tmp_path / "rows.csv").write_text("plan,visits\nb,9\na,1\nb,3\n")
    assert main([*args, "--data", str(tmp_path / "rows.csv")]) == 0
    assert capsys.readouterr().out.startswith(f"wrote the onnx file of {model_dir_stub} to {out} (")
    assert out.read_bytes() == (model_dir_stub / "model.onnx").read_bytes()  # kept for serve too
    assert TestClient(model_app(model_dir=model_dir_stub)).get("/health").json()["runtime"] == "onnx"


def test_export_refuses_a_tampered_skops_file(model_dir_stub, tmp_path, capsys):
    with open(model_dir_stub / "model.skops", "ab") as handle:
        handle.write(b"\0")
    assert main(["export", "--model", str(model_dir_stub), "--format", "skops", "--out", str(tmp_path / "m")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not match its recorded sha256" in err
    assert not (tmp_path / "m").exists()


def test_export_of_a_pickle_only_directory_needs_trust_pickle(model_dir_stub, tmp_path, capsys):
    (model_dir_stub / "model.skops").unlink()
    (model_dir_stub / "exports.json").unlink()
    args = ["export", "--model", str(model_dir_stub), "--format", "skops", "--out", str(tmp_path / "m.skops")]
    assert main(args) == 1
    assert "pass --trust-pickle" in capsys.readouterr().err
    assert main([*args, "--trust-pickle"]) == 0
    assert loads_skops((tmp_path / "m.skops").read_bytes()).predict(
        pd.DataFrame({"visits": [1], "plan": ["a"]})).tolist() == ["no"]


def test_train_replays_a_recipe_file(tmp_path, capsys):
    recipe = {"drop_columns": ["visits", "signup"], "steps": [
        {"type": "impute", "columns": {"kind": "numeric"}, "params": {"strategy": "median"}},
        {"type": "impute", "columns": {"kind": "categorical"}, "params": {"strategy": "most_frequent"}},
        {"type": "encode", "columns": {"kind": "categorical"}, "params": {"method": "ordinal"}}],
        "split": {"train": 0.7, "valid": 0.3, "test": 0.0, "strategy": "random", "seed": 3}}
    (tmp_path / "recipe.json").write_text(json.dumps(recipe))
    out = tmp_path / "model"
    assert main(["train", "--data", str(DATA / "tiny_churn.csv"), "--target", "churned", "--recipe",
                 str(tmp_path / "recipe.json"), "--time-budget", "20", "--out", str(out)]) == 0
    card = json.loads((out / "model.json").read_text())
    assert [f["name"] for f in card["features"]] == ["age", "plan"]
    assert [s["type"] for s in card["recipe"]["steps"]] == ["impute", "impute", "encode"]
    assert card["recipe"]["split"]["seed"] == 3
    pipeline_steps = [name for name, _ in __import__("joblib").load(out / "model.joblib").named_steps["prepare"].steps]
    assert pipeline_steps == ["cast", "s1_impute", "s2_impute", "s3_encode", "guard"]


def test_audit_reports_leaks_and_split_advice(tmp_path, capsys):
    rows = ["customer,visit,refund,x,churned"] + [
        f"C{i // 3},2024-01-{i % 28 + 1:02d},{20 * (i % 2)},{(i * 7) % 11},{'yes' if i % 2 else 'no'}"
        for i in range(90)]
    (tmp_path / "d.csv").write_text("\n".join(rows))
    assert main(["audit", "--data", str(tmp_path / "d.csv"), "--target", "churned",
                 "--out", str(tmp_path / "a.json")]) == 0
    report = json.loads((tmp_path / "a.json").read_text())
    assert [leak["column"] for leak in report["leaks"]] == ["refund"]
    assert {tip["update"]["strategy"] for tip in report["split_advice"]} >= {"group"}
    assert capsys.readouterr().out.splitlines()[0].startswith("leak: refund: ")


@pytest.mark.slow
def test_a_budget_of_30_seconds_or_more_runs_automl(tmp_path):
    out = tmp_path / "model"
    started = time.monotonic()
    result = cli("train", "--data", str(DATA / "tiny_churn.csv"), "--target", "churned", "--time-budget", "30",
                 "--out", str(out))
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed < 30 + 8, f"took {elapsed:.1f} s"
    card = json.loads((out / "model.json").read_text())
    assert card["settings"]["automl"] is True and card["settings"]["search"] == "tpe"
    assert len(card["leaderboard"]) >= 3  # the baseline and at least two searched families
    assert card["tuning"]  # the search behind the chosen model: its trial and parameters, or ensemble members


@pytest.mark.slow
def test_metric_log_loss_selects_a_multiclass_model_by_log_loss(tmp_path, capsys):
    load_sample("iris").to_csv(tmp_path / "iris.csv", index=False)  # 3 classes: proposed metric f1_macro
    out = tmp_path / "model"
    assert main(["train", "--data", str(tmp_path / "iris.csv"), "--target", "species", "--metric", "log_loss",
                 "--out", str(out)]) == 0
    card = json.loads((out / "model.json").read_text())
    assert card["metric"] == "log_loss"
    board = {family: score for family, score in card["leaderboard"].items() if score is not None}
    assert board["baseline"] == pytest.approx(math.log(3))  # the class shares of 3 balanced classes: a log loss
    assert card["family"] == min(board, key=board.get)  # lower is better
    assert card["metrics"]["validation"]["log_loss"] == board[card["family"]] < board["baseline"]
    assert f"{card['family']}: validation log_loss {board[card['family']]:.4f}; " in capsys.readouterr().out


@pytest.mark.parametrize("metric", [pytest.param("brier", id="unknown"), pytest.param("rmse", id="other-task")])
def test_a_metric_that_does_not_fit_the_task_exits_1_listing_the_valid_ones(metric, tmp_path, capsys):
    assert main(["train", "--data", str(DATA / "tiny_churn.csv"), "--target", "churned", "--metric", metric,
                 "--out", str(tmp_path / "m")]) == 1
    valid = metrics_for_task("classification")
    assert capsys.readouterr().err == (f"error: --metric must be one of the classification metrics "
                                       f"{', '.join(valid)}. Got '{metric}' instead.\n")
    assert {"roc_auc", "log_loss", "accuracy", "balanced_accuracy", "f1_macro"} <= set(valid)
    assert not (tmp_path / "m").exists()


def test_the_command_line_starts_without_importing_onnx():
    # The onnx package took about a second of every `predict` and `serve` start-up, though only exports need it.
    code = "import sys, usecases.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in ('onnx', 'skl2onnx')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


def test_predict_imports_only_what_scoring_needs():
    """``python -m engine predict`` is started once per scored file: its start-up stays free of what only other
    commands use (Optuna and its database layer, FastAPI, the profiler's report)."""
    code = ("import sys, engine, usecases.cli; "
            "print(sorted({'optuna', 'sqlalchemy', 'fastapi', 'uvicorn', 'engine.deploy.serving', "
            "'engine.explore.report', 'usecases.evaluation'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"
