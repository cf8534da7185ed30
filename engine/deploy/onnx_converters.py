"""Translate a fitted workbench Pipeline into one ONNX graph that takes the raw columns.

skl2onnx converts whole scikit-learn estimators, but the workbench's pipelines work on named pandas
columns (``KindCaster`` → ``ColumnStep`` per recipe step → ``ModelInputGuard``). This module walks the
fitted pipeline and keeps one ONNX tensor of shape ``[N, 1]`` per column, as the pipeline keeps one
pandas column: each supported step maps to a few plain ONNX operators in float64 (the precision pandas
works in), and the final estimator is converted by skl2onnx and spliced in after the guard.

Graph inputs, one per raw column: numeric and boolean columns as ``double [N, 1]`` (booleans as 0.0 / 1.0,
missing as NaN), date columns as ``double [N, 1]`` seconds since 1970-01-01 (wall-clock time, NaN when
missing), categorical and text columns as ``string [N, 1]`` (missing as ``""``). Outputs: ``label``
and ``probabilities`` for a classifier, ``prediction`` for a regressor.

A step without a translation raises ``OnnxUnsupported`` whose message names the step and says why.

Adding a converter for a step type: write ``_name(g, fitted_transformer, columns) -> [_Column, ...]`` (one output
column per name the transformer's ``get_feature_names_out`` gives) and list it in ``STEP_CONVERTERS`` under the
step type's key in ``engine.prepare.steps.STEP_TYPES``, by the class its ``build`` returns. A step type with
no converter says why in its catalogue entry's ``onnx``; that sentence is the export's reason.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from importlib import metadata

import numpy as np
import onnx
import pandas as pd
from onnx import TensorProto, helper, numpy_helper
from sklearn.compose import TransformedTargetRegressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)

from engine.errors import ModelError
from engine.prepare.cleaners import DropSparseColumns, OutlierClipper
from engine.prepare.features import DerivedFeature, FrequencyEncoder
from engine.prepare.pipeline import signed_log1p
from engine.prepare.selection import FeatureSelector, PCAReducer
from engine.prepare.steps import STEP_TYPES
from engine.prepare.transformers import ColumnStep, DateParts, KindCaster, ModelInputGuard

__all__ = ["OPSETS", "STEP_CONVERTERS", "STRING_KINDS", "OnnxUnsupported", "pipeline_to_onnx"]

OPSETS = {"": 19, "ai.onnx.ml": 3}
STRING_KINDS = ("categorical", "text")
_NUMERIC_KINDS = ("numeric", "boolean")
_DOUBLE = TensorProto.DOUBLE
_EPOCH = pd.Timestamp("1970-01-01")


class OnnxUnsupported(ModelError):
    """The pipeline holds a step, column kind or model that has no ONNX translation."""


class _Graph:
    """Nodes and constants of the graph being built, with unique tensor names."""

    def __init__(self):
        self.nodes: list = []
        self.initializers: list = []
        self.inputs: list = []
        self.count = 0

    def fresh(self, hint: str) -> str:
        self.count += 1
        return f"_wb{self.count}_{hint}"

    def op(self, op_type: str, inputs: list[str], hint: str = "t", **attrs) -> str:
        out = self.fresh(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=self.fresh(op_type), **attrs))
        return out

    def const(self, value, hint: str = "c") -> str:
        array = np.asarray(value)
        if array.dtype.kind in "OUS":
            array = np.asarray(value, dtype=object)
        elif array.dtype.kind != "i":
            array = array.astype(np.float64)
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name


class _Column:
    """One pandas column as an ONNX tensor of shape [N, 1]."""

    __slots__ = ("is_date", "is_text", "tensor")

    def __init__(self, tensor: str, is_text: bool, is_date: bool = False):
        self.tensor = tensor
        self.is_text = is_text
        self.is_date = is_date


def pipeline_to_onnx(pipeline, features: list[dict], task: str, model_dtype: str = "double") -> bytes:
    """The serialized ONNX model of a fitted workbench pipeline; ``model_dtype`` is what the estimator sees.

    Raises OnnxUnsupported naming the first step, column or model that cannot be translated.
    """
    prepare, estimator = pipeline.named_steps["prepare"], pipeline.named_steps["model"]
    g = _Graph()
    frame: dict[str, _Column] = {}
    model_input = None
    for name, stage in prepare.steps:
        if isinstance(stage, KindCaster):
            frame = _cast(g, stage, features)
        elif isinstance(stage, ColumnStep):
            frame = _column_step(g, name.partition("_")[2], stage, frame)
        elif isinstance(stage, ModelInputGuard):
            model_input = _guard(g, stage, frame)
        else:
            raise OnnxUnsupported(f"Stage '{name}' ({type(stage).__name__}) has no ONNX translation.")
    if model_input is None:
        raise OnnxUnsupported("The members of this ensemble each prepare their own input (their families want "
                              "different encodings), which has no ONNX translation.")
    outputs = _splice_model(g, estimator, model_input, task, model_dtype)
    graph = helper.make_graph(g.nodes, "workbench_pipeline", g.inputs, outputs, g.initializers)
    opsets = [helper.make_opsetid(domain, version) for domain, version in OPSETS.items()]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="workbench")
    model.ir_version = 9
    onnx.checker.check_model(model)
    return model.SerializeToString()


# -- stages ---------------------------------------------------------------------------------------------------

def _cast(g: _Graph, caster: KindCaster, features: list[dict]) -> dict[str, _Column]:
    kinds = dict(caster.columns)
    frame = {}
    for name, kind in kinds.items():
        if name in ("label", "probabilities", "prediction"):
            raise OnnxUnsupported(f"Column '{name}' has the name of an ONNX output; rename it to export to ONNX.")
        is_text = kind in STRING_KINDS
        elem = TensorProto.STRING if is_text else _DOUBLE
        g.inputs.append(helper.make_tensor_value_info(name, elem, [None, 1]))
        tensor = _finite(g, name) if kind == "numeric" else name  # KindCaster reads ±inf as missing
        frame[name] = _Column(tensor, is_text, is_date=kind == "datetime")
    return frame


def _column_step(g: _Graph, step_type: str, step: ColumnStep, frame: dict[str, _Column]) -> dict[str, _Column]:
    """``step_type`` is the catalogue key the stage was compiled from (its name is ``s{position}_{type}``)."""
    if not step.columns_:
        return frame
    inner = step.transformer_
    converter = STEP_CONVERTERS.get(step_type, {}).get(type(inner))
    if converter is None or (isinstance(inner, FunctionTransformer) and inner.func is not signed_log1p):
        spec = STEP_TYPES.get(step_type)
        why = spec.onnx if spec is not None and spec.onnx else "leave the step out to export to ONNX"
        raise OnnxUnsupported(f"{_step_name(step)} ({type(inner).__name__}) has no ONNX translation; {why}.")
    missing = [c for c in step.columns_ if c not in frame]
    if missing:
        raise OnnxUnsupported(f"{_step_name(step)} needs columns {missing} that the ONNX graph does not have.")
    columns = [(c, frame[c]) for c in step.columns_]
    names = [str(n) for n in inner.get_feature_names_out(np.array(step.columns_, dtype=object))]
    out = converter(g, inner, columns)
    if len(out) != len(names):
        raise OnnxUnsupported(f"{_step_name(step)} makes {len(names)} columns but its ONNX translation made "
                              f"{len(out)}.")
    selected = set(step.columns_)
    order = list(frame)
    first = next(i for i, c in enumerate(order) if c in selected)
    before = {c: frame[c] for c in order[:first] if c not in selected}
    after = {c: frame[c] for c in order[first:] if c not in selected}
    return {**before, **dict(zip(names, out, strict=True)), **after}


def _guard(g: _Graph, guard: ModelInputGuard, frame: dict[str, _Column]) -> str:
    tensors = []
    for name in guard.feature_names_in_:
        column = frame.get(name)
        if column is None or column.is_text:
            raise OnnxUnsupported(f"Column '{name}' reaches the model as text or not at all in the ONNX graph.")
        fill = float(guard.fill_values_[name])
        tensors.append(_fill_gaps(g, column.tensor, fill, finite=True))
    return g.op("Concat", tensors, "model_input", axis=1)


# -- estimator ------------------------------------------------------------------------------------------------

def _splice_model(g: _Graph, estimator, model_input: str, task: str, model_dtype: str) -> list:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    scale = None
    if isinstance(estimator, TransformedTargetRegressor):
        target = estimator.transformer_
        if not isinstance(target, StandardScaler):
            raise OnnxUnsupported(f"The model's target transform {type(target).__name__} has no ONNX translation.")
        scale, estimator = target, estimator.regressor_
    if isinstance(estimator, DummyClassifier | DummyRegressor):
        return _constant_model(g, estimator, model_input, task)
    if _holds_boosting(estimator) and not _boosting_converts():
        # Known before converting: the failed conversion of a large boosting model built every tree's attributes
        # and an error message quoting them all (measured on a 9-class table: 6.5 s and +65 MB at the run's peak)
        raise OnnxUnsupported(f"skl2onnx cannot convert the model {type(estimator).__name__}: "
                              f"{_trees_reason(estimator)}.")
    tensor_type = DoubleTensorType if model_dtype == "double" else FloatTensorType
    n = int(estimator.n_features_in_)
    options = {id(estimator): {"zipmap": False}} if task == "classification" else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sub = convert_sklearn(estimator, initial_types=[("X", tensor_type([None, n]))], target_opset=OPSETS,
                                  options=options)
    except Exception as exc:  # skl2onnx raises many types; all mean "this model does not convert"
        reason = str(exc).strip().splitlines()[0][:300]
        if "shape calculator" in reason or "converter" in reason.lower():
            reason = f"skl2onnx {metadata.version('skl2onnx')} has no converter for it"
        elif "Unable to create node 'TreeEnsemble" in reason:  # numpy integers in the tree arrays of sklearn 1.9
            reason = _trees_reason(estimator)
        raise OnnxUnsupported(f"skl2onnx cannot convert the model {type(estimator).__name__}: {reason}.") from exc
    prefix = g.fresh("model") + "_"
    sub = onnx.compose.add_prefix(sub, prefix)
    source = model_input if model_dtype == "double" else g.op("Cast", [model_input], "as_float", to=TensorProto.FLOAT)
    g.nodes.append(helper.make_node("Identity", [source], [prefix + "X"], name=g.fresh("Identity")))
    g.nodes.extend(sub.graph.node)
    g.initializers.extend(sub.graph.initializer)
    produced = {o.name.removeprefix(prefix): o.name for o in sub.graph.output}
    if task == "classification":
        label = _rename(g, produced["label"], "label")
        proba = _rename(g, g.op("Cast", [produced["probabilities"]], "proba", to=_DOUBLE), "probabilities")
        label_type = sub.graph.output[0].type.tensor_type.elem_type
        return [helper.make_tensor_value_info(label, label_type, [None]),
                helper.make_tensor_value_info(proba, _DOUBLE, [None, len(estimator.classes_)])]
    value = g.op("Cast", [produced["variable"]], "value", to=_DOUBLE)
    value = g.op("Reshape", [value, g.const(np.array([-1, 1], dtype=np.int64))], "value")
    if scale is not None:
        value = g.op("Add", [g.op("Mul", [value, g.const(scale.scale_.reshape(1, -1))]),
                             g.const(scale.mean_.reshape(1, -1))])
    return [helper.make_tensor_value_info(_rename(g, value, "prediction"), _DOUBLE, [None, 1])]


def _trees_reason(estimator) -> str:
    return (f"skl2onnx {metadata.version('skl2onnx')} cannot write the trees of scikit-learn "
            f"{metadata.version('scikit-learn')}'s {type(estimator).__name__} (an incompatibility of the two versions)")


def _holds_boosting(estimator) -> bool:
    """Whether ``estimator`` is a histogram gradient boosting model or holds one (calibrated, as a member of a vote,
    as a member's pipeline's model, behind a target transform)."""
    if isinstance(estimator, HistGradientBoostingClassifier | HistGradientBoostingRegressor):
        return True
    inner = [getattr(estimator, "regressor_", None), getattr(estimator, "named_steps", {}).get("model")]
    inner += [c.estimator for c in getattr(estimator, "calibrated_classifiers_", [])]
    inner += list(getattr(estimator, "estimators_", [])) if hasattr(estimator, "named_estimators_") else []
    return any(_holds_boosting(e) for e in inner if e is not None)


@functools.cache
def _boosting_converts() -> bool:
    """Whether the installed skl2onnx converts scikit-learn's histogram gradient boosting (skl2onnx 1.20 cannot write
    the trees of scikit-learn 1.9.1's), tried once on a one-tree model of four rows."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType

    tiny = HistGradientBoostingRegressor(max_iter=1, min_samples_leaf=1).fit([[0.0], [1.0], [2.0], [3.0]],
                                                                             [0.0, 1.0, 2.0, 3.0])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            convert_sklearn(tiny, initial_types=[("X", DoubleTensorType([None, 1]))], target_opset=OPSETS)
    except Exception:  # skl2onnx raises many types; any means "it does not convert"
        return False
    return True


