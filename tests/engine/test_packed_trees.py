"""Forests and boosting models in model.skops as a few arrays (``engine.deploy.packed_trees``): they load back
predicting exactly as fitted, in the workbench and through plain ``skops.io``, and a forged tree is refused."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    VotingClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from engine.deploy.export import ExportError, dumps_skops, loads_skops, untrusted_skops_types
from engine.deploy.packed_trees import PackedForest, PackedPredictors, PackedTreesError, TreeChunk, _without, pack_trees

X3, Y3 = make_classification(400, n_features=8, n_informative=5, n_classes=3, random_state=0)
XR, YR = make_regression(300, n_features=6, random_state=0)


def _files(data: bytes) -> int:
    return len(zipfile.ZipFile(io.BytesIO(data)).infolist())


@pytest.mark.parametrize("model, X", [
    (RandomForestClassifier(60, random_state=0).fit(X3, Y3), X3),
    (ExtraTreesRegressor(40, min_samples_leaf=3, random_state=0).fit(XR, YR), XR),
    (HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X3, Y3), X3),
    (HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(XR, YR), XR),
])
def test_a_packed_model_loads_back_predicting_exactly_as_fitted(model, X):
    data = dumps_skops(model)
    loaded = loads_skops(data)
    assert np.array_equal(loaded.predict(X), model.predict(X))
    if hasattr(model, "predict_proba"):
        assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    trees = loaded.estimators_ if hasattr(model, "estimators_") else loaded._predictors
    assert type(trees) is list and len(trees) == len(model.estimators_ if hasattr(model, "estimators_")
                                                      else model._predictors)
    # the model's other arrays (a boosting model's bin edges: one per feature) and the packed trees' few, not one
    # or more per tree
    assert _files(data) < 30


def test_packing_leaves_the_fitted_model_unchanged():
    forest = RandomForestClassifier(10, random_state=0).fit(X3, Y3)
    boosting = HistGradientBoostingClassifier(max_iter=5).fit(X3, Y3)
    vote = VotingClassifier([("f", Pipeline([("s", StandardScaler()), ("m", forest)])), ("b", boosting)],
                            voting="soft").fit(X3, Y3)
    trees, members = list(vote.estimators_[0][-1].estimators_), list(vote.estimators_)
    packed = pack_trees(vote)
    assert isinstance(packed.estimators_[0][-1].estimators_, PackedForest)
    assert isinstance(packed.estimators_[1]._predictors, PackedPredictors)
    assert vote.estimators_ == members and vote.estimators_[0][-1].estimators_ == trees  # the same objects
    assert type(vote.estimators_[1]._predictors) is list
    assert packed.estimators_[0][0] is vote.estimators_[0][0]  # what holds no trees is shared, not copied
    loaded = loads_skops(dumps_skops(vote))
    assert np.array_equal(loaded.predict_proba(X3), vote.predict_proba(X3))


def test_a_vote_of_a_pipeline_with_categorical_boosting_and_missing_values_round_trips():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=500), "b": rng.integers(0, 12, 500).astype(float)})
    frame.loc[rng.random(500) < 0.1, "a"] = np.nan
    y = (frame["b"] % 3 == 0) ^ (frame["a"].fillna(0) > 0)
    boosting = HistGradientBoostingClassifier(max_iter=20, categorical_features=[1], random_state=0).fit(frame, y)
    assert any(len(t.binned_left_cat_bitsets) for it in boosting._predictors for t in it)
    loaded = loads_skops(dumps_skops(boosting))
    assert np.array_equal(loaded.predict_proba(frame), boosting.predict_proba(frame))


def test_plain_skops_loads_a_packed_forest_that_predicts():
    """Outside the workbench (``skops.io.load`` with the runtime wheel), the packed trees unpack as skops builds
    them and stand in for the list they replace."""
    import skops.io as sio

    forest = RandomForestClassifier(20, random_state=0).fit(X3, Y3)
    data = dumps_skops(forest)
    types = untrusted_skops_types(data)
    assert "engine.deploy.packed_trees.PackedForest" in types
    loaded = sio.loads(data, trusted=types)
    assert np.array_equal(loaded.predict_proba(X3), forest.predict_proba(X3))


def test_a_forged_tree_is_refused():
    forest = RandomForestClassifier(3, random_state=0).fit(X3, Y3)
    chunk = TreeChunk(forest.estimators_)
    state = chunk.__getstate__()
    state["nodes"]["left_child"][0] = len(state["nodes"]) + 5  # past its tree, into another's memory
    with pytest.raises(PackedTreesError, match="outside itself"):
        TreeChunk.__new__(TreeChunk).__setstate__(state)
    data = dumps_skops(forest)
    forged = _forge(data, lambda state: state["nodes"]["feature"].__setitem__(0, 999))
    with pytest.raises(ExportError, match="feature the model does not have"):
        loads_skops(forged)


def _forge(data: bytes, change) -> bytes:
    """``data`` with the packed forest's arrays changed by ``change`` (rewritten as skops stores them)."""
    from engine.deploy.export import _skops_bytes

    forest = loads_skops(data)
    packed = pack_trees(forest)
    chunk = TreeChunk(forest.estimators_)
    state = chunk.__getstate__()
    change(state)
    chunk.__getstate__ = lambda: state  # what the forged file holds
    packed.estimators_.__getstate__ = lambda: {"prototype": _without(forest.estimators_[0], ("tree_",)),
                                               "chunks": [chunk]}
    return _skops_bytes(packed)


def test_models_without_trees_and_odd_forests_are_stored_as_before():
    linear = LogisticRegression().fit(X3, Y3)
    assert pack_trees(linear) is linear
    forest = RandomForestClassifier(4, random_state=0).fit(X3, Y3)
    forest.estimators_[1].max_depth = 3  # one tree set apart: not packed, stored tree by tree
    assert not PackedForest.packable(forest.estimators_)
    assert np.array_equal(loads_skops(dumps_skops(forest)).predict(X3), forest.predict(X3))


def test_the_runtime_wheel_of_a_forest_carries_the_packing_module():
    from engine.deploy.runtime import build_wheel

    forest = RandomForestClassifier(5, random_state=0).fit(X3, Y3)
    wheel = build_wheel(forest, untrusted_skops_types(dumps_skops(forest)))
    assert "engine.deploy.packed_trees" in wheel.modules
    assert not [m for m in wheel.modules if m.startswith("engine.") and m not in (
        "engine.deploy", "engine.deploy.packed_trees", "engine.legacy")]  # it imports nothing else of the engine


def test_a_large_forest_is_cut_in_chunks_that_load_back_as_one(monkeypatch):
    import json

    from engine.deploy import packed_trees

    monkeypatch.setattr(packed_trees, "CHUNK_BYTES", 20_000)
    forest = RandomForestClassifier(30, random_state=0).fit(X3, Y3)
    data = dumps_skops(forest)
    schema = zipfile.ZipFile(io.BytesIO(data)).read("schema.json").decode()
    assert schema.count('"TreeChunk"') > 3
    loaded = loads_skops(data)
    assert np.array_equal(loaded.predict_proba(X3), forest.predict_proba(X3))
    assert [t.random_state for t in loaded.estimators_] == [t.random_state for t in forest.estimators_]
    assert json.loads(schema)  # one JSON document
