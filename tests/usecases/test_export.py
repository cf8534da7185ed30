"""Export use cases on a model trained in-process: joblib, skops and ONNX bytes, checks, caching, model card."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sklearn.ensemble import HistGradientBoostingClassifier

from engine import DEFAULT_RECIPE, ColumnInfo, Problem, build_pipeline, infer_schema, validate_recipe
from engine.deploy.export import OnnxExport, loads_skops, run_onnx
from storage import IntegrityError, write_model_dir
from tests.champion import confirm_champion
from usecases import advice, evaluation, export, projects, runtime
from usecases.runs import RunInputs
from usecases.serving import model_app
from usecases.training import run_training_job, train_model_dir

pytestmark = pytest.mark.slow  # each test trains two models (about a second each)


@pytest.fixture
def models(ws, project, churn_csv, keep_sigterm) -> dict[str, int]:
    """tiny_churn.csv without its date column, trained as baseline + linear; returns model ids by family."""
    frame = pd.read_csv(io.BytesIO(churn_csv)).drop(columns=["signup"])
    pid = project["id"]
    projects.import_file(ws, pid, frame.to_csv(index=False).encode(), "churn_no_dates.csv")
    projects.set_problem(ws, pid, Problem("churned", "classification", "accuracy"))
    advice.set_leak_kept(ws, pid, "visits", True)
    projects.save_settings(ws, pid, {"models": ["linear"], "cv_folds": 0})
    job = ws.create_job(pid, "train")
    run_training_job(ws, job["id"])
    return {m["family"]: m["id"] for m in ws.list_models(pid)}


def test_onnx_export_is_checked_and_kept(ws, models):
    model_id = models["linear"]
    result = export.onnx_export(ws, model_id)
    assert result.info["reason"] is None
    assert result.info["labels_equal"] is True and result.info["max_diff"] <= 1e-4
    assert result.info["rows"] == 4 and result.info["model_dtype"] == "double"
    assert (ws.model_dir(model_id) / "model.onnx").read_bytes() == result.data
    m = evaluation.model_rows(ws, model_id)
    rows = m.X.iloc[m.valid]
    outputs = run_onnx(result.data, rows, m.card["features"])
    np.testing.assert_allclose(outputs["probabilities"], m.pipeline.predict_proba(rows), rtol=1e-6)
    assert export.onnx_status(ws, model_id).info == result.info  # read back, not redone


def test_onnx_export_of_a_tampered_file_is_refused(ws, models):
    model_id = models["linear"]
    export.onnx_export(ws, model_id)
    (ws.model_dir(model_id) / "model.onnx").write_bytes(b"not onnx")
    with pytest.raises(IntegrityError, match="sha256"):
        export.onnx_status(ws, model_id)


def test_baseline_converts(ws, models):
    result = export.onnx_export(ws, models["baseline"])
    assert result.info["reason"] is None and result.info["max_diff"] == 0.0


def test_a_model_that_does_not_convert_keeps_its_reason(ws, models, monkeypatch):
    reason = "Step 3 (Encode categories) (TargetEncoder) has no ONNX translation."
    monkeypatch.setattr(export, "export_onnx", lambda *args: OnnxExport(None, None, reason, None))
    model_id = next(i for i in models.values() if export.onnx_status(ws, i) is None)  # not the run's best
    result = export.onnx_export(ws, model_id)
    assert result.data is None and result.info["reason"] == reason
    assert not (ws.model_dir(model_id) / "model.onnx").exists()
    assert export.onnx_status(ws, model_id).info["reason"] == reason
    assert f"- model.onnx: not available: {reason}" in runtime.card_markdown(ws, model_id)


def test_skops_export_loads_with_the_listed_trusted_types(ws, models):
    model_id = models["linear"]
    result = export.skops_export(ws, model_id)
    assert "engine.prepare.transformers.KindCaster" in result.info["trusted_types"]
    m = evaluation.model_rows(ws, model_id)
    loaded = loads_skops(result.data)
    np.testing.assert_array_equal(loaded.predict_proba(m.X), m.pipeline.predict_proba(m.X))
    assert export.skops_export(ws, model_id).info["created_at"] == result.info["created_at"]


def test_joblib_bytes_are_checked_against_the_database(ws, models):
    model_id = models["linear"]
    assert export.joblib_bytes(ws, model_id) == (ws.model_dir(model_id) / "model.joblib").read_bytes()
    ws.update_model(model_id, sha256="0" * 64)
    with pytest.raises(IntegrityError, match="sha256"):
        export.joblib_bytes(ws, model_id)


def test_model_card_has_threshold_test_metrics_and_exports(ws, models):
    model_id = models["linear"]
    evaluation.set_threshold(ws, model_id, 0.4)
    evaluation.final_test_report(ws, model_id)
    export.onnx_export(ws, model_id)
    card = export.card_json(ws, model_id)
    assert card["decision_threshold"] == 0.4
    assert card["test_metrics"]["rows"] == 4 and "accuracy" in card["test_metrics"]
    assert card["run_seconds"] > 0 and card["fit_seconds"] >= 0
    assert card["exports"]["model.onnx"]["reason"] is None
    text = runtime.card_markdown(ws, model_id)
    dataset = ws.get_dataset(ws.get_project(ws.get_model(model_id)["project_id"])["dataset_id"])
    assert f"churn_no_dates.csv ({dataset['n_rows']} rows), sha256 `{dataset['sha256']}`" in text
    assert "probability >= 0.4" in text and "| visits | numeric |" in text
    assert "- model.onnx: sha256 `" in text


def test_the_default_recipe_with_dates_converts(ws, loaded, trained):
    model_id = next(m["id"] for m in ws.list_models(loaded) if m["family"] == "linear")
    result = export.onnx_export(ws, model_id)
    assert result.info["reason"] is None and result.info["max_diff"] <= 1e-4
    assert {"name": "signup", "type": "double (seconds since 1970-01-01)"} in result.info["inputs"]
    assert export.skops_export(ws, model_id).data is not None


def test_training_exports_the_best_model_and_its_card_lists_them(ws, project, models):
    best = confirm_champion(ws, project["id"])  # the run's best, proposed on Evaluate
    exports = export.card_json(ws, best)["exports"]
    assert sorted(exports) == ["model.onnx", "model.skops"]
    assert exports["model.onnx"]["reason"] is None and exports["model.onnx"]["labels_equal"] is True
    assert exports["model.onnx"]["rows"] == 4  # the validation rows
    assert exports["model.skops"]["sha256"] == export.skops_export(ws, best).info["sha256"]
    other = next(i for i in models.values() if i != best)
    assert export.onnx_status(ws, other) is None  # only the best model of a run is exported while training


def _dir_inputs(churn_csv, models: list[str], seed: int = 0) -> RunInputs:
    frame = pd.read_csv(io.BytesIO(churn_csv)).drop(columns=["signup", "customer_id"])
    dataset = {"name": "churn.csv", "sha256": "0" * 64, "n_rows": len(frame)}
    recipe = validate_recipe({"split": {"train": 0.8, "valid": 0.2, "test": 0.0, "strategy": "stratified",
                                        "seed": seed}})
    return RunInputs(dataset, frame, infer_schema(frame), Problem("churned", "classification", "accuracy"), recipe,
                     {"models": models, "cv_folds": 0, "seed": seed})


def test_a_model_directory_keeps_a_checked_onnx_and_serve_answers_with_it(churn_csv, tmp_path):
    _, card = train_model_dir(_dir_inputs(churn_csv, ["linear"]), tmp_path / "m", deadline=None, notes=[])
    assert json.loads((tmp_path / "m" / "model.json").read_text())["exports"] == card["exports"]
    onnx = card["exports"]["model.onnx"]
    assert onnx["reason"] is None and onnx["rows"] == 6 and onnx["max_diff"] <= 1e-4
    assert card["exports"]["model.skops"]["reason"] is None
    fast = TestClient(model_app(model_dir=tmp_path / "m"))
    plain = TestClient(model_app(model_dir=tmp_path / "m", runtime="scikit-learn"))
    assert fast.get("/health").json()["runtime"] == "onnx"
    assert plain.get("/health").json()["runtime"] == "scikit-learn"
    frame = pd.read_csv(io.BytesIO(churn_csv)).drop(columns=["churned"])
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    a, b = fast.post("/predict", json=rows).json(), plain.post("/predict", json=rows).json()
    assert a["predictions"] == b["predictions"] and len(a["predictions"]) == 30
    for p, q in zip(a["probabilities"], b["probabilities"], strict=True):
        assert p.keys() == q.keys() and all(abs(p[k] - q[k]) < 1e-6 for k in p)


def test_a_histogram_boosting_directory_says_why_it_has_no_onnx(tmp_path):
    features = [ColumnInfo("visits", "numeric", "int64", 0, 12), ColumnInfo("plan", "categorical", "str", 0, 2)]
    frame = pd.DataFrame({"visits": list(range(12)), "plan": ["a", "b"] * 6})
    model = HistGradientBoostingClassifier(min_samples_leaf=2, max_iter=5)
    pipeline = build_pipeline(features, DEFAULT_RECIPE, model).fit(frame, ["no"] * 6 + ["yes"] * 6)
    card = {"task": "classification", "features": [f.to_dict() for f in features]}
    write_model_dir(tmp_path, pipeline, card)
    exports = export.write_dir_exports(tmp_path, pipeline, card, frame)
    assert "cannot write the trees of scikit-learn" in exports["model.onnx"]["reason"]
    assert "HistGradientBoostingClassifier" in exports["model.onnx"]["reason"]
    assert exports["model.onnx"]["sha256"] is None and not (tmp_path / "model.onnx").exists()
    assert exports["model.skops"]["reason"] is None and exports["model.skops"]["rows"] == 12
    assert TestClient(model_app(model_dir=tmp_path)).get("/health").json()["runtime"] == "scikit-learn"
    with pytest.raises(Exception, match="no verified ONNX export: skl2onnx cannot convert"):
        model_app(model_dir=tmp_path, runtime="onnx")


def test_onnx_is_skipped_once_the_time_budget_ran_out(churn_csv, tmp_path):
    _, card = train_model_dir(_dir_inputs(churn_csv, ["linear"]), tmp_path / "m", deadline=0.0, notes=[])
    assert card["exports"]["model.onnx"]["reason"] == export.ONNX_SKIPPED
    assert card["exports"]["model.skops"]["reason"] is None


def test_a_model_directory_hands_back_the_heap_after_writing_and_after_loading_its_skops_file(tmp_path, monkeypatch):
    """The parsed skops schema is garbage once the model is built (measured: 10 MB of a vote of two forests kept
    through scoring); the C heap is trimmed after writing the schema, after loading it back, and after loading a
    model directory for ``predict``."""
    features = [ColumnInfo("visits", "numeric", "int64", 0, 12)]
    frame = pd.DataFrame({"visits": list(range(12))})
    pipeline = build_pipeline(features, DEFAULT_RECIPE, HistGradientBoostingClassifier(min_samples_leaf=2, max_iter=3))
    pipeline.fit(frame, ["no"] * 6 + ["yes"] * 6)
    card = {"task": "classification", "features": [f.to_dict() for f in features]}
    write_model_dir(tmp_path, pipeline, card)
    trims = []
    monkeypatch.setattr(export, "release_free_memory", lambda: trims.append(1))
    assert export.write_dir_skops(tmp_path, pipeline, frame).info["reason"] is None
    assert len(trims) == 1
    loaded = export.load_model_dir(tmp_path)
    assert loaded.file == "model.skops" and len(trims) == 2
    assert loaded.pipeline.predict(frame).tolist() == pipeline.predict(frame).tolist()
