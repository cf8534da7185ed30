"""Scoring use cases: predictions for a file with a stored model."""

from __future__ import annotations

import pandas as pd

from engine import check_input, predict_frame, read_table
from engine.evaluate.conformal import with_intervals
from storage import Workspace
from usecases.evaluation import model_threshold, prediction_interval
from usecases.monitoring import record_batch

__all__ = ["score_upload"]


def score_upload(ws: Workspace, model_id: int, data: bytes, filename: str,
                 interval_level: float | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Predictions for an uploaded table, with the input columns first; plus notes for the user.

    ``interval_level`` (e.g. 0.9) adds the split-conformal prediction interval of a regression model.
    """
    table = read_table(data, name=filename)
    pipeline, card = ws.load_model(model_id)
    threshold = model_threshold(ws, model_id)
    predictions = predict_frame(pipeline, table.frame, card["features"], card["task"], threshold)
    notes = table.notes + check_input(table.frame, card["features"])
    if threshold is not None:
        notes.append(f"Classes are decided with the decision threshold {threshold:g} saved with the model.")
    if interval_level is not None and card["task"] == "regression":
        interval = prediction_interval(ws, model_id, interval_level)
        predictions = with_intervals(predictions, interval)
        notes.append(f"The {interval.level:.0%} prediction interval is the prediction ± {interval.half_width:.4g} "
                     f"(split-conformal; {interval.coverage:.1%} of validation rows were covered when checked).")
    inputs = table.frame.drop(columns=predictions.columns, errors="ignore")  # a re-scored file's old predictions
    record_batch(ws, model_id, inputs, filename, "batch scoring")  # for the Monitor page
    return pd.concat([inputs.reset_index(drop=True), predictions], axis=1), notes
