"""Permutation importance, partial dependence and learning curves on small data made to have an answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.svm import LinearSVC

from engine.errors import ModelError
from engine.evaluate import plots as ep
from engine.evaluate.explain import (
    explain_rows,
    importance_table,
    learning_curve_info,
    partial_dependence_info,
    spread_rows,
)


@pytest.fixture
def data() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """``signal`` decides the target, ``noise`` and ``colour`` do not."""
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame({"noise": rng.normal(size=n), "signal": rng.normal(size=n),
                      "colour": rng.choice(["red", "blue"], n)})
    y_class = pd.Series(np.where(X["signal"] + 0.2 * rng.normal(size=n) > 0, "yes", "no"))
    y_value = 3 * X["signal"] + 0.1 * rng.normal(size=n)
    return X, y_class, y_value


def _pipeline(model) -> Pipeline:
    prep = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["colour"])], remainder="passthrough")
    return Pipeline([("prep", prep), ("model", model)])


def test_permutation_importance_ranks_the_informative_column_first(data):
    X, y, _ = data
    model = _pipeline(LogisticRegression()).fit(X, y)
    table = importance_table(model, X, y, "accuracy", max_rows=200)
    assert table["column"].tolist()[0] == "signal"
    assert table["importance"].iloc[0] > 0.3 > table["importance"].iloc[1:].abs().max()
    assert table["rows"].iloc[0] == 200
    assert ep.importance_figure(table, "Accuracy").data[0].y[-1] == "signal"  # largest drawn on top


def test_partial_dependence_of_a_monotone_model_increases(data):
    X, y_class, y_value = data
    regression = _pipeline(LinearRegression()).fit(X, y_value)
    info = partial_dependence_info(regression, X, "signal", "regression", max_rows=100)
    assert len(info.grid) == 20 and info.n_rows == 100 and info.n_total == 300
    assert np.all(np.diff(info.curves["prediction"]) > 0)
    classifier = _pipeline(LogisticRegression()).fit(X, y_class)
    info = partial_dependence_info(classifier, X, "signal", "classification")
    assert list(info.curves) == ["P(yes)"] and np.all(np.diff(info.curves["P(yes)"]) > 0)
    figure = ep.partial_dependence_figure(info)
    assert figure.layout.title.text == "Partial dependence on signal"  # every row used: no sampling note
    with pytest.raises(ModelError, match="no numeric values"):
        partial_dependence_info(classifier, X.assign(noise=np.nan), "noise", "classification")


def test_learning_curve_scores_grow_with_rows(data):
    X, _, y_value = data
    reported = []
    info = learning_curve_info(_pipeline(LinearRegression()), X, y_value, "regression", "rmse", max_rows=150,
                               progress=lambda done, total: reported.append((done, total)))
    assert reported == [(1, 3), (2, 3), (3, 3)]  # once per fold, so a page can show how far it got
    assert len(info.sizes) == 5 and info.sizes == sorted(info.sizes) and info.sizes[-1] == 100
    assert all(v > 0 for v in info.valid_mean)  # rmse comes back positive, not as sklearn's negative score
    assert info.valid_mean[-1] < 0.2 and (info.n_rows, info.n_total) == (150, 300)
    assert ep.learning_curve_figure(info, "RMSE").layout.title.text == "Learning curve (RMSE) (150 of 300 rows sampled)"


def test_learning_curve_needs_enough_rows_per_class(data):
    X, y, _ = data
    y = y.copy()
    y.iloc[:] = "no"
    y.iloc[0] = "yes"
    with pytest.raises(ModelError, match="only 1 row"):
        learning_curve_info(_pipeline(LogisticRegression()), X, y, "classification", "accuracy")


def test_row_explanations_of_a_linear_model_are_coefficient_times_distance_to_the_background(data):
    X, y_class, y_value = data
    regression = _pipeline(LinearRegression()).fit(X, y_value)
    coefficient = regression[-1].coef_[-1]  # 'signal' comes last out of the ColumnTransformer
    [row] = explain_rows(regression, X, [7], "regression", background_rows=300)
    assert (row.row, row.output, list(row.contributions)[0]) == (7, "prediction", "signal")
    expected = coefficient * (X["signal"].iloc[7] - X["signal"].mean())
    assert row.contributions["signal"] == pytest.approx(expected)
    assert abs(row.contributions["noise"]) < 0.05 * abs(expected)
    assert row.prediction - row.average == pytest.approx(sum(row.contributions.values()))  # additive: linear

    classifier = _pipeline(LogisticRegression()).fit(X, y_class)
    low, high = spread_rows(classifier, X, "classification", n=2)
    explained = explain_rows(classifier, X, [low, high], "classification", y=y_class, columns=["signal", "colour"])
    assert [e.actual for e in explained] == ["no", "yes"] and explained[1].values["signal"] == X["signal"].iloc[high]
    assert [e.output for e in explained] == ["P(yes)", "P(yes)"]
    assert explained[0].prediction < 0.05 < 0.95 < explained[1].prediction
    assert explained[0].contributions["signal"] < 0 < explained[1].contributions["signal"]
    assert list(explained[1].contributions) == ["signal", "colour"]
    with pytest.raises(ModelError, match=r"Columns \['nope'\] are not inputs"):
        explain_rows(classifier, X, [0], "classification", columns=["nope"])
    hard = _pipeline(LinearSVC()).fit(X, y_class)  # decides classes without probabilities
    with pytest.raises(ModelError, match="gives no probabilities"):
        explain_rows(hard, X, [0], "classification")


def test_spread_rows_span_the_predictions_lowest_to_highest():
    X = pd.DataFrame({"x": [0.5, 0.1, 0.9, 0.3, 0.7, 0.2]})
    model = LinearRegression().fit(X, X["x"])
    assert spread_rows(model, X, "regression", n=3) == [1, 3, 2]  # 0.1, 0.3 (of 0.3 and 0.5), 0.9
    assert spread_rows(model, X.head(2), "regression", n=5) == [1, 0]
