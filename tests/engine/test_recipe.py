"""The preparation recipe: defaults, version 1 upgrade, and one clear message per invalid value."""

from __future__ import annotations

import json

import pytest

from engine import DEFAULT_RECIPE, STEP_TYPES, RecipeError, describe_step, validate_recipe, validate_step


def test_empty_recipe_is_the_default_and_json_ready():
    assert validate_recipe(None) == DEFAULT_RECIPE
    assert validate_recipe({}) == DEFAULT_RECIPE
    assert json.loads(json.dumps(DEFAULT_RECIPE)) == DEFAULT_RECIPE
    assert validate_recipe(validate_recipe({})) == DEFAULT_RECIPE  # validation is idempotent


def test_partial_recipe_is_completed_and_the_default_is_not_mutated():
    recipe = validate_recipe({"steps": [{"type": "scale", "params": {"method": "robust"}}], "drop_columns": ["id"]})
    assert recipe["steps"] == [{"type": "scale", "columns": {"kind": "numeric"}, "params": {"method": "robust"},
                                "enabled": True, "pinned": True}]  # not the default scaling: the user chose it
    assert recipe["drop_columns"] == ["id"]
    assert recipe["split"]["train"] == 0.7
    assert DEFAULT_RECIPE["drop_columns"] == []
    assert len(DEFAULT_RECIPE["steps"]) == 6


def test_version_1_recipes_are_upgraded_to_the_same_steps():
    old = {"version": 1, "drop_columns": ["signup"], "numeric": {"impute": "zero", "scale": "none"},
           "categorical": {"impute": "constant", "encode": "ordinal", "max_categories": 7},
           "split": {"train": 0.8, "valid": 0.2, "test": 0.0, "strategy": "random", "seed": 3}}
    recipe = validate_recipe(old)
    assert recipe["version"] == 3
    assert [s["type"] for s in recipe["steps"]] == ["date_parts", "impute", "impute", "impute", "encode", "encode"]
    assert recipe["steps"][1]["params"] == {"strategy": "constant", "fill_value": 0, "indicator": False}
    assert recipe["steps"][4]["params"] == {"method": "ordinal", "max_categories": 7}
    assert recipe["split"]["seed"] == 3 and recipe["split"]["strategy"] == "random"
    assert recipe["drop_columns"] == ["signup"]
    # A version-less recipe with the old sections is read as version 1.
    assert validate_recipe({"numeric": {"scale": "minmax"}})["steps"][4]["params"] == {"method": "minmax"}


def test_time_and_group_splits_need_their_column():
    recipe = validate_recipe({"split": {"strategy": "group", "group_column": "customer"}})
    assert recipe["split"]["group_column"] == "customer"
    with pytest.raises(RecipeError, match="A time split needs the 'time_column'"):
        validate_recipe({"split": {"strategy": "time"}})


def test_every_step_type_validates_with_its_defaults_and_explains_itself():
    for step_type, spec in STEP_TYPES.items():
        step = {"type": step_type}
        if step_type == "derive":
            step["params"] = {"left": "a", "right": "b"}
        checked = validate_step(step)
        assert set(checked["params"]) == set(spec.params)
        text = describe_step(checked)
        assert text.endswith(".") and "{" not in text, (step_type, text)


@pytest.mark.parametrize("step_type", [t for t, spec in STEP_TYPES.items() if spec.stage == "columns"])
def test_every_column_step_type_carries_its_builder_types_onnx_support_and_form_words(step_type):
    from sklearn.base import TransformerMixin

    from engine.deploy.onnx_converters import STEP_CONVERTERS

    spec = STEP_TYPES[step_type]
    params = {"left": "a", "right": "b"} if step_type == "derive" else {}
    built = spec.build(validate_step({"type": step_type, "params": params}), "classification", 0)
    assert isinstance(built, TransformerMixin) and hasattr(built, "fit_transform")
    engine_classes = [t for t in spec.engine_types if isinstance(t, type)]
    assert type(built) in engine_classes or type(built).__module__.startswith("sklearn."), step_type
    assert step_type in STEP_CONVERTERS  # a converter for each fitted form, or the reason in spec.onnx
    assert STEP_CONVERTERS[step_type] or spec.onnx
    for name, param in spec.params.items():
        assert param.label, (step_type, name)
        assert all(param.words and choice in param.words for choice in param.choices), (step_type, name)


