"""Model files that leave the workbench: skops (safe to load), ONNX (checked against scikit-learn), model card.

skops stores a pipeline without pickle; loading it constructs only the types a caller trusts. The workbench
trusts scikit-learn, NumPy and SciPy types and the ``engine`` classes its recipes compile to
(``TRUSTED_ENGINE_TYPES``: the pipeline's frame and each step type's ``engine_types`` in the step catalogue,
``engine.prepare.steps.STEP_TYPES``; a new step type declares its types there, not here), and refuses any other
type:

>>> from sklearn.linear_model import LogisticRegression
>>> model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
>>> loads_skops(dumps_skops(model)).predict([[0.9]]).tolist()
[1]

ONNX export goes through ``engine.deploy.onnx_converters`` and is always verified: ``export_onnx`` runs onnxruntime
on the given rows and compares with the pipeline (labels equal, probabilities and values within
``ONNX_TOLERANCE``); an export whose check fails is not returned, only the reason.
"""

from __future__ import annotations

import copy
import gc
import io
import json
import re
import zipfile
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.ensemble import VotingClassifier, VotingRegressor

from engine.deploy.onnx_feeds import OnnxRunner, onnx_inputs
from engine.deploy.packed_trees import (
    PackedForest,
    PackedPredictors,
    PackedTreesError,
    TreeChunk,
    pack_trees,
    unpack_trees,
)
from engine.errors import ModelError
from engine.legacy import MOVED_MODULES
from engine.prepare.cleaners import IsolationFlag, OutlierClipper
from engine.prepare.pipeline import engine_types
from engine.prepare.selection import PCAReducer
from engine.prepare.steps import describe_step
from engine.prepare.transformers import DateParts, ModelInputGuard

__all__ = [
    "ONNX_TOLERANCE",
    "TRUSTED_ENGINE_TYPES",
    "TRUSTED_MODULES",
    "ExportError",
    "OnnxCheck",
    "OnnxExport",
    "OnnxRunner",
    "UntrustedTypesError",
    "check_onnx",
    "dumps_skops",
    "export_onnx",
    "loads_skops",
    "model_card_markdown",
    "onnx_inputs",
    "run_onnx",
    "untrusted_skops_types",
    "with_threshold",
]

#: Largest accepted |onnx - sklearn| / max(1, |sklearn|) of a probability or regression value.
ONNX_TOLERANCE = 1e-4
#: Top-level modules whose types a skops file may hold.
TRUSTED_MODULES = ("sklearn", "numpy", "scipy")
#: The workbench's own types a skops file may hold: what ``build_pipeline`` compiles a recipe to.
TRUSTED_ENGINE_TYPES = frozenset(f"{t.__module__}.{t.__qualname__}" for t in engine_types()) | {
    "engine.deploy.export._ClipBounds",
    *(f"{t.__module__}.{t.__qualname__}" for t in (PackedForest, PackedPredictors, TreeChunk))}
#: Standard-library types inside scikit-learn's own fitted models: histogram gradient boosting with categorical
#: features holds ``partial(check_array, ...)``. What a partial wraps is checked like any other type.
TRUSTED_STDLIB_TYPES = frozenset({"functools.partial"})
#: The same types under the module paths files written before December 2026 name (see ``engine.legacy``).
LEGACY_ENGINE_TYPES = frozenset(old + name[len(new):] for name in TRUSTED_ENGINE_TYPES
                                for old, new in MOVED_MODULES.items() if name.startswith(new + "."))


class ExportError(ModelError):
    """A model cannot be written in the asked format; the message says why."""


class UntrustedTypesError(ExportError):
    """A skops file holds types outside ``TRUSTED_MODULES``; it is not loaded."""


# -- the decision threshold -----------------------------------------------------------------------------------

def with_threshold(pipeline, threshold: float | None):
    """The fitted two-class ``pipeline`` wrapped so that ``predict`` decides at ``threshold`` (P(second class) >= it,
    as the workbench scores), through scikit-learn's ``FixedThresholdClassifier``; ``pipeline`` itself when there is
    no threshold. The wrapper needs no fit: it scores with the fitted pipeline, and keeps ``predict_proba`` and
    ``classes_``.

    >>> from sklearn.linear_model import LogisticRegression
    >>> model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    >>> with_threshold(model, 0.99).predict([[0.9]]).tolist()
    [0]
    """
    if threshold is None:
        return pipeline
    from sklearn.model_selection import FixedThresholdClassifier

    if len(getattr(pipeline, "classes_", ())) != 2 or not hasattr(pipeline, "predict_proba"):
        raise ExportError("A decision threshold applies to two-class models that give probabilities only.")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold < 1:
        raise ExportError(f"The decision threshold must be a number in (0, 1). Got {threshold!r} instead.")
    return FixedThresholdClassifier(pipeline, threshold=float(threshold), response_method="predict_proba")


