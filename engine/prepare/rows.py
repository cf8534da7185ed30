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

from engine.data.schema import convert_series
from engine.errors import RecipeError
from engine.prepare.cleaners import outlier_row_mask
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
        keep = _keep_mask(X, y, step, kinds, seed)
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


def _keep_mask(X: pd.DataFrame, y: pd.Series, step: dict, kinds: dict[str, str], seed: int) -> np.ndarray:
    kind = step["type"]
    if kind == "drop_duplicates":
        return ~pd.concat([X, y.rename("__target__")], axis=1).duplicated().to_numpy()
    if kind == "drop_missing_rows":
        columns = _columns(X, step["columns"], kinds)
        return ~X[columns].isna().any(axis=1).to_numpy() if columns else np.ones(len(X), bool)
    if kind == "drop_outliers":
        numeric = [c for c in X.columns if kinds.get(c) == "numeric"]
        if not numeric:
            return np.ones(len(X), bool)
        frame = pd.DataFrame({c: convert_series(X[c], "numeric") for c in numeric})
        return ~outlier_row_mask(frame, step["params"]["method"], step["params"]["factor"], random_state=seed)
    raise RecipeError(f"Step type '{kind}' is not a row step.")


def _columns(X: pd.DataFrame, columns: dict, kinds: dict[str, str]) -> list[str]:
    if "names" in columns:
        return [c for c in columns["names"] if c in X.columns]
    wanted = columns["kind"]
    return [c for c in X.columns if wanted == "all" or kinds.get(c) == wanted
            or (wanted == "numeric" and kinds.get(c) == "boolean")]


def _resample(y: pd.Series, how: str, seed: int) -> np.ndarray:
    """Row positions with every class at the majority's count (oversample) or the minority's (undersample)."""
    rng = np.random.default_rng(seed)
    labels = y.astype(str).to_numpy()
    groups = [np.flatnonzero(labels == c) for c in sorted(set(labels))]
    size = max(map(len, groups)) if how == "oversample" else min(map(len, groups))
    picked = [g if len(g) == size else rng.choice(g, size, replace=how == "oversample") for g in groups]
    return np.sort(np.concatenate(picked))
