"""A linear model trained on a small table as the training stage trains it, for tests of what comes after."""

from __future__ import annotations

import pandas as pd
from sklearn.pipeline import Pipeline

from engine import Problem, infer_schema, prepare_target, split_rows
from engine.train.training import train_candidates


def fit_linear(frame: pd.DataFrame, problem: Problem, recipe: dict) -> tuple[Pipeline, dict[str, str]]:
    """The linear candidate's fitted pipeline (no cross-validation) and each column's inferred kind by name."""
    rows, y = prepare_target(frame, problem)
    split = split_rows(y, problem.task, recipe["split"], rows)
    schema = infer_schema(frame)
    candidates = train_candidates(rows, schema, problem, recipe, {"models": ["linear"], "cv_folds": 0}, split)
    return next(c.pipeline for c in candidates if c.model == "linear"), {c.name: c.kind for c in schema}
