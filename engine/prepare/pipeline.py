"""Compile a recipe and a schema into one scikit-learn Pipeline that takes raw columns.

The pipeline is ``cast → one stage per enabled column step → guard``: the cast gives each raw
column its kind's dtype, each step works on the columns it selects when it runs (so "numeric
columns" after a one-hot encoding includes the new indicator columns), and the guard checks
that only numbers reach the model and fills any gap left, with training medians.

What each step compiles to is its catalogue entry's ``build`` (``engine.prepare.steps.STEP_TYPES``): a new step
type is added there, not here. ``engine_types`` lists every workbench type a compiled pipeline can hold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline

from engine.data.schema import ColumnInfo
from engine.errors import RecipeError
from engine.prepare.transformers import ColumnSelector, ColumnStep, KindCaster, ModelInputGuard

__all__ = ["FRAME_TYPES", "ShrinkingStratifiedKFold", "build_pipeline", "build_preprocessor", "column_steps",
           "engine_types", "feature_columns", "signed_log1p"]

#: The stages around the steps of every compiled pipeline.
FRAME_TYPES = (KindCaster, ColumnSelector, ColumnStep, ModelInputGuard)

# The catalogue (engine.prepare.steps) builds steps from this module's signed_log1p and ShrinkingStratifiedKFold,
# which stay here because model files name them here; so this module imports the catalogue and the recipe, which
# validates with it, when it compiles rather than when it loads.


def feature_columns(schema: list[ColumnInfo], target: str, recipe: dict) -> list[ColumnInfo]:
    """The columns a model learns from: all but the target, excluded columns, identifiers and a split's group key."""
    from engine.prepare.recipe import excluded_columns, validate_recipe

    recipe = validate_recipe(recipe)
    excluded = excluded_columns(recipe)
    if recipe["split"]["strategy"] == "group":  # a group key says nothing about groups the model has not seen
        excluded.add(recipe["split"]["group_column"])
    return [c for c in schema if c.name != target and c.name not in excluded and c.kind != "identifier"]


def column_steps(recipe: dict) -> list[tuple[int, dict]]:
    """(position in the recipe, step) of each enabled step that becomes a pipeline stage."""
    from engine.prepare.steps import STEP_TYPES

    return [(i, s) for i, s in enumerate(recipe["steps"])
            if s["enabled"] and STEP_TYPES[s["type"]].stage == "columns"]


def build_preprocessor(features: list[ColumnInfo], recipe: dict, task: str = "classification") -> Pipeline:
    """Cast raw columns to their kinds, run each enabled column step in order, then guard the output.

    Each step's stage is named ``s{position}_{type}`` (the ONNX export finds the step type by it).
    """
    from engine.prepare.recipe import validate_recipe
    from engine.prepare.steps import STEP_TYPES

    recipe = validate_recipe(recipe)
    if not features:
        raise RecipeError("No feature columns are left; keep at least one column besides the target.")
    text = tuple(c.name for c in features if c.kind == "text")
    seed = recipe["split"]["seed"]
    stages = [("cast", KindCaster(columns=[(c.name, c.kind) for c in features]))]
    for position, step in column_steps(recipe):
        spec = STEP_TYPES[step["type"]]
        label = f"step {position + 1} ({spec.label})"
        selector = _selector(step, spec.picks, text)
        stages.append((f"s{position + 1}_{step['type']}",
                       ColumnStep(spec.build(step, task, seed), selector, label=label)))
    stages.append(("guard", ModelInputGuard()))
    return Pipeline(stages).set_output(transform="pandas")


def build_pipeline(features: list[ColumnInfo], recipe: dict, estimator, task: str = "classification") -> Pipeline:
    """The downloadable model: preprocessing and estimator in one Pipeline."""
    preprocessor = build_preprocessor(features, recipe, task)
    return Pipeline([("prepare", preprocessor), ("model", estimator)])


def engine_types() -> tuple:
    """Every workbench class and function a compiled pipeline can hold: the frame and each step's types."""
    from engine.prepare.steps import STEP_TYPES

    return FRAME_TYPES + tuple(t for spec in STEP_TYPES.values() for t in spec.engine_types)


def signed_log1p(values):
    """log(1 + |x|) with x's sign: a log transform that accepts zeros and negatives."""
    return np.sign(values) * np.log1p(np.abs(values))


class ShrinkingStratifiedKFold(StratifiedKFold):
    """Stratified folds that shrink to the rarest class's count, so target encoding works on small data."""

    def split(self, X, y, groups=None):
        smallest = int(pd.Series(np.asarray(y)).astype(str).value_counts().min())
        if smallest >= 2:
            yield from StratifiedKFold(min(self.n_splits, smallest), shuffle=True,
                                       random_state=self.random_state).split(X, y)
        else:
            yield from KFold(min(self.n_splits, len(y)), shuffle=True, random_state=self.random_state).split(X)


def _selector(step: dict, picks, text_columns: tuple[str, ...]) -> ColumnSelector:
    if picks is not None:
        return ColumnSelector(names=picks(step["params"]))
    columns = step["columns"]
    if "names" in columns:
        return ColumnSelector(names=tuple(columns["names"]))
    return ColumnSelector(kind=columns["kind"], text_columns=text_columns)
