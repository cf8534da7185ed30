"""The preparation recipe: every preprocessing choice, as plain JSON-ready data.

A recipe is a dict, validated and completed with defaults by ``validate_recipe``:

>>> recipe = validate_recipe({"numeric": {"scale": "minmax"}})
>>> recipe["numeric"], recipe["split"]["train"]
({'impute': 'median', 'scale': 'minmax'}, 0.7)
"""

from __future__ import annotations

import copy

from engine.errors import RecipeError

__all__ = ["CHOICES", "DEFAULT_RECIPE", "RECIPE_VERSION", "validate_recipe"]

RECIPE_VERSION = 1

CHOICES = {
    ("numeric", "impute"): ("median", "mean", "most_frequent", "zero"),
    ("numeric", "scale"): ("standard", "minmax", "robust", "none"),
    ("categorical", "impute"): ("most_frequent", "constant"),
    ("categorical", "encode"): ("onehot", "ordinal"),
    ("split", "strategy"): ("stratified", "random"),
}

DEFAULT_RECIPE: dict = {
    "version": RECIPE_VERSION,
    "drop_columns": [],
    "numeric": {"impute": "median", "scale": "standard"},
    "categorical": {"impute": "most_frequent", "encode": "onehot", "max_categories": 20},
    "split": {"train": 0.70, "valid": 0.15, "test": 0.15, "strategy": "stratified", "seed": 42},
}


def validate_recipe(recipe: dict | None) -> dict:
    """Return a complete, checked copy of ``recipe``; raise RecipeError on any invalid value."""
    recipe = recipe or {}
    if not isinstance(recipe, dict):
        raise RecipeError(f"A recipe must be a JSON object. Got {type(recipe).__name__} instead.")
    version = recipe.get("version", RECIPE_VERSION)
    if version != RECIPE_VERSION:
        raise RecipeError(f"Recipe version {version} is not supported; this workbench reads version {RECIPE_VERSION}.")
    unknown = sorted(set(recipe) - set(DEFAULT_RECIPE))
    if unknown:
        raise RecipeError(f"Unknown recipe sections {unknown}; known sections are {sorted(DEFAULT_RECIPE)}.")
    out = copy.deepcopy(DEFAULT_RECIPE)
    for section, value in recipe.items():
        if isinstance(out[section], dict):
            if not isinstance(value, dict):
                raise RecipeError(f"Recipe section '{section}' must be an object. Got {value!r} instead.")
            extra = sorted(set(value) - set(out[section]))
            if extra:
                raise RecipeError(f"Unknown keys {extra} in recipe section '{section}'.")
            out[section].update(value)
        else:
            out[section] = value
    _check_choices(out)
    _check_split(out["split"])
    if not isinstance(out["drop_columns"], list) or not all(isinstance(c, str) for c in out["drop_columns"]):
        raise RecipeError("The 'drop_columns' of a recipe must be a list of column names.")
    max_cat = out["categorical"]["max_categories"]
    if not isinstance(max_cat, int) or not 2 <= max_cat <= 1000:
        raise RecipeError(
            f"The 'max_categories' parameter of the recipe must be an int in [2, 1000]. Got {max_cat!r} instead."
        )
    return out


def _check_choices(recipe: dict) -> None:
    for (section, key), allowed in CHOICES.items():
        value = recipe[section][key]
        if value not in allowed:
            raise RecipeError(
                f"The '{key}' parameter of recipe section '{section}' must be one of {list(allowed)}. "
                f"Got {value!r} instead."
            )


def _check_split(split: dict) -> None:
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
