"""Calibration of a winning classifier: checked on out-of-fold probabilities against the class shares, applied
only when it helps, and exported like any other pipeline."""

from __future__ import annotations

import io
import time

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from engine import DEFAULT_RECIPE, infer_schema
from engine.deploy.export import dumps_skops, export_onnx, loads_skops
from engine.errors import TrainingError
from engine.prepare.pipeline import feature_columns
from engine.prepare.recipe import validate_recipe
from engine.train.calibration import (
    ISOTONIC_MIN_ROWS,
    calibrate_winner,
    calibrated_pipeline,
    check_calibration,
    out_of_fold,
    prior_log_loss,
)
from engine.train.training import family_pipeline
from tests.noisy_classes import noisy_three_classes


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(1):
        yield


def family(frame: pd.DataFrame, name: str, params: dict | None = None):
    recipe = validate_recipe(DEFAULT_RECIPE)
    features = feature_columns(infer_schema(frame), "label", recipe)
    return family_pipeline(name, params or {}, features, recipe, "classification", 0), [
        {"name": c.name, "kind": c.kind, "dtype": c.dtype} for c in features]


def folds(y: pd.Series, k: int = 5) -> list:
    return list(StratifiedKFold(k, shuffle=True, random_state=0).split(np.zeros(len(y)), y))


@pytest.fixture(scope="module")
def noisy() -> pd.DataFrame:
    return noisy_three_classes()


@pytest.fixture(scope="module")
def trees(noisy):
    """Extra trees with one-row leaves on the noisy table: probabilities of 0 and 1 that are often wrong."""
    pipeline, _ = family(noisy, "extra_trees", {"n_estimators": 30, "min_samples_leaf": 1, "max_features": 1.0})
    X, y = noisy.drop(columns="label"), noisy["label"]
    return pipeline, calibrate_winner(pipeline, X, y, folds(y))


def test_prior_log_loss_is_the_entropy_of_the_class_shares():
    loss, shares = prior_log_loss(np.array(["a", "a", "a", "b"]), ["a", "b"])
    assert shares == {"a": 0.75, "b": 0.25}
    assert loss == pytest.approx(-(0.75 * np.log(0.75) + 0.25 * np.log(0.25)))


def test_prior_log_loss_under_balanced_weights_is_that_of_equal_shares():
    loss, shares = prior_log_loss(np.array(["a", "a", "a", "b"]), ["a", "b"], sample_weight=[2 / 3] * 3 + [2.0])
    assert shares == {"a": 0.5, "b": 0.5}
    assert loss == pytest.approx(np.log(2))


def test_an_overconfident_model_is_calibrated_below_the_prior(trees):
    _, check = trees
    losses = check.log_loss
    assert losses["raw"] > losses["prior"]  # as shipped before: worse than predicting the class shares
    assert check.applied and check.method in ("sigmoid", "isotonic")
    assert losses[check.method] < losses["prior"] < losses["raw"]
    assert losses[check.method] == min(losses["sigmoid"], losses["isotonic"])
    assert check.warning == ""
    assert (check.status, check.rows, check.source) == ("checked", 1200, "out-of-fold predictions over 5 folds")
    assert check.class_shares == pytest.approx({"ant": 0.5, "bee": 0.3, "cat": 0.2}, abs=0.03)
    assert check.reason.startswith(f"Calibrated with {'isotonic regression' if check.method == 'isotonic' else 'sig'}")


def test_a_well_calibrated_logistic_model_is_left_alone(noisy):
    pipeline, _ = family(noisy, "linear")
    X, y = noisy.drop(columns="label"), noisy["label"]
    check = calibrate_winner(pipeline, X, y, folds(y))
    assert check.method is None and not check.applied
    assert check.log_loss["raw"] < check.log_loss["prior"]
    assert check.log_loss["raw"] <= min(check.log_loss["sigmoid"], check.log_loss["isotonic"]) * 1.01
    assert check.reason.startswith("Left as trained: its log loss")
    fitted = pipeline.fit(X, y)
    assert calibrated_pipeline(fitted, check) is fitted


