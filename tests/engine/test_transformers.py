"""Recipe transformers: statistics come from fit rows only, output stays a named DataFrame, nothing crashes later."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

from engine.errors import RecipeError
from engine.prepare.cleaners import DropSparseColumns, IsolationFlag, OutlierClipper, outlier_row_mask
from engine.prepare.features import DerivedFeature, FrequencyEncoder, TextTfidf
from engine.prepare.transformers import ColumnSelector, ColumnStep, DateParts, KindCaster, ModelInputGuard


@pytest.fixture
def mixed() -> pd.DataFrame:
    return pd.DataFrame({
        "city": ["a", "b", "a", None],
        "n1": [1.0, 2.0, np.nan, 4.0],
        "note": ["red car", "blue car", None, "red"],
        "flag": [True, False, True, True],
        "when": pd.to_datetime(["2024-01-01", "2024-01-03", None, "2024-01-02"]),
        "n2": [10, 20, 30, 40],
    }, index=[7, 8, 9, 10])


# -- ColumnSelector ----------------------------------------------------------------------------
@pytest.mark.parametrize(("selector", "expected"), [
    (ColumnSelector("all"), ["city", "n1", "note", "flag", "when", "n2"]),
    (ColumnSelector("numeric"), ["n1", "flag", "n2"]),
    (ColumnSelector("datetime"), ["when"]),
    (ColumnSelector("text", text_columns=("note",)), ["note"]),
    (ColumnSelector("categorical", text_columns=("note",)), ["city"]),
    (ColumnSelector(names=("n2", "gone", "city")), ["city", "n2"]),
], ids=["all", "numeric", "datetime", "text", "categorical", "names"])
def test_column_selector(mixed, selector, expected):
    assert selector(mixed) == expected


def test_column_selector_accepts_pandas_string_and_category_dtypes():
    X = pd.DataFrame({"s": pd.Series(["x"], dtype="string"), "c": pd.Series(["y"], dtype="category")})
    assert ColumnSelector("categorical")(X) == ["s", "c"]


def test_column_selector_refuses_unknown_kind_and_pickles(mixed):
    with pytest.raises(RecipeError, match="must be one of"):
        ColumnSelector("words")(mixed)
    selector = ColumnSelector("text", text_columns=["note"])
    assert pickle.loads(pickle.dumps(selector)) == selector == ColumnSelector("text", text_columns=("note",))


# -- ColumnStep --------------------------------------------------------------------------------
def test_column_step_puts_output_where_the_first_selected_column_was(mixed):
    step = ColumnStep(StandardScaler(), ColumnSelector("numeric"))
    out = step.fit_transform(mixed)
    assert out.columns.tolist() == ["city", "n1", "flag", "n2", "note", "when"]
    assert out.index.tolist() == [7, 8, 9, 10]
    assert out["n2"].round(6).tolist() == [-1.341641, -0.447214, 0.447214, 1.341641]
    assert out["note"].equals(mixed["note"])
    assert step.get_feature_names_out().tolist() == out.columns.tolist()
    assert step.columns_ == ["n1", "flag", "n2"]


def test_column_step_with_nothing_selected_passes_through(mixed):
    step = ColumnStep(StandardScaler(), ColumnSelector(names=("absent",))).fit(mixed)
    assert step.columns_ == []
    assert step.transform(mixed).equals(mixed)


def test_column_step_fit_transform_cross_fits_a_target_encoder():
    X = pd.DataFrame({"c": list("abcd") * 10})
    y = np.random.default_rng(0).integers(0, 2, size=40)
    step = ColumnStep(TargetEncoder(cv=KFold(5, shuffle=True, random_state=0)), ["c"])
    cross_fitted = step.fit_transform(X, y)
    refitted = clone(step).fit(X, y).transform(X)
    assert cross_fitted.columns.tolist() == refitted.columns.tolist() == ["c"]
    assert not np.allclose(cross_fitted["c"], refitted["c"])  # y reached fit_transform, which cross-fits


def test_column_step_densifies_sparse_output():
    X = pd.DataFrame({"c": ["a", "b", "a"], "n": [1.0, 2.0, 3.0]})
    out = ColumnStep(OneHotEncoder(), ["c"]).fit_transform(X)
    assert out.to_dict("list") == {"c_a": [1.0, 0.0, 1.0], "c_b": [0.0, 1.0, 0.0], "n": [1.0, 2.0, 3.0]}


class _ArrayDoubler(BaseEstimator):
    """A stub with no set_output: returns a numpy array."""

    def fit(self, X, y=None):
        self.n_ = X.shape[1]
        return self

    def transform(self, X):
        return np.asarray(X, dtype=float) * 2

    def get_feature_names_out(self, input_features=None):
        return np.array([f"{c}_x2" for c in input_features], dtype=object)


def test_column_step_names_numpy_output_from_the_inner_transformer():
    X = pd.DataFrame({"a": [1.0, 2.0]}, index=[5, 6])
    out = ColumnStep(_ArrayDoubler(), ["a"]).fit(X).transform(X)
    assert out.to_dict("index") == {5: {"a_x2": 2.0}, 6: {"a_x2": 4.0}}


def test_column_step_refuses_name_clashes_and_missing_columns():
    X = pd.DataFrame({"c": ["a", "b"], "c_freq": [1.0, 2.0]})
    with pytest.raises(RecipeError, match=r"step 2 \(Encode\) makes columns \['c_freq'\] that already exist"):
        ColumnStep(FrequencyEncoder(), ["c"], label="step 2 (Encode)").fit(X)
    step = ColumnStep(FrequencyEncoder(), ["c"], label="step 2").fit(X[["c"]])
    with pytest.raises(RecipeError, match=r"step 2 needs columns \['c'\]"):
        step.transform(X[["c_freq"]])


# -- ModelInputGuard ---------------------------------------------------------------------------
def test_model_input_guard_fills_with_training_medians():
    train = pd.DataFrame({"a": [1.0, 2.0, 10.0, np.inf], "b": [np.nan] * 4, "t": [True, False, True, True]})
    guard = ModelInputGuard().fit(train)
    assert guard.fill_values_.to_dict() == {"a": 2.0, "b": 0.0, "t": 1.0}
    out = guard.transform(pd.DataFrame({"t": [False, True], "a": [np.nan, -np.inf], "b": [5.0, np.nan]}))
    assert out.columns.tolist() == ["a", "b", "t"]
    assert out.to_dict("list") == {"a": [2.0, 2.0], "b": [5.0, 0.0], "t": [0.0, 1.0]}
    assert out.dtypes.eq("float64").all()


def test_model_input_guard_refuses_text_empty_and_missing_columns():
    with pytest.raises(RecipeError, match=r"Columns \['city'\] still hold text when they reach the model; add an"):
        ModelInputGuard().fit(pd.DataFrame({"n": [1.0], "city": ["x"]}))
    with pytest.raises(RecipeError, match=r"Columns \['d'\] still hold dates .* add a Date parts step"):
        ModelInputGuard().fit(pd.DataFrame({"d": pd.to_datetime(["2024-01-01"])}))
    with pytest.raises(RecipeError, match="No columns are left for the model"):
        ModelInputGuard().fit(pd.DataFrame(index=[0, 1]))
    guard = ModelInputGuard().fit(pd.DataFrame({"n": [1.0]}))
    with pytest.raises(RecipeError, match=r"needs columns \['n'\]"):
        guard.transform(pd.DataFrame({"m": [1.0]}))


# -- DateParts ---------------------------------------------------------------------------------
def test_date_parts_hour_and_elapsed_days_from_strings():
    train = pd.DataFrame({"d": ["2024-01-02 05:00", "2024-01-01 10:30"]})
    parts = DateParts(parts=("hour", "elapsed_days")).fit(train)
    assert parts.reference_ == {"d": pd.Timestamp("2024-01-01 10:30")}
    out = parts.transform(pd.DataFrame({"d": ["2024-01-03 10:30", None, "junk"]}, index=[3, 4, 5]))
    assert out.columns.tolist() == ["d_hour", "d_elapsed_days"] == parts.get_feature_names_out().tolist()
    assert out.loc[3].tolist() == [10.0, 2.0]
    assert out.loc[[4, 5]].isna().all().all()


def test_date_parts_refuses_unknown_parts():
    with pytest.raises(RecipeError, match="'parts' parameter of DateParts"):
        DateParts(parts=("week",)).fit(pd.DataFrame({"d": ["2024-01-01"]}))


# -- cleaners ----------------------------------------------------------------------------------
def test_drop_sparse_columns():
    train = pd.DataFrame({"full": [1, 2, 3, 4], "half": [1, None, 3, None], "sparse": [None, None, None, 4]})
    step = DropSparseColumns(threshold=0.5).fit(train)
    assert step.dropped_ == ["sparse"]
    assert step.transform(pd.DataFrame({"sparse": [1], "half": [2], "full": [3]})).columns.tolist() == ["full", "half"]
    for bad in (0, 1.5, True, "x"):
        with pytest.raises(RecipeError, match=r"must be a number in \(0, 1\]"):
            DropSparseColumns(threshold=bad).fit(train)


def test_outlier_clipper_learns_iqr_bounds_from_training_rows_only():
    train = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0, 100.0, np.nan]})
    clipper = OutlierClipper(method="iqr", factor=2.0).fit(train)
    q1, q3 = np.quantile([1.0, 2.0, 3.0, 4.0, 5.0, 100.0], [0.25, 0.75])
    assert (clipper.lower_["a"], clipper.upper_["a"]) == (q1 - 2 * (q3 - q1), q3 + 2 * (q3 - q1))
    out = clipper.transform(pd.DataFrame({"a": [-1000.0, 3.0, np.nan, 1000.0]}))
    assert out["a"].tolist()[:2] == [q1 - 2 * (q3 - q1), 3.0]
    assert np.isnan(out["a"].iloc[2]) and out["a"].iloc[3] == q3 + 2 * (q3 - q1)


def test_outlier_clipper_zscore_and_errors():
    clipper = OutlierClipper(method="zscore").fit(pd.DataFrame({"a": [1.0, 3.0]}))
    assert (clipper.lower_["a"], clipper.upper_["a"]) == (-1.0, 5.0)  # mean 2, population std 1, factor 3
    with pytest.raises(RecipeError, match="'method' parameter of OutlierClipper"):
        OutlierClipper(method="mad").fit(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(RecipeError, match=r"columns \['c'\] hold text"):
        OutlierClipper().fit(pd.DataFrame({"c": ["x"]}))


def test_isolation_flag_adds_a_flag_column():
    train = pd.DataFrame({"a": [1.0, 1.1, 0.9, 1.0, 1.05, 0.95, 50.0, np.nan], "b": [1, 2, 1, 2, 1, 2, 1, 2]})
    flag = IsolationFlag(contamination=0.125).fit(train)
    out = flag.transform(pd.DataFrame({"a": [np.nan, 80.0, np.inf], "b": [1, 1, 1]}))
    assert out.columns.tolist() == ["a", "b", "outlier_flag"]
    assert out["outlier_flag"].tolist() == [0.0, 1.0, 0.0]  # missing and infinite values count as the median
    assert np.isnan(out["a"].iloc[0])


@pytest.mark.parametrize(("method", "factor"), [("iqr", None), ("zscore", 2.0), ("isolation_forest", None)])
def test_outlier_row_mask_drops_only_the_extreme_row(method, factor):
    frame = pd.DataFrame({"a": [1.0, 2.0] * 10 + [90.0], "t": list("xy") * 10 + ["z"]})
    assert np.flatnonzero(outlier_row_mask(frame, method, factor)).tolist() == [20]


def test_outlier_row_mask_uses_the_factor():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0, 8.0]})  # Q1 2.25, Q3 4.75, IQR 2.5
    assert outlier_row_mask(frame, "iqr", 1.5).tolist() == [False] * 6
    assert outlier_row_mask(frame, "iqr", 1.0).tolist() == [False] * 5 + [True]


def test_outlier_row_mask_refuses_unknown_method():
    with pytest.raises(RecipeError, match="must be one of"):
        outlier_row_mask(pd.DataFrame({"a": [1.0]}), "mad", None)


# -- features ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("op", "right", "name", "values"), [
    ("add", "b", "a_plus_b", [2.0, -2.0, 6.0, np.nan]),
    ("subtract", "b", "a_minus_b", [-2.0, -2.0, 2.0, np.nan]),
    ("multiply", "b", "a_times_b", [0.0, 0.0, 8.0, np.nan]),
    ("divide", "b", "a_div_b", [0.0, np.nan, 2.0, np.nan]),
    ("log", None, "log_a", [np.nan, np.nan, np.log(4.0), np.nan]),
    ("log1p", None, "log1p_a", [0.0, np.nan, np.log(5.0), np.nan]),
    ("square", None, "a_squared", [0.0, 4.0, 16.0, np.nan]),
    ("sqrt", None, "sqrt_a", [0.0, np.nan, 2.0, np.nan]),
    ("abs", None, "abs_a", [0.0, 2.0, 4.0, np.nan]),
], ids=lambda v: v if isinstance(v, str) else None)
def test_derived_feature_ops(op, right, name, values):
    X = pd.DataFrame({"a": [0.0, -2.0, 4.0, np.nan], "b": [2, 0, 2, 1]})
    out = DerivedFeature(op, "a", right).fit_transform(X)
    assert out.columns.tolist() == ["a", "b", name]
    np.testing.assert_array_equal(out[name].to_numpy(), values)


def test_derived_feature_bins_learn_edges_on_training_values():
    feature = DerivedFeature("bin", "a", bins=4, name="a_band").fit(pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6, 7, 8, 9]}))
    assert feature.edges_.tolist() == [3.0, 5.0, 7.0]
    out = feature.transform(pd.DataFrame({"a": [-50.0, 3.0, 6.5, 99.0, np.nan]}))
    np.testing.assert_array_equal(out["a_band"].to_numpy(), [0.0, 1.0, 2.0, 3.0, np.nan])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"op": "divide", "left": "a"}, "needs a second column"),
    ({"op": "log", "left": "a", "right": "a"}, "uses one column"),
    ({"op": "pow", "left": "a"}, "'op' parameter"),
    ({"op": "log", "left": "t"}, r"columns \['t'\] hold text"),
    ({"op": "log", "left": "zz"}, r"needs columns \['zz'\], but they are not there at this point"),
    ({"op": "log", "left": "a", "name": "t"}, "'t' already exists"),
    ({"op": "bin", "left": "a", "bins": 1}, "'bins' parameter"),
])
def test_derived_feature_errors(kwargs, message):
    with pytest.raises(RecipeError, match=message):
        DerivedFeature(**kwargs).fit(pd.DataFrame({"a": [1.0], "t": ["x"]}))


def test_frequency_encoder_shares_missing_and_unseen():
    encoder = FrequencyEncoder().fit(pd.DataFrame({"c": ["a", "a", "b", None]}))
    out = encoder.transform(pd.DataFrame({"c": ["b", "zzz", None, "a"]}, index=[1, 2, 3, 4]))
    assert out.to_dict("index") == {1: {"c_freq": 0.25}, 2: {"c_freq": 0.0}, 3: {"c_freq": 0.25},
                                    4: {"c_freq": 0.5}}


def test_text_tfidf_names_columns_and_skips_wordless_columns():
    train = pd.DataFrame({"note": ["red car", "blue car", "red", None], "empty": ["", None, "!", "?"]})
    tfidf = TextTfidf(max_features=2).fit(train)
    out = tfidf.transform(pd.DataFrame({"note": ["car", None, "green"], "empty": ["car", "x", None]}))
    assert out.columns.tolist() == ["note_tfidf_car", "note_tfidf_red"]
    assert out.to_numpy().tolist() == [[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
    with pytest.raises(RecipeError, match="must be an int >= 1"):
        TextTfidf(max_features=0).fit(train)


# -- the scikit-learn contract, for every class ------------------------------------------------
CONTRACT = [
    (KindCaster(columns=[("n1", "numeric"), ("city", "categorical")]), ["n1", "city"]),
    (ColumnStep(StandardScaler(), ColumnSelector("numeric"), label="scale"), None),
    (ModelInputGuard(), ["n1", "n2", "flag"]),
    (DateParts(parts=("year", "elapsed_days")), ["when"]),
    (DropSparseColumns(threshold=0.2), ["n1", "n2"]),
    (OutlierClipper(method="zscore", factor=1.0), ["n1", "n2"]),
    (IsolationFlag(), ["n1", "n2"]),
    (DerivedFeature("divide", "n2", "n1"), ["n1", "n2"]),
    (FrequencyEncoder(), ["city"]),
    (TextTfidf(max_features=3), ["note"]),
]


@pytest.mark.parametrize(("estimator", "columns"), CONTRACT, ids=lambda v: type(v).__name__ if v else None)
def test_sklearn_contract(mixed, estimator, columns):
    X = mixed if columns is None else mixed[columns]
    twin = clone(estimator)
    assert twin.get_params().keys() == estimator.get_params().keys()
    out = Pipeline([("t", twin)]).set_output(transform="pandas").fit(X).transform(X)
    assert isinstance(out, pd.DataFrame) and out.index.equals(X.index)
    assert twin.get_feature_names_out().tolist() == out.columns.tolist()
    assert twin.n_features_in_ == len(X.columns)
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(twin)).transform(X), out)


def test_full_pipeline_with_unseen_categories_and_gaps():
    train = pd.DataFrame({"n": ["1", "2", None, "4"], "c": ["a", "b", "a", None]})
    pipe = Pipeline([
        ("cast", KindCaster(columns=[("n", "numeric"), ("c", "categorical")])),
        ("impute", ColumnStep(SimpleImputer(strategy="most_frequent"), ColumnSelector("categorical"))),
        ("encode", ColumnStep(OneHotEncoder(sparse_output=False, handle_unknown="infrequent_if_exist"),
                              ColumnSelector("categorical"))),
        ("guard", ModelInputGuard()),
    ]).set_output(transform="pandas")
    assert pipe.fit_transform(train).columns.tolist() == ["n", "c_a", "c_b"]
    out = pipe.transform(pd.DataFrame({"n": ["x", "3"], "c": ["zzz", None]}, index=[10, 11]))
    assert out.index.tolist() == [10, 11]
    assert out.to_dict("list") == {"n": [2.0, 3.0], "c_a": [0.0, 1.0], "c_b": [0.0, 0.0]}


def test_numeric_frame_reads_infinity_as_missing_and_names_text_columns():
    from engine.prepare.transformers import numeric_frame

    frame = numeric_frame(pd.DataFrame({"a": [1, np.inf, -np.inf], "b": [True, False, True]}), "PCA")
    assert frame["a"].isna().tolist() == [False, True, True] and frame["b"].tolist() == [1.0, 0.0, 1.0]
    with pytest.raises(RecipeError, match=r"Clip outliers works on numbers, but columns \['c'\] hold text"):
        numeric_frame(pd.DataFrame({"c": ["x"]}), "Clip outliers")
    with pytest.raises(RecipeError, match="PCA has no columns to work on"):
        numeric_frame(pd.DataFrame(index=[0]), "PCA")


def test_kind_caster_reads_infinite_numbers_as_missing():
    caster = KindCaster(columns=[("n", "numeric"), ("c", "categorical")]).fit(None)
    out = caster.transform(pd.DataFrame({"n": [np.inf, "-inf", 2.0], "c": ["inf", "x", None]}))
    assert out["n"].isna().tolist() == [True, True, False]
    assert out["c"].tolist()[:2] == ["inf", "x"]


def test_every_step_transformer_reports_its_columns_through_the_base_class():
    from engine.prepare.selection import PCAReducer
    from engine.prepare.transformers import FrameTransformer

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.0, 1.0, 0.0, 1.0]})
    for transformer, names in [(OutlierClipper(), ["a", "b"]), (DropSparseColumns(), ["a", "b"]),
                               (DerivedFeature("add", "a", "b"), ["a", "b", "a_plus_b"]),
                               (PCAReducer(n_components=1), ["pc1"])]:
        assert isinstance(transformer, FrameTransformer)
        fitted = transformer.fit(X)
        assert list(fitted.get_feature_names_out()) == names and fitted.n_features_in_ == 2
        with pytest.raises(RecipeError, match=r"needs columns \['b'\]"):
            fitted.transform(X[["a"]])


def test_outlier_clipper_leaves_infinity_missing_rather_than_clipping_it():
    clipper = OutlierClipper().fit(pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 100.0]}))
    out = clipper.transform(pd.DataFrame({"a": [np.inf, -np.inf, 100.0]}))["a"]
    assert out.isna().tolist() == [True, True, False] and out.iloc[2] == 7.0


# -- FramePipeline: arrays between the stages, the values of Pipeline's own transform -----------------------------

RAW = pd.DataFrame({
    "age": [30.0, np.nan, 41.0, np.inf, 52.0, 28.0, 35.0, 60.0],
    "plan": ["basic", "pro", None, "pro", "team", "basic", "pro", "team"],
    "member": ["yes", "no", "yes", None, "no", "yes", "no", "yes"],
    "signup": ["2024-01-05", "2024-02-11", None, "2024-03-01", "2024-03-09", "2024-04-20", "2024-05-02",
               "2024-06-30"],
    "visits": [3, 8, 1, 5, 9, 2, 7, 4],
})
KINDS = [("age", "numeric"), ("plan", "categorical"), ("member", "boolean"), ("signup", "datetime"),
         ("visits", "numeric")]


def _frame_pipeline(*stages) -> Pipeline:
    from engine.prepare.transformers import FramePipeline

    return FramePipeline([("cast", KindCaster(KINDS)), *stages, ("guard", ModelInputGuard())])


def _steps():
    return [("dates", ColumnStep(DateParts(parts=("year", "month")), ColumnSelector("datetime"))),
            ("fill", ColumnStep(SimpleImputer(strategy="median"), ColumnSelector("numeric"))),
            ("fill_plan", ColumnStep(SimpleImputer(strategy="most_frequent"), ColumnSelector("categorical"))),
            ("scale", ColumnStep(StandardScaler(), ColumnSelector("numeric"))),
            ("encode", ColumnStep(OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                                  ColumnSelector("categorical")))]


@pytest.mark.parametrize("new", [
    RAW.iloc[[2]],
    pd.DataFrame({"age": ["41"], "plan": ["never seen"], "member": [None], "signup": ["not a date"],
                  "visits": [-np.inf]}),
    pd.DataFrame({"plan": [None], "age": [None]}),  # columns missing and out of order
    RAW.iloc[::-1].set_index(pd.Index(list("abcdefgh"))),
], ids=["training-row", "raw-text-and-unseen", "missing-columns", "batch-with-index"])
def test_frame_pipeline_transform_equals_a_plain_pipeline_column_for_column(new):
    fast = _frame_pipeline(*_steps()).set_output(transform="pandas").fit(RAW)
    plain = Pipeline(fast.steps).set_output(transform="pandas")  # the same fitted stages, one DataFrame per stage
    expected = plain.transform(new)
    got = fast.transform(new)
    assert list(got.columns) == list(expected.columns) == [
        "age", "member", "signup_year", "signup_month", "visits", "plan_basic", "plan_pro", "plan_team"]
    assert got.index.tolist() == expected.index.tolist() == new.index.tolist()
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


def test_frame_pipeline_gives_the_model_an_array_when_set_to_default_output():
    fast = _frame_pipeline(*_steps()).set_output(transform="default").fit(RAW)
    out = fast.transform(RAW.head(2))
    assert isinstance(out, np.ndarray) and out.shape == (2, 8)
    assert fast.steps[1][1].array_input_ is False and fast.steps[2][1].array_input_ is True  # DateParts: a frame
    assert not hasattr(fast.steps[2][1].transformer_, "feature_names_in_")  # the imputer was fitted on an array


@pytest.mark.parametrize(("values", "kind"), [
    (pd.Series([1.5, np.inf, None]), "numeric"),
    (pd.Series([1, 2, 3]), "numeric"),
    (pd.Series(["1.5", "x", None], dtype=object), "numeric"),
    (pd.Series([True, False]), "boolean"),
    (pd.Series(["yes", "no", None, "maybe"], dtype=object), "boolean"),
    (pd.Series(["a", None, "b"], dtype=object), "categorical"),
    (pd.Series(["a", None, "b"], dtype="str"), "categorical"),
    (pd.Series([3.0, np.nan, 12.5]), "categorical"),
    (pd.Series([1, "a", None], dtype=object), "categorical"),
    (pd.Series(["2024-01-02", None], dtype=object), "datetime"),
], ids=lambda v: v if isinstance(v, str) else str(v.dtype))
def test_cast_column_gives_the_values_of_convert_series(values, kind):
    from engine.data.schema import convert_series
    from engine.prepare.transformers import cast_column

    expected = convert_series(values, kind)
    if kind == "numeric":
        expected = expected.where(~np.isinf(expected), np.nan)
    got = cast_column(values, kind)
    assert got.dtype == expected.to_numpy().dtype
    assert pd.Series(got).equals(pd.Series(expected.to_numpy()))


@pytest.mark.parametrize("unit", ["ns", "us", "s"])
def test_date_parts_of_arrays_equal_pandas_calendar(unit):
    dates = pd.Series(pd.to_datetime(["2024-02-29 23:59:59", "1969-12-31 01:00:00", "1900-03-01 12:30:00", None,
                                      "2026-12-07 18:05:00", "1970-01-01 00:00:00"])).astype(f"datetime64[{unit}]")
    parts = ("year", "month", "day", "dayofweek", "hour")
    step = DateParts(parts=parts).fit(pd.DataFrame({"d": dates}))
    expected = step.transform(pd.DataFrame({"d": dates}))
    got = step._transform_columns({"d": dates.to_numpy()})
    assert list(got) == list(expected.columns)
    for name in expected.columns:
        np.testing.assert_array_equal(got[name], expected[name].to_numpy())
