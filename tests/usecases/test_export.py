"""Export use cases on a model trained in-process: joblib, skops and ONNX bytes, checks, caching, model card."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from engine import Problem
from engine.deploy.export import OnnxExport, loads_skops, run_onnx
from storage import IntegrityError
from usecases import advice, evaluation, export, projects
from usecases.training import run_training_job

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
    assert export.onnx_status(ws, model_id) is None
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
    result = export.onnx_export(ws, models["linear"])
    assert result.data is None and result.info["reason"] == reason
    assert not (ws.model_dir(models["linear"]) / "model.onnx").exists()
    assert export.onnx_status(ws, models["linear"]).info["reason"] == reason
    assert f"- model.onnx: not available: {reason}" in export.card_markdown(ws, models["linear"])


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
    text = export.card_markdown(ws, model_id)
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