def _constant_model(g: _Graph, estimator, model_input: str, task: str) -> list:
    """A baseline that predicts the same for every row: its values broadcast to the row count."""
    if task == "classification" and estimator.strategy not in ("prior", "most_frequent"):
        raise OnnxUnsupported(f"The baseline's '{estimator.strategy}' strategy predicts at random, which ONNX does "
                              "not reproduce.")
    blank = np.zeros((1, int(estimator.n_features_in_)))
    zeros = g.op("Mul", [g.op("ReduceSum", [model_input, g.const(np.array([1], dtype=np.int64))], keepdims=1),
                         g.const([[0.0]])], "zeros")  # [N, 1]; the guard leaves no NaN
    if task == "regression":
        value = g.op("Add", [zeros, g.const(np.asarray(estimator.predict(blank), dtype=float).reshape(1, 1))])
        return [helper.make_tensor_value_info(_rename(g, value, "prediction"), _DOUBLE, [None, 1])]
    proba = g.op("Add", [zeros, g.const(estimator.predict_proba(blank).astype(float))])
    classes = np.asarray(estimator.classes_)
    is_text = classes.dtype.kind in "OUS"
    table = g.const(classes.astype(object) if is_text else classes.astype(np.int64))
    label = g.op("Gather", [table, g.op("ArgMax", [proba], axis=1, keepdims=0)], axis=0)
    label_type = TensorProto.STRING if is_text else TensorProto.INT64
    return [helper.make_tensor_value_info(_rename(g, label, "label"), label_type, [None]),
            helper.make_tensor_value_info(_rename(g, proba, "probabilities"), _DOUBLE, [None, len(classes)])]


