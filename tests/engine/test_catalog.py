"""The public surface, the error tree, the model catalog, the bundled samples and the version record."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

import engine
from engine import MODELS, SAMPLES, DataError, RecipeError, infer_schema, library_versions, load_sample
from engine import errors as engine_errors
from engine.train.catalog import make_estimator, models_for_task


def test_all_is_exactly_the_public_surface():
    public = {name for name, value in vars(engine).items()
              if not name.startswith("_") and not inspect.ismodule(value)}
    assert set(engine.__all__) == public


def test_every_error_is_a_workbench_error_and_in_the_docstring_tree():
    for name in engine_errors.__all__:
        error = getattr(engine_errors, name)
        assert issubclass(error, engine_errors.WorkbenchError)
        assert name in engine_errors.__doc__


@pytest.mark.parametrize(("family", "task"), [(name, task) for name in sorted(MODELS) for task in MODELS[name].tasks])
def test_every_family_builds_an_unfitted_estimator_with_the_seed(family, task):
    estimator = make_estimator(family, task, seed=3)
    assert not hasattr(estimator, "n_features_in_")
    states = {v for k, v in estimator.get_params(deep=True).items() if k.split("__")[-1] == "random_state"}
    assert states <= {3}  # families without randomness (k-NN, naive Bayes, huber) have none


def test_unknown_family_is_a_recipe_error():
    with pytest.raises(RecipeError, match=r"Unknown model 'xgboost'; choose one of \['baseline', 'linear'"):
        make_estimator("xgboost", "classification", 0)


def test_models_for_task():
    assert models_for_task("regression")[:4] == ["baseline", "linear", "ridge", "lasso"]
    assert "lasso" not in models_for_task("classification")
    assert "naive_bayes" not in models_for_task("regression")


@pytest.mark.parametrize(
    ("name", "shape", "target", "target_kind"),
    [
        ("iris", (150, 5), "species", "categorical"),
        ("breast_cancer", (569, 31), "diagnosis", "categorical"),
        ("wine", (178, 14), "cultivar", "categorical"),
        ("diabetes", (442, 11), "progression", "numeric"),
        ("customer_churn", (1500, 8), "churned", "boolean"),
    ],
)
def test_samples_load_with_their_documented_target(name, shape, target, target_kind):
    frame = load_sample(name)
    assert frame.shape == shape
    assert SAMPLES[name].target == target
    assert {c.name: c.kind for c in infer_schema(frame)}[target] == target_kind


def test_churn_sample_is_messy_on_purpose():
    frame = load_sample("customer_churn")
    kinds = {c.name: c.kind for c in infer_schema(frame)}
    assert kinds["customer_id"] == "identifier"
    assert kinds["signup_date"] == "datetime"
    assert frame["monthly_charges"].isna().sum() > 0
    assert frame.equals(load_sample("customer_churn"))  # generated with a fixed seed


def test_unknown_sample_is_a_data_error():
    with pytest.raises(DataError, match=r"Unknown sample dataset 'titanic'; choose one of \['iris'"):
        load_sample("titanic")


def test_library_versions_record_python_and_sklearn():
    versions = library_versions()
    assert set(versions) == {"python", "scikit-learn", "pandas", "numpy", "joblib", "scipy", "pyarrow"}
    assert versions["pandas"] == pd.__version__