def test_form_words_for_choices_are_words_not_raw_values():
    strategy = STEP_TYPES["impute"].params["strategy"]
    assert strategy.choice_label("most_frequent") == "Most frequent value"
    assert "KNN" in strategy.choice_label("knn")
    assert STEP_TYPES["scale"].params["method"].choice_label("minmax") == "Range 0 to 1"
    assert STEP_TYPES["derive"].params["right"].choice_label(None) == "—"


def test_row_steps_build_nothing_and_the_converters_cover_only_column_steps():
    from engine.deploy.onnx_converters import STEP_CONVERTERS

    assert all(spec.build is None and callable(spec.keep) for spec in STEP_TYPES.values() if spec.stage == "rows")
    assert all(spec.keep is None and callable(spec.build) for spec in STEP_TYPES.values() if spec.stage == "columns")
    assert set(STEP_CONVERTERS) == {t for t, spec in STEP_TYPES.items() if spec.stage == "columns"}


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        pytest.param([1], "A recipe must be a JSON object. Got list instead.", id="not-a-dict"),
        pytest.param({"version": 4}, "Recipe version 4 is not supported; this workbench reads versions 1 to 3.",
                     id="future-version"),
        pytest.param({"foo": 1}, "Unknown recipe sections ['foo']; known sections are ['balance', 'drop_columns', "
                     "'leakage', 'split', 'steps', 'version'].", id="unknown-section"),
        pytest.param({"split": "x"}, "Recipe section 'split' must be an object. Got 'x' instead.",
                     id="section-not-an-object"),
        pytest.param({"split": {"bar": 1}}, "Unknown keys ['bar'] in recipe section 'split'.", id="unknown-key"),
        pytest.param({"steps": {}}, "The 'steps' of a recipe must be a list. Got {} instead.", id="steps-not-list"),
        pytest.param({"steps": [{"type": "magic"}]}, "Unknown step type 'magic'; known types are ['clip_outliers', "
                     "'date_parts', 'derive', 'drop_duplicates', 'drop_missing_rows', 'drop_outliers', 'drop_sparse', "
                     "'encode', 'flag_outliers', 'impute', 'pca', 'power', 'scale', 'select', 'tfidf'].",
                     id="unknown-step"),
        pytest.param({"steps": [{"type": "scale", "params": {"method": "log"}}]}, "The 'method' parameter of step "
                     "'scale' must be one of ['standard', 'minmax', 'robust']. Got 'log' instead.", id="bad-choice"),
        pytest.param({"steps": [{"type": "scale", "params": {"mode": 1}}]}, "Unknown parameters ['mode'] for step "
                     "'scale'; it takes ['method'].", id="unknown-param"),
        pytest.param({"steps": [{"type": "scale", "columns": {"kind": "text"}}]}, "A 'scale' step works on "
                     "['numeric'] columns. Got 'text' instead.", id="bad-kind"),
        pytest.param({"steps": [{"type": "scale", "columns": {"names": []}}]}, "The column names of a 'scale' step "
                     "must be a non-empty list of strings.", id="empty-names"),
        pytest.param({"steps": [{"type": "encode", "params": {"max_categories": 1}}]}, "The 'max_categories' "
                     "parameter of step 'encode' must be in [2, 1000]. Got 1 instead.", id="too-few-categories"),
        pytest.param({"steps": [{"type": "encode", "params": {"max_categories": "20"}}]}, "The 'max_categories' "
                     "parameter of step 'encode' must be of type int. Got '20' instead.", id="text-number"),
        pytest.param({"steps": [{"type": "impute", "params": {"indicator": 1}}]}, "The 'indicator' parameter of "
                     "step 'impute' must be of type bool. Got 1 instead.", id="int-for-bool"),
        pytest.param({"steps": [{"type": "impute", "columns": {"kind": "categorical"}}]}, "'median' imputation "
                     "works on numeric columns only; use 'most_frequent' or 'constant' for categories.",
                     id="median-of-categories"),
        pytest.param({"steps": [{"type": "derive", "params": {"op": "log", "left": "a", "right": "b"}}]},
                     "The 'log' operation of a 'derive' step takes no 'right'.", id="unary-with-right"),
        pytest.param({"steps": [{"type": "derive", "params": {"op": "divide", "left": "a"}}]},
                     "The 'divide' operation of a 'derive' step needs a second column in 'right'.", id="binary-alone"),
        pytest.param({"steps": [{"type": "date_parts", "params": {"parts": ["week"]}}]}, "The 'parts' parameter of "
                     "step 'date_parts' must be a non-empty list drawn from ['year', 'month', 'day', 'dayofweek', "
                     "'hour', 'elapsed_days']. Got ['week'] instead.", id="bad-date-part"),
        pytest.param({"steps": [{"type": "scale", "enabled": "yes"}]}, "The 'enabled' flag of a 'scale' step must be "
                     "true or false.", id="enabled-not-bool"),
        pytest.param({"balance": "smote"}, "The 'balance' of a recipe must be one of ['none', 'class_weight', "
                     "'oversample', 'undersample']. Got 'smote' instead.", id="bad-balance"),
        pytest.param({"split": {"strategy": "magic"}}, "The 'strategy' of the split must be one of ['stratified', "
                     "'random', 'time', 'group']. Got 'magic' instead.", id="bad-strategy"),
        pytest.param({"split": {"train": 0.5, "valid": 0.2, "test": 0.2}}, "train + valid + test must add up to 1, "
                     "but got 0.5 + 0.2 + 0.2 = 0.900.", id="shares-do-not-add-up"),
        pytest.param({"split": {"train": 0.2, "valid": 0.4, "test": 0.4}}, "The split needs train >= 0.3 and "
                     "valid >= 0.05, but got (train=0.2, valid=0.4).", id="train-too-small"),
        pytest.param({"split": {"train": 1.0, "valid": 0.0, "test": 0.0}}, "The 'train' share of the split must be "
                     "a number in [0, 1). Got 1.0 instead.", id="share-of-one"),
        pytest.param({"split": {"seed": True}}, "The split 'seed' must be a non-negative int. Got True instead.",
                     id="bool-seed"),
        pytest.param({"drop_columns": "id"}, "The 'drop_columns' of a recipe must be a list of column names. "
                     "Got 'id' instead.", id="drop-columns-not-a-list"),
        pytest.param({"leakage": {"kept": [1]}}, "The 'leakage.kept' of a recipe must be a list of column names. "
                     "Got [1] instead.", id="leakage-not-names"),
    ],
)
def test_invalid_recipes_raise_recipe_error(recipe, message):
    with pytest.raises(RecipeError) as caught:
        validate_recipe(recipe)
    assert str(caught.value) == message


def test_the_proposed_recipe_says_that_infinite_values_count_as_missing():
    import numpy as np
    import pandas as pd

    from engine import infer_schema
    from engine.prepare.advice import propose_recipe

    frame = pd.DataFrame({"x": [1.0, np.inf, 3.0, -np.inf] * 5, "y": ["a", "b"] * 10})
    _, reasons = propose_recipe(frame, infer_schema(frame), "y", "classification")
    assert "Infinite values in x (10) count as missing, in training and when scoring" in " ".join(reasons)
