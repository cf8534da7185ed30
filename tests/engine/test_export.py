"""skops and ONNX exports of workbench pipelines, and the Markdown model card, on small hand-built frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier

from engine import build_pipeline, validate_recipe
from engine.data.schema import ColumnInfo
from engine.deploy.export import (
    ONNX_TOLERANCE,
    TRUSTED_ENGINE_TYPES,
    ExportError,
    UntrustedTypesError,
    dumps_skops,
    export_onnx,
    loads_skops,
    model_card_markdown,
    onnx_inputs,
    untrusted_skops_types,
)
from engine.train.catalog import make_estimator

N = 40


class MajorityStub(ClassifierMixin, BaseEstimator):
    """A classifier skl2onnx knows nothing about."""

    def fit(self, X, y):
        self.classes_, counts = np.unique(y, return_counts=True)
        self.n_features_in_ = np.asarray(X).shape[1]
        self.share_ = counts / counts.sum()
        return self

    def predict_proba(self, X):
        return np.tile(self.share_, (len(X), 1))

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    age = rng.normal(40, 12, N).round(1)
    age[[3, 17]] = np.nan
    plan = rng.choice(["basic", "pro", "team", "edu"], N, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    plan[[5]] = np.nan
    visits = rng.integers(0, 30, N).astype(float)
    return pd.DataFrame({
        "age": age, "plan": plan, "visits": visits,
        "member": rng.choice(["yes", "no"], N),
        "signup": pd.date_range("1969-11-01", periods=N, freq="170h").astype(str),
        "churned": np.where(visits + rng.normal(0, 4, N) > 14, "no", "yes"),
        "spend": visits * 12.5 + rng.normal(0, 5, N),
        "note": rng.choice(["late delivery again", "great service", "asked about the price"], N),
    })


FEATURES = [ColumnInfo("age", "numeric", "float64", 2, 38), ColumnInfo("plan", "categorical", "object", 1, 4),
            ColumnInfo("visits", "numeric", "float64", 0, 25), ColumnInfo("member", "boolean", "object", 0, 2)]
DATE = ColumnInfo("signup", "datetime", "object", 0, N)
TEXT = ColumnInfo("note", "text", "object", 0, N)
IMPUTE = [{"type": "impute", "columns": {"kind": "numeric"}, "params": {"strategy": "median"}},
          {"type": "impute", "columns": {"kind": "categorical"}, "params": {"strategy": "most_frequent"}}]
ONEHOT = {"type": "encode", "columns": {"kind": "categorical"}, "params": {"method": "onehot"}}


def _fit(steps, estimator, task="classification", features=None):
    features = features or ([*FEATURES, DATE] if any(s["type"] == "date_parts" for s in steps) else FEATURES)
    frame = _frame()
    recipe = validate_recipe({"steps": steps})
    pipeline = build_pipeline(features, recipe, estimator, task)
    X = frame[[c.name for c in features]]
    pipeline.fit(X.iloc[:30], frame["churned" if task == "classification" else "spend"].iloc[:30])
    cards = [{"name": c.name, "kind": c.kind, "dtype": c.dtype} for c in features]
    return pipeline, cards, X.iloc[30:]


def _step(kind, params=None, columns=None):
    return {"type": kind, "columns": columns or {"kind": "numeric"}, "params": params or {}}


CONVERTING = {
    "default-linear": (IMPUTE + [_step("scale", {"method": "standard"}),
                                 _step("encode", {"method": "onehot"}, {"kind": "categorical"})],
                       LogisticRegression(max_iter=500), "classification"),
    "onehot-infrequent-tree": (IMPUTE + [_step("encode", {"method": "onehot", "max_categories": 2},
                                               {"kind": "categorical"})],
                               DecisionTreeClassifier(random_state=0), "classification"),
    "many-steps-forest": (
        [_step("impute", {"strategy": "mean", "indicator": True}),
         _step("impute", {"strategy": "constant"}, {"kind": "categorical"}), _step("clip_outliers"),
         {"type": "derive", "params": {"op": "divide", "left": "age", "right": "visits"}},
         {"type": "derive", "params": {"op": "bin", "left": "visits", "bins": 4}},
         _step("power", {"method": "log"}), _step("scale", {"method": "robust"}),
         _step("encode", {"method": "frequency"}, {"kind": "categorical"})],
        RandomForestClassifier(n_estimators=5, random_state=0), "classification"),
    "ordinal-minmax-pca-ridge": (
        IMPUTE + [_step("encode", {"method": "ordinal"}, {"kind": "categorical"}), _step("scale", {"method": "minmax"}),
                  _step("pca", {"n_components": 2}, {"kind": "all"})],
        Ridge(), "regression"),
    "select-forest-regression": (IMPUTE + [_step("encode", {"method": "onehot"}, {"kind": "categorical"}),
                                           _step("select", {"method": "kbest", "k": 3}, {"kind": "all"})],
                                 RandomForestRegressor(n_estimators=5, random_state=0), "regression"),
    "date-parts-linear": (IMPUTE + [_step("date_parts", {"parts": ["year", "month", "day", "dayofweek", "hour",
                                                                   "elapsed_days"]}, {"kind": "datetime"}),
                                    _step("scale"), ONEHOT], LogisticRegression(max_iter=2000), "classification"),
    "baseline-classifier": (IMPUTE + [ONEHOT], make_estimator("baseline", "classification", 0), "classification"),
    "baseline-regressor": (IMPUTE + [ONEHOT], make_estimator("baseline", "regression", 0), "regression"),
    "target-encoding-binary": (IMPUTE + [_step("encode", {"method": "target"}, {"kind": "categorical"})],
                               LogisticRegression(max_iter=500), "classification"),
    "target-encoding-regression": (IMPUTE + [_step("encode", {"method": "target"}, {"kind": "categorical"})],
                                   Ridge(), "regression"),
    "calibrated-svm": (IMPUTE + [_step("encode", {"method": "onehot"}, {"kind": "categorical"})],
                       make_estimator("linear_svm", "classification", 0), "classification"),
    "scaled-target-svr": (IMPUTE + [_step("encode", {"method": "onehot"}, {"kind": "categorical"})],
                          make_estimator("svm", "regression", 0), "regression"),
}


@pytest.mark.parametrize("name", list(CONVERTING))
def test_onnx_export_matches_scikit_learn(name):
    steps, estimator, task = CONVERTING[name]
    pipeline, features, rows = _fit(steps, estimator, task)
    result = export_onnx(pipeline, features, task, rows)
    assert result.reason is None, result.reason
    assert result.check.max_diff <= 1e-6
    assert result.check.rows == 10 and result.check.ok
    assert result.check.max_diff <= ONNX_TOLERANCE
    assert result.check.labels_equal is (True if task == "classification" else None)
    assert result.model_dtype in ("double", "float")


@pytest.mark.parametrize(("steps", "features", "estimator", "words"), [
    pytest.param(IMPUTE + [_step("tfidf", {}, {"kind": "text"}), ONEHOT], [*FEATURES, TEXT], LogisticRegression(),
                 ["Step 3 (Text features (TF-IDF))", "TextTfidf", "tokenizer"], id="tfidf"),
    pytest.param(IMPUTE + [_step("flag_outliers"), ONEHOT], FEATURES, LogisticRegression(max_iter=2000),
                 ["Step 3 (Flag outliers (isolation forest))", "IsolationFlag"], id="isolation-flag"),
    pytest.param(IMPUTE + [_step("impute", {"strategy": "knn"}), ONEHOT], FEATURES, LogisticRegression(),
                 ["Step 3 (Fill missing values)", "KNNImputer"], id="knn-imputer"),
    pytest.param(IMPUTE + [ONEHOT], FEATURES, MajorityStub(), ["skl2onnx cannot convert", "MajorityStub",
                                                               "has no converter"], id="model-without-converter"),
])
def test_onnx_export_names_the_step_that_does_not_convert(steps, features, estimator, words):
    pipeline, cards, rows = _fit(steps, estimator, features=features)
    result = export_onnx(pipeline, cards, "classification", rows)
    assert result.data is None
    assert all(word in result.reason for word in words), result.reason


def test_an_onnxruntime_error_without_a_message_is_named_by_its_type(monkeypatch):
    """The reason was built from the error's first line, so an error with no message raised IndexError."""
    import engine.deploy.export as export_module

    def refuses(*args, **kwargs):
        raise RuntimeError()

    monkeypatch.setattr(export_module, "check_onnx", refuses)
    steps, estimator, task = CONVERTING["many-steps-forest"]
    pipeline, features, rows = _fit(steps, estimator, task)
    result = export_onnx(pipeline, features, task, rows)
    assert (result.data, result.reason) == (None, "onnxruntime cannot run the converted model: RuntimeError")