def _rename(g: _Graph, tensor: str, name: str) -> str:
    g.nodes.append(helper.make_node("Identity", [tensor], [name], name=g.fresh("Identity")))
    return name


# -- column transformers: (graph, fitted transformer, [(name, column)]) -> [column per output name] ------------

def _fill_gaps(g: _Graph, tensor: str, fill, finite: bool = False) -> str:
    gap = g.op("IsNaN", [tensor], "gap")
    if finite:
        gap = g.op("Or", [gap, g.op("IsInf", [tensor], "inf")], "gap")
    return g.op("Where", [gap, g.const(np.array([[fill]], dtype=np.float64)), tensor], "filled")


def _finite(g: _Graph, tensor: str) -> str:
    """The tensor with ±inf replaced by NaN (missing)."""
    return g.op("Where", [g.op("IsInf", [tensor]), g.const([[np.nan]]), tensor], "finite")


def _is_missing(g: _Graph, column: _Column) -> str:
    if column.is_text:
        return g.op("Equal", [column.tensor, g.const(np.array([[""]], dtype=object))], "missing")
    return g.op("IsNaN", [column.tensor], "missing")


def _numeric(columns, who: str) -> None:
    text = [name for name, column in columns if column.is_text or column.is_date]
    if text:
        raise OnnxUnsupported(f"{who} gets text columns {text} in the ONNX graph; it needs numbers.")


