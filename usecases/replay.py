"""Reproducibility check: refit a stored model from its run's exact inputs and compare its validation results."""

from __future__ import annotations

from engine.errors import ModelError
from engine.evaluate.replay import ReplayCheck, compare_replay, replay_model, replay_pipeline
from engine.prepare.recipe import validate_recipe
from engine.train.training import Candidate, validate_settings
from storage import Workspace, read_card
from usecases.runs import prepare_run, run_inputs
from usecases.training import calibrate_best

__all__ = ["verify_model"]


def verify_model(ws: Workspace, model_id: int) -> ReplayCheck:
    """Re-run model ``model_id`` from its run's stored data (checked by sha256), schema, recipe, parameters
    and seed; say whether its validation metrics and predictions match the stored ones."""
    model = ws.get_model(model_id)
    if model["status"] != "ok":
        raise ModelError(f"Model {model_id} was not trained ({model['status']}); there is nothing to replay.")
    inputs = run_inputs(ws, ws.get_run(model["run_id"]))
    card = read_card(ws.model_dir(model_id))
    metrics, predictions = replay_model(inputs.frame, inputs.schema, inputs.problem, inputs.recipe,
                                        inputs.settings, prepare_run(inputs).split, card)
    calibration = card.get("calibration") or {}
    if calibration.get("applied"):  # training calibrated this model: calibrate the refit the same way
        metrics, predictions = _calibrated_again(inputs, card, calibration)
    return compare_replay(model["valid_metrics"] or {}, metrics, ws.load_predictions(model_id), predictions)


def _calibrated_again(inputs, card: dict, calibration: dict) -> tuple[dict, object]:
    """Validation metrics and predictions of the card's model refitted and calibrated as training did it."""
    run = prepare_run(inputs)
    problem, data, split = inputs.problem, run.data, run.split
    settings = validate_settings(inputs.settings, problem.task)
    pipeline = replay_pipeline(card, data.features, validate_recipe(inputs.recipe), problem.task, settings)
    fitted = data.fitter.fit(pipeline, data.X.iloc[split.train], data.y.iloc[split.train])
    winner = Candidate(card["family"], "ok", fitted, [], {}, None, 0.0)
    calibrated, _ = calibrate_best(run, winner, fitted, None,
                                   validation_only=calibration["source"].startswith("the validation rows"))
    return calibrated.valid_metrics, calibrated.valid_predictions