def test_onnx_reads_infinite_numbers_as_missing_like_the_pipeline():
    steps, estimator, task = CONVERTING["many-steps-forest"]
    pipeline, features, rows = _fit(steps, estimator, task)
    rows = rows.assign(age=[np.inf, -np.inf, np.nan, *rows["age"].iloc[3:]], visits=[-np.inf, *rows["visits"].iloc[1:]])
    result = export_onnx(pipeline, features, task, rows)
    assert result.reason is None, result.reason
    assert result.check.max_diff <= 1e-6


def test_onnx_inputs_are_typed_by_kind():
    feeds = onnx_inputs(_frame().head(6), [{"name": c.name, "kind": c.kind} for c in FEATURES])
    assert feeds["age"].dtype == np.float64 and feeds["age"].shape == (6, 1)
    assert np.isnan(feeds["age"][3, 0])
    assert feeds["plan"].dtype == object and feeds["plan"][5, 0] == ""
    assert set(feeds["member"].ravel()) <= {0.0, 1.0}
    dates = onnx_inputs(pd.DataFrame({"d": ["1970-01-02 06:00", None]}), [{"name": "d", "kind": "datetime"}])["d"]
    assert dates[0, 0] == 30 * 3600 and np.isnan(dates[1, 0])


def test_export_needs_rows_to_check_on():
    pipeline, features, rows = _fit(CONVERTING["default-linear"][0], LogisticRegression())
    with pytest.raises(ExportError, match="validation rows"):
        export_onnx(pipeline, features, "classification", rows.iloc[:0])


