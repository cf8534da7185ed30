"""The winner of a run has its probabilities checked and, when that helps, calibrated: in a training job (the
Train page, one-click AutoML and retraining all run one) and on the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import log_loss

from engine import Problem, infer_schema, validate_recipe
from engine.errors import ModelError
from storage import read_card, read_reference
from tests.champion import confirm_champion
from tests.noisy_classes import noisy_three_classes
from tests.usecases.test_cli import DATA, cli
from usecases import evaluation, projects, replay
from usecases.export import load_model_dir
from usecases.runs import RunInputs, prepare_run
from usecases.training import run_training_job, train_model_dir


def train_noisy(ws, folds: int) -> dict:
    """A training job of extra trees on 600 noisy rows of three classes, selected by F1; returns the project."""
    project = ws.create_project("Noisy")
    projects.import_file(ws, project["id"], noisy_three_classes(600).to_csv(index=False).encode(), "noisy.csv")
    projects.set_problem(ws, project["id"], Problem("label", "classification", "f1_macro"))
    projects.save_settings(ws, project["id"], {"models": ["extra_trees"], "cv_folds": folds})
    job = ws.create_job(project["id"], "train")
    run_training_job(ws, job["id"])
    assert ws.get_job(job["id"])["status"] == "succeeded", ws.get_job(job["id"])["message"]
    confirm_champion(ws, project["id"])  # the winner, as the analyst confirms it on Evaluate
    return ws.get_project(project["id"])


@pytest.fixture
def noisy_job(ws, keep_sigterm) -> dict:
    return train_noisy(ws, 3)


@pytest.mark.slow
def test_a_training_job_ships_its_winner_calibrated_and_says_so(ws, noisy_job):
    model_id = noisy_job["champion_model_id"]
    pipeline, card = ws.load_model(model_id)
    calibration = card["calibration"]
    assert calibration["applied"] and calibration["status"] == "checked"
    assert isinstance(pipeline.named_steps["model"], CalibratedClassifierCV)
    assert card["estimator"] == "CalibratedClassifierCV"
    assert pipeline.named_steps["model"].method == calibration["method"]
    losses = calibration["log_loss"]
    assert losses[calibration["method"]] < min(losses["raw"], losses["prior"])
    rows = evaluation.model_rows(ws, model_id)
    assert (calibration["rows"], calibration["source"]) == (len(rows.train), "out-of-fold predictions over 3 folds")
    # the stored validation predictions and scores are the calibrated model's
    predictions, classes = evaluation.validation_predictions(ws, model_id)
    proba = predictions[[f"proba_{c}" for c in classes]].to_numpy()
    record = ws.get_model(model_id)
    assert record["valid_metrics"]["log_loss"] == pytest.approx(log_loss(predictions["y_true"], proba, labels=classes))
    assert np.allclose(pipeline.predict_proba(rows.X.iloc[rows.valid]), proba)
    assert read_card(ws.model_dir(model_id))["sha256"] == record["sha256"]
    assert read_reference(ws.model_dir(model_id))["model_id"] == model_id
    check = replay.verify_model(ws, model_id)  # Evaluate's reproducibility check refits and calibrates again
    assert check.match and check.predictions_same == 1.0, check.message


@pytest.mark.slow
def test_the_command_line_writes_the_calibration_into_the_card(tmp_path):
    out = tmp_path / "model"
    result = cli("train", "--data", str(DATA / "tiny_churn.csv"), "--target", "churned", "--out", str(out))
    assert result.returncode == 0, result.stderr
    card = json.loads((out / "model.json").read_text())
    calibration = card["calibration"]
    assert calibration["status"] == "checked" and calibration["source"] == "out-of-fold predictions over 3 folds"
    assert set(calibration["log_loss"]) == {"raw", "prior", "sigmoid"}  # 24 training rows: too few for isotonic
    assert calibration["rows"] == 24 and calibration["class_shares"] == {"no": 0.541667, "yes": 0.458333}  # 13/11
    assert calibration["log_loss"]["prior"] == pytest.approx(-(13 * np.log(13 / 24) + 11 * np.log(11 / 24)) / 24)
    assert calibration["reason"] and calibration["applied"] == (calibration["method"] is not None)


@pytest.mark.slow
def test_the_evaluate_report_compares_the_calibrated_winner_with_the_class_shares(ws, noisy_job):
    model_id = noisy_job["champion_model_id"]
    report = evaluation.calibration_report(ws, model_id)
    predictions, classes = evaluation.validation_predictions(ws, model_id)
    proba = predictions[[f"proba_{c}" for c in classes]].to_numpy()
    assert report.log_loss == pytest.approx(log_loss(predictions["y_true"], proba, labels=classes))
    shares = np.array([report.check["class_shares"][c] for c in classes])
    assert report.prior_source == "the training rows"
    assert report.prior_log_loss == pytest.approx(log_loss(predictions["y_true"], np.tile(shares, (len(proba), 1)),
                                                           labels=classes))
    assert report.log_loss < report.prior_log_loss  # calibrated: better than the class shares on new rows too
    assert report.reliability.rows == len(predictions) and report.reliability.bins["rows"].sum() == len(predictions)
    assert report.check["applied"]


def test_the_evaluate_report_refuses_a_regression_model(ws, keep_sigterm):
    project = ws.create_project("Prices")
    frame = noisy_three_classes(60).assign(label=lambda t: t["x1"] * 2)
    projects.import_file(ws, project["id"], frame.to_csv(index=False).encode(), "prices.csv")
    projects.set_problem(ws, project["id"], Problem("label", "regression", "rmse"))
    projects.save_settings(ws, project["id"], {"models": ["linear"], "cv_folds": 0})
    job = ws.create_job(project["id"], "train")
    run_training_job(ws, job["id"])
    model_id = confirm_champion(ws, project["id"])
    assert read_card(ws.model_dir(model_id))["calibration"] is None
    with pytest.raises(ModelError, match="a regression model has none"):
        evaluation.calibration_report(ws, model_id)


@pytest.mark.slow
def test_without_folds_the_winner_is_checked_on_its_validation_rows_honestly(ws, keep_sigterm):
    model_id = train_noisy(ws, 0)["champion_model_id"]
    pipeline, card = ws.load_model(model_id)
    calibration = card["calibration"]
    assert calibration["source"] == ("the validation rows, as cross-validation is off, so there are no out-of-fold "
                                     "predictions to check the probabilities on")
    rows = evaluation.model_rows(ws, model_id)
    assert calibration["rows"] == len(rows.valid) < 1000 and "isotonic" not in calibration["log_loss"]
    assert calibration["applied"] and calibration["method"] == "sigmoid"
    assert isinstance(pipeline.named_steps["model"], CalibratedClassifierCV)
    # the validation scores are those of calibrators fitted on the other validation rows, not on the row scored
    predictions, classes = evaluation.validation_predictions(ws, model_id)
    stored = predictions[[f"proba_{c}" for c in classes]].to_numpy()
    assert not np.allclose(stored, pipeline.predict_proba(rows.X.iloc[rows.valid]))
    assert log_loss(predictions["y_true"], stored, labels=classes) == pytest.approx(calibration["log_loss"]["sigmoid"])
    assert ws.get_model(model_id)["valid_metrics"]["log_loss"] == pytest.approx(calibration["log_loss"]["sigmoid"])
    check = replay.verify_model(ws, model_id)
    assert check.match and check.predictions_same == 1.0, check.message


@pytest.mark.slow
def test_a_model_directory_scores_its_calibrated_refit_as_fitted_on_the_training_split(tmp_path):
    """Regression: the validation scores in the card came from the calibrated refit on all rows, which has seen
    the validation rows (extra trees with one-row leaves remember them), so they looked far better than they are."""
    frame = noisy_three_classes(600)
    recipe = validate_recipe({"split": {"train": 0.8, "valid": 0.2, "test": 0.0, "strategy": "stratified",
                                        "seed": 0}})
    inputs = RunInputs({"name": "noisy.csv", "sha256": "0" * 64, "n_rows": 600}, frame, infer_schema(frame),
                       Problem("label", "classification", "f1_macro"), recipe,
                       {"models": ["extra_trees"], "cv_folds": 3})
    _, card = train_model_dir(inputs, tmp_path / "model", deadline=None, notes=[])
    assert card["calibration"]["applied"] and card["trained_on"]["split"] == "all"
    shipped = load_model_dir(tmp_path / "model").pipeline  # from model.skops
    run = prepare_run(inputs)
    valid_X, valid_y = run.data.X.iloc[run.split.valid], run.data.y.iloc[run.split.valid]
    seen = log_loss(valid_y, shipped.predict_proba(valid_X), labels=shipped.classes_)
    assert card["metrics"]["validation"]["log_loss"] > seen + 0.05
    assert card["metrics"]["validation"]["log_loss"] < card["calibration"]["log_loss"]["prior"]


def test_a_search_refitted_winner_is_not_scored_on_the_rows_it_was_refitted_on(tmp_path):
    """Regression: when the search refitted its winner on the training and validation rows and calibration was
    applied, the card's validation scores were the calibrated refit's on those very rows (log loss 0.556 on noisy
    labels whose class shares score 1.058; the command line printed such a score on a random target)."""
    frame = noisy_three_classes(600)
    recipe = validate_recipe({"split": {"train": 0.8, "valid": 0.2, "test": 0.0, "strategy": "stratified",
                                        "seed": 0}})
    inputs = RunInputs({"name": "noisy.csv", "sha256": "0" * 64, "n_rows": 600}, frame, infer_schema(frame),
                       Problem("label", "classification", "f1_macro"), recipe,
                       {"models": ["extra_trees"], "cv_folds": 3, "search": "tpe", "n_trials": 2, "automl": True})
    best, card = train_model_dir(inputs, tmp_path / "model", deadline=None, notes=[])
    assert best.tuning["refitted"] and card["calibration"]["applied"]
    shipped = load_model_dir(tmp_path / "model").pipeline
    run = prepare_run(inputs)
    valid_X, valid_y = run.data.X.iloc[run.split.valid], run.data.y.iloc[run.split.valid]
    seen = log_loss(valid_y, shipped.predict_proba(valid_X), labels=shipped.classes_)
    assert card["metrics"]["validation"]["log_loss"] > seen + 0.05
