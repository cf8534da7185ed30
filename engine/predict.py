"""Scoring raw rows with a fitted pipeline, after checking them against the model's schema."""

from __future__ import annotations

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


def predict_frame(pipeline, frame: pd.DataFrame, features: list[dict], task: str) -> pd.DataFrame:
    """Predictions in input row order: ``prediction`` and, for classifiers, ``proba_<class>``."""
    check_input(frame, features)
    X = frame[[f["name"] for f in features]]
    out = pd.DataFrame({"prediction": pipeline.predict(X)}, index=frame.index)
    if task == "classification" and hasattr(pipeline, "predict_proba"):
        proba = pipeline.predict_proba(X)
        for j, label in enumerate(pipeline.classes_):
            out[f"proba_{label}"] = proba[:, j]
    return out.reset_index(drop=True)