@pytest.mark.parametrize("name", ["default-linear", "many-steps-forest", "ordinal-minmax-pca-ridge",
                                  "scaled-target-svr"])
def test_skops_round_trip_predicts_the_same(name):
    steps, estimator, task = CONVERTING[name]
    pipeline, _, rows = _fit(steps, estimator, task)
    data = dumps_skops(pipeline)
    loaded = loads_skops(data)
    np.testing.assert_array_equal(loaded.predict(rows), pipeline.predict(rows))
    if task == "classification":
        np.testing.assert_array_equal(loaded.predict_proba(rows), pipeline.predict_proba(rows))
    assert all(t.split(".")[0] in ("sklearn", "numpy", "scipy") or t in TRUSTED_ENGINE_TYPES
               for t in untrusted_skops_types(data))
    assert "engine.prepare.transformers.ModelInputGuard" in untrusted_skops_types(data)


def test_skops_keeps_date_parts():
    pipeline, _, rows = _fit(IMPUTE + [_step("date_parts", {}, {"kind": "datetime"}), ONEHOT],
                             LogisticRegression(max_iter=2000), features=[*FEATURES, DATE])
    np.testing.assert_array_equal(loads_skops(dumps_skops(pipeline)).predict_proba(rows), pipeline.predict_proba(rows))


def test_skops_keeps_outlier_bounds():
    pipeline, _, rows = _fit(IMPUTE + [_step("clip_outliers"), ONEHOT], LogisticRegression(max_iter=500))
    loaded = loads_skops(dumps_skops(pipeline))
    np.testing.assert_array_equal(loaded.predict_proba(rows), pipeline.predict_proba(rows))
    wild = rows.assign(age=rows["age"] * 100)  # far outside the training range: clipped alike
    np.testing.assert_array_equal(loaded.predict_proba(wild), pipeline.predict_proba(wild))