def _imputer(g: _Graph, imputer: SimpleImputer, columns) -> list[_Column]:
    out = []
    for (_, column), value in zip(columns, imputer.statistics_, strict=True):
        if column.is_text:
            fill = g.const(np.array([["" if _is_nan(value) else str(value)]], dtype=object))
            out.append(_Column(g.op("Where", [_is_missing(g, column), fill, column.tensor], "filled"), True))
        else:
            out.append(_Column(_fill_gaps(g, column.tensor, float(value)), False))
    if imputer.add_indicator:
        for index in imputer.indicator_.features_:
            flag = g.op("Cast", [_is_missing(g, columns[index][1])], "flag", to=_DOUBLE)
            out.append(_Column(flag, False))
    return out


def _affine(g: _Graph, columns, shift, factor, who: str, divide: bool) -> list[_Column]:
    """(x - shift) / factor, or x * factor + shift, column by column (None: leave out that part)."""
    _numeric(columns, who)
    out = []
    for j, (_, column) in enumerate(columns):
        tensor = column.tensor
        if divide:
            if shift is not None:
                tensor = g.op("Sub", [tensor, g.const([[shift[j]]])])
            if factor is not None:
                tensor = g.op("Div", [tensor, g.const([[factor[j]]])])
        else:
            tensor = g.op("Add", [g.op("Mul", [tensor, g.const([[factor[j]]])]), g.const([[shift[j]]])])
        out.append(_Column(tensor, False))
    return out


