"""Score JSON records through a compiled recipe at NumPy level: what a REST server pays for one row.

A compiled recipe (``engine.prepare.transformers.FramePipeline`` then the model) already passes named arrays between
its stages, but each stage still calls its scikit-learn transformer's ``transform``, and the model its
``predict_proba``: every call validates its input again (``check_array``, feature names, finiteness), which costs
more than the arithmetic for a few rows. ``record_scorer`` replaces the fitted objects it knows by their arithmetic
on the arrays the pipeline guarantees (float64 or object columns in the fitted order):

- transformers: ``SimpleImputer`` (NaN as the missing value, no indicator), ``StandardScaler``, ``OneHotEncoder``
  (dense, no dropped or infrequent categories, unknown categories ignored), ``OrdinalEncoder`` (unknown categories
  encoded, none infrequent);
- models: ``LogisticRegression``, ``HistGradientBoostingClassifier`` / ``Regressor`` (its own category encoding
  included), and ``CalibratedClassifierCV`` (sigmoid or isotonic) of either;
- ISO dates (``2024-01-31``) are parsed by NumPy instead of pandas' mixed-format parser.

Any other stage runs as before. The scorer is only returned after it answered exactly (bit for bit) what the pipeline
answers on probe rows built from the fitted categories, missing values, unseen labels and odd numbers; otherwise
``record_scorer`` returns None and the caller keeps the pipeline.

>>> import pandas as pd
>>> from sklearn.linear_model import LogisticRegression
>>> from sklearn.pipeline import Pipeline
>>> from engine.prepare.transformers import FramePipeline, KindCaster, ModelInputGuard
>>> X = pd.DataFrame({"age": [20.0, 30.0, 40.0, 50.0]})
>>> prepare = FramePipeline([("cast", KindCaster([("age", "numeric")])), ("guard", ModelInputGuard())])
>>> prepare.steps[-1][1].set_output(transform="default")
ModelInputGuard()
>>> pipeline = Pipeline([("prepare", prepare), ("model", LogisticRegression())]).fit(X, [0, 0, 1, 1])
>>> score = record_scorer(pipeline, [{"name": "age", "kind": "numeric"}], "classification")
>>> (score([{"age": 45}]) == pipeline.predict_proba(pd.DataFrame({"age": [45.0]}))).all()
np.True_
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
from sklearn.utils.extmath import softmax

from engine.prepare.transformers import (
    ColumnStep,
    FrameTransformer,
    KindCaster,
    ModelInputGuard,
    cast_values,
    stack_columns,
)

__all__ = ["record_scorer"]

#: Records in, the model's answer out: class probabilities (columns as ``classes_``) or predicted values.
RecordScorer = Callable[[list[dict]], np.ndarray]
Kernel = Callable[[np.ndarray], np.ndarray]
_ISO_DATE = re.compile(r"(19|20)\d\d-\d\d-\d\d")
_THREADED_ROWS = 1000  # fewer rows are scored by the trees on one thread
_WALKED_ROWS = 64  # at most this many rows walk all trees at once (memory: rows x trees)


def record_scorer(pipeline, features: list[dict], task: str) -> RecordScorer | None:
    """The NumPy-level scorer of a compiled recipe's ``pipeline`` (a ``Pipeline`` of a ``FramePipeline`` and a
    model), checked bit for bit against the pipeline on probe rows; None when the pipeline is of another shape or
    the scorer would answer anything differently."""
    try:
        return _checked_scorer(pipeline, features, task)
    except Exception:  # noqa: BLE001 - a fitted object this module does not know: the pipeline scores as before
        return None


def _checked_scorer(pipeline, features: list[dict], task: str) -> RecordScorer | None:
    steps = getattr(pipeline, "steps", [])
    if len(steps) != 2 or not hasattr(steps[0][1], "_takes_columns") or not steps[0][1]._takes_columns():
        return None
    prepare, model = steps[0][1], steps[1][1]
    stages = [stage for _, stage in prepare.steps]
    if not isinstance(stages[-1], ModelInputGuard):
        return None
    proba = task == "classification"
    answer = _model_kernel(model, proba)
    if answer is None:
        return None
    cast = _caster(stages[0])
    middle = [_stage(stage) for stage in stages[1:-1]]
    guard = stages[-1]

    def score(records: list[dict]) -> np.ndarray:
        columns = cast(records)
        for stage in middle:
            columns = stage(columns)
        return answer(guard._transform_columns(columns))

    def reference(records: list[dict]) -> np.ndarray:  # what the server answered before this module
        X = prepare.transform_records(records)
        return model.predict_proba(X) if proba else model.predict(X)

    return score if _agrees(score, reference, _probe_records(features, stages)) else None


def _caster(caster: KindCaster) -> Callable[[list[dict]], dict]:
    """``FramePipeline.transform_records``' cast, with ISO dates parsed by NumPy (in pandas' unit)."""
    unit = cast_values(["2020-01-02"], "datetime").dtype

    def cast(records: list[dict]) -> dict:
        columns = {}
        for name, kind in caster.columns:
            values = [record.get(name) for record in records]
            columns[name] = (_iso_dates(values, unit) if kind == "datetime" else None)
            if columns[name] is None:
                columns[name] = cast_values(values, kind)
        return columns

    return cast


def _iso_dates(values: list, unit: np.dtype) -> np.ndarray | None:
    """Dates written ``YYYY-MM-DD`` (or missing) as ``unit``; None for anything else (pandas decides those)."""
    if not all(v is None or type(v) is str and _ISO_DATE.fullmatch(v) for v in values):
        return None
    try:
        return np.array(["NaT" if v is None else v for v in values], dtype=unit)
    except ValueError:  # e.g. 2024-02-30: pandas reads it as missing
        return None


def _stage(stage: FrameTransformer) -> Callable[[dict], dict]:
    """One stage between the cast and the guard on named arrays: a ``ColumnStep`` of a known transformer as its
    arithmetic, anything else as ``_transform_columns``."""
    kernel = _transformer_kernel(stage.transformer_) if (
        isinstance(stage, ColumnStep) and stage.columns_ and getattr(stage, "array_input_", False)
        and hasattr(stage, "made_columns_")) else None
    if kernel is None:
        return stage._transform_columns
    inputs, made, names = list(stage.columns_), list(stage.made_columns_), list(stage.feature_names_out_)

    def run(columns: dict) -> dict:
        out = kernel(stack_columns([columns[c] for c in inputs]))
        made_columns = dict(zip(made, np.asfortranarray(out).T, strict=True))
        return {name: made_columns[name] if name in made_columns else columns[name] for name in names}

    return run


def _transformer_kernel(transformer) -> Kernel | None:
    if type(transformer) is SimpleImputer:
        return _imputer(transformer)
    if type(transformer) is StandardScaler:
        return _scaler(transformer)
    if type(transformer) is OneHotEncoder:
        return _one_hot(transformer)
    if type(transformer) is OrdinalEncoder:
        return _ordinal(transformer)
    return None


def _category_lookups(categories_: list) -> list[tuple[dict, int | None]]:
    """Per column: ({category: position} without NaN, NaN's position or None)."""
    lookups = []
    for categories in categories_:
        nan_at = next((i for i, c in enumerate(categories) if isinstance(c, float) and np.isnan(c)), None)
        lookups.append(({c: i for i, c in enumerate(categories) if i != nan_at}, nan_at))
    return lookups


def _ordinal(encoder: OrdinalEncoder) -> Kernel | None:
    if encoder.handle_unknown != "use_encoded_value" or getattr(encoder, "_infrequent_enabled", False):
        return None
    lookups = _category_lookups(encoder.categories_)
    unknown, missing = encoder.unknown_value, encoder.encoded_missing_value

    def encode(X: np.ndarray) -> np.ndarray:
        out = np.empty(X.shape, dtype=encoder.dtype)
        for j, (lookup, nan_at) in enumerate(lookups):
            out[:, j] = [(unknown if nan_at is None else missing) if isinstance(v, float) and np.isnan(v)
                         else lookup.get(v, unknown) for v in X[:, j]]
        return out

    return encode


def _imputer(imputer: SimpleImputer) -> Kernel | None:
    statistics = imputer.statistics_
    missing = imputer.missing_values
    if imputer.add_indicator or not (isinstance(missing, float) and np.isnan(missing)) or pd.isna(statistics).any():
        return None

    def impute(X: np.ndarray) -> np.ndarray:
        X = X.copy()
        rows, cols = np.nonzero(X != X)  # NaN, the one missing value after the cast (object columns too)
        X[rows, cols] = statistics[cols]
        return X

    return impute


def _scaler(scaler: StandardScaler) -> Kernel | None:
    mean, scale = scaler.mean_ if scaler.with_mean else None, scaler.scale_ if scaler.with_std else None

    def standardise(X: np.ndarray) -> np.ndarray:
        X = X.astype(np.float64, copy=True)
        if mean is not None:
            X -= mean
        if scale is not None:
            X /= scale
        return X

    return standardise


def _one_hot(encoder: OneHotEncoder) -> Kernel | None:
    infrequent = any(c is not None for c in encoder.infrequent_categories_)
    if (encoder.sparse_output or encoder.drop_idx_ is not None or infrequent
            or encoder.handle_unknown not in ("ignore", "infrequent_if_exist")):
        return None
    lookups = _category_lookups(encoder.categories_)
    offsets = np.cumsum([0] + [len(c) for c in encoder.categories_])
    dtype = encoder.dtype

    def encode(X: np.ndarray) -> np.ndarray:
        out = np.zeros((len(X), offsets[-1]), dtype=dtype)
        for j, (lookup, nan_at) in enumerate(lookups):
            for i, value in enumerate(X[:, j]):
                at = nan_at if isinstance(value, float) and np.isnan(value) else lookup.get(value)
                if at is not None:  # an unknown category: all zeros, as handle_unknown="ignore"
                    out[i, offsets[j] + at] = 1
        return out

    return encode


def _model_kernel(model, proba: bool) -> Kernel | None:
    """The model's ``predict_proba`` (``proba``) or ``predict`` on the guard's float array, or None."""
    if type(model) is CalibratedClassifierCV:
        return _calibrated(model) if proba else None
    decision = _decision(model)
    if decision is None:
        return None
    if type(model) is LogisticRegression:
        if not proba:
            return None
        if len(model.classes_) <= 2:
            return lambda X: _binary(expit(decision(X)))
        return lambda X: softmax(decision(X), copy=False)
    if type(model) is HistGradientBoostingClassifier:
        return (lambda X: model._loss.predict_proba(decision(X))) if proba else None
    if type(model) is HistGradientBoostingRegressor and not proba:
        return lambda X: model._loss.link.inverse(decision(X).ravel())
    return None


def _binary(positive: np.ndarray) -> np.ndarray:
    return np.stack([1 - positive, positive], axis=1)


def _decision(model) -> Kernel | None:
    """A linear model's ``decision_function`` (1-D for two classes), a histogram boosting model's raw predictions
    (2-D: rows by trees per iteration), on a float array."""
    if type(model) is LogisticRegression and isinstance(model.coef_, np.ndarray):
        coef_t, intercept = model.coef_.T, model.intercept_

        def linear(X: np.ndarray) -> np.ndarray:
            scores = X @ coef_t + intercept
            return scores.reshape(-1) if scores.shape[1] == 1 else scores

        return linear
    if type(model) in (HistGradientBoostingClassifier, HistGradientBoostingRegressor):
        return _boosting(model)
    return None


def _boosting(model) -> Kernel:
    """``_raw_predict`` of a fitted histogram gradient boosting model, its own category encoding included: a few
    rows walk every tree at once (``_TreeWalk``), more rows go through each tree's own ``predict``."""
    known_categories, feature_map = model._bin_mapper.make_known_categories_bitsets()
    encode = _boosting_categories(model)
    walk = _TreeWalk(model._predictors, known_categories, feature_map)
    width = model.n_trees_per_iteration_

    def raw(X: np.ndarray) -> np.ndarray:
        X = encode(X)
        out = np.zeros((X.shape[0], width), dtype=model._baseline_prediction.dtype, order="F")
        out += model._baseline_prediction
        if len(X) <= _WALKED_ROWS:
            leaves = walk(X).reshape(len(X), -1, width)  # rows, iterations, trees per iteration
            for k in range(width):  # the sum in the trees' order, as predict adds them
                out[:, k] = np.cumsum(np.column_stack([out[:, k], leaves[:, :, k]]), axis=1)[:, -1]
            return out
        # Rows are scored independently, so the threads change the time only: for a few rows, starting them costs
        # more than the trees (and on a busy machine far more).
        threads = 1 if len(X) < _THREADED_ROWS else _openmp_effective_n_threads()
        for trees in model._predictors:
            for k, tree in enumerate(trees):
                out[:, k] += tree.predict(X, known_categories, feature_map, threads)
        return out

    return raw


class _TreeWalk:
    """The leaf values of every tree of a histogram boosting model for a few rows (rows by trees), all trees one
    level at a time with NumPy: the rule of scikit-learn's ``_predict_one_from_raw_data``, without a call (and an
    OpenMP region) per tree."""

    def __init__(self, predictors, known_categories: np.ndarray, feature_map: np.ndarray):
        trees = [tree for iteration in predictors for tree in iteration]
        starts = np.cumsum([0] + [len(t.nodes) for t in trees])[:-1]
        bitset_starts = np.cumsum([0] + [len(t.raw_left_cat_bitsets) for t in trees])[:-1]
        nodes = np.concatenate([t.nodes for t in trees])
        offset = np.repeat(starts, [len(t.nodes) for t in trees])
        self.roots = starts
        self.feature = nodes["feature_idx"].astype(np.intp)
        self.threshold = nodes["num_threshold"]
        self.missing_left = nodes["missing_go_to_left"].astype(bool)
        self.left, self.right = nodes["left"] + offset, nodes["right"] + offset
        self.leaf, self.value = nodes["is_leaf"].astype(bool), nodes["value"]
        self.categorical = nodes["is_categorical"].astype(bool)
        self.any_categorical = bool(self.categorical.any())
        self.bitset = nodes["bitset_idx"] + np.repeat(bitset_starts, [len(t.nodes) for t in trees])
        self.left_bits = np.concatenate([t.raw_left_cat_bitsets for t in trees]) if self.any_categorical else None
        self.known_bits, self.known_row = known_categories, np.asarray(feature_map)[self.feature]
        self.depth = int(nodes["depth"].max()) + 1

    def __call__(self, X: np.ndarray) -> np.ndarray:
        at = np.repeat(self.roots[np.newaxis, :], len(X), axis=0)
        rows = np.arange(len(X))[:, np.newaxis]
        for _ in range(self.depth):
            leaf = self.leaf[at]
            if leaf.all():
                break
            values = X[rows, self.feature[at]]
            missing = np.isnan(values)
            go_left = values <= self.threshold[at]
            if self.any_categorical:
                go_left = np.where(self.categorical[at], self._categorical_left(values, missing, at), go_left)
            go_left = np.where(missing, self.missing_left[at], go_left)
            at = np.where(leaf, at, np.where(go_left, self.left[at], self.right[at]))
        return self.value[at]

    def _categorical_left(self, values: np.ndarray, missing: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Left when the category is in the node's left set; right when it is another known one; else (unknown,
        negative) as missing."""
        outside = missing | (values < 0)
        code = np.where(outside, 0, values).astype(np.uint8)  # the C cast of a valid code
        word, bit = code // 32, code % 32
        in_left = (self.left_bits[self.bitset[at], word] >> bit) & 1 if self.left_bits.size else np.zeros_like(code)
        known = (self.known_bits[self.known_row[at], word] >> bit) & 1
        as_missing = self.missing_left[at]
        return np.where(outside, as_missing, np.where(in_left == 1, True, np.where(known == 1, False, as_missing)))


def _boosting_categories(model) -> Kernel:
    """What the model's own preprocessor does to a float array: its categorical columns as ordinal codes (NaN
    where missing or unseen) first, then the others; without categories, the array as float64."""
    if model._preprocessor is None:
        return lambda X: np.asarray(X, dtype=np.float64)
    categorical = np.flatnonzero(model.is_categorical_)
    numeric = np.flatnonzero(~np.asarray(model.is_categorical_))
    codes = [{c: float(i) for i, c in enumerate(cats) if not np.isnan(c)}
             for cats in model._preprocessor.named_transformers_["encoder"].categories_]

    def encode(X: np.ndarray) -> np.ndarray:
        coded = np.array([[lookup.get(v, np.nan) for v in X[:, j]] for j, lookup in zip(categorical, codes,
                                                                                           strict=True)],
                         dtype=np.float64).reshape(len(categorical), len(X)).T
        return np.hstack([coded, np.asarray(X[:, numeric], dtype=np.float64)])

    return encode


def _calibrated(model: CalibratedClassifierCV) -> Kernel | None:
    """``CalibratedClassifierCV.predict_proba`` (sigmoid or isotonic) over estimators with a decision kernel."""
    if model.method not in ("sigmoid", "isotonic"):
        return None
    parts = []
    for calibrated in model.calibrated_classifiers_:
        estimator = calibrated.estimator
        if not hasattr(estimator, "decision_function"):
            return None
        decision = _decision(estimator)
        if decision is None:
            return None
        if type(estimator) in (HistGradientBoostingClassifier, HistGradientBoostingRegressor):
            decision = _ravel_single(decision)
        classes = np.asarray(calibrated.classes)
        positions = np.searchsorted(np.unique(classes), estimator.classes_)
        parts.append((decision, positions, calibrated.calibrators, len(classes)))
    n_classes = len(model.classes_)

    def calibrate(X: np.ndarray) -> np.ndarray:
        mean = np.zeros((len(X), n_classes))
        for decision, positions, calibrators, width in parts:
            predictions = decision(X)
            if predictions.ndim == 1:
                predictions = predictions.reshape(-1, 1)
            proba = np.zeros((len(X), width))
            for at, values, calibrator in zip(positions, predictions.T, calibrators, strict=False):
                proba[:, at + 1 if width == 2 else at] = calibrator.predict(values)
            if width == 2:
                proba[:, 0] = 1.0 - proba[:, 1]
            else:
                denominator = np.sum(proba, axis=1)[:, np.newaxis]
                proba = np.divide(proba, denominator, out=np.full_like(proba, 1 / width), where=denominator != 0)
            proba[(1.0 < proba) & (proba <= 1.0 + 1e-5)] = 1.0
            mean += proba
        mean /= len(parts)
        return mean

    return calibrate


def _ravel_single(raw: Kernel) -> Kernel:
    """``decision_function`` of a boosting model: one tree per iteration gives a 1-D array."""
    def decision(X: np.ndarray) -> np.ndarray:
        out = raw(X)
        return out.ravel() if out.shape[1] == 1 else out

    return decision


def _probe_records(features: list[dict], stages: list) -> list[dict]:
    """Rows that exercise every branch of the kernels: the fitted categories of each column, an unseen one,
    missing values, booleans, dates (valid, impossible, written otherwise) and numbers large and small."""
    known: dict[str, list] = {}
    for stage in stages:
        fitted = getattr(stage, "transformer_", None)
        for name, categories in zip(getattr(stage, "columns_", []), getattr(fitted, "categories_", []), strict=False):
            known.setdefault(name, []).extend(c for c in categories if isinstance(c, str))
    samples = {"numeric": [0, 1.5, -3.25, None, 1e6, 17, 12345.678],
               "boolean": [True, False, None],
               "datetime": ["2021-03-04", None, "1999-12-31", "2024-02-29", "2024-02-30", "03/04/2021 10:00"]}
    columns = {f["name"]: known.get(f["name"], []) + samples.get(f["kind"], ["zz-unseen", None, "a", 3])
               for f in features}
    n = max(len(values) for values in columns.values())
    return [{name: values[i % len(values)] for name, values in columns.items()} for i in range(n)]


def _agrees(score: RecordScorer, reference: RecordScorer, records: list[dict]) -> bool:
    """True when ``score`` answers exactly as ``reference`` for the records together and one by one; any error on
    either side counts as a disagreement."""
    try:
        for batch in [records, *([r] for r in records)]:
            got, expected = np.asarray(score(batch)), np.asarray(reference(batch))
            if got.shape != expected.shape or got.dtype != expected.dtype or not np.array_equal(got, expected,
                                                                                                 equal_nan=True):
                return False
    except Exception:  # noqa: BLE001 - either side failing on a probe row (e.g. a step refusing it) disagrees
        return False
    return True