def test_trusted_types_are_the_pipeline_frame_and_each_step_types_own():
    names = {name.rsplit(".", 1)[1] for name in TRUSTED_ENGINE_TYPES}
    assert names == {"FramePipeline", "KindCaster", "ColumnSelector", "ColumnStep", "ModelInputGuard", "DateParts",
                     "DropSparseColumns", "OutlierClipper", "IsolationFlag", "DerivedFeature", "FrequencyEncoder",
                     "TextTfidf", "FeatureSelector", "PCAReducer", "ShrinkingStratifiedKFold", "signed_log1p",
                     "_ClipBounds", "PackedForest", "PackedPredictors", "TreeChunk"}
    assert "engine.prepare.pipeline.ShrinkingStratifiedKFold" in TRUSTED_ENGINE_TYPES


def test_skops_load_refuses_untrusted_types():
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    data = sio.dumps(FunctionTransformer(func=pd.DataFrame.copy))
    with pytest.raises(UntrustedTypesError, match="pandas"):
        loads_skops(data)


def test_skops_load_refuses_other_engine_functions():
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    from engine.data.io import read_table

    data = sio.dumps(FunctionTransformer(func=read_table))
    with pytest.raises(UntrustedTypesError, match="engine.data.io.read_table"):
        loads_skops(data)


def test_model_card_markdown_lists_what_a_reader_needs():
    card = {"estimator": "LogisticRegression", "target": "churned", "task": "classification", "metric": "accuracy",
            "sha256": "ab" * 32, "dataset": {"name": "churn.csv", "sha256": "cd" * 32, "rows": 40},
            "trained_on": {"rows": 28}, "features": [{"name": "age", "kind": "numeric", "dtype": "float64"},
                                                      {"name": "plan", "kind": "categorical", "dtype": "object"}],
            "recipe": validate_recipe({"steps": IMPUTE}), "family": "linear", "params": {"C": 1.0},
            "metrics": {"validation": {"accuracy": 0.9}, "cv": {"scores": [0.8, 0.9], "mean": 0.85, "std": 0.05}},
            "test_metrics": {"accuracy": 0.875}, "decision_threshold": 0.3, "fit_seconds": 1.25,
            "run_seconds": 4.0, "versions": {"scikit-learn": "1.9.1"}}
    text = model_card_markdown(card)
    for expected in ["churn.csv (40 rows), sha256 `" + "cd" * 32, "| plan | categorical | object |",
                     "1. Fill missing values in numeric columns", "| C | 1.0 |", "| accuracy | 0.9 | 0.875 |",
                     "probability >= 0.3", "scikit-learn: 1.9.1", "Training time**: 1.2 s", "0.85 ± 0.05"]:
        assert expected in text, expected


def test_an_export_whose_check_fails_is_not_offered(monkeypatch):
    import engine.deploy.export

    pipeline, features, rows = _fit(CONVERTING["default-linear"][0], LogisticRegression(max_iter=500))
    monkeypatch.setattr(engine.deploy.export, "ONNX_TOLERANCE", -1.0)  # no difference can pass
    result = export_onnx(pipeline, features, "classification", rows)
    assert result.data is None and result.check.rows == 10 and not result.check.ok
    assert "above the tolerance -1, so it is not offered" in result.reason


def test_hist_gradient_boosting_says_plainly_why_it_does_not_convert():
    pipeline, features, rows = _fit(IMPUTE + [ONEHOT], make_estimator("gradient_boosting", "classification", 0))
    result = export_onnx(pipeline, features, "classification", rows)
    if result.data is None:  # skl2onnx 1.20 with scikit-learn 1.9; a later skl2onnx may convert it
        assert "cannot write the trees" in result.reason and "HistGradientBoostingClassifier" in result.reason
    else:
        assert result.check.ok


# -- the decision threshold travels with the model ----------------------------------------------------------------

