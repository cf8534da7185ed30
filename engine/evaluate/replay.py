"""Replay: rebuild a stored model from its run's data, recipe, column schema, parameters and seed, refit it
on the same training rows and check that its validation results come out the same.

Same data + same recipe + same seed = same result is a promise of the workbench; this is how a user
checks it for one model. A tuned model is refitted with the parameters its search chose (the search
itself is not re-run: its time budget makes it depend on the machine's speed).

>>> check = compare_replay({"accuracy": 0.9}, {"accuracy": 0.9})
>>> check.match, check.message
(True, 'Reproduced: all 1 validation metrics match the stored ones.')
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from engine.data.problem import Problem
from engine.data.schema import ColumnInfo
from engine.errors import ModelError
from engine.prepare.recipe import validate_recipe
from engine.prepare.split import Split
from engine.train.automl import voting_pipeline
from engine.train.training import evaluate, family_pipeline, loss_params, training_data, validate_settings

__all__ = ["ReplayCheck", "compare_replay", "replay_model", "replay_pipeline"]

TOLERANCE = 1e-9


class ReplayCheck(NamedTuple):
    """The verdict of a replay: whether it matched, one row per metric, and a sentence for the user."""

    match: bool
    metrics: pd.DataFrame  # metric, stored, replayed, difference, same
    message: str
    predictions_same: float | None = None  # share of validation rows with the same prediction


def replay_model(frame: pd.DataFrame, schema: list[ColumnInfo], problem: Problem, recipe: dict, settings: dict,
                 split: Split, card: dict) -> tuple[dict[str, float], pd.DataFrame]:
    """Refit the model a stored ``card`` describes on the split's training rows; its validation metrics and
    per-row predictions (as ``engine.train.training.evaluate`` returns them)."""
    recipe = validate_recipe(recipe)
    settings = validate_settings(settings, problem.task)
    data = training_data(frame, schema, problem, recipe)
    expected = [(f["name"], f["kind"]) for f in card["features"]]
    rebuilt = [(c.name, c.kind) for c in data.features]
    if rebuilt != expected:
        raise ModelError(f"The columns this model was trained on ({expected}) differ from those the stored schema "
                         f"and recipe give now ({rebuilt}); the run cannot be replayed exactly.")
    pipeline = replay_pipeline(card, data.features, recipe, problem.task, settings)
    fitted = data.fitter.fit(pipeline, data.X.iloc[split.train], data.y.iloc[split.train])
    return evaluate(fitted, data.X.iloc[split.valid], data.y.iloc[split.valid], problem.task)


def replay_pipeline(card: dict, features: list[ColumnInfo], recipe: dict, task: str, settings: dict):
    """The unfitted pipeline a stored ``card`` describes (its family or ensemble, with the parameters chosen)."""
    family, tuning, seed = card["family"], card.get("tuning") or {}, settings["seed"]
    if family == "ensemble":
        params = tuning.get("params")
        if not params:
            raise ModelError("This ensemble was saved without its members' parameters; it cannot be replayed.")
        return voting_pipeline([(m, params[m]) for m in tuning["members"]], features, recipe, task, seed,
                               tuning.get("weights"))
    params = tuning["params"] if "params" in tuning else loss_params(settings, family)
    return family_pipeline(family, params, features, recipe, task, seed)


def compare_replay(stored: dict[str, float], replayed: dict[str, float], stored_predictions: pd.DataFrame | None = None,
                   predictions: pd.DataFrame | None = None, tolerance: float = TOLERANCE) -> ReplayCheck:
    """Compare stored and replayed validation metrics (and predictions, when given)."""
    rows = []
    for name, value in stored.items():
        if not isinstance(value, (int, float)) or name not in replayed:
            continue
        again = float(replayed[name])
        same = (np.isnan(value) and np.isnan(again)) or abs(again - value) <= tolerance * max(1.0, abs(value))
        rows.append({"metric": name, "stored": float(value), "replayed": again, "difference": again - value,
                     "same": bool(same)})
    table = pd.DataFrame(rows, columns=["metric", "stored", "replayed", "difference", "same"])
    share = None
    if stored_predictions is not None and predictions is not None and len(stored_predictions) == len(predictions):
        share = float((stored_predictions["y_pred"].astype(str).to_numpy()
                       == predictions["y_pred"].astype(str).to_numpy()).mean()) if len(predictions) else 1.0
    elif stored_predictions is not None and predictions is not None:
        share = 0.0
    match = bool(len(table)) and bool(table["same"].all()) and share in (None, 1.0)
    if match:
        message = f"Reproduced: all {len(table)} validation metrics match the stored ones."
    elif not len(table):
        message = "Nothing to compare: the stored model has no validation metrics."
    else:
        differ = table[~table["same"]]
        parts = [f"{r.metric} {r.stored:.6g} → {r.replayed:.6g}" for r in differ.itertuples()]
        if share is not None and share < 1.0:
            parts.append(f"{1 - share:.1%} of validation predictions differ")
        message = "Not reproduced: " + "; ".join(parts) + "."
    return ReplayCheck(match, table, message, share)
