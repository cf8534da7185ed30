"""Scoring use cases: predictions for a file with a stored model."""

from __future__ import annotations

import pandas as pd

from engine import check_input, predict_frame, read_table
from storage import Workspace
from usecases.evaluation import model_threshold

__all__ = ["score_upload"]


def score_upload(ws: Workspace, model_id: int, data: bytes, filename: str) -> tuple[pd.DataFrame, list[str]]:
    """Predictions for an uploaded table, with the input columns first; plus notes for the user."""
    table = read_table(data, name=filename)
    pipeline, card = ws.load_model(model_id)
    threshold = model_threshold(ws, model_id)
    predictions = predict_frame(pipeline, table.frame, card["features"], card["task"], threshold)
    notes = table.notes + check_input(table.frame, card["features"])
    if threshold is not None:
        notes.append(f"Classes are decided with the decision threshold {threshold:g} saved with the model.")
    inputs = table.frame.drop(columns=predictions.columns, errors="ignore")  # a re-scored file's old predictions
    return pd.concat([inputs.reset_index(drop=True), predictions], axis=1), notes