@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8], ids=lambda t: f"t{t}")
def test_with_threshold_decides_at_it_and_survives_skops(threshold):
    from engine.deploy.export import with_threshold
    from engine.deploy.predict import probability_frame

    pipeline, _, rows = _fit(CONVERTING["default-linear"][0], LogisticRegression(max_iter=500))
    wrapped = with_threshold(pipeline, threshold)
    proba = pipeline.predict_proba(rows)
    expected = np.where(proba[:, 1] >= threshold, pipeline.classes_[1], pipeline.classes_[0])
    np.testing.assert_array_equal(wrapped.predict(rows), expected)
    np.testing.assert_array_equal(wrapped.predict(rows), probability_frame(proba, pipeline.classes_, threshold)
                                  ["prediction"])
    np.testing.assert_array_equal(wrapped.predict_proba(rows), proba)
    loaded = loads_skops(dumps_skops(wrapped))  # the pipeline's steps inside are made skops-ready too
    np.testing.assert_array_equal(loaded.predict(rows), expected)
    assert loaded.threshold == threshold and list(loaded.classes_) == list(pipeline.classes_)


def test_with_threshold_leaves_a_model_without_one_and_refuses_what_it_cannot_decide():
    from engine.deploy.export import with_threshold

    pipeline, _, _ = _fit(CONVERTING["default-linear"][0], LogisticRegression(max_iter=500))
    assert with_threshold(pipeline, None) is pipeline
    with pytest.raises(ExportError, match=r"must be a number in \(0, 1\). Got 1.5 instead"):
        with_threshold(pipeline, 1.5)
    regressor, _, _ = _fit(IMPUTE + [ONEHOT], Ridge(), task="regression")
    with pytest.raises(ExportError, match="two-class models that give probabilities only"):
        with_threshold(regressor, 0.5)


def test_a_boosting_model_is_known_not_to_convert_before_its_trees_are_written(monkeypatch):
    """Regression: a 9-class boosting model was converted twice (float, then double) only to fail writing its
    trees, with an error quoting every tree's attributes: 6.5 s and +65 MB at the run's peak. Now the installed
    skl2onnx is tried once on a one-tree model, and the model itself never reaches the converter."""
    import skl2onnx

    from engine.deploy import onnx_converters

    onnx_converters._boosting_converts.cache_clear()
    converted = []
    convert = skl2onnx.convert_sklearn

    def recording_convert(model, *args, **kwargs):
        converted.append(type(model).__name__)
        return convert(model, *args, **kwargs)

    monkeypatch.setattr(skl2onnx, "convert_sklearn", recording_convert)
    boosting = make_estimator("gradient_boosting", "classification", 0, {"max_iter": 20})
    pipeline, features, rows = _fit(IMPUTE + [ONEHOT], boosting)
    result = export_onnx(pipeline, features, "classification", rows)
    if onnx_converters._boosting_converts():  # a later skl2onnx writes them: converted and checked as any model
        assert result.check.ok
        return
    assert converted == ["HistGradientBoostingRegressor"]  # the probe, once for both precisions
    assert result.data is None and "cannot write the trees" in result.reason
    assert "HistGradientBoostingClassifier" in result.reason and len(result.reason) < 300


def test_a_model_holds_boosting_inside_calibration_votes_and_target_transforms():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier

    from engine.deploy.onnx_converters import _holds_boosting

    X, y = _frame()[["age", "visits"]].fillna(0), _frame()["churned"]
    boosting = HistGradientBoostingClassifier(max_iter=3)
    forest = RandomForestClassifier(n_estimators=3, random_state=0)
    calibrated = CalibratedClassifierCV(HistGradientBoostingClassifier(max_iter=3), cv=2).fit(X, y)
    vote = VotingClassifier([("f", forest), ("b", boosting)], voting="soft").fit(X, y)
    forests = VotingClassifier([("f", forest), ("l", LogisticRegression())], voting="soft").fit(X, y)
    svr = make_estimator("svm", "regression", 0).fit(X, _frame()["spend"])
    assert [_holds_boosting(m) for m in (calibrated, vote, forests, forest.fit(X, y), svr)] == \
        [True, True, False, False, False]


def _without_ids(schema):
    """A skops schema without what names objects by their address (``__id__``, and the array files named by it)."""
    if isinstance(schema, dict):
        return {k: _without_ids(v) for k, v in schema.items() if k not in ("__id__", "file")}
    return [_without_ids(v) for v in schema] if isinstance(schema, list) else schema


