"""The pruners stop poor trials between folds: successive halving and the median pruner each prune a trial that
scores clearly worse at its early folds, before its last fold; "none" lets every trial run all folds.

The trials are enqueued, so the test does not depend on what the sampler draws: a well-fitting logistic
regression (C = 1000, l2) and one so regularised that every coefficient is zero (C = 0.001, l1), which
ranks nothing (ROC AUC 0.5 on every fold)."""

from __future__ import annotations

import numpy as np
import optuna
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from engine import Problem, infer_schema, validate_recipe
from engine.train.automl import tuning_spec
from engine.train.tuning import make_pruner, make_sampler, pruned_families, run_study

FOLDS = 4
GOOD = {"C": 1000.0, "penalty": "l2"}
BAD = {"C": 0.001, "penalty": "l1"}  # all coefficients zero: constant probabilities


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """80 rows where x0 (plus a little noise) decides the class; x1 is noise."""
    rng = np.random.default_rng(0)
    x0, x1 = rng.normal(size=80).round(3), rng.normal(size=80).round(3)
    y = np.where(x0 + 0.3 * rng.normal(size=80) > 0, "yes", "no")
    return pd.DataFrame({"x0": x0, "x1": x1, "y": y})


def _study(frame: pd.DataFrame, pruner: str, plan: list[dict]) -> optuna.Study:
    """Run one trial per point of ``plan``, in order, under ``pruner``, and return the study."""
    problem = Problem("y", "classification", "roc_auc")
    settings = {"automl": False, "search": "random", "pruner": pruner, "cv_folds": FOLDS, "seed": 0}
    spec = tuning_spec("unused.parquet", problem, validate_recipe({}), infer_schema(frame), settings, ["linear"])
    # Built without create_study, which would queue the family's start point before the plan.
    study = optuna.create_study(study_name=f"pruners-{pruner}", direction="maximize", sampler=make_sampler(spec),
                                pruner=make_pruner(spec))
    study.set_user_attr("spec", spec)
    for params in plan:
        study.enqueue_trial(params)
    run_study(study, frame, n_trials=len(plan), timeout=None)
    return study


def _outcome(study: optuna.Study) -> list[tuple[str, int]]:
    """Each trial's state and how many folds it reported."""
    return [(t.state.name, len(t.intermediate_values)) for t in study.trials]


def _assert_pruned_by_the_pruner(study: optuna.Study, pruned: list[int]) -> None:
    for number in pruned:
        trial = study.trials[number]
        assert trial.params == BAD
        assert trial.user_attrs["pruned"] is True  # the pruner, not the clock
        assert len(trial.user_attrs["fold_scores"]) == 2 < FOLDS
        assert trial.intermediate_values == {0: 0.5, 1: 0.5}
    assert pruned_families(study) == {"linear"}


def test_successive_halving_prunes_a_poor_trial_at_its_first_rung(frame):
    # Halving learns its number of steps from the first finished trial, so it cannot prune before one; from
    # then on a trial must rank in the top 1/4 of the trials that reached its rung (fold 1) to go on.
    study = _study(frame, "halving", [GOOD, GOOD, BAD, BAD])
    assert _outcome(study) == [("COMPLETE", FOLDS), ("COMPLETE", FOLDS), ("PRUNED", 2), ("PRUNED", 2)]
    assert study.best_value > 0.9
    _assert_pruned_by_the_pruner(study, [2, 3])


def test_median_pruner_prunes_a_trial_below_the_median_after_its_startup_trials(frame):
    # The median pruner waits for 3 finished trials, and never prunes at fold 0 (one warm-up step).
    study = _study(frame, "median", [GOOD, BAD, GOOD, GOOD, BAD])
    assert _outcome(study) == [("COMPLETE", FOLDS), ("COMPLETE", FOLDS), ("COMPLETE", FOLDS),
                               ("COMPLETE", FOLDS), ("PRUNED", 2)]
    _assert_pruned_by_the_pruner(study, [4])


def test_no_pruner_runs_every_trial_to_its_last_fold(frame):
    study = _study(frame, "none", [GOOD, GOOD, BAD, BAD])
    assert _outcome(study) == [("COMPLETE", FOLDS)] * 4
    assert [t.value for t in study.trials[2:]] == [0.5, 0.5]
    assert pruned_families(study) == set()