def _standard(g, scaler: StandardScaler, columns):
    return _affine(g, columns, scaler.mean_, scaler.scale_, "StandardScaler", divide=True)


def _robust(g, scaler: RobustScaler, columns):
    return _affine(g, columns, scaler.center_, scaler.scale_, "RobustScaler", divide=True)


def _minmax(g, scaler: MinMaxScaler, columns):
    if scaler.clip:
        raise OnnxUnsupported("A MinMaxScaler with clip=True has no ONNX translation.")
    return _affine(g, columns, scaler.min_, scaler.scale_, "MinMaxScaler", divide=False)


def _log(g, transformer: FunctionTransformer, columns):
    _numeric(columns, "The log transform")
    out = []
    for _, column in columns:
        log = g.op("Log", [g.op("Add", [g.op("Abs", [column.tensor]), g.const([[1.0]])])])
        out.append(_Column(g.op("Mul", [g.op("Sign", [column.tensor]), log]), False))
    return out


def _equals(g: _Graph, column: _Column, value) -> str:
    """1.0 where the column holds ``value`` (NaN: where it is missing), else 0.0."""
    if _is_nan(value):
        hit = _is_missing(g, column)
    elif column.is_text:
        hit = g.op("Equal", [column.tensor, g.const(np.array([[str(value)]], dtype=object))], "hit")
    else:
        hit = g.op("Equal", [column.tensor, g.const([[float(value)]])], "hit")
    return g.op("Cast", [hit], "onehot", to=_DOUBLE)


