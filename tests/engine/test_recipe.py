"""The preparation recipe: defaults, completion, and one clear message per invalid value."""

from __future__ import annotations

import pytest

from engine import DEFAULT_RECIPE, RecipeError, validate_recipe


def test_empty_recipe_is_the_default():
    assert validate_recipe(None) == DEFAULT_RECIPE
    assert validate_recipe({}) == DEFAULT_RECIPE


def test_partial_sections_are_completed_and_the_default_is_not_mutated():
    recipe = validate_recipe({"numeric": {"scale": "robust"}, "drop_columns": ["id"]})
    assert recipe["numeric"] == {"impute": "median", "scale": "robust"}
    assert recipe["drop_columns"] == ["id"]
    assert DEFAULT_RECIPE["numeric"]["scale"] == "standard"
    assert DEFAULT_RECIPE["drop_columns"] == []


def test_custom_split_is_accepted():
    recipe = validate_recipe({"split": {"train": 0.8, "valid": 0.2, "test": 0.0, "strategy": "random", "seed": 7}})
    assert recipe["split"] == {"train": 0.8, "valid": 0.2, "test": 0.0, "strategy": "random", "seed": 7}


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        pytest.param([1], "A recipe must be a JSON object. Got list instead.", id="not-a-dict"),
        pytest.param({"version": 2}, "Recipe version 2 is not supported; this workbench reads version 1.",
                     id="future-version"),
        pytest.param({"foo": 1}, "Unknown recipe sections ['foo']; known sections are ['categorical', "
                     "'drop_columns', 'numeric', 'split', 'version'].", id="unknown-section"),
        pytest.param({"numeric": "x"}, "Recipe section 'numeric' must be an object. Got 'x' instead.",
                     id="section-not-an-object"),
        pytest.param({"numeric": {"bar": 1}}, "Unknown keys ['bar'] in recipe section 'numeric'.", id="unknown-key"),
        pytest.param({"numeric": {"scale": "log"}}, "The 'scale' parameter of recipe section 'numeric' must be one "
                     "of ['standard', 'minmax', 'robust', 'none']. Got 'log' instead.", id="bad-scale"),
        pytest.param({"numeric": {"impute": "mode"}}, "The 'impute' parameter of recipe section 'numeric' must be "
                     "one of ['median', 'mean', 'most_frequent', 'zero']. Got 'mode' instead.", id="bad-impute"),
        pytest.param({"categorical": {"encode": "target"}}, "The 'encode' parameter of recipe section "
                     "'categorical' must be one of ['onehot', 'ordinal']. Got 'target' instead.", id="bad-encode"),
        pytest.param({"split": {"strategy": "time"}}, "The 'strategy' parameter of recipe section 'split' must be "
                     "one of ['stratified', 'random']. Got 'time' instead.", id="bad-strategy"),
        pytest.param({"split": {"train": 0.5, "valid": 0.2, "test": 0.2}}, "train + valid + test must add up to 1, "
                     "but got 0.5 + 0.2 + 0.2 = 0.900.", id="shares-do-not-add-up"),
        pytest.param({"split": {"train": 0.2, "valid": 0.4, "test": 0.4}}, "The split needs train >= 0.3 and "
                     "valid >= 0.05, but got (train=0.2, valid=0.4).", id="train-too-small"),
        pytest.param({"split": {"train": 0.9, "valid": 0.0, "test": 0.1}}, "The split needs train >= 0.3 and "
                     "valid >= 0.05, but got (train=0.9, valid=0.0).", id="no-validation"),
        pytest.param({"split": {"train": 1.0, "valid": 0.0, "test": 0.0}}, "The 'train' share of the split must be "
                     "a number in [0, 1). Got 1.0 instead.", id="share-of-one"),
        pytest.param({"split": {"train": "0.7"}}, "The 'train' share of the split must be a number in [0, 1). "
                     "Got '0.7' instead.", id="share-as-text"),
        pytest.param({"split": {"seed": -1}}, "The split 'seed' must be a non-negative int. Got -1 instead.",
                     id="negative-seed"),
        pytest.param({"split": {"seed": 1.5}}, "The split 'seed' must be a non-negative int. Got 1.5 instead.",
                     id="float-seed"),
        pytest.param({"split": {"seed": True}}, "The split 'seed' must be a non-negative int. Got True instead.",
                     id="bool-seed"),
        pytest.param({"drop_columns": "id"}, "The 'drop_columns' of a recipe must be a list of column names.",
                     id="drop-columns-not-a-list"),
        pytest.param({"drop_columns": [1]}, "The 'drop_columns' of a recipe must be a list of column names.",
                     id="drop-columns-not-names"),
        pytest.param({"categorical": {"max_categories": 1}}, "The 'max_categories' parameter of the recipe must be "
                     "an int in [2, 1000]. Got 1 instead.", id="max-categories-too-small"),
        pytest.param({"categorical": {"max_categories": "20"}}, "The 'max_categories' parameter of the recipe must "
                     "be an int in [2, 1000]. Got '20' instead.", id="max-categories-text"),
    ],
)
def test_invalid_recipes_raise_recipe_error(recipe, message):
    with pytest.raises(RecipeError) as caught:
        validate_recipe(recipe)
    assert str(caught.value) == message