def test_skops_writes_its_schema_compact_and_as_skops_would():
    """Regression: skops wrote the schema with ``indent=2`` through Python's pure-Python JSON encoder (a vote of two
    200-tree forests: a 20 MB string, +89 MB at the peak of writing, +42 MB loading it back in every ``predict``).
    The schema is now one compact line with the same content, which skops' own reader loads."""
    import io
    import json
    import zipfile

    import skops.io as sio

    from engine.deploy.export import _skops_bytes

    X, y = _frame()[["age", "visits"]].fillna(0).to_numpy(), _frame()["churned"]
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    ours, theirs = (zipfile.ZipFile(io.BytesIO(data)).read("schema.json").decode()
                    for data in (_skops_bytes(forest), sio.dumps(forest)))
    assert "\n" not in ours and ": " not in ours and "\n" in theirs
    assert _without_ids(json.loads(ours)) == _without_ids(json.loads(theirs))
    loaded = sio.loads(_skops_bytes(forest), trusted=sio.get_untrusted_types(data=_skops_bytes(forest)))
    np.testing.assert_array_equal(loaded.predict_proba(X), forest.predict_proba(X))


def test_skops_copies_the_steps_it_changes_and_shares_the_fitted_model():
    """Regression: writing a skops file deep-copied the whole pipeline first (a forest of 100 MB held twice); only
    the steps made storable (``_skops_ready``) and what holds them are copied now, and the original is unchanged."""
    from engine.deploy.export import _estimators, _skops_copy
    from engine.prepare.transformers import ModelInputGuard

    pipeline, _, rows = _fit(*CONVERTING["many-steps-forest"][:2])
    copied = _skops_copy(pipeline)
    assert copied.named_steps["model"] is pipeline.named_steps["model"]
    guards = [[s for s in _estimators(p) if isinstance(s, ModelInputGuard)] for p in (pipeline, copied)]
    assert len(guards[0]) == 1 and guards[1][0] is not guards[0][0]
    before = pipeline.predict_proba(rows)
    loaded = loads_skops(dumps_skops(pipeline))
    assert type(guards[0][0].fill_values_) is pd.Series  # the original keeps its pandas values
    np.testing.assert_array_equal(loaded.predict_proba(rows), before)
    np.testing.assert_array_equal(pipeline.predict_proba(rows), before)


def test_a_votes_skops_file_holds_its_members_once():
    """Regression: skops stores every reference to an object again, and a fitted vote refers to each member twice
    (``estimators_`` and ``named_estimators_``): a vote of two 9-class boosting models and a forest wrote 68 MB of
    arrays for 29 MB of models and loaded two copies. The file holds each member once; loading gives the vote back
    its ``named_estimators_``, the very members of ``estimators_``, and the original keeps its own."""
    import io
    import json
    import zipfile
    from collections import Counter

    from sklearn.ensemble import VotingClassifier

    vote = VotingClassifier([("forest", RandomForestClassifier(n_estimators=3, random_state=0)),
                             ("linear", LogisticRegression(max_iter=500))], voting="soft")
    pipeline, _, rows = _fit(IMPUTE + [ONEHOT], vote)
    data = dumps_skops(pipeline)
    classes: Counter = Counter()

    def count(node):
        if isinstance(node, dict):
            classes[node.get("__class__")] += 1
            for value in node.values():
                count(value)
        elif isinstance(node, list):
            for value in node:
                count(value)

    count(json.loads(zipfile.ZipFile(io.BytesIO(data)).read("schema.json")))
    assert classes["RandomForestClassifier"] == 2  # the unfitted template, the fitted one
    assert classes["PackedForest"] == 1 and classes["Tree"] == 0  # its three trees as arrays (``packed_trees``)
    loaded = loads_skops(data).named_steps["model"]
    assert list(loaded.named_estimators_) == ["forest", "linear"]
    assert all(loaded.named_estimators_[n] is m for n, m in zip(["forest", "linear"], loaded.estimators_, strict=True))
    assert pipeline.named_steps["model"].named_estimators_["forest"] is pipeline.named_steps["model"].estimators_[0]
    np.testing.assert_array_equal(loads_skops(data).predict_proba(rows), pipeline.predict_proba(rows))
