"""Scoring raw rows with a fitted pipeline, after checking them against the model's schema."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import ColumnError, EmptyDataError

__all__ = ["check_input", "predict_frame"]


def check_input(frame: pd.DataFrame, features: list[dict]) -> list[str]:
    """Raise ColumnError if required columns are missing; return notes about the rest."""
    if frame.empty:
        raise EmptyDataError("The file to score has no rows.")
    names = [f["name"] for f in features]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ColumnError(
            f"The data lacks {len(missing)} column(s) the model needs: {missing[:10]}; "
            "add them (they may be empty) and score again."
        )
    notes = []
    gaps = {n: int(frame[n].isna().sum()) for n in names if frame[n].isna().any()}
    if gaps:
        notes.append(f"Missing values are filled as in training: {gaps}.")
    return notes


def predict_frame(pipeline, frame: pd.DataFrame, features: list[dict], task: str,
                  threshold: float | None = None) -> pd.DataFrame:
    """Predictions in input row order: ``prediction`` and, for classifiers, ``proba_<class>``.

    For a two-class model, ``threshold`` is the probability of the second class (in sorted
    order, the one the Evaluate page calls positive) from which a row is predicted positive.
    """
    check_input(frame, features)
    X = frame[[f["name"] for f in features]]
    if not (task == "classification" and hasattr(pipeline, "predict_proba")):
        return pd.DataFrame({"prediction": pipeline.predict(X)}).reset_index(drop=True)
    # One pass through the pipeline: every classifier the workbench trains predicts the most probable class.
    proba = pipeline.predict_proba(X)
    classes = np.asarray(pipeline.classes_)
    out = pd.DataFrame({"prediction": classes[proba.argmax(axis=1)]})
    for j, label in enumerate(classes):
        out[f"proba_{label}"] = proba[:, j]
    if threshold is not None and len(classes) == 2:
        out["prediction"] = np.where(proba[:, 1] >= threshold, classes[1], classes[0])
    return out
