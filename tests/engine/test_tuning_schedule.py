"""Trial scheduling (issue 17, item 7): every chosen family gets a cheap first trial, and the pruner never stops a
family's trial before that family has a finished one."""

from __future__ import annotations

import optuna
import pandas as pd
import pytest
from optuna.distributions import CategoricalDistribution
from optuna.trial import TrialState, create_trial

from engine import Problem, infer_schema, validate_recipe
from engine.train.automl import tuning_spec
from engine.train.catalog import automl_portfolio
from engine.train.tuning import FirstTrialPruner, create_study, start_points

FAMILIES = ["linear", "knn"]


def _spec(search: str, automl: bool, families: list[str], rows: int = 300) -> dict:
    frame = pd.DataFrame({"x": [0.0, 1.0], "y": ["a", "b"]})
    settings = {"automl": automl, "search": search, "pruner": "median", "cv_folds": 3, "seed": 0}
    return tuning_spec("unused.parquet", Problem("y", "classification", "roc_auc"), validate_recipe({}),
                       infer_schema(frame), settings, families, rows=rows)


def _queued(spec: dict) -> list[dict]:
    study = create_study(spec, optuna.storages.InMemoryStorage(), "starts")
    return [t.system_attrs["fixed_params"] for t in study.get_trials(states=(TrialState.WAITING,))]


@pytest.mark.parametrize("search", ["tpe", "random"])
def test_a_one_family_search_starts_from_its_cheap_point(search):
    # the default histogram boosting (100 iterations, early stopping "auto"), not a draw of up to 1,000 iterations
    cheap = automl_portfolio(["gradient_boosting"], "classification")[0][1]
    assert cheap["max_iter"] == 100
    assert _queued(_spec(search, False, ["gradient_boosting"])) == [cheap]


def test_a_grid_search_has_no_start_point():
    assert start_points(_spec("grid", False, ["decision_tree"])) == []


def test_an_automl_search_queues_a_heavy_family_last_on_large_data():
    families = [family for family, _ in start_points(_spec("tpe", True, ["gradient_boosting", "knn"], 30_000))]
    assert families == ["gradient_boosting", "gradient_boosting", "gradient_boosting", "gradient_boosting", "knn"]
    queued = _queued(_spec("tpe", True, ["gradient_boosting", "knn"], 30_000))
    assert queued[-1] == {"family": "knn", "knn__n_neighbors": 10, "knn__weights": "distance", "knn__p": 2}


def _report(study: optuna.Study, family: str, folds: list[float]) -> optuna.Trial:
    study.enqueue_trial({"family": family})
    trial = study.ask()
    trial.suggest_categorical("family", FAMILIES)
    for step, value in enumerate(folds):
        trial.report(value, step)
    return trial


@pytest.mark.parametrize(("spared", "pruned_first"), [(True, False), (False, True)], ids=["spared", "plain"])
def test_a_familys_first_trial_is_never_pruned(spared, pruned_first):
    median = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)
    study = optuna.create_study(direction="maximize", pruner=FirstTrialPruner(median) if spared else median)
    for _ in range(3):  # three good linear trials: the median at each fold is 0.9
        study.add_trial(create_trial(value=0.9, params={"family": "linear"},
                                     distributions={"family": CategoricalDistribution(FAMILIES)},
                                     intermediate_values={0: 0.9, 1: 0.9}))
    first = _report(study, "knn", [0.6, 0.6])
    assert bool(first.should_prune()) is pruned_first  # the plain median pruner drops k-NN's only trial
    study.tell(first, 0.6)
    second = _report(study, "knn", [0.6, 0.6])
    assert bool(second.should_prune()) is True  # once k-NN has a score, its poor trials are pruned as before
