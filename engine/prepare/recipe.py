"""The preparation recipe: every preprocessing choice, as plain JSON-ready data.

A recipe is a dict, validated and completed with defaults by ``validate_recipe``. Its ``steps``
run in order (see ``engine.prepare.steps`` for the catalogue); ``split`` says how rows are
divided; ``leakage`` holds the columns the leakage audit or the user excluded.

>>> recipe = validate_recipe({"split": {"seed": 7}})
>>> [s["type"] for s in recipe["steps"]], recipe["split"]["train"], recipe["split"]["seed"]
(['date_parts', 'impute', 'impute', 'scale', 'encode', 'tfidf'], 0.7, 7)

The default scale and encode steps are not ``pinned``: each model family replaces them with the encoding and
scaling it works best with (``engine.prepare.pipeline``); a step the user adds or edits is pinned and kept as
written for every family.

Version 1 recipes (fixed numeric / categorical sections) are upgraded on read.
"""

from __future__ import annotations

import copy

from engine.errors import RecipeError
from engine.prepare.steps import pin_step, validate_step

__all__ = ["BALANCE", "DEFAULT_RECIPE", "DEFAULT_STEPS", "RECIPE_VERSION", "SPLIT_STRATEGIES", "excluded_columns",
           "validate_recipe"]

RECIPE_VERSION = 3
# Version 3 (December 2026) added the ``pinned`` flag of encode / scale / power steps. A recipe written before
# meant every step as written, so its steps are pinned when it is read: a stored run replays exactly.
_PINNED_SINCE = 3
SPLIT_STRATEGIES = ("stratified", "random", "time", "group")
BALANCE = ("none", "class_weight", "oversample", "undersample")

DEFAULT_STEPS: list[dict] = [
    {"type": "date_parts", "columns": {"kind": "datetime"}},
    {"type": "impute", "columns": {"kind": "numeric"}, "params": {"strategy": "median"}},
    {"type": "impute", "columns": {"kind": "categorical"}, "params": {"strategy": "most_frequent"}},
    {"type": "scale", "columns": {"kind": "numeric"}, "params": {"method": "standard"}, "pinned": False},
    {"type": "encode", "columns": {"kind": "categorical"}, "params": {"method": "onehot", "max_categories": 20},
     "pinned": False},
    {"type": "tfidf", "columns": {"kind": "text"}},
]

DEFAULT_RECIPE: dict = {
    "version": RECIPE_VERSION,
    "drop_columns": [],
    "leakage": {"excluded": [], "kept": [], "after_outcome": []},
    "steps": [validate_step(s) for s in DEFAULT_STEPS],
    "balance": "none",
    "split": {"train": 0.70, "valid": 0.15, "test": 0.15, "strategy": "stratified", "seed": 42,
              "time_column": None, "group_column": None},
}


def validate_recipe(recipe: dict | None) -> dict:
    """Return a complete, checked copy of ``recipe``; raise RecipeError on any invalid value."""
    recipe = recipe or {}
    if not isinstance(recipe, dict):
        raise RecipeError(f"A recipe must be a JSON object. Got {type(recipe).__name__} instead.")
    legacy = "version" not in recipe and ({"numeric", "categorical"} & set(recipe))
    version = recipe.get("version", 1 if legacy else RECIPE_VERSION)
    if version not in range(1, RECIPE_VERSION + 1):
        raise RecipeError(f"Recipe version {version} is not supported; this workbench reads versions 1 to "
                          f"{RECIPE_VERSION}.")
    if version == 1:
        recipe = _upgrade_v1(recipe)
    if version < _PINNED_SINCE:
        steps = recipe.get("steps", [{k: v for k, v in s.items() if k != "pinned"} for s in DEFAULT_RECIPE["steps"]])
        recipe = {**recipe, "steps": [pin_step(s) if isinstance(s, dict) and "pinned" not in s else s
                                      for s in steps] if isinstance(steps, list) else steps}
    unknown = sorted(set(recipe) - set(DEFAULT_RECIPE))
    if unknown:
        raise RecipeError(f"Unknown recipe sections {unknown}; known sections are {sorted(DEFAULT_RECIPE)}.")
    out = copy.deepcopy(DEFAULT_RECIPE)
    for section in ("leakage", "split"):
        value = recipe.get(section, {})
        if not isinstance(value, dict):
            raise RecipeError(f"Recipe section '{section}' must be an object. Got {value!r} instead.")
        extra = sorted(set(value) - set(out[section]))
        if extra:
            raise RecipeError(f"Unknown keys {extra} in recipe section '{section}'.")
        out[section].update(value)
    steps = recipe.get("steps", out["steps"])
    if not isinstance(steps, list):
        raise RecipeError(f"The 'steps' of a recipe must be a list. Got {steps!r} instead.")
    out["steps"] = [validate_step(s) for s in steps]
    out["drop_columns"] = _names(recipe.get("drop_columns", []), "drop_columns")
    for key in out["leakage"]:
        out["leakage"][key] = _names(out["leakage"][key], f"leakage.{key}")
    out["balance"] = recipe.get("balance", "none")
    if out["balance"] not in BALANCE:
        raise RecipeError(f"The 'balance' of a recipe must be one of {list(BALANCE)}. Got {out['balance']!r} instead.")
    _check_split(out["split"])
    return out