def _unwrapped(model):
    """The pipeline inside a ``with_threshold`` wrapper (or ``model`` itself)."""
    from sklearn.model_selection import FixedThresholdClassifier

    return model.estimator if isinstance(model, FixedThresholdClassifier) else model


# -- skops ------------------------------------------------------------------------------------------------------

def dumps_skops(pipeline) -> bytes:
    """The pipeline (or its ``with_threshold`` wrapper) as skops bytes. Fitted pandas values are stored as plain
    dicts and NumPy datetimes.

    Raises ExportError naming a step whose fitted state skops cannot store.
    """
    ready = _skops_copy(pipeline)
    for step in _estimators(_unwrapped(ready)):
        _skops_ready(step)
    ready = pack_trees(ready)  # a forest's trees as a few arrays, not thousands of objects (``packed_trees``)
    try:
        return _skops_bytes(ready)
    except (TypeError, ValueError) as exc:
        raise ExportError(f"skops cannot store this pipeline: {exc}") from exc


def _skops_bytes(obj) -> bytes:
    """``skops.io.dumps(obj)``, deflated, with its ``schema.json`` written without indentation.

    skops writes the schema (one JSON object per stored object: 38,000 for a vote holding two 200-tree forests)
    with ``indent=2``, which takes Python's pure-Python JSON encoder: measured on such a vote, a 20 MB string and
    +89 MB at the peak of writing, against 4.8 MB and +36 MB compact (and +42 MB against +25 MB loading it back,
    here and in every ``predict``). The file is the same to skops' reader, which parses JSON either way. Deflated
    (level 1, as fast as storing): a forest's node arrays shrink about 6x, and so does the peak memory of writing
    them (measured: 59 MB of bytes and +144 MB at the peak stored, 9 MB and +68 MB deflated). Where skops' saving
    steps are not where version 0.16 has them, ``skops.io.dumps`` itself writes the file.
    """
    import skops
    import skops.io as sio

    try:
        from skops.io._utils import SaveContext, get_state
    except ImportError:  # another skops layout: its own writer
        return sio.dumps(obj, compression=zipfile.ZIP_DEFLATED, compresslevel=1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zip_file:
        context = SaveContext(zip_file=zip_file)
        state = get_state(obj, context)
        context.clear_memo()
        state["protocol"] = context.protocol
        state["_skops_version"] = skops.__version__
        zip_file.writestr("schema.json", json.dumps(state, separators=(",", ":")))
        del state
    return buffer.getvalue()


def _skops_copy(pipeline):
    """A copy of ``pipeline`` that ``_skops_ready`` may change without changing ``pipeline``: the steps it changes
    and whatever holds them are copied; every other estimator (the fitted model: a forest can hold 100 MB) is the
    same object in both. A vote's copy drops ``named_estimators_`` (``_restore_named_estimators``)."""
    touched = (ModelInputGuard, PCAReducer, IsolationFlag, DateParts, OutlierClipper)

    def holds_touched(step) -> bool:
        inner = _stage_estimators(step)  # the step itself first, then what it holds
        return any(isinstance(s, touched) for s in inner) or any(holds_touched(s) for s in inner[1:])

    steps = _estimators(_unwrapped(pipeline))
    votes = [s for s in steps if isinstance(s, VotingClassifier | VotingRegressor)]
    shared = {id(step): step for step in steps if step not in votes and not holds_touched(step)}
    shared.update({id(m): m for vote in votes for m in getattr(vote, "estimators_", [])
                   if not hasattr(m, "steps") and not holds_touched(m)})  # members sharing the vote's input
    ready = copy.deepcopy(pipeline, memo=shared)
    for vote in _estimators(_unwrapped(ready)):
        if isinstance(vote, VotingClassifier | VotingRegressor) and hasattr(vote, "named_estimators_"):
            # The same fitted members as ``estimators_``, by name; skops stores every reference to an object again,
            # so a vote's members were written, loaded and held twice (measured on a vote of two 9-class boosting
            # models and a forest: 68 MB of arrays for 29 MB of models, +142 MB at the peak of loading it back).
            del vote.named_estimators_
    return ready


def _restore_named_estimators(model) -> None:
    """Give each vote loaded from skops the ``named_estimators_`` its fit made (``_skops_copy`` does not store it):
    its fitted members by name, the very objects of ``estimators_``, as scikit-learn's ``fit`` sets them."""
    from sklearn.utils import Bunch

    for vote in _estimators(_unwrapped(model)):
        if isinstance(vote, VotingClassifier | VotingRegressor) and hasattr(vote, "estimators_") \
                and not hasattr(vote, "named_estimators_"):
            members = iter(vote.estimators_)
            vote.named_estimators_ = Bunch(**{name: est if isinstance(est, str) and est == "drop" else next(members)
                                              for name, est in vote.estimators})


def untrusted_skops_types(data: bytes) -> list[str]:
    """The types a skops file would construct beyond skops' own defaults (engine.prepare.transformers.KindCaster …)."""
    import skops.io as sio

    return sorted(sio.get_untrusted_types(data=data))


def loads_skops(data: bytes):
    """Load skops bytes when every type it holds is trusted (``TRUSTED_MODULES``, ``TRUSTED_ENGINE_TYPES``);
    else raise UntrustedTypesError without constructing anything."""
    import skops.io as sio

    types = untrusted_skops_types(data)
    trusted = TRUSTED_ENGINE_TYPES | LEGACY_ENGINE_TYPES | TRUSTED_STDLIB_TYPES
    refused = [t for t in types if t.split(".", 1)[0] not in TRUSTED_MODULES and t not in trusted]
    if refused:
        raise UntrustedTypesError(f"The skops file holds types the workbench does not trust: {refused[:10]}; "
                                  f"only scikit-learn, NumPy and SciPy types and the workbench's own pipeline "
                                  "steps are loaded.")
    # skops' trees of nodes (one for the audit above, one for loading) hold reference cycles, so each lingers until
    # the cyclic collector runs: measured on a vote of two 9-class boosting models and a forest, the audit's +73 MB
    # stayed through the load (+137 MB at its peak), and 60 MB of the load's own after it.
    gc.collect()
    try:
        model = unpack_trees(sio.loads(data, trusted=types))
    except PackedTreesError as exc:
        raise ExportError(f"The skops file cannot be loaded: {exc}") from exc
    gc.collect()
    _restore_named_estimators(model)
    return model


def _estimators(pipeline) -> list:
    """Every estimator inside a workbench pipeline (the stages, the transformer inside each ColumnStep, and those of
    each member pipeline of an ensemble, calibrated or not)."""
    found = []
    for _, stage in getattr(pipeline, "steps", []):
        found.extend(_estimators(stage) if hasattr(stage, "steps") else _stage_estimators(stage))
    return found


def _stage_estimators(stage) -> list:
    found = [stage]
    if hasattr(stage, "transformer_") and stage.transformer_ is not None:
        found.append(stage.transformer_)
    for member in getattr(stage, "estimators_", []):  # an ensemble whose members prepare their own input
        found.extend(_estimators(member))
    for calibrated in getattr(stage, "calibrated_classifiers_", []):  # a calibrated model: the model inside
        found.extend(_stage_estimators(calibrated.estimator))
    return found


def _skops_ready(step) -> None:
    """Replace pandas values skops cannot store by equivalents the step's transform accepts."""
    if isinstance(step, ModelInputGuard | PCAReducer) and hasattr(step, "fill_values_"):
        step.fill_values_ = {k: float(v) for k, v in step.fill_values_.items()}  # DataFrame.fillna takes a dict
    elif isinstance(step, IsolationFlag) and hasattr(step, "medians_"):
        step.medians_ = {k: float(v) for k, v in step.medians_.items()}
    elif isinstance(step, DateParts) and hasattr(step, "reference_"):
        if any(getattr(v, "tzinfo", None) is not None for v in step.reference_.values()):
            raise ExportError("The Date parts step holds time-zone aware dates, which skops cannot store; "
                              "download the joblib file instead.")
        step.reference_ = {k: np.datetime64(pd.Timestamp(v).to_datetime64(), "ns") if pd.notna(v)
                           else np.datetime64("NaT", "ns") for k, v in step.reference_.items()}
    elif isinstance(step, OutlierClipper) and hasattr(step, "lower_"):
        step.lower_ = _ClipBounds({k: float(v) for k, v in step.lower_.items()})
        step.upper_ = _ClipBounds({k: float(v) for k, v in step.upper_.items()})


class _ClipBounds(dict):
    """An OutlierClipper's bounds as a plain dict skops can store; ``fillna`` gives the Series its transform uses."""

    def fillna(self, value) -> pd.Series:
        return pd.Series(self, dtype=float).fillna(value)


# -- ONNX -------------------------------------------------------------------------------------------------------

class OnnxCheck(NamedTuple):
    """How an ONNX model's predictions compare with the pipeline's on some rows."""

    rows: int
    labels_equal: bool | None  # None for regression
    max_diff: float  # largest |onnx - sklearn| / max(1, |sklearn|) over probabilities or values
    ok: bool


class OnnxExport(NamedTuple):
    """An ONNX export and its check, or the reason there is none (then ``data`` is None)."""

    data: bytes | None
    check: OnnxCheck | None
    reason: str | None
    model_dtype: str | None  # "double" or "float": the precision the estimator runs in


def run_onnx(data: bytes, frame: pd.DataFrame, features: list[dict]) -> dict[str, np.ndarray]:
    """Run an exported ONNX model on raw rows with onnxruntime; outputs by name."""
    return OnnxRunner(data, features)(frame)


def check_onnx(data: bytes, pipeline, frame: pd.DataFrame, features: list[dict], task: str) -> OnnxCheck:
    """Compare onnxruntime's predictions with the pipeline's on ``frame``'s rows."""
    outputs = run_onnx(data, frame, features)
    X = frame[[f["name"] for f in features]]
    if task == "classification":
        labels = bool(np.array_equal(np.asarray(outputs["label"]).astype(str), pipeline.predict(X).astype(str)))
        diff = _max_diff(outputs["probabilities"], pipeline.predict_proba(X))
        return OnnxCheck(len(X), labels, diff, labels and diff <= ONNX_TOLERANCE)
    diff = _max_diff(np.ravel(outputs["prediction"]), pipeline.predict(X))
    return OnnxCheck(len(X), None, diff, diff <= ONNX_TOLERANCE)


def _max_diff(onnx_values, sklearn_values) -> float:
    expected = np.asarray(sklearn_values, dtype=float)
    got = np.asarray(onnx_values, dtype=float).reshape(expected.shape)
    if not len(expected):
        return 0.0
    return float(np.max(np.abs(got - expected) / np.maximum(1.0, np.abs(expected))))


def export_onnx(pipeline, features: list[dict], task: str, check_rows: pd.DataFrame) -> OnnxExport:
    """Convert a fitted workbench pipeline to ONNX and verify it on ``check_rows`` (e.g. validation rows).

    The estimator runs in float64 when skl2onnx and onnxruntime allow it, else in float32. Returns the
    reason instead of the bytes when a step does not convert or the check fails.
    """
    if len(check_rows) == 0:
        raise ExportError("An ONNX export is checked on validation rows, and none were given.")
    # Imported here: the onnx package takes about a second to import, which every command that only loads a model
    # and scores (``predict``, ``serve`` on the scikit-learn runtime) would otherwise pay at start-up.
    from engine.deploy.onnx_converters import OnnxUnsupported, pipeline_to_onnx

    reason, failed = None, None
    for dtype in _precisions(pipeline.named_steps["model"]):
        try:
            data = pipeline_to_onnx(pipeline, features, task, model_dtype=dtype)
            check = check_onnx(data, pipeline, check_rows, features, task)
        except OnnxUnsupported as exc:
            if "skl2onnx cannot convert the model" not in str(exc):
                return OnnxExport(None, None, str(exc), None)
            reason = reason or str(exc)
            continue
        except Exception as exc:  # onnxruntime refusing a graph (e.g. a float64 tree ensemble): try the other
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            reason = reason or f"onnxruntime cannot run the converted model: {first_line[:300]}"
            continue
        if check.ok:
            return OnnxExport(data, check, None, dtype)
        failed, reason = check, _failed(check)  # a failed check is the reason to give, whatever comes next
    return OnnxExport(None, failed, reason, None)


def _precisions(estimator) -> tuple[str, str]:
    """Trees compare float32 values in scikit-learn too, so they convert in float32 first; others in float64."""
    inner = getattr(estimator, "regressor", estimator)
    trees = hasattr(inner, "tree_") or hasattr(inner, "estimators_") or "Tree" in type(inner).__name__ \
        or "Forest" in type(inner).__name__ or "GradientBoosting" in type(inner).__name__
    return ("float", "double") if trees else ("double", "float")


def _failed(check: OnnxCheck) -> str:
    if check.labels_equal is False:
        return (f"The ONNX model predicts different classes than scikit-learn on some of {check.rows} validation "
                "rows, so it is not offered.")
    return (f"The ONNX model's values differ from scikit-learn's by up to {check.max_diff:.2g} (relative) on "
            f"{check.rows} validation rows, above the tolerance {ONNX_TOLERANCE:g}, so it is not offered.")


# -- model card ---------------------------------------------------------------------------------------------------

def model_card_markdown(card: dict, install: str | None = None) -> str:
    """A model card in Markdown from the card dict (``model.json`` plus threshold, test metrics, exports).

    ``install`` is the ``pip install`` line of the model's runtime wheel (``engine.deploy.runtime.install_command``);
    without it the card names the library versions the model was trained with and where to get the wheel.
    """
    dataset, metrics = card.get("dataset") or {}, card.get("metrics") or {}
    lines = [f"# Model card: {card.get('estimator', 'model')} for '{_text(card.get('target'))}'", "",
             f"- **Task**: {card.get('task')}, metric {card.get('metric')}",
             f"- **Model file sha256**: `{card.get('sha256')}`",
             f"- **Created**: {card.get('created_at')}", "", "## Data", "",
             f"- **Source**: {_text(dataset.get('name'))} ({dataset.get('rows')} rows), "
             f"sha256 `{dataset.get('sha256')}`",
             f"- **Training rows**: {(card.get('trained_on') or {}).get('rows')}", "",
             "| feature | kind | dtype |", "|---|---|---|"]
    lines += [f"| {_text(f['name'])} | {_text(f['kind'])} | {_text(f.get('dtype', ''))} |"
              for f in card.get("features") or []]
    lines += ["", "## Recipe", ""]
    steps = [s for s in (card.get("recipe") or {}).get("steps", []) if s.get("enabled", True)]
    lines += [f"{i}. {_text(_describe(s))}" for i, s in enumerate(steps, 1)] or ["No preparation steps."]
    lines += ["", "## Model", "", f"- **Family**: {card.get('family')} (`{card.get('estimator')}`)",
              f"- **Training time**: {_seconds(card.get('fit_seconds'))} (the whole run: "
              f"{_seconds(card.get('run_seconds'))})", "", "| hyper-parameter | value |", "|---|---|"]
    lines += [f"| {_text(k)} | {_text(v)} |" for k, v in sorted((card.get("params") or {}).items())]
    lines += ["", "## Metrics", "", "| metric | validation | final test |", "|---|---|---|"]
    valid, test = metrics.get("validation") or {}, card.get("test_metrics") or {}
    names = [k for k in valid if isinstance(valid[k], int | float) and k != "decision_threshold"]
    lines += [f"| {_text(k)} | {_number(valid.get(k))} | {_number(test.get(k))} |" for k in names]
    cv = metrics.get("cv") or {}
    if cv.get("mean") is not None:
        lines += ["", f"Cross-validation: {_number(cv['mean'])} ± {_number(cv.get('std'))} "
                      f"over {len(cv.get('scores') or [])} folds."]
    if not test:
        lines += ["", "The final test has not been run (Evaluate page)."]
    threshold = card.get("decision_threshold")
    lines += ["", "## Decision threshold", "",
              f"Positive class when its probability >= {threshold:g}." if threshold is not None
              else "None saved: the class with the highest probability is predicted."]
    lines += _calibration_lines(card.get("calibration"))
    intervals = card.get("prediction_intervals") or []
    if intervals:
        lines += ["", "## Prediction intervals", "",
                  "Split-conformal, from the validation residuals: the prediction ± the half-width. Over REST, "
                  "`POST /predict?interval=0.9` adds them.", "",
                  "| level | half-width | coverage measured on validation rows |", "|---|---|---|"]
        lines += [f"| {i['level']:.0%} | {_number(i['half_width'])} | {_share(i.get('coverage'))} |" for i in intervals]
    lines += ["", "## Library versions", ""]
    lines += [f"- {k}: {v}" for k, v in sorted((card.get("versions") or {}).items())]
    exports = card.get("exports") or {}
    if exports:
        lines += ["", "## Exports", ""]
        lines += [f"- {name}: " + (f"sha256 `{info['sha256']}`" + _check_text(info) if info.get("sha256")
                                   else f"not available: {_text(info.get('reason'))}")
                  for name, info in exports.items()]
    return "\n".join(lines + _loading_lines(card, install)) + "\n"


def _loading_lines(card: dict, install: str | None) -> list[str]:
    """What to install, and how to load, outside the workbench: the file names the workbench's own classes."""
    versions = card.get("versions") or {}
    if install is None:
        pins = " ".join(f"{name}=={version}" for name, version in sorted(versions.items())
                        if name != "python" and version != "not installed")
        install_text = (f"`pip install {pins}` and this model's `workbench-runtime` wheel: the Deploy page offers "
                        "it beside the model, and `python -m engine runtime --workspace DIR --model-id N --out DIR` "
                        "writes it and prints the exact line")
    else:
        install_text = f"`{install}`"
    lines = ["", "## Loading this model outside the workbench", "",
             "The model file names the workbench's own classes (`engine.prepare.…`), so it loads where the "
             "`workbench-runtime` wheel (import name `engine`) is installed; no app and no Streamlit are needed.", "",
             f"- **Install** (Python 3.11 or newer; trained with {versions.get('python', 'unknown')}): {install_text}",
             "- **joblib**: `model = joblib.load('model.joblib')`; loading runs code, so load only a file whose "
             "sha256 is the one above"]
    skops = (card.get("exports") or {}).get("model.skops") or {}
    if skops.get("sha256"):
        skops_version = (skops.get("versions") or {}).get("skops")
        trusted = ", ".join(repr(t) for t in skops.get("trusted_types") or [])
        lines += [f"- **skops** (also `pip install skops=={skops_version}`): `model = skops.io.load('model.skops', "
                  f"trusted=[{trusted}])`; it constructs only the types listed"]
    return lines


def _calibration_lines(check: dict | None) -> list[str]:
    """The card's "Probabilities" section: training's calibration check of the model, its warning first."""
    if not check:
        return []
    losses = ", ".join(f"{name} {value:.4f}" for name, value in (check.get("log_loss") or {}).items())
    lines = ["", "## Probabilities", ""]
    lines += [f"> **Warning**: {check['warning']}", ""] if check.get("warning") else []
    lines += [check.get("reason") or ""]
    if losses:
        lines += ["", f"Log loss on {check.get('rows')} rows ({check.get('source')}): {losses}."]
    return lines + (["", check["onnx"]] if check.get("onnx") else [])


def _check_text(info: dict) -> str:
    if info.get("max_diff") is None:
        return f", loads back with skops and predicts the same on {info.get('rows')} validation rows"
    return (f", checked on {info.get('rows')} validation rows against scikit-learn: largest relative difference "
            f"{info['max_diff']:.2g} (tolerance {info.get('tolerance')})")


def _describe(step: dict) -> str:
    try:
        return describe_step(step)
    except (KeyError, ValueError, TypeError):
        return step.get("type", "step")


# Markdown would read these in a name as markup: raw HTML, links and images, code, emphasis, a table's cell border,
# a heading; ":" and "www." start the bare links GitHub-flavoured Markdown makes, "@" an e-mail link. "(" and ")"
# are plain text once "[" and "]" are escaped, so they stay readable ("Step 3 (Encode categories)").
_MARKDOWN_SPECIAL = re.compile(r"([\\`*~\[\]<>&|#!:@])")


def _text(value) -> str:
    """User text (a column, target, dataset or class name, a step's description) as literal Markdown text:
    one line, every character Markdown could read as markup backslash-escaped, so it renders as written.

    >>> _text("<img src=x onerror=alert(1)> [x](javascript:alert(1))")
    '\\\\<img src=x onerror=alert(1)\\\\> \\\\[x\\\\](javascript\\\\:alert(1))'
    """
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).splitlines()))
    return re.sub(r"(?i)\b(www)\.", r"\1\\.", text)


def _number(value) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) and not isinstance(value, bool) else "–"


def _share(value) -> str:
    return f"{value:.1%}" if isinstance(value, int | float) and value == value else "–"


def _seconds(value) -> str:
    return f"{value:.1f} s" if isinstance(value, int | float) else "unknown"