def test_the_calibrated_pipeline_predicts_the_calibration_chosen(noisy, trees):
    pipeline, check = trees
    X, y = noisy.drop(columns="label"), noisy["label"]
    fitted = pipeline.fit(X, y)
    calibrated = calibrated_pipeline(fitted, check)
    model = calibrated.named_steps["model"]
    assert isinstance(model, CalibratedClassifierCV) and model.method == check.method
    assert model.calibrated_classifiers_[0].estimator is fitted.named_steps["model"]
    assert [name for name, _ in calibrated.steps] == [name for name, _ in fitted.steps]
    proba = calibrated.predict_proba(X.head(50))
    assert proba.shape == (50, 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert list(calibrated.classes_) == ["ant", "bee", "cat"]
    # one-row leaves predict 0 or 1 on their own training rows; calibrated, no row is that sure any more
    assert fitted.predict_proba(X).max() == 1.0 and proba.max() < 0.99


def test_the_calibrated_pipeline_round_trips_through_joblib_and_skops(noisy, trees):
    pipeline, check = trees
    X, y = noisy.drop(columns="label"), noisy["label"]
    calibrated = calibrated_pipeline(pipeline.fit(X, y), check)
    rows = X.head(200)
    buffer = io.BytesIO()
    joblib.dump(calibrated, buffer)
    buffer.seek(0)
    for loaded in (joblib.load(buffer), loads_skops(dumps_skops(calibrated))):
        assert np.array_equal(loaded.predict_proba(rows), calibrated.predict_proba(rows))
        assert np.array_equal(loaded.predict(rows), calibrated.predict(rows))


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_a_calibrated_forest_exports_to_onnx_and_predicts_the_same(noisy, method):
    pipeline, features = family(noisy, "random_forest", {"n_estimators": 20})
    X, y = noisy.drop(columns="label"), noisy["label"]
    oof = out_of_fold(pipeline, X, y, folds(y, 3))
    check = check_calibration(oof.response, oof.proba, y, ["ant", "bee", "cat"])._replace(method=method)
    onnx = export_onnx(calibrated_pipeline(pipeline.fit(X, y), check), features, "classification", X.head(200))
    assert onnx.reason is None and onnx.check.ok and onnx.check.labels_equal


def test_calibrated_extra_trees_do_not_convert_to_onnx_and_say_why(noisy, trees):
    pipeline, check = trees
    X, y = noisy.drop(columns="label"), noisy["label"]
    _, features = family(noisy, "extra_trees")
    onnx = export_onnx(calibrated_pipeline(pipeline.fit(X, y), check), features, "classification", X.head(50))
    assert onnx.data is None  # skl2onnx 1.20 calibrates the raw scores of extra trees, which it cannot compute
    assert onnx.reason.startswith("skl2onnx cannot convert the model CalibratedClassifierCV")


def test_precomputed_out_of_fold_probabilities_are_used_without_refitting(noisy, trees):
    pipeline, check = trees
    X, y = noisy.drop(columns="label"), noisy["label"]
    oof = out_of_fold(pipeline, X, y, folds(y))

    def no_fit(*args):
        raise AssertionError("the model was refitted although its out-of-fold probabilities were given")

    again = calibrate_winner(pipeline, X, y, folds(y), fit=no_fit, oof_proba=oof.proba)
    assert again.log_loss == pytest.approx(check.log_loss) and again.method == check.method


def test_precomputed_probabilities_of_the_wrong_shape_are_refused(noisy, trees):
    pipeline, _ = trees
    X, y = noisy.drop(columns="label"), noisy["label"]
    with pytest.raises(TrainingError, match=r"one column per class, \(1200, 3\). Got \(1200, 2\) instead"):
        calibrate_winner(pipeline, X, y, folds(y), oof_proba=np.full((1200, 2), 0.5))


def test_a_decision_function_model_reads_its_decision_function_out_of_fold(noisy):
    pipeline, _ = family(noisy, "linear")
    X, y = noisy.drop(columns="label"), noisy["label"]
    oof = out_of_fold(pipeline, X, y, folds(y))
    assert oof.response.shape == (1200, 3) and (oof.response < 0).any()  # scores, not probabilities
    assert np.allclose(oof.proba.sum(axis=1), 1.0) and list(oof.rows) == list(range(1200))


def test_past_the_deadline_the_check_is_skipped_and_says_why(noisy, trees):
    pipeline, _ = trees
    X, y = noisy.drop(columns="label"), noisy["label"]
    check = calibrate_winner(pipeline, X, y, folds(y), deadline=time.monotonic() - 1)
    assert (check.status, check.method, check.log_loss) == ("skipped", None, {})
    assert check.reason == "Not checked: the time budget ran out before the out-of-fold predictions were made."


def test_without_folds_the_check_is_skipped(noisy, trees):
    pipeline, _ = trees
    check = calibrate_winner(pipeline, noisy.drop(columns="label"), noisy["label"], [])
    assert check.status == "skipped" and "cross-validation is off" in check.reason


def test_probabilities_that_lose_to_the_prior_even_calibrated_are_shipped_calibrated_with_a_warning():
    rng = np.random.default_rng(3)
    y = rng.choice(["a", "b"], size=400)  # labels independent of the scores: nothing to learn
    proba_b = rng.choice([0.05, 0.95], size=400)  # and sure of it
    check = check_calibration(proba_b.reshape(-1, 1), np.column_stack([1 - proba_b, proba_b]), y, ["a", "b"])
    assert check.method == "sigmoid"  # isotonic needs ISOTONIC_MIN_ROWS rows
    assert 400 < ISOTONIC_MIN_ROWS and "isotonic" not in check.log_loss
    assert check.log_loss["raw"] > check.log_loss["sigmoid"] >= check.log_loss["prior"]
    assert check.warning.startswith("Even calibrated (sigmoid (Platt) scaling), this model's probabilities are no "
                                    "better than predicting the class shares")


def test_a_calibration_gain_below_the_threshold_keeps_the_model_as_trained():
    rng = np.random.default_rng(4)
    p = rng.uniform(0.05, 0.95, 2000)
    y = np.where(rng.uniform(size=2000) < p, "b", "a")  # labels drawn from the probabilities: calibrated already
    check = check_calibration(p.reshape(-1, 1), np.column_stack([1 - p, p]), y, ["a", "b"])
    assert check.method is None and check.warning == ""
    assert check.log_loss["raw"] < check.log_loss["prior"]


def test_reliability_of_a_binary_model_bins_the_positive_class():
    from engine.evaluate.plots import reliability_figure, reliability_info

    y = ["no"] * 4 + ["yes"] * 6
    p_yes = [0.05, 0.1, 0.15, 0.65, 0.6, 0.7, 0.95, 0.9, 0.92, 0.97]
    info = reliability_info(y, np.column_stack([1 - np.array(p_yes), p_yes]), ["no", "yes"], n_bins=4)
    assert info.subject == "P(yes)" and info.rows == 10
    assert info.bins[["low", "high", "rows"]].values.tolist() == [[0.0, 0.25, 3], [0.5, 0.75, 3], [0.75, 1.0, 4]]
    assert info.bins["observed"].tolist() == pytest.approx([0.0, 2 / 3, 1.0])
    assert info.bins["predicted"].tolist() == pytest.approx([0.1, 0.65, 0.935])
    assert info.calibration_error == pytest.approx((3 * 0.1 + 3 * abs(2 / 3 - 0.65) + 4 * 0.065) / 10)
    figure = reliability_figure(info)
    assert [t.name for t in figure.data] == ["perfectly calibrated", "rows per bin", "P(yes)"]
    assert list(figure.data[1].y) == [3, 3, 4]


def test_reliability_of_a_multiclass_model_bins_the_predicted_class():
    from engine.evaluate.plots import reliability_info

    proba = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.4, 0.35, 0.25], [0.1, 0.1, 0.8]]
    info = reliability_info(["a", "a", "b", "c"], proba, ["a", "b", "c"], n_bins=2)
    assert info.subject == "P(predicted class)"
    assert info.bins[["rows", "predicted", "observed"]].values.tolist() == [[1, 0.4, 0.0], [3, pytest.approx(
        0.7666666), pytest.approx(2 / 3)]]


