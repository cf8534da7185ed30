"""Row steps: which training rows the model learns from. Validation and test rows are never touched.

Each applied step is logged with its row counts, so a run can say what it removed:

>>> import pandas as pd
>>> X = pd.DataFrame({"a": [1, 1, 2, 3]}); y = pd.Series(["x", "x", "y", "y"])
>>> recipe = {"steps": [{"type": "drop_duplicates"}], "balance": "none"}
>>> X2, y2, log = apply_row_steps(X, y, recipe, "classification", {"a": "numeric"})
>>> len(X2), log[0]["removed"]
(3, 1)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import RecipeError
from engine.prepare.recipe import validate_recipe
from engine.prepare.steps import STEP_TYPES

__all__ = ["apply_row_steps", "row_steps"]


def row_steps(recipe: dict) -> list[tuple[int, dict]]:
    """(position in the recipe, step) of each enabled step that filters training rows."""
    return [(i, s) for i, s in enumerate(recipe["steps"]) if s["enabled"] and STEP_TYPES[s["type"]].stage == "rows"]


def apply_row_steps(X: pd.DataFrame, y: pd.Series, recipe: dict, task: str, kinds: dict[str, str],
                    seed: int = 0) -> tuple[pd.DataFrame, pd.Series, list[dict]]:
    """Apply the recipe's row steps, then its re-sampling, to training rows ``(X, y)``.

    ``kinds`` maps each column of X to its kind. Returns the kept rows and a log of
    ``{"step", "label", "rows_before", "rows_after", "removed"}`` entries.
    """
    recipe = validate_recipe({k: v for k, v in recipe.items() if k in ("steps", "balance")})
    X, y = X.reset_index(drop=True), y.reset_index(drop=True)
    log = []
    for position, step in row_steps(recipe):
        keep = STEP_TYPES[step["type"]].keep(step, X, y, kinds, seed)
        log.append(_entry(position + 1, STEP_TYPES[step["type"]].label, len(X), int(keep.sum())))
        if not keep.any():
            raise RecipeError(f"Step {position + 1} ({STEP_TYPES[step['type']].label}) would remove every "
                              "training row; loosen it or disable it.")
        X, y = X.loc[keep].reset_index(drop=True), y.loc[keep].reset_index(drop=True)
    if recipe["balance"] in ("oversample", "undersample") and task == "classification":
        before = len(X)
        order = _resample(y, recipe["balance"], seed)
        X, y = X.iloc[order].reset_index(drop=True), y.iloc[order].reset_index(drop=True)
        log.append(_entry(None, f"Re-sample classes ({recipe['balance']})", before, len(X)))
    return X, y, log


def _entry(step: int | None, label: str, before: int, after: int) -> dict:
    return {"step": step, "label": label, "rows_before": before, "rows_after": after, "removed": before - after}


def _resample(y: pd.Series, how: str, seed: int) -> np.ndarray:
    """Row positions with every class at the majority's count (oversample) or the minority's (undersample)."""
    rng = np.random.default_rng(seed)
    labels = y.astype(str).to_numpy()
    groups = [np.flatnonzero(labels == c) for c in sorted(set(labels))]
    size = max(map(len, groups)) if how == "oversample" else min(map(len, groups))
    picked = [g if len(g) == size else rng.choice(g, size, replace=how == "oversample") for g in groups]
    return np.sort(np.concatenate(picked))
