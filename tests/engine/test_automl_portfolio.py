"""The AutoML portfolio: the default gradient boosting runs first, every point is in its space, big data skips
the slow families' points."""

from __future__ import annotations

import warnings

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from engine import Problem, infer_schema, prepare_target, split_rows, validate_recipe
from engine.train.automl import tune_candidates, tuning_spec
from engine.train.catalog import automl_portfolio, make_estimator, models_for_task, suggest_params
from engine.train.families import AUTOML_PORTFOLIO, BOTH, LARGE_ROWS
from engine.train.policy import automl_settings
from engine.train.tuning import create_study, open_storage

optuna.logging.set_verbosity(optuna.logging.WARNING)

DEFAULT_GBM = {"classification": HistGradientBoostingClassifier, "regression": HistGradientBoostingRegressor}
SEARCHABLE = {task: [name for name in models_for_task(task) if name != "baseline"] for task in BOTH}
HEAVY = {"knn", "svm", "mlp"}


@pytest.fixture(autouse=True)
def one_openmp_thread():
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.mark.parametrize("task", BOTH)
def test_the_first_point_is_scikit_learns_default_gradient_boosting(task):
    family, params = automl_portfolio(SEARCHABLE[task], task)[0]
    built = make_estimator(family, task, 0, params)
    assert family == "gradient_boosting"
    assert built.get_params() == DEFAULT_GBM[task](random_state=0).get_params()
    assert built.early_stopping == "auto" and built.max_iter == 100 and built.l2_regularization == 0.0


@pytest.mark.parametrize("task", BOTH)
def test_every_portfolio_point_is_in_its_family_space(task):
    """Queued as an AutoML study queues them, each point comes back unchanged and without an out-of-range warning
    (Optuna warns, and still runs the value, when a queued value is outside the space)."""
    points = [(p.family, p.params[task]) for p in AUTOML_PORTFOLIO if task in p.params]
    seen = []

    def objective(trial: optuna.Trial) -> float:
        family = trial.suggest_categorical("family", SEARCHABLE[task])
        seen.append((family, suggest_params(family, trial, task, prefix=f"{family}__")))
        return 0.0

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    for family, params in points:
        study.enqueue_trial({"family": family, **{f"{family}__{k}": v for k, v in params.items()}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        study.optimize(objective, n_trials=len(points), catch=())
    assert seen == points


@pytest.mark.parametrize(("rows", "heavy", "large_leaves"), [
    (500, True, False),
    (10_000, True, True),
    (LARGE_ROWS, False, True),
    (200_000, False, True),
], ids=["small", "10k", "20k", "200k"])
def test_large_data_skips_the_slow_families_points(rows, heavy, large_leaves):
    portfolio = automl_portfolio(SEARCHABLE["classification"], "classification", rows=rows)
    families = [family for family, _ in portfolio]
    assert portfolio[0] == ("gradient_boosting", automl_portfolio(["gradient_boosting"], "classification")[0][1])
    assert bool(HEAVY & set(families)) is heavy
    assert any(params.get("max_leaf_nodes") == 127 for _, params in portfolio) is large_leaves
    # the cheap start of every other family still runs before the slower proven settings
    assert families.index("random_forest") < [i for i, (f, p) in enumerate(portfolio)
                                              if f == "gradient_boosting" and p["learning_rate"] == 0.05][0]


@pytest.mark.parametrize(("rows", "queued"), [
    (300, ["gradient_boosting", "gradient_boosting", "linear", "random_forest", "extra_trees", "knn",
           "gradient_boosting", "random_forest", "extra_trees"]),
    # k-NN's point is heavy on large data: queued last, after every strong point, so the chosen family still gets
    # its one finished trial when the budget allows (issue 17, item 7)
    (30_000, ["gradient_boosting", "gradient_boosting", "linear", "random_forest", "extra_trees",
              "gradient_boosting", "gradient_boosting", "random_forest", "extra_trees", "knn"]),
], ids=["small", "large"])
def test_an_automl_study_queues_the_portfolio_for_its_training_rows(rows, queued):
    frame = pd.DataFrame({"x": [0.0, 1.0], "y": ["a", "b"]})
    settings = automl_settings("classification", time_budget=60, seed=0)
    spec = tuning_spec("unused.parquet", Problem("y", "classification", "roc_auc"), validate_recipe({}),
                       infer_schema(frame), settings, settings["models"], rows=rows)
    study = create_study(spec, optuna.storages.InMemoryStorage(), "portfolio")
    waiting = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,))
    assert [t.system_attrs["fixed_params"]["family"] for t in waiting] == queued


@pytest.mark.slow
def test_the_first_finished_automl_trial_is_the_default_gradient_boosting(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x0": rng.normal(size=150).round(3), "x1": rng.normal(size=150).round(3),
                          "colour": rng.choice(["red", "green", "blue"], size=150)})
    frame["y"] = np.where(frame["x0"] + (frame["colour"] == "red") + rng.normal(0, 0.5, 150) > 0.5, "yes", "no")
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    problem, recipe = Problem("y", "classification", "roc_auc"), validate_recipe({})
    rows, y = prepare_target(frame, problem)
    split = split_rows(y, "classification", recipe["split"], rows)
    settings = {**automl_settings("classification", time_budget=None, seed=0), "n_trials": 3, "ensemble": False,
                "models": ["linear", "random_forest", "gradient_boosting"]}
    storage = open_storage(f"sqlite:///{tmp_path / 'studies.db'}")
    candidates = tune_candidates(frame, infer_schema(frame), problem, recipe, settings, split, storage=storage,
                                 study_name="t", data_path=str(path))
    first = optuna.load_study(study_name="t-automl", storage=storage).trials[0]
    assert first.state == optuna.trial.TrialState.COMPLETE and first.user_attrs["family"] == "gradient_boosting"
    built = make_estimator("gradient_boosting", "classification", 0, first.user_attrs["params"])
    assert built.get_params() == HistGradientBoostingClassifier(random_state=0).get_params()
    boosting = next(c for c in candidates if c.model == "gradient_boosting")
    model = boosting.pipeline.named_steps["model"]
    assert model.categorical_features == ["colour"]  # native categoricals, as a plain default model on this table
    assert {k: v for k, v in model.get_params().items() if k != "categorical_features"} == {
        k: v for k, v in HistGradientBoostingClassifier(random_state=0).get_params().items()
        if k != "categorical_features"}