def _onehot(g, encoder: OneHotEncoder, columns):
    if encoder.drop is not None:
        raise OnnxUnsupported("A one-hot encoding that drops a category has no ONNX translation.")
    out = []
    infrequent = getattr(encoder, "infrequent_categories_", [None] * len(columns))
    for (_, column), categories, rare in zip(columns, encoder.categories_, infrequent, strict=True):
        rare_set = {str(v) for v in rare} if rare is not None else set()
        frequent = [_equals(g, column, c) for c in categories if str(c) not in rare_set]
        out.extend(_Column(t, False) for t in frequent)
        if rare is not None:  # unknown and infrequent categories both land in the infrequent column
            total = g.op("ReduceSum", [g.op("Concat", frequent, axis=1), g.const(np.array([1], dtype=np.int64))],
                         keepdims=1) if frequent else g.const([[0.0]])
            out.append(_Column(g.op("Sub", [g.const([[1.0]]), total]), False))
    return out


def _weighted_sum(g: _Graph, column: _Column, weights: list[tuple[object, float]], base: float) -> str:
    """base + sum of weight * [column == value]."""
    total = g.op("Add", [_zeros(g, column), g.const([[base]])])
    for value, weight in weights:
        total = g.op("Add", [total, g.op("Mul", [_equals(g, column, value), g.const([[weight]])])])
    return total


def _zeros(g: _Graph, column: _Column) -> str:
    """A [N, 1] double tensor of zeros shaped like the column (text or numbers)."""
    if column.is_text:
        return g.op("Mul", [g.op("Cast", [_is_missing(g, column)], to=_DOUBLE), g.const([[0.0]])], "zeros")
    return g.op("Mul", [_fill_gaps(g, column.tensor, 0.0, finite=True), g.const([[0.0]])], "zeros")


def _ordinal(g, encoder: OrdinalEncoder, columns):
    unknown = float(encoder.unknown_value) if encoder.handle_unknown == "use_encoded_value" else None
    missing = encoder.encoded_missing_value
    if unknown is None or _is_nan(missing) or float(missing) != unknown:
        raise OnnxUnsupported("Only an ordinal encoding that codes unknown and missing values alike translates "
                              "to ONNX.")
    out = []
    for (_, column), categories in zip(columns, encoder.categories_, strict=True):
        weights = [(c, float(i) - unknown) for i, c in enumerate(categories) if not _is_nan(c)]
        out.append(_Column(_weighted_sum(g, column, weights, unknown), False))
    return out


def _target(g, encoder: TargetEncoder, columns):
    """The encodings learned on all training rows (what transform uses; the cross-fitting only shaped training)."""
    means = np.atleast_1d(np.asarray(encoder.target_mean_, dtype=float))
    out = []
    for j, (_, column) in enumerate(columns):
        for k, mean in enumerate(means):
            codes = encoder.encodings_[j * len(means) + k]
            weights = [(c, float(v) - mean) for c, v in zip(encoder.categories_[j], codes, strict=True)]
            out.append(_Column(_weighted_sum(g, column, weights, float(mean)), False))  # unseen: the mean
    return out


def _frequency(g, encoder: FrequencyEncoder, columns):
    out = []
    for name, column in columns:
        weights = [(value, float(share)) for value, share in encoder.frequencies_[name].items()]
        weights.append((np.nan, float(encoder.missing_share_[name])))
        out.append(_Column(_weighted_sum(g, column, weights, 0.0), False))
    return out


def _drop_sparse(g, step: DropSparseColumns, columns):
    return [column for name, column in columns if name not in set(step.dropped_)]


def _select(g, selector: FeatureSelector, columns):
    kept = set(selector.get_feature_names_out())
    return [column for name, column in columns if name in kept]


def _clip(g, clipper: OutlierClipper, columns):
    _numeric(columns, "Outlier clipping")
    out = []
    for name, column in columns:
        tensor = _finite(g, column.tensor)  # the clipper reads ±inf as missing
        low, high = clipper.lower_.get(name, np.nan), clipper.upper_.get(name, np.nan)
        if not _is_nan(high):  # comparisons with NaN are false, so gaps stay gaps as in pandas
            bound = g.const([[float(high)]])
            tensor = g.op("Where", [g.op("Greater", [tensor, bound]), bound, tensor])
        if not _is_nan(low):
            bound = g.const([[float(low)]])
            tensor = g.op("Where", [g.op("Less", [tensor, bound]), bound, tensor])
        out.append(_Column(tensor, False))
    return out


