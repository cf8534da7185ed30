"""The model catalog: every family builds, fits and predicts; params, seeds, losses, spaces and grids hold."""

from __future__ import annotations

import warnings

import numpy as np
import optuna
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import HuberRegressor, Ridge
from sklearn.model_selection import ParameterGrid
from threadpoolctl import threadpool_limits

from engine.errors import RecipeError
from engine.train.catalog import (
    MODELS,
    automl_portfolio,
    default_models,
    family_for_task,
    grid_for,
    make_estimator,
    models_for_task,
    suggest_params,
    too_slow,
)
from engine.train.families import BOTH, hidden_layers

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(autouse=True)
def one_openmp_thread():
    """Gradient boosting's OpenMP threads fight over busy CI cores on 200-row fits: ten times slower, same result."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield

PAIRS = [(name, task) for name, family in MODELS.items() for task in family.tasks]
PAIR_IDS = [f"{name}-{task}" for name, task in PAIRS]
SEARCHABLE = [(name, task) for name, task in PAIRS if MODELS[name].space is not None]
SEARCHABLE_IDS = [f"{name}-{task}" for name, task in SEARCHABLE]
# fewer trees / boosting rounds where the test is about wiring, not accuracy
SMALL = {"random_forest": {"n_estimators": 10}, "extra_trees": {"n_estimators": 10},
         "gradient_boosting": {"max_iter": 20}}


def data(task: str, rows: int = 200, positive: bool = False):
    if task == "classification":
        return make_classification(rows, 6, n_informative=4, n_classes=3, random_state=0)
    X, y = make_regression(rows, 6, noise=5.0, random_state=0)
    return X, (np.exp(y / 100) if positive else y)


def test_catalog_declarations_are_consistent():
    for name, family in MODELS.items():
        assert set(family.tasks) <= set(BOTH) and family.tasks, name
        assert set(family.defaults) == set(family.tasks), name
        assert set(family.losses) <= set(family.tasks), name
        for task, grid in family.grid.items():
            assert set(grid) <= set(family.defaults[task]), (name, task)
        assert all(a in MODELS and a != name for a in family.alternatives), name
        assert (family.slow_rows is None) == (not family.alternatives), name


@pytest.mark.parametrize(("name", "task"), PAIRS, ids=PAIR_IDS)
def test_every_family_fits_and_predicts_with_its_defaults(name, task):
    X, y = data(task)
    estimator = make_estimator(name, task, seed=0).fit(X, y)
    assert estimator.predict(X[:5]).shape == (5,)
    if task == "classification":
        assert is_classifier(estimator)
        proba = estimator.predict_proba(X[:5])
        assert proba.shape == (5, 3)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    else:
        assert is_regressor(estimator)


@pytest.mark.parametrize(("name", "task"), PAIRS, ids=PAIR_IDS)
def test_the_seed_makes_fits_repeatable(name, task):
    X, y = data(task, rows=120)
    first = make_estimator(name, task, 7, SMALL.get(name)).fit(X, y).predict(X)
    second = make_estimator(name, task, 7, SMALL.get(name)).fit(X, y).predict(X)
    # parallel forests (n_jobs=-1) add up trees in any order: regressions may differ in the last bit
    np.testing.assert_allclose(first, second, rtol=1e-12, atol=0)


@pytest.mark.parametrize(("name", "task", "params", "key", "expected"), [
    ("random_forest", "regression", {"n_estimators": 50}, "n_estimators", 50),
    ("random_forest", "classification", {}, "n_jobs", -1),
    ("extra_trees", "regression", {}, "n_jobs", -1),
    ("knn", "classification", {"n_neighbors": 7, "weights": "distance"}, "weights", "distance"),
    ("knn", "regression", {}, "n_jobs", 1),
    ("svm", "classification", {"C": 3.0, "gamma": 0.5}, "estimator__gamma", 0.5),
    ("svm", "regression", {"kernel": "poly", "degree": 2}, "regressor__degree", 2),
    ("linear", "classification", {"penalty": "l1", "C": 0.1}, "l1_ratio", 1.0),
    ("linear", "classification", {"penalty": "elasticnet", "l1_ratio": 0.3}, "l1_ratio", 0.3),
    ("linear", "classification", {"penalty": "elasticnet"}, "solver", "saga"),
    ("linear", "classification", {}, "solver", "lbfgs"),
    ("ridge", "classification", {"alpha": 5.0}, "estimator__alpha", 5.0),
    ("lasso", "regression", {"alpha": 0.5}, "alpha", 0.5),
    ("gradient_boosting", "classification", {"learning_rate": 0.05}, "learning_rate", 0.05),
    ("gradient_boosting", "regression", {}, "early_stopping", True),
    ("mlp", "regression", {"hidden_layer_sizes": "64-32"}, "regressor__hidden_layer_sizes", (64, 32)),
    ("mlp", "classification", {}, "early_stopping", True),
    ("naive_bayes", "classification", {"var_smoothing": 1e-5}, "var_smoothing", 1e-5),
    ("decision_tree", "regression", {"max_depth": 4}, "max_depth", 4),
], ids=lambda v: v if isinstance(v, str) else None)
def test_make_estimator_honours_params(name, task, params, key, expected):
    assert make_estimator(name, task, 0, params).get_params(deep=True)[key] == expected


@pytest.mark.parametrize(("name", "task"), [p for p in PAIRS if p[0] != "baseline"],
                         ids=[i for i in PAIR_IDS if not i.startswith("baseline")])
def test_the_seed_reaches_every_random_state(name, task):
    params = make_estimator(name, task, seed=3).get_params(deep=True)
    states = {value for key, value in params.items() if key.split("__")[-1] == "random_state"}
    assert states <= {3}


@pytest.mark.parametrize(("name", "task", "loss", "key", "expected"), [
    ("gradient_boosting", "regression", "poisson", "loss", "poisson"),
    ("gradient_boosting", "classification", None, "loss", "log_loss"),
    ("linear_svm", "classification", "hinge", "estimator__loss", "hinge"),
    ("linear_svm", "classification", None, "estimator__loss", "squared_hinge"),
    ("linear_svm", "regression", "squared_epsilon_insensitive", "regressor__loss", "squared_epsilon_insensitive"),
    ("random_forest", "regression", "absolute_error", "criterion", "absolute_error"),
    ("decision_tree", "classification", "log_loss", "criterion", "log_loss"),
    ("extra_trees", "classification", None, "criterion", "gini"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_losses_map_onto_the_estimator(name, task, loss, key, expected):
    params = {} if loss is None else {"loss": loss}
    assert make_estimator(name, task, 0, params).get_params(deep=True)[key] == expected


def test_linear_regression_loss_picks_the_estimator():
    assert type(make_estimator("linear", "regression", 0)) is Ridge
    huber = make_estimator("linear", "regression", 0, {"loss": "huber", "alpha": 0.01})
    assert type(huber) is HuberRegressor and huber.alpha == 0.01


@pytest.mark.slow
@pytest.mark.parametrize(("name", "task"), [p for p in PAIRS if len(MODELS[p[0]].losses.get(p[1], ())) > 1],
                         ids=[i for i, p in zip(PAIR_IDS, PAIRS, strict=True)
                              if len(MODELS[p[0]].losses.get(p[1], ())) > 1])
def test_every_offered_loss_fits(name, task):
    X, y = data(task, rows=120, positive=True)  # poisson needs a positive target
    for loss in MODELS[name].losses[task]:
        make_estimator(name, task, 0, {**SMALL.get(name, {}), "loss": loss}).fit(X, y).predict(X[:3])


@pytest.mark.parametrize(("name", "task"), SEARCHABLE, ids=SEARCHABLE_IDS)
def test_spaces_suggest_params_that_build_and_fit(name, task):
    X, y = data(task, rows=100)
    prefix = f"{name}__"

    def objective(trial: optuna.Trial) -> float:
        params = suggest_params(name, trial, task, prefix=prefix)
        assert set(params) <= set(MODELS[name].defaults[task])
        assert all(key.startswith(prefix) for key in trial.params)
        with warnings.catch_warnings():  # a random draw may stop early (small max_iter, tiny data): not a bug here
            warnings.simplefilter("ignore", ConvergenceWarning)
            make_estimator(name, task, 0, {**params, **SMALL.get(name, {})}).fit(X, y).predict(X[:3])
        return 0.0

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=3, catch=())
    assert len(study.trials) == 3


@pytest.mark.parametrize(("name", "task", "fixed", "expected"), [
    ("linear", "classification", {"C": 2.0, "penalty": "elasticnet", "l1_ratio": 0.4},
     {"C": 2.0, "penalty": "elasticnet", "l1_ratio": 0.4}),
    ("linear", "classification", {"C": 2.0, "penalty": "l1"}, {"C": 2.0, "penalty": "l1"}),
    ("svm", "regression", {"kernel": "poly", "C": 1.0, "gamma": 0.1, "degree": 2, "epsilon": 0.1},
     {"kernel": "poly", "C": 1.0, "gamma": 0.1, "degree": 2, "epsilon": 0.1}),
    ("svm", "classification", {"kernel": "linear", "C": 1.0}, {"kernel": "linear", "C": 1.0}),
    ("mlp", "classification", {"hidden_layer_sizes": "128-64", "alpha": 1e-3, "learning_rate_init": 1e-3},
     {"hidden_layer_sizes": "128-64", "alpha": 1e-3, "learning_rate_init": 1e-3}),
], ids=["elasticnet", "l1", "poly", "linear-kernel", "mlp"])
def test_conditional_parameters_appear_only_when_they_matter(name, task, fixed, expected):
    params = suggest_params(name, optuna.trial.FixedTrial(fixed), task)
    assert params == expected
    make_estimator(name, task, 0, params)


@pytest.mark.parametrize("task", BOTH)
def test_automl_portfolio_points_are_points_of_each_space_that_fit(task):
    searchable = [name for name, t in SEARCHABLE if t == task]
    starts = automl_portfolio(searchable, task, rows=10_000)
    assert [name for name, _ in starts][:4] == ["gradient_boosting", "gradient_boosting", "linear", "random_forest"]
    assert sorted({name for name, _ in starts}) == sorted(searchable)  # every searchable family has a start
    X, y = data(task, rows=100)
    for name, params in starts:
        # FixedTrial refuses a missing parameter and warns (an error here) about a value outside the space
        assert suggest_params(name, optuna.trial.FixedTrial(params), task) == params
        make_estimator(name, task, 0, params).fit(X, y)


def test_the_baseline_has_nothing_to_search():
    assert suggest_params("baseline", optuna.trial.FixedTrial({}), "regression") == {}
    assert grid_for("baseline", "classification") == {}


@pytest.mark.parametrize(("name", "task"), SEARCHABLE, ids=SEARCHABLE_IDS)
def test_grids_are_small_and_match_the_space(name, task):
    grid = grid_for(name, task)
    combos = list(ParameterGrid(grid))
    assert 2 <= len(combos) <= 12
    for combo in combos:
        make_estimator(name, task, 0, combo)

    seen = []

    def objective(trial: optuna.Trial) -> float:
        seen.append(suggest_params(name, trial, task))
        return 0.0

    with warnings.catch_warnings():  # a grid value outside the space's range would warn: make that fail
        warnings.simplefilter("error")
        study = optuna.create_study(sampler=optuna.samplers.GridSampler(grid, seed=0))
        study.optimize(objective, n_trials=len(combos), catch=())
    assert sorted(map(repr, seen)) == sorted(repr({k: c[k] for k in seen[0]}) for c in combos)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "task"), SEARCHABLE, ids=SEARCHABLE_IDS)
def test_every_grid_combination_fits(name, task):
    X, y = data(task, rows=100)
    for combo in ParameterGrid(grid_for(name, task)):
        make_estimator(name, task, 0, {**combo, **SMALL.get(name, {})}).fit(X, y).predict(X[:3])


def test_grid_for_returns_a_copy():
    grid_for("knn", "regression")["p"].append(3)
    assert grid_for("knn", "regression")["p"] == [1, 2]


@pytest.mark.parametrize(("name", "rows", "expected"), [
    ("svm", 20_000, None),
    ("svm", 50_000, "Kernel SVM gets slow beyond 20,000 training rows (this data has 50,000): expect minutes per "
                    "fit; try Linear SVM or Gradient boosting (histogram)."),
    ("knn", 100_000, None),
    ("knn", 100_001, "k-nearest neighbours gets slow beyond 100,000 training rows (this data has 100,001): expect "
                     "minutes per fit; try Random forest or Gradient boosting (histogram)."),
    ("mlp", 200_000, None),
    ("mlp", 250_000, "Neural network (MLP) gets slow beyond 200,000 training rows (this data has 250,000): expect "
                     "minutes per fit; try Gradient boosting (histogram)."),
    ("gradient_boosting", 10_000_000, None),
    ("linear_svm", 10_000_000, None),
])
def test_too_slow_warns_beyond_the_family_threshold(name, rows, expected):
    assert too_slow(name, rows) == expected


def test_models_for_each_task_and_the_defaults():
    assert models_for_task("classification") == [
        "baseline", "linear", "ridge", "decision_tree", "random_forest", "extra_trees", "gradient_boosting", "svm",
        "linear_svm", "knn", "naive_bayes", "mlp"]
    assert models_for_task("regression") == [
        "baseline", "linear", "ridge", "lasso", "decision_tree", "random_forest", "extra_trees",
        "gradient_boosting", "svm", "linear_svm", "knn", "mlp"]
    assert default_models("regression") == ["baseline", "linear", "random_forest", "gradient_boosting"]
    assert family_for_task("lasso", "regression") is MODELS["lasso"]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: make_estimator("xgboost", "regression", 0), r"Unknown model 'xgboost'; choose one of \['baseline'"),
    (lambda: make_estimator("naive_bayes", "regression", 0),
     r"Model 'naive_bayes' \(Naive Bayes \(Gaussian\)\) cannot do regression; choose one of \['baseline'"),
    (lambda: make_estimator("lasso", "classification", 0), r"Model 'lasso' \(Lasso\) cannot do classification"),
    (lambda: make_estimator("knn", "regression", 0, {"k": 3}),
     r"Model 'knn' has no parameter \['k'\] for regression; its parameters are \['n_neighbors', 'p', 'weights'\]\."),
    (lambda: make_estimator("gradient_boosting", "regression", 0, {"loss": "hinge"}),
     r"cannot minimise the loss 'hinge' for regression; choose one of \['squared_error', 'absolute_error', "),
    (lambda: make_estimator("knn", "classification", 0, {"loss": "log_loss"}), r"it has no choice of loss"),
    (lambda: make_estimator("mlp", "regression", 0, {"hidden_layer_sizes": "64x32"}), r"like '64-32'\. Got '64x32'"),
    (lambda: make_estimator("linear", "classification", 0, {"penalty": "l3"}), r"'l2', 'l1' or 'elasticnet'"),
    (lambda: suggest_params("svm", optuna.trial.FixedTrial({}), "ranking"), r"cannot do ranking"),
    (lambda: grid_for("lasso", "classification"), r"cannot do classification"),
    (lambda: too_slow("xgboost", 10), r"Unknown model 'xgboost'"),
], ids=["unknown-family", "wrong-task", "lasso-classification", "unknown-param", "bad-loss", "no-loss-choice",
        "bad-mlp-shape", "bad-penalty", "space-wrong-task", "grid-wrong-task", "too-slow-unknown"])
def test_mistakes_are_recipe_errors_that_say_what_to_do(call, message):
    with pytest.raises(RecipeError, match=message):
        call()


def test_hidden_layers_decodes_the_shapes():
    assert hidden_layers("64") == (64,)
    assert hidden_layers("128-64") == (128, 64)
    with pytest.raises(RecipeError):
        hidden_layers("0-4")
