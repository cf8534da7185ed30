"""Compile a recipe and a schema into one scikit-learn Pipeline that takes raw columns.

The pipeline is ``cast → one stage per enabled column step → guard``: the cast gives each raw
column its kind's dtype, each step works on the columns it selects when it runs (so "numeric
columns" after a one-hot encoding includes the new indicator columns), and the guard checks
that only numbers reach the model and fills any gap left, with training medians.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.experimental import enable_iterative_imputer  # noqa: F401 - makes IterativeImputer importable
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PowerTransformer,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)

from engine.data.schema import ColumnInfo
from engine.errors import RecipeError
from engine.prepare.cleaners import DropSparseColumns, IsolationFlag, OutlierClipper
from engine.prepare.features import DerivedFeature, FrequencyEncoder, TextTfidf
from engine.prepare.recipe import excluded_columns, validate_recipe
from engine.prepare.selection import FeatureSelector, PCAReducer
from engine.prepare.steps import STEP_TYPES
from engine.prepare.transformers import ColumnSelector, ColumnStep, DateParts, KindCaster, ModelInputGuard

__all__ = ["ShrinkingStratifiedKFold", "build_pipeline", "build_preprocessor", "column_steps", "feature_columns",
           "signed_log1p"]

_SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}


def feature_columns(schema: list[ColumnInfo], target: str, recipe: dict) -> list[ColumnInfo]:
    """The columns a model learns from: all but the target, excluded columns, identifiers and a split's group key."""
    recipe = validate_recipe(recipe)
    excluded = excluded_columns(recipe)
    if recipe["split"]["strategy"] == "group":  # a group key says nothing about groups the model has not seen
        excluded.add(recipe["split"]["group_column"])
    return [c for c in schema if c.name != target and c.name not in excluded and c.kind != "identifier"]


def column_steps(recipe: dict) -> list[tuple[int, dict]]:
    """(position in the recipe, step) of each enabled step that becomes a pipeline stage."""
    return [(i, s) for i, s in enumerate(recipe["steps"])
            if s["enabled"] and STEP_TYPES[s["type"]].stage == "columns"]


def build_preprocessor(features: list[ColumnInfo], recipe: dict, task: str = "classification") -> Pipeline:
    """Cast raw columns to their kinds, run each enabled column step in order, then guard the output."""
    recipe = validate_recipe(recipe)
    if not features:
        raise RecipeError("No feature columns are left; keep at least one column besides the target.")
    text = tuple(c.name for c in features if c.kind == "text")
    seed = recipe["split"]["seed"]
    stages = [("cast", KindCaster(columns=[(c.name, c.kind) for c in features]))]
    for position, step in column_steps(recipe):
        label = f"step {position + 1} ({STEP_TYPES[step['type']].label})"
        selector = _selector(step, text)
        transformer = _transformer(step, task, seed)
        stages.append((f"s{position + 1}_{step['type']}", ColumnStep(transformer, selector, label=label)))
    stages.append(("guard", ModelInputGuard()))
    return Pipeline(stages).set_output(transform="pandas")


def build_pipeline(features: list[ColumnInfo], recipe: dict, estimator, task: str = "classification") -> Pipeline:
    """The downloadable model: preprocessing and estimator in one Pipeline."""
    preprocessor = build_preprocessor(features, recipe, task)
    return Pipeline([("prepare", preprocessor), ("model", estimator)])


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


def _selector(step: dict, text_columns: tuple[str, ...]) -> ColumnSelector:
    if step["type"] == "derive":
        params = step["params"]
        return ColumnSelector(names=tuple(c for c in (params["left"], params["right"]) if c))
    columns = step["columns"]
    if "names" in columns:
        return ColumnSelector(names=tuple(columns["names"]))
    return ColumnSelector(kind=columns["kind"], text_columns=text_columns)


def _transformer(step: dict, task: str, seed: int):
    kind, p = step["type"], step["params"]
    if kind == "impute":
        return _imputer(step)
    if kind == "drop_sparse":
        return DropSparseColumns(threshold=p["threshold"])
    if kind == "clip_outliers":
        return OutlierClipper(method=p["method"], factor=p["factor"])
    if kind == "flag_outliers":
        return IsolationFlag(random_state=seed)
    if kind == "derive":
        return DerivedFeature(op=p["op"], left=p["left"], right=p["right"], name=p["name"], bins=p["bins"])
    if kind == "date_parts":
        return DateParts(parts=tuple(p["parts"]))
    if kind == "power":
        if p["method"] == "log":
            return FunctionTransformer(signed_log1p, feature_names_out="one-to-one")
        return PowerTransformer(method="yeo-johnson", standardize=False)
    if kind == "scale":
        return _SCALERS[p["method"]]()
    if kind == "encode":
        return _encoder(p, task, seed)
    if kind == "tfidf":
        return TextTfidf(max_features=p["max_features"])
    if kind == "pca":
        return PCAReducer(n_components=p["n_components"], variance=p["variance"], random_state=seed)
    if kind == "select":
        return FeatureSelector(method=p["method"], k=p["k"], threshold=p["threshold"], task=task, random_state=seed)
    raise RecipeError(f"Step type '{kind}' does not compile into the pipeline.")


def _imputer(step: dict):
    p = step["params"]
    if p["strategy"] == "knn":
        return KNNImputer(add_indicator=p["indicator"], keep_empty_features=True)
    if p["strategy"] == "iterative":
        # keep_empty_features=True fails on read-only pandas-backed arrays in scikit-learn 1.9; empty columns drop
        return IterativeImputer(add_indicator=p["indicator"], random_state=0)
    fill = p["fill_value"]
    if p["strategy"] == "constant" and fill is None:
        fill = "(missing)" if step["columns"].get("kind") in ("categorical", "text") else 0.0
    return SimpleImputer(strategy=p["strategy"], fill_value=fill, add_indicator=p["indicator"],
                         keep_empty_features=True)


def _encoder(p: dict, task: str, seed: int):
    if p["method"] == "onehot":
        return OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=p["max_categories"],
                             sparse_output=False)
    if p["method"] == "ordinal":
        return OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)
    if p["method"] == "target":
        folds = ShrinkingStratifiedKFold if task == "classification" else KFold
        return TargetEncoder(cv=folds(5, shuffle=True, random_state=seed))
    return FrequencyEncoder()