def _derive(g, derived: DerivedFeature, columns):
    _numeric(columns, "The new feature")
    by_name = {name: column.tensor for name, column in columns}
    x, r = by_name[derived.left], by_name.get(derived.right)

    def nan() -> str:
        return g.const([[np.nan]])

    def zero() -> str:
        return g.const([[0.0]])

    ops = {"add": lambda: g.op("Add", [x, r]), "subtract": lambda: g.op("Sub", [x, r]),
           "multiply": lambda: g.op("Mul", [x, r]), "square": lambda: g.op("Mul", [x, x]),
           "abs": lambda: g.op("Abs", [x]),
           "divide": lambda: g.op("Where", [g.op("Equal", [r, zero()]), nan(), g.op("Div", [x, r])]),
           "log": lambda: g.op("Where", [g.op("Greater", [x, zero()]), g.op("Log", [x]), nan()]),
           "log1p": lambda: g.op("Where", [g.op("Less", [x, zero()]), nan(),
                                           g.op("Log", [g.op("Add", [x, g.const([[1.0]])])])]),
           "sqrt": lambda: g.op("Where", [g.op("Less", [x, zero()]), nan(), g.op("Sqrt", [x])]),
           "bin": lambda: _bins(g, x, derived.edges_)}
    return [column for _, column in columns] + [_Column(ops[derived.op](), False)]


def _bins(g: _Graph, x: str, edges) -> str:
    """The number of edges <= x (numpy's searchsorted, side='right'); NaN stays NaN."""
    count = _zeros(g, _Column(x, False))
    for edge in edges:
        count = g.op("Add", [count, g.op("Cast", [g.op("GreaterOrEqual", [x, g.const([[float(edge)]])])], to=_DOUBLE)])
    return g.op("Where", [g.op("IsNaN", [x]), g.const([[np.nan]]), count])


def _pca(g, reducer: PCAReducer, columns):
    _numeric(columns, "PCA")
    pca = reducer.pca_
    if pca.whiten:
        raise OnnxUnsupported("A whitened PCA has no ONNX translation.")
    filled = [_fill_gaps(g, column.tensor, float(reducer.fill_values_[name])) for name, column in columns]
    matrix = g.op("Sub", [g.op("Concat", filled, axis=1), g.const(pca.mean_.reshape(1, -1))])
    scores = g.op("MatMul", [matrix, g.const(pca.components_.T)])
    if pca.n_components_ == 1:
        return [_Column(scores, False)]
    names = [g.fresh("pc") for _ in range(pca.n_components_)]
    sizes = g.const(np.ones(pca.n_components_, dtype=np.int64))
    g.nodes.append(helper.make_node("Split", [scores, sizes], names, name=g.fresh("Split"), axis=1))
    return [_Column(n, False) for n in names]


def _date_parts(g, parts: DateParts, columns):
    out = []
    for name, column in columns:
        if not column.is_date:
            raise OnnxUnsupported(f"The Date parts step gets column '{name}', which is not a date in the ONNX graph.")
        seconds = column.tensor
        days = _floor_div(g, seconds, 86400.0)
        civil = _civil_from_days(g, days) if {"year", "month", "day"} & set(parts.parts) else {}
        for part in parts.parts:
            if part in civil:
                out.append(_Column(civil[part], False))
            elif part == "dayofweek":  # 1970-01-01 was a Thursday (3, with Monday = 0)
                shifted = g.op("Add", [days, g.const([[3.0]])])
                week = g.op("Sub", [shifted, g.op("Mul", [_floor_div(g, shifted, 7.0), g.const([[7.0]])])])
                out.append(_Column(week, False))
            elif part == "hour":
                within = g.op("Sub", [seconds, g.op("Mul", [days, g.const([[86400.0]])])])
                out.append(_Column(_floor_div(g, within, 3600.0), False))
            else:  # elapsed_days
                reference = parts.reference_.get(str(name), pd.NaT)
                if getattr(reference, "tzinfo", None) is not None:
                    raise OnnxUnsupported(f"Column '{name}' holds time-zone aware dates, which do not convert to ONNX.")
                start = np.nan if pd.isna(reference) else (reference - _EPOCH) / pd.Timedelta(seconds=1)
                out.append(_Column(g.op("Div", [g.op("Sub", [seconds, g.const([[start]])]),
                                                g.const([[86400.0]])]), False))
    return out


