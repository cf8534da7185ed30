"""Reproducibility check: refit a stored model from its run's exact inputs and compare its validation results."""

from __future__ import annotations

from engine.errors import ModelError
from engine.evaluate.replay import ReplayCheck, compare_replay, replay_model
from storage import Workspace, read_card
from usecases.runs import prepare_run, run_inputs

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
    return compare_replay(model["valid_metrics"] or {}, metrics, ws.load_predictions(model_id), predictions)
