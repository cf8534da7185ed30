"""Each model family compiles the recipe's unpinned encode and scale steps to its own input; pinned steps stay."""

from __future__ import annotations

import io

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import (
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PowerTransformer,
    StandardScaler,
    TargetEncoder,
)

from engine.data.schema import infer_schema
from engine.deploy.export import dumps_skops, loads_skops
from engine.errors import RecipeError
from engine.prepare.features import FrequencyEncoder
from engine.prepare.pipeline import (
    ONEHOT_MAX_LEVELS,
    build_preprocessor,
    feature_columns,
    native_categorical_columns,
)
from engine.prepare.recipe import DEFAULT_RECIPE, validate_recipe
from engine.prepare.steps import describe_step, pin_step, validate_step
from engine.prepare.transformers import ColumnStep
from engine.train.automl import voting_pipeline
from engine.train.catalog import MODELS, models_for_task
from engine.train.training import family_pipeline


def _frame(n: int = 120, shops: int = 5, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    city = rng.choice(["Paris", "Lyon", "Nice"], n)
    frame = pd.DataFrame({
        "age": rng.normal(40, 12, n).round(1),
        "city": city,
        "shop": [f"s{i:03d}" for i in rng.integers(0, shops, n)],
        "y": np.where((city == "Nice") ^ (rng.random(n) < 0.2), "yes", "no"),
    })
    frame.loc[::7, "city"] = None
    return frame


FRAME = _frame()


def _pipeline(family: str, steps: list[dict] | None = None, frame: pd.DataFrame = FRAME, task="classification"):
    recipe = validate_recipe({} if steps is None else {"steps": steps})
    features = feature_columns(infer_schema(frame), "y", recipe)
    return family_pipeline(family, {}, features, recipe, task, 0)


def _inner(pipeline) -> list[type]:
    """The types of the transformers the compiled preprocessing runs, in order."""
    return [type(stage.transformer) for _, stage in pipeline.named_steps["prepare"].steps
            if isinstance(stage, ColumnStep)]


ONEHOT_SCALED = ["linear", "ridge", "svm", "linear_svm", "knn", "naive_bayes", "mlp"]
ORDINAL = ["decision_tree", "random_forest", "extra_trees", "baseline"]


def test_every_family_declares_an_input_the_compiler_knows():
    from engine.prepare.pipeline import MODEL_INPUTS

    assert {name: family.input for name, family in MODELS.items() if family.input != "onehot_scaled"} == {
        "baseline": "ordinal", "decision_tree": "ordinal", "random_forest": "ordinal", "extra_trees": "ordinal",
        "gradient_boosting": "native_categorical"}
    assert all(family.input in MODEL_INPUTS for family in MODELS.values())


def test_gradient_boosting_gets_native_categories_and_no_scaling():
    pipeline = _pipeline("gradient_boosting")
    inner = _inner(pipeline)
    assert OrdinalEncoder in inner and OneHotEncoder not in inner and StandardScaler not in inner
    assert pipeline.named_steps["model"].categorical_features == ["city", "shop"]
    fitted = pipeline.fit(FRAME.drop(columns="y"), FRAME["y"])
    assert fitted.named_steps["model"].is_categorical_.tolist() == [False, True, True]  # age, city, shop
    prepared = fitted.named_steps["prepare"].transform(FRAME.drop(columns="y").head(4))
    assert list(prepared.columns) == ["age", "city", "shop"]
    assert prepared["age"].tolist() == FRAME["age"].head(4).tolist()  # not scaled


@pytest.mark.parametrize("family", ORDINAL)
def test_trees_get_integer_codes_and_no_scaling(family):
    pipeline = _pipeline(family)
    inner = _inner(pipeline)
    assert OrdinalEncoder in inner and OneHotEncoder not in inner and StandardScaler not in inner
    prepare = pipeline.named_steps["prepare"].set_output(transform="pandas")  # the model itself gets an array
    prepared = prepare.fit_transform(FRAME.drop(columns="y"), FRAME["y"])
    assert sorted(prepared["city"].unique()) == [0.0, 1.0, 2.0]  # missing cities were imputed first


@pytest.mark.parametrize("family", ONEHOT_SCALED)
def test_linear_and_distance_models_get_one_hot_columns_and_scaling(family):
    pipeline = _pipeline(family)
    inner = _inner(pipeline)
    assert OneHotEncoder in inner and StandardScaler in inner and OrdinalEncoder not in inner
    prepare = pipeline.named_steps["prepare"].set_output(transform="pandas")  # the model itself gets an array
    prepared = prepare.fit_transform(FRAME.drop(columns="y"), FRAME["y"])
    assert {"city_Lyon", "city_Nice", "city_Paris"} <= set(prepared.columns)
    assert abs(prepared["age"].mean()) < 1e-9 and prepared["age"].std(ddof=0) == pytest.approx(1.0)


@pytest.mark.parametrize("family", models_for_task("classification"))
def test_a_pinned_encode_step_is_kept_for_every_family(family):
    steps = [{"type": "impute", "columns": {"kind": "categorical"}, "params": {"strategy": "most_frequent"}},
             {"type": "encode", "params": {"method": "frequency"}, "pinned": True}]
    pipeline = _pipeline(family, steps)
    assert _inner(pipeline) == [SimpleImputer, FrequencyEncoder]
    if family == "gradient_boosting":
        assert pipeline.named_steps["model"].categorical_features is None
    pipeline.fit(FRAME.drop(columns="y"), FRAME["y"])


@pytest.mark.parametrize("family", ["random_forest", "gradient_boosting"])
def test_a_pinned_scale_step_is_kept_for_trees_and_an_unpinned_one_is_not(family):
    encode = {"type": "encode", "columns": {"kind": "categorical"}, "pinned": False}
    pinned = _pipeline(family, [{"type": "scale", "params": {"method": "minmax"}}, encode])
    unpinned = _pipeline(family, [{"type": "scale", "params": {"method": "minmax"}, "pinned": False}, encode])
    assert MinMaxScaler in _inner(pinned) and MinMaxScaler not in _inner(unpinned)


def test_an_unpinned_power_step_is_left_out_for_trees_only():
    steps = [{"type": "power", "columns": {"names": ["age"]}, "pinned": False}]
    assert PowerTransformer in _inner(_pipeline("linear", steps, FRAME[["age", "y"]]))
    assert PowerTransformer not in _inner(_pipeline("random_forest", steps, FRAME[["age", "y"]]))


def test_the_recipe_input_compiles_every_step_as_written():
    recipe = validate_recipe({})
    features = feature_columns(infer_schema(FRAME), "y", recipe)
    inner = [type(s.transformer) for _, s in build_preprocessor(features, recipe).steps if isinstance(s, ColumnStep)]
    assert StandardScaler in inner and OneHotEncoder in inner and TargetEncoder not in inner


def test_a_high_cardinality_column_is_target_encoded_and_scaled_for_linear_models():
    frame = _frame(n=400, shops=ONEHOT_MAX_LEVELS + 10)
    pipeline = _pipeline("linear", frame=frame)
    prepare = pipeline.named_steps["prepare"].set_output(transform="pandas")
    assert type(prepare.named_steps["s5t_encode"].transformer) is TargetEncoder
    assert prepare.named_steps["s5t_encode"].selector.names == ("shop",)
    prepared = prepare.fit_transform(frame.drop(columns="y"), frame["y"])
    assert "shop" in prepared.columns and not any(c.startswith("shop_") for c in prepared.columns)
    assert {"city_Lyon", "city_Nice", "city_Paris"} <= set(prepared.columns)  # few levels: still one-hot
    assert abs(prepared["shop"].mean()) < 1e-9 and prepared["shop"].std(ddof=0) == pytest.approx(1.0)
    # gradient boosting takes 40 levels natively; a forest takes integer codes
    assert _pipeline("gradient_boosting", frame=frame).named_steps["model"].categorical_features == ["city", "shop"]
    assert TargetEncoder not in _inner(_pipeline("random_forest", frame=frame))


def test_gradient_boosting_target_encodes_columns_beyond_its_category_limit():
    frame = _frame(n=900, shops=600)
    pipeline = _pipeline("gradient_boosting", frame=frame)
    assert pipeline.named_steps["model"].categorical_features == ["city"]
    assert pipeline.named_steps["prepare"].named_steps["s5t_encode"].selector.names == ("shop",)
    pipeline.fit(frame.drop(columns="y"), frame["y"])  # 600 codes would exceed max_bins=255


def test_a_model_with_native_categories_round_trips_through_joblib_and_skops():
    X, y = FRAME.drop(columns="y"), FRAME["y"]
    fitted = _pipeline("gradient_boosting").fit(X, y)
    unseen = X.head(3).assign(city=["Brest", None, "Lyon"], shop=["s999", "s001", None])
    expected = fitted.predict_proba(pd.concat([X, unseen]))
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(joblib.load(buffer).predict_proba(pd.concat([X, unseen])), expected)
    np.testing.assert_array_equal(loads_skops(dumps_skops(fitted)).predict_proba(pd.concat([X, unseen])), expected)
    assert (fitted.predict(X) == y).mean() > 0.7


def test_an_ensemble_of_families_with_different_inputs_is_one_pipeline_over_raw_columns():
    X, y = FRAME.drop(columns="y"), FRAME["y"]
    recipe = validate_recipe({})
    features = feature_columns(infer_schema(FRAME), "y", recipe)
    ensemble = voting_pipeline([("gradient_boosting", {}), ("linear", {})], features, recipe, "classification", 0)
    assert [name for name, _ in ensemble.steps] == ["prepare", "model"]
    fitted = ensemble.fit(X, y)
    members = [family_pipeline(name, {}, features, recipe, "classification", 0).fit(X, y)
               for name in ("gradient_boosting", "linear")]
    mean = (members[0].predict_proba(X) + members[1].predict_proba(X)) / 2
    np.testing.assert_allclose(fitted.predict_proba(X), mean, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(loads_skops(dumps_skops(fitted)).predict_proba(X), fitted.predict_proba(X))


def test_an_ensemble_of_families_with_the_same_input_shares_one_preprocessing():
    recipe = validate_recipe({})
    features = feature_columns(infer_schema(FRAME), "y", recipe)
    ensemble = voting_pipeline([("linear", {}), ("knn", {})], features, recipe, "classification", 0)
    assert OneHotEncoder in _inner(ensemble)
    ensemble.fit(FRAME.drop(columns="y"), FRAME["y"])


def test_native_categories_are_only_columns_sure_to_reach_the_model_by_name():
    frame = FRAME.assign(plan=np.where(np.arange(len(FRAME)) % 2, "a", "b"))
    features = feature_columns(infer_schema(frame), "y", validate_recipe({}))
    sparse = {"type": "drop_sparse", "columns": {"kind": "all"}}
    encode = {"type": "encode", "columns": {"kind": "categorical"}, "pinned": False}
    # city has gaps: a mostly-empty-columns step could drop it, so it is coded but not named to the model
    assert native_categorical_columns(features, {"steps": [sparse, encode]}) == ["shop", "plan"]
    assert native_categorical_columns(features, {"steps": [encode, {"type": "pca"}]}) == []
    assert native_categorical_columns(features, {"steps": [{**encode, "pinned": True}]}) == []
    named = {"type": "encode", "columns": {"names": ["shop"]}, "params": {"method": "frequency"}}
    assert native_categorical_columns(features, {"steps": [named, encode]}) == ["city", "plan"]


def test_a_step_saved_without_the_flag_is_pinned_unless_it_is_the_default():
    assert validate_step({"type": "encode"})["pinned"] is False
    assert validate_step({"type": "scale", "columns": {"kind": "numeric"}})["pinned"] is False
    assert validate_step({"type": "encode", "params": {"method": "target"}})["pinned"] is True
    assert validate_step({"type": "scale", "columns": {"names": ["age"]}})["pinned"] is True
    assert validate_step({"type": "encode", "params": {"method": "target"}, "pinned": False})["pinned"] is False
    assert "pinned" not in validate_step({"type": "impute"})
    old = {k: v for k, v in DEFAULT_RECIPE.items()}
    old["steps"] = [{k: v for k, v in s.items() if k != "pinned"} for s in DEFAULT_RECIPE["steps"]]
    assert validate_recipe(old)["steps"] == DEFAULT_RECIPE["steps"]


@pytest.mark.parametrize(("step", "words"), [
    ({"type": "impute", "pinned": True}, "Unknown keys ['pinned']"),
    ({"type": "encode", "pinned": "yes"}, "must be true or false"),
])
def test_a_bad_pinned_flag_is_refused(step, words):
    with pytest.raises(RecipeError, match=words.replace("[", r"\[").replace("]", r"\]")):
        validate_step(step)


def test_an_unknown_model_input_is_refused():
    with pytest.raises(RecipeError, match="'model_input' of a pipeline must be one of"):
        build_preprocessor(feature_columns(infer_schema(FRAME), "y", {}), {}, model_input="sparse")


def test_an_ensemble_whose_members_prepare_their_own_input_says_why_it_has_no_onnx():
    from engine.deploy.export import export_onnx

    X, y = FRAME.drop(columns="y"), FRAME["y"]
    recipe = validate_recipe({})
    features = feature_columns(infer_schema(FRAME), "y", recipe)
    fitted = voting_pipeline([("random_forest", {}), ("linear", {})], features, recipe, "classification", 0).fit(X, y)
    card_features = [{"name": c.name, "kind": c.kind, "dtype": c.dtype} for c in features]
    export = export_onnx(fitted, card_features, "classification", X.head(20))
    assert export.data is None and "each prepare their own input" in export.reason


def test_a_step_the_user_adds_or_edits_is_pinned_and_explained_as_written():
    assert pin_step({"type": "encode", "params": {"method": "onehot"}})["pinned"] is True
    assert "pinned" not in pin_step({"type": "impute"})
    default_encode = validate_step({"type": "encode"})
    assert "integer codes for trees, native categories for gradient boosting" in describe_step(default_encode)
    assert describe_step(validate_step(pin_step({"type": "encode"}))) == (
        "Encode categorical columns as one column per category (rare categories grouped).")
    assert describe_step(validate_step({"type": "scale"})).endswith("trees and gradient boosting do not need it.")


@pytest.mark.parametrize(("family", "named"), [("linear", False), ("random_forest", False),
                                               ("gradient_boosting", True)])
def test_the_model_gets_an_array_unless_it_names_its_categorical_columns(family, named):
    """As after a hand-built ColumnTransformer: no per-call DataFrame validation, the same predictions."""
    fitted = _pipeline(family).fit(FRAME.drop(columns="y"), FRAME["y"])
    model = fitted.named_steps["model"]
    assert hasattr(model, "feature_names_in_") is named
    X = FRAME.drop(columns="y").head(6)
    proba = fitted.predict_proba(X)
    named_input = fitted.named_steps["prepare"].set_output(transform="pandas").transform(X)
    expected = model.predict_proba(named_input if named else named_input.to_numpy())
    np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-12)  # an array's memory order may round the last bit