def _floor_div(g: _Graph, x: str, by: float) -> str:
    return g.op("Floor", [g.op("Div", [x, g.const([[by]])])])


def _civil_from_days(g: _Graph, days: str) -> dict[str, str]:
    """Year, month and day of days since 1970-01-01 (H. Hinnant's civil_from_days, in exact float64 integers)."""
    def c(v: float) -> str:
        return g.const([[v]])

    z = g.op("Add", [days, c(719468.0)])
    era = _floor_div(g, z, 146097.0)
    doe = g.op("Sub", [z, g.op("Mul", [era, c(146097.0)])])
    yoe = g.op("Sub", [doe, _floor_div(g, doe, 1460.0)])
    yoe = g.op("Add", [yoe, _floor_div(g, doe, 36524.0)])
    yoe = _floor_div(g, g.op("Sub", [yoe, _floor_div(g, doe, 146096.0)]), 365.0)
    year = g.op("Add", [yoe, g.op("Mul", [era, c(400.0)])])
    base = g.op("Add", [g.op("Mul", [yoe, c(365.0)]), _floor_div(g, yoe, 4.0)])
    doy = g.op("Sub", [doe, g.op("Sub", [base, _floor_div(g, yoe, 100.0)])])
    mp = _floor_div(g, g.op("Add", [g.op("Mul", [doy, c(5.0)]), c(2.0)]), 153.0)
    day = g.op("Add", [g.op("Sub", [doy, _floor_div(g, g.op("Add", [g.op("Mul", [mp, c(153.0)]), c(2.0)]), 5.0)]),
                       c(1.0)])
    month = g.op("Where", [g.op("Less", [mp, c(10.0)]), g.op("Add", [mp, c(3.0)]), g.op("Sub", [mp, c(9.0)])])
    year = g.op("Add", [year, g.op("Cast", [g.op("LessOrEqual", [month, c(2.0)])], to=_DOUBLE)])
    return {"year": year, "month": month, "day": day}


def _is_nan(value) -> bool:
    return value is None or (isinstance(value, float | np.floating) and np.isnan(value))


def _step_name(step: ColumnStep) -> str:
    name = step.label or f"the {type(step.transformer).__name__} step"
    return name[:1].upper() + name[1:]


#: Step type (a key of ``engine.prepare.steps.STEP_TYPES``) -> converter of each fitted transformer its ``build``
#: can return that ONNX translates. Every column step type has an entry; what is missing, its ``onnx`` explains.
STEP_CONVERTERS: dict[str, dict[type, Callable]] = {
    "drop_sparse": {DropSparseColumns: _drop_sparse},
    "impute": {SimpleImputer: _imputer},
    "clip_outliers": {OutlierClipper: _clip},
    "flag_outliers": {},
    "derive": {DerivedFeature: _derive},
    "date_parts": {DateParts: _date_parts},
    "power": {FunctionTransformer: _log},
    "scale": {StandardScaler: _standard, RobustScaler: _robust, MinMaxScaler: _minmax},
    "encode": {OneHotEncoder: _onehot, OrdinalEncoder: _ordinal, TargetEncoder: _target,
               FrequencyEncoder: _frequency},
    "tfidf": {},
    "pca": {PCAReducer: _pca},
    "select": {FeatureSelector: _select},
}
