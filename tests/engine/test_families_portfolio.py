"""The AutoML portfolio's second point: small boosted trees, cheap, right after the default (issue 15 item 6's
learner benchmark, bench/README.md "Learner decision")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from engine.train.catalog import automl_portfolio, make_estimator
from engine.train.families import BOTH

SMALL_TREES = {"learning_rate": 0.1, "max_leaf_nodes": 8, "min_samples_leaf": 20, "l2_regularization": 1.0,
               "max_iter": 300, "early_stopping": True}


@pytest.mark.parametrize("rows", [300, 30_000], ids=["small", "large"])
@pytest.mark.parametrize("task", BOTH)
def test_small_boosted_trees_run_second_on_every_table_size(task, rows):
    portfolio = automl_portfolio(["linear", "random_forest", "gradient_boosting"], task, rows=rows)
    assert portfolio[1] == ("gradient_boosting", SMALL_TREES)
    assert [family for family, _ in portfolio[:3]] == ["gradient_boosting", "gradient_boosting", "linear"]


def test_small_boosted_trees_stop_early_with_at_most_eight_leaves_a_tree():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x0": rng.normal(size=400), "x1": rng.normal(size=400)})
    y = np.where(X["x0"] + rng.normal(0, 1.0, 400) > 0, "yes", "no")
    with threadpool_limits(limits=1, user_api="openmp"):
        model = make_estimator("gradient_boosting", "classification", 0, SMALL_TREES).fit(X, y)
    assert model.n_iter_ < 300  # early stopping ended it: a noisy signal does not need 300 trees
    leaves = [predictor.get_n_leaf_nodes() for trees in model._predictors for predictor in trees]
    assert max(leaves) <= 8