def test_the_markdown_card_warns_when_probabilities_lose_to_the_class_shares():
    from engine.deploy.export import model_card_markdown

    rng = np.random.default_rng(3)
    y = rng.choice(["a", "b"], size=400)
    proba_b = rng.choice([0.05, 0.95], size=400)
    check = check_calibration(proba_b.reshape(-1, 1), np.column_stack([1 - proba_b, proba_b]), y, ["a", "b"])
    text = model_card_markdown({"estimator": "CalibratedClassifierCV", "calibration": check.record()})
    section = text.split("## Probabilities\n\n", 1)[1]
    assert section.startswith(f"> **Warning**: {check.warning}\n\nCalibrated with sigmoid (Platt) scaling: log loss")
    assert "Log loss on 400 rows (out-of-fold predictions): raw " in section
    assert "## Probabilities" not in model_card_markdown({"estimator": "LinearRegression", "calibration": None})


def test_a_calibrated_vote_of_members_with_their_own_input_round_trips_through_skops():
    """Regression: skops storing found the vote's member pipelines only when the vote was the model step itself,
    so their pandas values were left unconverted inside a calibrated vote ("skops cannot store this pipeline")."""
    from engine.train.automl import voting_pipeline

    frame = noisy_three_classes(300)
    frame.loc[::7, "x1"] = np.nan
    recipe = validate_recipe(DEFAULT_RECIPE)
    features = feature_columns(infer_schema(frame), "label", recipe)
    X, y = frame.drop(columns="label"), frame["label"]
    vote = voting_pipeline([("extra_trees", {"n_estimators": 10}), ("linear", {})], features, recipe,
                           "classification", 0).fit(X, y)
    proba = vote.predict_proba(X)
    check = check_calibration(proba, proba, y, ["ant", "bee", "cat"])._replace(method="sigmoid")
    calibrated = calibrated_pipeline(vote, check)
    loaded = loads_skops(dumps_skops(calibrated))
    assert np.array_equal(loaded.predict_proba(X.head(50)), calibrated.predict_proba(X.head(50)))
