"""The command line loads what a command needs: training and scoring start without the web server, SQLAlchemy,
or the ONNX libraries (each 10-30 MB of resident memory, and the benchmark counts the peak)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import weakref
from pathlib import Path

import optuna
import pandas as pd

import usecases.training as training
from engine import Problem, infer_schema, validate_recipe
from engine.deploy.serving import MAX_BODY_BYTES
from usecases.cli import build_parser
from usecases.runs import RunInputs

ROOT = Path(__file__).resolve().parents[2]
NOT_AT_START = ("fastapi", "uvicorn", "sqlalchemy", "alembic", "onnx", "onnxruntime", "skl2onnx", "skops",
                "streamlit", "engine.explore.profile")


def test_the_command_line_starts_without_server_database_or_onnx_libraries():
    code = (f"import json, sys; import usecases.cli; "
            f"print(json.dumps([m for m in {list(NOT_AT_START)!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_serve_states_the_apis_own_body_limit():
    """``--max-body-bytes`` defaults to None so the parser needs no FastAPI; its help states the API's limit."""
    serve = build_parser()._subparsers._group_actions[0].choices["serve"]
    action = next(a for a in serve._actions if a.dest == "max_body_bytes")
    assert action.default is None and f"{MAX_BODY_BYTES:,} bytes" in action.help


def test_a_command_line_search_keeps_its_studies_in_memory(monkeypatch):
    """Regression: the throw-away studies of ``python -m engine train`` lived in a SQLite file, which loaded
    SQLAlchemy and Alembic and copied the table to Parquet (about 30 MB at the peak) for no other process."""
    seen = {}

    def fake_train_or_tune(run, **kwargs):
        seen.update(kwargs)
        return []

    monkeypatch.setattr(training, "train_or_tune", fake_train_or_tune)

    class Inputs:
        settings = {"search": "tpe", "automl": True, "models": ["linear"], "n_trials": 2}
        problem = type("P", (), {"task": "classification"})()

    class Run:
        inputs = Inputs()

    assert training._train_or_tune_without_workspace(Run()) == []
    assert isinstance(seen["storage"], optuna.storages.InMemoryStorage) and "data_path" not in seen
    assert seen["keep_models"] is False  # the others keep their scores only: the winner alone is written


def test_a_model_directory_run_keeps_only_the_winners_fitted_model(churn_csv, tmp_path, monkeypatch):
    """Regression: every family's fitted model stayed in memory through the refit, the calibration check and the
    exports of ``train_model_dir``, though only the winner is written; the others keep their scores only."""
    refs: list[weakref.ref] = []
    search = training._train_or_tune_without_workspace

    def recording_search(run, deadline=None):
        candidates = search(run, deadline)
        refs.extend(weakref.ref(c.pipeline) for c in candidates if c.pipeline is not None)
        return candidates

    alive = []
    calibrate = training.calibrate_best

    def recording_calibrate(run, best, fitted, deadline, **kwargs):
        alive.append([ref() is not None for ref in refs if ref() is not best.pipeline])
        return calibrate(run, best, fitted, deadline, **kwargs)

    monkeypatch.setattr(training, "_train_or_tune_without_workspace", recording_search)
    monkeypatch.setattr(training, "calibrate_best", recording_calibrate)
    inputs = _churn_inputs(churn_csv, ["linear", "decision_tree", "knn"])
    _, card = training.train_model_dir(inputs, tmp_path / "m", deadline=None, notes=[])
    assert len(refs) == 4 and set(card["leaderboard"]) == {"baseline", "linear", "decision_tree", "knn"}
    assert alive == [[False, False, False]]


def test_the_skops_file_is_loaded_back_for_its_check_once_the_fitted_model_is_gone(churn_csv, tmp_path,
                                                                                     monkeypatch):
    """Regression (issue 15, memory): model.skops was loaded back for its check while the fitted pipeline was still
    held, so a training run's peak held the model twice (+71 MB on a vote with 300 extra trees). Now the reference
    predictions, the skops bytes and model.joblib are made first, and the load-back finds the fitted model freed."""
    import gc

    import usecases.export as export

    fitted: list[weakref.ref] = []
    stage, keep = export.stage_skops, export.keep_skops
    alive_at_check = []

    def recording_stage(pipeline, rows):
        fitted.append(weakref.ref(pipeline))
        return stage(pipeline, rows)

    def recording_keep(directory, staged, rows):
        gc.collect()
        alive_at_check.append(fitted[0]() is not None)
        return keep(directory, staged, rows)

    monkeypatch.setattr(training, "stage_skops", recording_stage)
    monkeypatch.setattr(export, "keep_skops", recording_keep)
    inputs = _churn_inputs(churn_csv, ["random_forest", "linear"])
    frame = inputs.frame
    best, card = training.train_model_dir(inputs, tmp_path / "m", deadline=None, notes=[])
    assert alive_at_check == [False]
    assert card["exports"]["model.skops"]["sha256"] and best.pipeline is None
    from usecases.export import load_model_dir

    shipped = load_model_dir(tmp_path / "m").pipeline
    joblib_sha = __import__("hashlib").sha256((tmp_path / "m" / "model.joblib").read_bytes()).hexdigest()
    assert json.loads((tmp_path / "m" / "model.json").read_text())["sha256"] == joblib_sha
    assert len(shipped.predict(frame.drop(columns=["churned"]))) == len(frame)


def _churn_inputs(churn_csv: bytes, models: list[str]) -> RunInputs:
    """A model directory run of ``models`` on the churn table, each on the holdout (no cross-validation)."""
    frame = pd.read_csv(io.BytesIO(churn_csv)).drop(columns=["signup", "customer_id"])
    recipe = validate_recipe({"split": {"train": 0.8, "valid": 0.2, "test": 0.0, "strategy": "stratified", "seed": 0}})
    return RunInputs({"name": "churn.csv", "sha256": "0" * 64, "n_rows": len(frame)}, frame, infer_schema(frame),
                     Problem("churned", "classification", "accuracy"), recipe,
                     {"models": models, "cv_folds": 0, "seed": 0})
