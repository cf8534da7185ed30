"""Comparison use cases: which leaderboard models clearly differ from the best, two models side by side
(a paired bootstrap on their shared validation rows), and what changed between two runs.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from engine import ModelError, RecipeError, validate_recipe
from engine.evaluate.comparison import Predictions, compare_predictions
from engine.evaluate.run_diff import diff_runs
from storage import Workspace, read_card
from usecases.evaluation import validation_predictions

__all__ = [
    "MARKS",
    "compare_models",
    "mark_clear_differences",
    "run_diff",
    "validation_rows_key",
]

MARKS = ("best", "not clearly different", "clearly worse", "other validation rows", "no interval")


def validation_rows_key(run: dict) -> str:
    """What decides a run's validation rows: its dataset, target and split settings, as one string."""
    try:
        split = validate_recipe(run["recipe"])["split"]
    except RecipeError:  # a recipe this version cannot read: compare its split section as stored
        split = (run["recipe"] or {}).get("split")
    return json.dumps([run["dataset_sha256"], (run["problem"] or {}).get("target"), split], sort_keys=True)


def mark_clear_differences(ws: Workspace, board: pd.DataFrame, intervals: dict[int, tuple[float, float]]) -> list[str]:
    """For each leaderboard row: 'best', 'not clearly different' (its 95% interval overlaps the best
    model's), 'clearly worse', 'other validation rows' (scored on other rows than the best model, so
    not comparable), 'no interval', or '' for a model that was not trained.

    ``board`` is ``evaluation.leaderboard`` (best first); ``intervals`` maps model ids to their validation
    interval of the board's metric (as the Evaluate page already computed them).
    """
    ok = board[(board["status"] == "ok") & board["validation"].notna()]
    if ok.empty:
        return [""] * len(board)
    keys = {run_id: validation_rows_key(ws.get_run(int(run_id))) for run_id in ok["run_id"].unique()}
    best = int(ok["model_id"].iloc[0])
    best_key = keys[ok["run_id"].iloc[0]]
    best_low, best_high = intervals.get(best, (math.nan, math.nan))
    trained, marks = set(ok["model_id"]), []
    for model_id, run_id, status in zip(board["model_id"], board["run_id"], board["status"], strict=True):
        low, high = intervals.get(int(model_id), (math.nan, math.nan))
        if status != "ok" or model_id not in trained:
            marks.append("")
        elif model_id == best:
            marks.append("best")
        elif keys[run_id] != best_key:
            marks.append("other validation rows")
        elif not all(map(math.isfinite, (low, high, best_low, best_high))):
            marks.append("no interval")
        else:
            overlap = low <= best_high and best_low <= high
            marks.append("not clearly different" if overlap else "clearly worse")
    return marks


def _scored(ws: Workspace, model_id: int) -> tuple[dict, dict, pd.DataFrame, list[str] | None]:
    model = ws.get_model(model_id)
    if model["status"] != "ok":
        raise ModelError(f"Model {model_id} was not trained ({model['status']}); pick a trained model.")
    predictions, classes = validation_predictions(ws, model_id)
    return model, ws.get_run(model["run_id"]), predictions, classes


def _predictions(frame: pd.DataFrame, classes: list[str] | None) -> Predictions:
    proba = None if classes is None else frame[[f"proba_{c}" for c in classes]].to_numpy(dtype=float)
    return Predictions(frame["y_pred"], proba, classes)


def compare_models(ws: Workspace, model_a: int, model_b: int, n_boot: int = 500, seed: int = 0) -> pd.DataFrame:
    """Every validation metric of models A and B, the difference B − A, its 95% paired-bootstrap interval
    (the same resampled validation rows for both) and a verdict: 'A better', 'B better' or
    'not clearly different'. The project's metric comes first.

    Columns: metric, label, a, b, difference, low, high, verdict, higher_is_better.
    Raises ModelError unless both models were scored on the same validation rows.
    """
    model_a_rec, run_a, frame_a, classes_a = _scored(ws, model_a)
    model_b_rec, run_b, frame_b, classes_b = _scored(ws, model_b)
    names = f"Models #{model_a} (run #{run_a['id']}) and #{model_b} (run #{run_b['id']})"
    if validation_rows_key(run_a) != validation_rows_key(run_b):
        raise ModelError(f"{names} were scored on different validation rows: their runs differ in data, target "
                         "or split settings. Compare two models of the same run, or of runs trained on the same "
                         "data with the same split.")
    truth_a, truth_b = (f["y_true"].astype(str).to_numpy() for f in (frame_a, frame_b))
    if len(truth_a) != len(truth_b) or not np.array_equal(truth_a, truth_b):
        raise ModelError(f"{names} were scored on different validation rows ({len(truth_a):,} and "
                         f"{len(truth_b):,} rows, or other target values). Compare two models of the same run.")
    problem = run_a["problem"]
    return compare_predictions(problem["task"], problem["metric"], frame_a["y_true"],
                               _predictions(frame_a, classes_a), _predictions(frame_b, classes_b), n_boot, seed)


def _model_records(ws: Workspace, run: dict) -> list[dict]:
    models = []
    for model in ws.list_models(run["project_id"], run["id"]):
        card = read_card(ws.model_dir(model["id"])) if model["path"] else {}
        models.append({**model, "params": card.get("params"), "tuning": card.get("tuning")})
    return models


def _run_record(ws: Workspace, run_id: int) -> dict:
    run = ws.get_run(run_id)
    dataset = ws.get_dataset(run["dataset_id"]) if run["dataset_id"] else {}
    return {**run, "dataset_name": dataset.get("name"), "dataset_rows": dataset.get("n_rows")}


def run_diff(ws: Workspace, run_a: int, run_b: int, include_unchanged: bool = False) -> pd.DataFrame:
    """What changed from run A to run B, by area (Data, Problem, Split, Recipe, Settings, Models, Versions,
    Time); only changed items unless ``include_unchanged``.

    Columns: area, item, a, b, changed.
    """
    a, b = _run_record(ws, run_a), _run_record(ws, run_b)
    rows = diff_runs(a, b, _model_records(ws, a), _model_records(ws, b), include_unchanged=include_unchanged)
    return pd.DataFrame(rows, columns=["area", "item", "a", "b", "changed"])

