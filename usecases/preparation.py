"""Preparation use cases: edit a project's recipe step by step, preview it, export and import it."""

from __future__ import annotations

import json
from typing import NamedTuple

import pandas as pd

from engine import (
    RecipeError,
    build_preprocessor,
    split_rows,
    training_data,
    validate_recipe,
    validate_step,
)
from engine.prepare.advice import recipe_warnings
from engine.prepare.pipeline import column_steps
from engine.prepare.selection import PCAReducer
from engine.prepare.steps import STEP_TYPES, pin_step
from storage import Workspace
from usecases.projects import project_frame, project_problem, project_recipe, project_schema, save_recipe
from usecases.training import training_row_log

__all__ = ["Preview", "add_step", "export_recipe", "import_recipe", "move_step", "preview", "remove_step",
           "replace_step", "split_table", "toggle_step", "warnings"]

_PREVIEW_FIT_ROWS = 20_000
_PREVIEW_SHOW_ROWS = 50


class Preview(NamedTuple):
    split_table: pd.DataFrame
    notes: list[str]
    shape_before: tuple[int, int]
    shape_after: tuple[int, int]
    fitted_rows: int
    sampled: bool
    before: pd.DataFrame
    transformed: pd.DataFrame
    stages: pd.DataFrame  # one row per column step: columns after it, added and removed
    row_log: list[str]
    pca_variance: list[float] | None


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
    """Split the data as the recipe says, fit the preparation on training rows, show what it does."""
    problem = project_problem(ws, project_id)
    recipe = project_recipe(ws, project_id)
    schema = project_schema(ws, project_id)
    frame = project_frame(ws, project_id)
    data = training_data(frame, schema, problem, recipe)
    y = data.y
    split = split_rows(y, problem.task, recipe["split"], data.rows)
    train = data.X.iloc[split.train]
    sampled = len(train) > _PREVIEW_FIT_ROWS
    fit_rows = train.sample(_PREVIEW_FIT_ROWS, random_state=0) if sampled else train
    preprocessor = build_preprocessor(data.features, recipe, problem.task).fit(fit_rows, y.loc[fit_rows.index])
    head = train.head(_PREVIEW_SHOW_ROWS)
    stages, prepared = _stages(preprocessor, head, recipe)
    shown = preprocessor.named_steps["guard"].transform(prepared)
    notes = list(split.notes)
    if len(y) < len(frame):
        missing = len(frame) - len(y)
        notes.append(f"{missing:,} row{'s' if missing > 1 else ''} without a target value "
                     f"{'are' if missing > 1 else 'is'} left out of every split.")
    return Preview(split_table(y, problem.task, split), notes, train.shape, (len(train), shown.shape[1]),
                   len(fit_rows), sampled, head, shown, stages, training_row_log(data, split, recipe, problem.task),
                   _pca_variance(preprocessor))


def warnings(ws: Workspace, project_id: int) -> list[str]:
    """Risky or useless choices in the project's recipe, given its data and chosen models."""
    problem = project_problem(ws, project_id)
    project = ws.get_project(project_id)
    settings = project["settings"] or {}
    dataset_rows = ws.get_dataset(project["dataset_id"])["n_rows"]
    return recipe_warnings(project_recipe(ws, project_id), project_schema(ws, project_id), problem.target,
                           problem.task, settings.get("models"), dataset_rows)


def _stages(preprocessor, head: pd.DataFrame, recipe: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What each column step adds and removes, and ``head`` as the last step leaves it (before the guard)."""
    data = preprocessor.named_steps["cast"].transform(head)
    rows = []
    for position, step in column_steps(recipe):
        before = list(data.columns)
        data = preprocessor.named_steps[f"s{position + 1}_{step['type']}"].transform(data)
        added = [c for c in data.columns if c not in before]
        removed = [c for c in before if c not in data.columns]
        rows.append({"step": position + 1, "what": STEP_TYPES[step["type"]].label, "columns after": data.shape[1],
                     "added": _few(added), "removed": _few(removed)})
    return pd.DataFrame(rows, columns=["step", "what", "columns after", "added", "removed"]), data


def _few(names: list[str]) -> str:
    return ", ".join(map(str, names[:5])) + (f" (+{len(names) - 5} more)" if len(names) > 5 else "")


def _pca_variance(preprocessor) -> list[float] | None:
    for _, stage in preprocessor.steps:
        inner = getattr(stage, "transformer_", None)
        if isinstance(inner, PCAReducer):
            return [float(v) for v in inner.explained_variance_ratio_]
    return None


# --- editing: each call validates the whole recipe and saves it ---------------------------------

def _edit(ws: Workspace, project_id: int, change) -> dict:
    recipe = project_recipe(ws, project_id)
    steps = list(recipe["steps"])
    change(steps)
    return save_recipe(ws, project_id, {**recipe, "steps": steps})


def add_step(ws: Workspace, project_id: int, step: dict, position: int | None = None) -> dict:
    """Add the analyst's ``step``: an encode, scale or power step they add is pinned (every family gets it)."""
    step = validate_step(pin_step(step))
    return _edit(ws, project_id, lambda steps: steps.insert(len(steps) if position is None else position, step))


def replace_step(ws: Workspace, project_id: int, index: int, step: dict) -> dict:
    """Put the analyst's edit of step ``index`` in its place, pinned like an added step."""
    step = validate_step(pin_step(step))
    return _edit(ws, project_id, lambda steps: steps.__setitem__(_checked(steps, index), step))


def remove_step(ws: Workspace, project_id: int, index: int) -> dict:
    return _edit(ws, project_id, lambda steps: steps.pop(_checked(steps, index)))


def toggle_step(ws: Workspace, project_id: int, index: int) -> dict:
    def flip(steps):
        i = _checked(steps, index)
        steps[i] = {**steps[i], "enabled": not steps[i]["enabled"]}
    return _edit(ws, project_id, flip)


def move_step(ws: Workspace, project_id: int, index: int, offset: int) -> dict:
    def move(steps):
        i = _checked(steps, index)
        j = min(max(i + offset, 0), len(steps) - 1)
        steps.insert(j, steps.pop(i))
    return _edit(ws, project_id, move)


def _checked(steps: list, index: int) -> int:
    if not 0 <= index < len(steps):
        raise RecipeError(f"There is no step {index + 1}; the recipe has {len(steps)} steps.")
    return index


def export_recipe(ws: Workspace, project_id: int) -> str:
    """The recipe as indented JSON, ready to download and import elsewhere."""
    return json.dumps(project_recipe(ws, project_id), indent=2)


def import_recipe(ws: Workspace, project_id: int, text: str | bytes) -> list[str]:
    """Replace the project's recipe by an exported one; return notes on columns this data lacks."""
    try:
        recipe = validate_recipe(json.loads(text))
    except ValueError as exc:
        raise RecipeError(f"This file is not a recipe exported as JSON: {exc}") from exc
    save_recipe(ws, project_id, recipe)
    names = {c.name for c in project_schema(ws, project_id)}
    named = set(recipe["drop_columns"]) | {n for s in recipe["steps"] for n in s["columns"].get("names", [])}
    named |= {s["params"][k] for s in recipe["steps"] if s["type"] == "derive" for k in ("left", "right")} - {None}
    missing = sorted(named - names)
    return [f"The recipe names columns this data does not have: {missing}."] if missing else []
