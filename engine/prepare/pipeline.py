"""Compile a recipe and a schema into one scikit-learn Pipeline that takes raw columns.

The pipeline is ``cast → one stage per enabled column step → guard``: the cast gives each raw
column its kind's dtype, each step works on the columns it selects when it runs (so "numeric
columns" after a one-hot encoding includes the new indicator columns), and the guard checks
that only numbers reach the model and fills any gap left, with training medians.

What each step compiles to is its catalogue entry's ``build`` (``engine.prepare.steps.STEP_TYPES``): a new step
type is added there, not here. ``engine_types`` lists every workbench type a compiled pipeline can hold.

Family-aware compiling: ``model_input`` (one of ``MODEL_INPUTS``, declared by each model family) says what input
the model wants. The recipe's unpinned encode, scale and power steps then compile to that input instead of as
written: ``onehot_scaled`` one-hot encodes (target-encoding and scaling columns with more than
``ONEHOT_MAX_LEVELS`` levels) and keeps the scaling; ``ordinal`` gives integer codes and no scaling;
``native_categorical`` gives integer codes that the gradient-boosting model treats as categories
(``native_categorical_columns``; columns with more than ``NATIVE_MAX_LEVELS`` levels are target-encoded) and no
scaling. Pinned steps and every other step compile as written, for every family. Every stage is a scikit-learn
or workbench transformer already in the catalogue, so the exports are unchanged.

Scoring runs as a hand-built pipeline does: the preprocessing is a ``FramePipeline``, which casts the raw columns
once and passes NumPy arrays from stage to stage (each scikit-learn transformer fitted on one array of its
columns), and the model gets one float array, as after a ``ColumnTransformer``, unless it names its input columns
(native categories): ``pipeline.named_steps["prepare"].set_output(transform="pandas")`` shows the named columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline

from engine.data.schema import ColumnInfo
from engine.errors import RecipeError
from engine.prepare.transformers import ColumnSelector, ColumnStep, FramePipeline, KindCaster, ModelInputGuard

__all__ = ["FRAME_TYPES", "MODEL_INPUTS", "NATIVE_MAX_LEVELS", "ONEHOT_MAX_LEVELS", "ShrinkingStratifiedKFold",
           "build_caster", "build_pipeline", "build_preprocessor", "column_steps", "engine_types", "feature_columns",
           "native_categorical_columns", "signed_log1p"]

#: The stages around the steps of every compiled pipeline.
FRAME_TYPES = (FramePipeline, KindCaster, ColumnSelector, ColumnStep, ModelInputGuard)

#: What a model can ask its input to be; "recipe" compiles every step as written.
MODEL_INPUTS = ("recipe", "onehot_scaled", "ordinal", "native_categorical")
#: Above this many levels a one-hot encoding makes too many sparse columns for linear models, k-NN, SVM and neural
#: nets: such columns are target-encoded (cross-fitted) and scaled instead.
ONEHOT_MAX_LEVELS = 30
#: Histogram gradient boosting handles at most 255 categories per column (its ``max_bins``); the margin leaves room
#: for the code of a category first seen when scoring. Columns with more levels are target-encoded.
NATIVE_MAX_LEVELS = 250
# Steps that drop or merge columns: after the encoding they could remove a native categorical column the model
# was told about by name, so their presence there turns native categories off.
_REMOVES_COLUMNS = ("drop_sparse", "pca", "select")

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


def build_preprocessor(features: list[ColumnInfo], recipe: dict, task: str = "classification",
                       model_input: str = "recipe") -> Pipeline:
    """Cast raw columns to their kinds, run each enabled column step in order, then guard the output.

    Each step's stage is named ``s{position}_{type}`` (the ONNX export finds the step type by it); the extra stages
    of a family's encoding are ``s{position}t_encode`` and ``s{position}t_scale``. ``model_input`` (see the module
    docstring) says what the unpinned encode, scale and power steps compile to.
    """
    from engine.prepare.recipe import validate_recipe
    from engine.prepare.steps import STEP_TYPES

    recipe = validate_recipe(recipe)
    _check_model_input(model_input)
    if not features:
        raise RecipeError("No feature columns are left; keep at least one column besides the target.")
    text = tuple(c.name for c in features if c.kind == "text")
    seed = recipe["split"]["seed"]
    stages = [("cast", KindCaster(columns=[(c.name, c.kind) for c in features]))]
    for position, step in column_steps(recipe):
        spec = STEP_TYPES[step["type"]]
        label = f"step {position + 1} ({spec.label})"
        selector = _selector(step, spec.picks, text)
        name = f"s{position + 1}_{step['type']}"
        if model_input == "recipe" or step.get("pinned", True):
            stages.append((name, ColumnStep(spec.build(step, task, seed), selector, label=label)))
        elif step["type"] == "encode":
            stages += _family_encoding(features, recipe, position, model_input, task, selector, label)
        elif model_input == "onehot_scaled":  # scale and power steps; the other inputs need neither
            stages.append((name, ColumnStep(spec.build(step, task, seed), selector, label=label)))
    stages.append(("guard", ModelInputGuard()))
    return FramePipeline(stages).set_output(transform="pandas")


def build_pipeline(features: list[ColumnInfo], recipe: dict, estimator, task: str = "classification",
                   model_input: str = "recipe") -> Pipeline:
    """The downloadable model: preprocessing and estimator in one Pipeline.

    With ``model_input="native_categorical"`` an estimator that takes ``categorical_features`` (histogram gradient
    boosting) is told which of its input columns are category codes.
    """
    preprocessor = build_preprocessor(features, recipe, task, model_input)
    if model_input == "native_categorical" and "categorical_features" in estimator.get_params(deep=False):
        estimator.set_params(categorical_features=native_categorical_columns(features, recipe) or None)
    if not _names_columns(estimator):
        # The model gets one float array, as after a hand-built ColumnTransformer: a DataFrame would cost a
        # per-column validation on every call. A model told its categorical columns by name keeps the names.
        preprocessor.set_output(transform="default")
    return Pipeline([("prepare", preprocessor), ("model", estimator)])


def _names_columns(estimator) -> bool:
    """Whether ``estimator`` refers to input columns by name (gradient boosting's native categories)."""
    named = estimator.get_params(deep=False).get("categorical_features") if hasattr(estimator, "get_params") else None
    return isinstance(named, list | tuple) and any(isinstance(n, str) for n in named)


def build_caster(features: list[ColumnInfo]) -> Pipeline:
    """The preprocessing of a model whose members each prepare their own input (an ensemble of families with
    different inputs): the raw columns cast to their kinds, nothing else."""
    if not features:
        raise RecipeError("No feature columns are left; keep at least one column besides the target.")
    return FramePipeline([("cast", KindCaster(columns=[(c.name, c.kind) for c in features]))]).set_output(
        transform="pandas")


def native_categorical_columns(features: list[ColumnInfo], recipe: dict) -> list[str]:
    """The columns a ``native_categorical`` model receives as category codes: those the recipe's unpinned encode
    steps code with at most ``NATIVE_MAX_LEVELS`` levels and that surely reach the model under their own name.

    A column a mostly-empty-columns step could drop before the encoding counts only when it has no missing value
    (that step drops only columns with gaps); a step that drops or merges columns after the encoding turns native
    categories off.
    """
    from engine.prepare.recipe import validate_recipe

    recipe = validate_recipe(recipe)
    steps = column_steps(recipe)
    names: list[str] = []
    for i, (position, step) in enumerate(steps):
        if step["type"] != "encode" or step["pinned"]:
            continue
        if any(s["type"] in _REMOVES_COLUMNS for _, s in steps[i + 1:]):
            return []
        droppers = [s for _, s in steps[:i] if s["type"] == "drop_sparse"]
        for column in _encoded_columns(features, recipe, position):
            if column.n_unique <= NATIVE_MAX_LEVELS and (
                    column.n_missing == 0 or not any(_may_pick(s, column) for s in droppers)):
                names.append(column.name)
    return names


def _family_encoding(features: list[ColumnInfo], recipe: dict, position: int, model_input: str, task: str,
                     selector: ColumnSelector, label: str) -> list[tuple[str, ColumnStep]]:
    """The stages an unpinned encode step compiles to for ``model_input``: target encoding of the columns with too
    many levels (scaled for one-hot models), then one-hot or integer codes for the rest."""
    from engine.prepare.steps import STEP_TYPES, validate_step

    step, seed = recipe["steps"][position], recipe["split"]["seed"]
    onehot = model_input == "onehot_scaled"
    limit = ONEHOT_MAX_LEVELS if onehot else NATIVE_MAX_LEVELS if model_input == "native_categorical" else None
    columns = _encoded_columns(features, recipe, position)
    many = [c.name for c in columns if limit is not None and c.n_unique > limit]
    stages = []
    if many:
        picked = ColumnSelector(names=tuple(many))
        target = {**step, "params": {**step["params"], "method": "target"}}
        stages.append((f"s{position + 1}t_encode",
                       ColumnStep(STEP_TYPES["encode"].build(target, task, seed), picked, label=label)))
        if onehot:
            scale = validate_step({"type": "scale", "columns": {"kind": "numeric"}})
            stages.append((f"s{position + 1}t_scale",
                           ColumnStep(STEP_TYPES["scale"].build(scale, task, seed), picked, label=label)))
    method = "onehot" if onehot else "ordinal"
    coded = {**step, "params": {**step["params"], "method": method}}
    stages.append((f"s{position + 1}_encode", ColumnStep(STEP_TYPES["encode"].build(coded, task, seed), selector,
                                                         label=label)))
    return stages


def _encoded_columns(features: list[ColumnInfo], recipe: dict, position: int) -> list[ColumnInfo]:
    """The feature columns the encode step at ``position`` receives: those it selects that no earlier enabled
    encode step has already turned into numbers. Columns made by earlier steps are not known until fitting."""
    step = recipe["steps"][position]
    earlier = [s for p, s in column_steps(recipe) if p < position and s["type"] == "encode"]
    columns = [c for c in features if _may_pick(step, c)]
    return [c for c in columns if not any(_may_pick(s, c) for s in earlier)]


def _may_pick(step: dict, column: ColumnInfo) -> bool:
    """Whether ``step`` can select ``column`` when it runs (by name, or by kind)."""
    selected = step["columns"]
    if "names" in selected:
        return column.name in selected["names"]
    return selected.get("kind") in ("all", column.kind)


def _check_model_input(model_input: str) -> None:
    if model_input not in MODEL_INPUTS:
        raise RecipeError(f"The 'model_input' of a pipeline must be one of {list(MODEL_INPUTS)}. "
                          f"Got {model_input!r} instead.")


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
