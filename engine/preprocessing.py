"""Compile a recipe and a schema into one scikit-learn Pipeline that takes raw columns."""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, OrdinalEncoder, RobustScaler, StandardScaler

from engine.errors import RecipeError
from engine.recipe import validate_recipe
from engine.schema import ColumnInfo
from engine.transformers import DateParts, KindCaster

__all__ = ["build_pipeline", "build_preprocessor", "feature_columns"]

_SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}
_NUMERIC_KINDS = ("numeric", "boolean")
_LABEL_KINDS = ("categorical", "text")


def feature_columns(schema: list[ColumnInfo], target: str, recipe: dict) -> list[ColumnInfo]:
    """The columns a model learns from: all but the target, dropped columns and identifiers."""
    dropped = set(recipe.get("drop_columns", []))
    return [c for c in schema if c.name != target and c.name not in dropped and c.kind != "identifier"]


def build_preprocessor(features: list[ColumnInfo], recipe: dict) -> Pipeline:
    """Cast raw columns to their kinds, then impute / encode / scale each group as the recipe says."""
    recipe = validate_recipe(recipe)
    if not features:
        raise RecipeError("No feature columns are left; keep at least one column besides the target.")
    groups = []
    numeric = [c.name for c in features if c.kind in _NUMERIC_KINDS]
    labels = [c.name for c in features if c.kind in _LABEL_KINDS]
    dates = [c.name for c in features if c.kind == "datetime"]
    if numeric:
        groups.append(("numeric", _numeric_steps(recipe["numeric"]), numeric))
    if labels:
        groups.append(("categorical", _categorical_steps(recipe["categorical"]), labels))
    if dates:
        steps = [("parts", DateParts()), *_numeric_steps({**recipe["numeric"], "impute": "median"}).steps]
        groups.append(("datetime", Pipeline(steps), dates))
    columns = ColumnTransformer(groups, remainder="drop", verbose_feature_names_out=True)
    caster = KindCaster(columns=[(c.name, c.kind) for c in features])
    return Pipeline([("cast", caster), ("columns", columns)]).set_output(transform="pandas")


def build_pipeline(features: list[ColumnInfo], recipe: dict, estimator) -> Pipeline:
    """The downloadable model: preprocessing and estimator in one Pipeline."""
    preprocessor = build_preprocessor(features, recipe)
    return Pipeline([("prepare", preprocessor), ("model", estimator)])


def _imputer(strategy: str) -> SimpleImputer:
    if strategy == "zero":
        return SimpleImputer(strategy="constant", fill_value=0.0, keep_empty_features=True)
    if strategy == "constant":
        return SimpleImputer(strategy="constant", fill_value="(missing)", keep_empty_features=True)
    return SimpleImputer(strategy=strategy, keep_empty_features=True)


def _numeric_steps(options: dict) -> Pipeline:
    steps = [("impute", _imputer(options["impute"]))]
    if options["scale"] != "none":
        steps.append(("scale", _SCALERS[options["scale"]]()))
    return Pipeline(steps)


def _categorical_steps(options: dict) -> Pipeline:
    if options["encode"] == "onehot":
        encoder = OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            max_categories=options["max_categories"],
            sparse_output=False,
        )
    else:
        encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    return Pipeline([("impute", _imputer(options["impute"])), ("encode", encoder)])
