"""Scoring raw rows with a fitted pipeline, after checking them against the model's schema."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import ColumnError, EmptyDataError

__all__ = ["check_input", "predict_frame", "probability_frame"]


def check_input(frame: pd.DataFrame, features: list[dict]) -> list[str]:
    """Raise ColumnError if required columns are missing; return notes about the rest."""
    names = _check_columns(frame, features)
    return _gap_notes(_missing_counts(frame, names))


def _check_columns(frame: pd.DataFrame, features: list[dict]) -> list[str]:
    """The model's column names; raise EmptyDataError or ColumnError when ``frame`` cannot be scored."""
    if frame.empty:
        raise EmptyDataError("The file to score has no rows.")
    names = [f["name"] for f in features]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ColumnError(
            f"The data lacks {len(missing)} column(s) the model needs: {missing[:10]}; "
            "add them (they may be empty) and score again."
        )
    return names


def _missing_counts(frame: pd.DataFrame, names: list[str]) -> dict[str, int]:
    return {n: int(k) for n in names if (k := frame[n].isna().sum())}


def _gap_notes(gaps: dict[str, int]) -> list[str]:
    if not gaps:
        return []
    counts = ", ".join(f"'{n}' ({k:,} row{'s' if k != 1 else ''})" for n, k in gaps.items())
    return [f"Missing values are filled as in training: {counts}."]


def predict_frame(pipeline, frame: pd.DataFrame, features: list[dict], task: str,
                  threshold: float | None = None) -> pd.DataFrame:
    """Predictions in input row order: ``prediction`` and, for classifiers, ``proba_<class>``.

    For a two-class model, ``threshold`` is the probability of the second class (in sorted
    order, the one the Evaluate page calls positive) from which a row is predicted positive.
    """
    X = frame[_check_columns(frame, features)]  # the checks only: counting gaps is the caller's (check_input)
    if not (task == "classification" and hasattr(pipeline, "predict_proba")):
        return pd.DataFrame({"prediction": pipeline.predict(X)}).reset_index(drop=True)
    # One pass through the pipeline: every classifier the workbench trains predicts the most probable class.
    return probability_frame(pipeline.predict_proba(X), pipeline.classes_, threshold)


def probability_frame(proba, classes, threshold: float | None = None) -> pd.DataFrame:
    """``prediction`` (the most probable class, or for two classes P(second) >= ``threshold``) and
    ``proba_<class>`` columns from a probability matrix whose columns follow ``classes``."""
    proba = np.asarray(proba, dtype=float)
    labels = np.asarray(classes)
    out = pd.DataFrame({"prediction": labels[proba.argmax(axis=1)]})
    for j, label in enumerate(labels):
        out[f"proba_{label}"] = proba[:, j]
    if threshold is not None and len(labels) == 2:
        out["prediction"] = np.where(proba[:, 1] >= threshold, labels[1], labels[0])
    return out
