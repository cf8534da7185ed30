"""Preparation use cases: preview what the recipe does to the training rows."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from engine import build_preprocessor, feature_columns, prepare_target, split_rows
from storage import Workspace
from usecases.projects import project_frame, project_problem, project_recipe, project_schema

__all__ = ["Preview", "preview"]

_PREVIEW_FIT_ROWS = 20_000
_PREVIEW_SHOW_ROWS = 50


class Preview(NamedTuple):
    split_table: pd.DataFrame
    notes: list[str]
    shape_before: tuple[int, int]
    shape_after: tuple[int, int]
    fitted_rows: int
    sampled: bool
    transformed: pd.DataFrame


def split_table(y: pd.Series, task: str, split) -> pd.DataFrame:
    """Rows per split and, for classification, each class's share in each split."""
    rows = []
    for name in ("train", "valid", "test"):
        positions = getattr(split, name)
        row = {"split": name, "rows": len(positions), "share": f"{len(positions) / len(y):.0%}"}
        if task == "classification" and len(positions):
            shares = y.iloc[positions].astype(str).value_counts(normalize=True)
            row.update({f"class {k}": f"{v:.1%}" for k, v in shares.sort_index().items()})
        rows.append(row)
    return pd.DataFrame(rows)


def preview(ws: Workspace, project_id: int) -> Preview:
    """Split the project's data as the recipe says and transform the first training rows."""
    problem = project_problem(ws, project_id)
    recipe = project_recipe(ws, project_id)
    schema = project_schema(ws, project_id)
    rows, y = prepare_target(project_frame(ws, project_id), problem)
    split = split_rows(y, problem.task, recipe["split"])
    features = feature_columns(schema, problem.target, recipe)
    train = rows.iloc[split.train][[c.name for c in features]]
    sampled = len(train) > _PREVIEW_FIT_ROWS
    fit_rows = train.sample(_PREVIEW_FIT_ROWS, random_state=0) if sampled else train
    preprocessor = build_preprocessor(features, recipe).fit(fit_rows)
    shown = preprocessor.transform(train.head(_PREVIEW_SHOW_ROWS))
    notes = list(split.notes)
    dropped = len(y) < len(project_frame(ws, project_id))
    if dropped:
        notes.append("Rows without a target value are left out of every split.")
    return Preview(split_table(y, problem.task, split), notes, train.shape, (len(train), shown.shape[1]),
                   len(fit_rows), sampled, shown)
