"""The recipe's ``"balance": "class_weight"`` reaches the fit: the estimator is built with
``class_weight="balanced"`` and finds more of the rare class on its own training rows than the same model without
it. Families whose estimator has no ``class_weight`` but takes sample weights are fitted with balanced ones; k-NN
takes neither and is fitted unweighted (the Prepare page offers "Weight classes (models that support it)")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import recall_score
from threadpoolctl import threadpool_limits

from engine import Problem, infer_schema, prepare_target, split_rows, train_candidates, validate_recipe
from engine.train.training import balanced_fit_params, family_pipeline, training_data

PROBLEM = Problem("y", "classification", "f1_macro")


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """200 rows, one in ten 'rare'; x0 is a little larger for 'rare' rows (the classes overlap), x1 is noise."""
    rng = np.random.default_rng(0)
    y = np.where(np.arange(200) % 10 == 0, "rare", "common")
    x0 = rng.normal(size=200) + np.where(y == "rare", 1.0, 0.0)
    return pd.DataFrame({"x0": x0.round(3), "x1": rng.normal(size=200).round(3), "y": y})


def _fit(frame: pd.DataFrame, family: str, balance: str):
    """``family`` fitted on every row of ``frame`` under a recipe with ``balance``; its recall of 'rare' there."""
    recipe = validate_recipe({"balance": balance})
    _, y, features, X, fitter = training_data(frame, infer_schema(frame), PROBLEM, recipe)
    model = fitter.fit(family_pipeline(family, {}, features, recipe, "classification", 0), X, y)
    return model, recall_score(y, model.predict(X), pos_label="rare")


@pytest.mark.parametrize(("family", "recall_without", "recall_with"), [
    pytest.param("linear", 0.0, 0.7, id="logistic-regression"),
    pytest.param("decision_tree", 0.3, 1.0, id="decision-tree"),
    pytest.param("gradient_boosting", 0.0, 0.75, id="hist-gradient-boosting"),
])
def test_class_weights_raise_the_recall_of_the_rare_class(frame, family, recall_without, recall_with):
    plain, recall_plain = _fit(frame, family, "none")
    weighted, recall_weighted = _fit(frame, family, "class_weight")
    assert plain.named_steps["model"].class_weight is None
    assert weighted.named_steps["model"].class_weight == "balanced"
    assert (recall_plain, recall_weighted) == pytest.approx((recall_without, recall_with))


@pytest.mark.parametrize(("family", "recall_with"), [
    pytest.param("ridge", 0.8, id="calibrated-ridge"),
    pytest.param("svm", 0.8, id="calibrated-svm"),
    pytest.param("linear_svm", 0.8, id="calibrated-linear-svm"),
    pytest.param("naive_bayes", 0.8, id="naive-bayes"),
    pytest.param("mlp", 0.5, id="mlp"),
])
def test_families_without_class_weight_get_balanced_sample_weights(frame, family, recall_with):
    # A calibrated wrapper's inner classifier has a class_weight, but the sigmoid calibration, fitted on unweighted
    # rows, mapped its scores back to the real class shares: the predictions did not change (recall 0 either way).
    # Balanced sample weights reach both the classifier and the calibration.
    plain, recall_plain = _fit(frame, family, "none")
    weighted, recall_weighted = _fit(frame, family, "class_weight")
    assert repr(weighted.named_steps["model"]) == repr(plain.named_steps["model"])  # same estimator, same settings
    assert (recall_plain, recall_weighted) == pytest.approx((0.0, recall_with))


def test_sample_weights_weigh_each_class_equally(frame):
    recipe = validate_recipe({"balance": "class_weight"})
    _, y, features, _, _ = training_data(frame, infer_schema(frame), PROBLEM, recipe)
    [weights] = balanced_fit_params(family_pipeline("svm", {}, features, recipe, "classification", 0), recipe,
                                    "classification", y).values()
    assert weights[y == "rare"].sum() == pytest.approx(weights[y == "common"].sum()) == pytest.approx(100)
    for family in ("linear", "knn"):  # weighted by class_weight, or not at all
        assert balanced_fit_params(family_pipeline(family, {}, features, recipe, "classification", 0), recipe,
                                   "classification", y) == {}
    plain = validate_recipe({})
    assert balanced_fit_params(family_pipeline("svm", {}, features, plain, "classification", 0), plain,
                               "classification", y) == {}


def test_knn_has_no_weights_and_is_fitted_unweighted(frame):
    weighted, recall_weighted = _fit(frame, "knn", "class_weight")
    plain, recall_plain = _fit(frame, "knn", "none")
    assert "class_weight" not in weighted.named_steps["model"].get_params()
    assert (weighted.predict_proba(frame) == plain.predict_proba(frame)).all()
    assert recall_weighted == recall_plain


def test_training_keeps_the_class_weights_in_the_model_it_returns(frame):
    recipe = validate_recipe({"balance": "class_weight"})
    rows, y = prepare_target(frame, PROBLEM)
    split = split_rows(y, "classification", recipe["split"], rows)
    candidates = train_candidates(frame, infer_schema(frame), PROBLEM, recipe, {"models": ["linear"], "cv_folds": 2},
                                  split)
    [linear] = [c for c in candidates if c.model == "linear"]
    assert linear.status == "ok"
    assert linear.pipeline.named_steps["model"].class_weight == "balanced"