def excluded_columns(recipe: dict) -> set[str]:
    """Columns no model may see: dropped by the user, flagged as leaks, or recorded after the outcome."""
    leakage = recipe["leakage"]
    return set(recipe["drop_columns"]) | set(leakage["excluded"]) | set(leakage["after_outcome"])


def _names(value, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise RecipeError(f"The '{where}' of a recipe must be a list of column names. Got {value!r} instead.")
    return list(value)


def _upgrade_v1(old: dict) -> dict:
    """Version 1 had fixed numeric / categorical sections; express them as the same steps."""
    numeric = {"impute": "median", "scale": "standard", **(old.get("numeric") or {})}
    categorical = {"impute": "most_frequent", "encode": "onehot", "max_categories": 20,
                   **(old.get("categorical") or {})}
    fill = {"strategy": "constant", "fill_value": 0} if numeric["impute"] == "zero" else {"strategy": numeric["impute"]}
    steps = [{"type": "date_parts", "columns": {"kind": "datetime"}},
             {"type": "impute", "columns": {"kind": "numeric"}, "params": fill},
             {"type": "impute", "columns": {"kind": "categorical"}, "params": {"strategy": categorical["impute"]}},
             {"type": "impute", "columns": {"kind": "text"}, "params": {"strategy": categorical["impute"]}}]
    if numeric["scale"] != "none":
        steps.append({"type": "scale", "columns": {"kind": "numeric"}, "params": {"method": numeric["scale"]}})
    steps.append({"type": "encode", "columns": {"kind": "categorical"},
                  "params": {"method": categorical["encode"], "max_categories": categorical["max_categories"]}})
    steps.append({"type": "encode", "columns": {"kind": "text"},
                  "params": {"method": categorical["encode"], "max_categories": categorical["max_categories"]}})
    return {"version": RECIPE_VERSION, "drop_columns": old.get("drop_columns", []), "steps": steps,
            "split": old.get("split", {})}


def _check_split(split: dict) -> None:
    if split["strategy"] not in SPLIT_STRATEGIES:
        raise RecipeError(f"The 'strategy' of the split must be one of {list(SPLIT_STRATEGIES)}. "
                          f"Got {split['strategy']!r} instead.")
    for key in ("time", "group"):
        column = split[f"{key}_column"]
        if split["strategy"] == key and not (isinstance(column, str) and column):
            raise RecipeError(f"A {key} split needs the '{key}_column' that orders or groups the rows.")
    for key in ("train", "valid", "test"):
        share = split[key]
        if not isinstance(share, (int, float)) or not 0 <= share < 1:
            raise RecipeError(f"The '{key}' share of the split must be a number in [0, 1). Got {share!r} instead.")
    if split["train"] < 0.3 or split["valid"] < 0.05:
        raise RecipeError(
            f"The split needs train >= 0.3 and valid >= 0.05, but got (train={split['train']}, valid={split['valid']})."
        )
    total = split["train"] + split["valid"] + split["test"]
    if abs(total - 1) > 1e-6:
        raise RecipeError(
            f"train + valid + test must add up to 1, but got {split['train']} + {split['valid']} + "
            f"{split['test']} = {total:.3f}."
        )
    seed = split["seed"]
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise RecipeError(f"The split 'seed' must be a non-negative int. Got {seed!r} instead.")
