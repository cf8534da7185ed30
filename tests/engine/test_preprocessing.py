"""Compiled recipes: learned statistics come from the training rows only; raw, messy rows score."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.utils.validation import check_is_fitted

from engine import (
    DEFAULT_RECIPE,
    ColumnError,
    ColumnInfo,
    EmptyDataError,
    RecipeError,
    build_pipeline,
    build_preprocessor,
    check_input,
    feature_columns,
    infer_schema,
    predict_frame,
)
from engine.prepare.transformers import DateParts, KindCaster


@pytest.fixture
def frame() -> pd.DataFrame:
    """Six rows: the first four are 'training', the last two hold extreme values."""
    return pd.DataFrame({
        "num": [1.0, 2.0, np.nan, 4.0, 100.0, 600.0],
        "cat": ["a", "a", None, "b", "c", "c"],
        "when": ["2024-01-01", "2024-02-01", "2024-03-01", None, "2024-05-01", "2024-06-01"],
        "flag": ["yes", "no", "yes", "no", None, "yes"],
        "y": ["p", "q", "p", "q", "p", "q"],
    })


def _features(frame):
    return feature_columns(infer_schema(frame), "y", DEFAULT_RECIPE)


def _step(preprocessor, name: str):
    """The fitted scikit-learn object inside one compiled step, e.g. ``s2_impute``."""
    return preprocessor.named_steps[name].transformer_


def test_feature_columns_leave_out_target_dropped_and_identifiers():
    schema = [ColumnInfo("id", "identifier", "int64", 0, 9), ColumnInfo("a", "numeric", "int64", 0, 3),
              ColumnInfo("b", "categorical", "str", 0, 2), ColumnInfo("y", "categorical", "str", 0, 2)]
    names = [c.name for c in feature_columns(schema, "y", {"drop_columns": ["b"]})]
    assert names == ["a"]


def test_imputer_statistics_come_from_training_rows_only(frame):
    train = frame.iloc[:4]
    preprocessor = build_preprocessor(_features(frame), DEFAULT_RECIPE).fit(train)
    # num over rows 0-3 is [1, 2, nan, 4]: median 2 (the 100 and 600 of later rows do not count)
    # flag over rows 0-3 is yes/no/yes/no = 1, 0, 1, 0: median 0.5; date parts sit between them
    impute = _step(preprocessor, "s2_impute")
    assert preprocessor.named_steps["s2_impute"].columns_ == ["num", "when_year", "when_month", "when_day",
                                                              "when_dayofweek", "flag"]
    assert impute.statistics_[[0, -1]].tolist() == [2.0, 0.5]
    assert _step(preprocessor, "s4_scale").mean_[[0, -1]].tolist() == [2.25, 0.5]  # after imputing: 1, 2, 2, 4
    assert _step(preprocessor, "s3_impute").statistics_.tolist() == ["a"]
    assert _step(preprocessor, "s5_encode").categories_[0].tolist() == ["a", "b"]


@pytest.mark.parametrize(
    ("impute", "expected"),
    [("median", 2.0), ("mean", 7 / 3), ("zero", 0.0), ("most_frequent", 1.0)],
)
def test_numeric_impute_choices(impute, expected):
    features = [ColumnInfo("n", "numeric", "float64", 1, 3)]
    recipe = {"numeric": {"impute": impute, "scale": "none"}}
    preprocessor = build_preprocessor(features, recipe).fit(pd.DataFrame({"n": [1.0, 2.0, 4.0, np.nan]}))
    assert preprocessor.transform(pd.DataFrame({"n": [np.nan]})).iloc[0, 0] == pytest.approx(expected)


def test_missing_categories_become_their_own_level_with_constant_impute():
    features = [ColumnInfo("c", "categorical", "str", 2, 2)]
    recipe = {"categorical": {"impute": "constant"}}
    train = pd.DataFrame({"c": ["a", None, "b", np.nan, "b", "b"]})
    preprocessor = build_preprocessor(features, recipe).fit(train)
    assert _step(preprocessor, "s6_encode").categories_[0].tolist() == ["(missing)", "a", "b"]
    out = preprocessor.transform(pd.DataFrame({"c": [None]}))
    assert out.iloc[0].tolist() == [1.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("scale", "expected"),
    [("standard", [-1.0, 1.0]), ("minmax", [0.0, 1.0]), ("robust", [-1.0, 1.0]), ("none", [2.0, 4.0])],
)
def test_scalers(scale, expected):
    features = [ColumnInfo("n", "numeric", "float64", 0, 2)]
    preprocessor = build_preprocessor(features, {"numeric": {"scale": scale}}).fit(pd.DataFrame({"n": [2.0, 4.0]}))
    assert preprocessor.transform(pd.DataFrame({"n": [2.0, 4.0]}))["n"].tolist() == expected


def test_output_columns_are_named(frame):
    preprocessor = build_preprocessor(_features(frame), DEFAULT_RECIPE).fit(frame)
    assert list(preprocessor.transform(frame).columns) == [
        "num", "when_year", "when_month", "when_day", "when_dayofweek", "flag", "cat_a", "cat_b", "cat_c",
    ]


def test_unseen_category_and_missing_values_at_predict_time_do_not_crash(frame):
    pipeline = build_pipeline(_features(frame), DEFAULT_RECIPE, LogisticRegression()).fit(frame, frame["y"])
    new = pd.DataFrame({"num": [np.nan], "cat": ["never seen"], "when": ["not a date"], "flag": ["maybe"]})
    assert pipeline.predict(new)[0] in {"p", "q"}
    assert pipeline.predict_proba(new).sum() == pytest.approx(1.0)
    encoded = pipeline.named_steps["prepare"].set_output(transform="pandas").transform(new)
    assert encoded[["cat_a", "cat_b", "cat_c"]].iloc[0].tolist() == [0, 0, 0]


def test_ordinal_encoding_marks_unseen_as_minus_one(frame):
    recipe = {"categorical": {"encode": "ordinal"}}
    preprocessor = build_preprocessor(feature_columns(infer_schema(frame), "y", recipe), recipe).fit(frame)
    out = preprocessor.transform(pd.DataFrame({"cat": ["b", "zzz"]}))
    assert out["cat"].tolist() == [1.0, -1.0]


def test_absent_and_extra_columns_are_tolerated(frame):
    pipeline = build_pipeline(_features(frame), DEFAULT_RECIPE, DummyClassifier()).fit(frame, frame["y"])
    assert pipeline.predict(pd.DataFrame({"num": [3.0], "unrelated": ["x"]})).tolist() == ["p"]


def test_text_in_a_numeric_column_becomes_missing_and_is_imputed():
    features = [ColumnInfo("n", "numeric", "str", 0, 4)]
    recipe = {"numeric": {"scale": "none"}}
    preprocessor = build_preprocessor(features, recipe).fit(pd.DataFrame({"n": ["1", "3", "oops", "5"]}))
    assert _step(preprocessor, "s2_impute").statistics_.tolist() == [3.0]
    assert preprocessor.transform(pd.DataFrame({"n": ["oops"]})).iloc[0, 0] == 3.0


def test_all_missing_label_column_fits_with_either_impute():
    features = [ColumnInfo("c", "categorical", "float64", 4, 0), ColumnInfo("n", "numeric", "float64", 0, 4)]
    rows = pd.DataFrame({"c": [np.nan] * 4, "n": [1.0, 2.0, 3.0, 4.0]})
    for impute in ("most_frequent", "constant"):
        recipe = {"categorical": {"impute": impute}}
        assert build_preprocessor(features, recipe).fit(rows).transform(rows).shape[0] == 4


def test_pipeline_clones_and_pickles(frame):
    pipeline = build_pipeline(_features(frame), DEFAULT_RECIPE, LogisticRegression())
    unfitted = clone(pipeline)
    assert unfitted.get_params()["prepare__cast__columns"] == pipeline.get_params()["prepare__cast__columns"]
    pipeline.fit(frame, frame["y"])
    restored = pickle.loads(pickle.dumps(pipeline))
    assert restored.predict(frame).tolist() == pipeline.predict(frame).tolist()
    refit = clone(pipeline).fit(frame, frame["y"])
    assert refit.predict_proba(frame) == pytest.approx(pipeline.predict_proba(frame))


def test_no_features_is_a_recipe_error():
    with pytest.raises(RecipeError, match="No feature columns are left; keep at least one column besides the target."):
        build_preprocessor([], DEFAULT_RECIPE)


def test_invalid_recipe_is_refused_when_compiling():
    with pytest.raises(RecipeError, match="The 'method' parameter of step 'scale' must be one of"):
        build_preprocessor([ColumnInfo("n", "numeric", "float64", 0, 2)],
                           {"steps": [{"type": "scale", "params": {"method": "log"}}]})


# -- transformers ------------------------------------------------------------------------------
def test_kind_caster_follows_the_sklearn_contract():
    caster = KindCaster(columns=[("n", "numeric"), ("c", "categorical")])
    assert caster.get_params() == {"columns": [("n", "numeric"), ("c", "categorical")]}
    with pytest.raises(Exception, match="not fitted"):
        caster.transform(pd.DataFrame({"n": [1]}))
    fitted = caster.fit(pd.DataFrame({"n": ["1"], "c": [2]}))
    assert fitted is caster
    check_is_fitted(caster)
    assert caster.get_feature_names_out().tolist() == ["n", "c"]
    out = caster.transform(pd.DataFrame({"n": ["1.5"], "c": [2]}))
    assert out.to_dict("list") == {"n": [1.5], "c": ["2"]}


def test_kind_caster_accepts_arrays():
    caster = KindCaster(columns=[("n", "numeric")]).fit(None)
    assert caster.transform(np.array([["4"]])).to_dict("list") == {"n": [4.0]}


def test_date_parts():
    parts = DateParts().fit(pd.DataFrame({"d": pd.to_datetime(["2024-02-29"])}))
    out = parts.transform(pd.DataFrame({"d": pd.to_datetime(["2024-02-29", None])}))
    assert out.iloc[0].tolist() == [2024.0, 2.0, 29.0, 3.0]  # a Thursday
    assert out.iloc[1].isna().all()
    assert parts.get_feature_names_out().tolist() == ["d_year", "d_month", "d_day", "d_dayofweek"]


# -- scoring -----------------------------------------------------------------------------------
FEATURES = [{"name": "num", "kind": "numeric"}, {"name": "cat", "kind": "categorical"}]


def test_check_input_notes_gaps_and_refuses_missing_columns():
    notes = check_input(pd.DataFrame({"num": [1.0, np.nan], "cat": [None, None]}), FEATURES)
    assert notes == ["Missing values are filled as in training: 'num' (1 row), 'cat' (2 rows)."]
    with pytest.raises(ColumnError, match=r"The data lacks 1 column\(s\) the model needs: \['cat'\]; add them"):
        check_input(pd.DataFrame({"num": [1.0]}), FEATURES)
    with pytest.raises(EmptyDataError, match="The file to score has no rows."):
        check_input(pd.DataFrame({"num": [], "cat": []}), FEATURES)


def test_predict_frame_keeps_input_order_and_names_probabilities(frame):
    pipeline = build_pipeline(_features(frame), DEFAULT_RECIPE, LogisticRegression()).fit(frame, frame["y"])
    features = [c.to_dict() for c in _features(frame)]
    shuffled = frame.iloc[[5, 0, 3]].set_index(pd.Index([10, 20, 30]))
    out = predict_frame(pipeline, shuffled, features, "classification")
    assert list(out.columns) == ["prediction", "proba_p", "proba_q"]
    assert out.index.tolist() == [0, 1, 2]
    assert out["prediction"].tolist() == pipeline.predict(shuffled).tolist()
    assert (out["proba_p"] + out["proba_q"]).tolist() == pytest.approx([1.0, 1.0, 1.0])


def test_predict_frame_for_regression_has_no_probabilities():
    features = [ColumnInfo("x", "numeric", "float64", 0, 4)]
    rows = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    pipeline = build_pipeline(features, {"numeric": {"scale": "none"}}, LinearRegression()).fit(rows, 2 * rows["x"])
    out = predict_frame(pipeline, pd.DataFrame({"x": [10.0]}), [f.to_dict() for f in features], "regression")
    assert out.columns.tolist() == ["prediction"]
    assert out["prediction"].tolist() == pytest.approx([20.0])
