"""Export use cases: a stored model as joblib, skops or ONNX bytes, and its model card (JSON and Markdown).

Every export starts from the stored pipeline verified against the sha256 in the workspace database. skops and
ONNX files are made once, checked on the run's validation rows, and kept next to the model (with their own
sha256 and the model sha256 they came from), so a page shows them without redoing the work.

A two-class model's saved decision threshold travels with the files that predict: the joblib download
(``joblib_download``) and the skops file wrap the pipeline in scikit-learn's ``FixedThresholdClassifier``, so
``model.predict`` decides as the workbench does; saving another threshold makes them again. The ONNX graph keeps
the pipeline's own labels: the workbench's ONNX serving path applies the threshold to its probabilities.

A model directory written by ``python -m engine train`` keeps its skops file too (``write_dir_skops``), and
``load_model_dir`` loads such a directory through skops with the trusted types only: a directory handed over by
someone else cannot run code that way. ``model.joblib`` is a pickle (loading it runs whatever code it holds), so
it is loaded only when the caller says it trusts the directory, and only when it matches its recorded sha256.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from engine.deploy.export import ONNX_TOLERANCE, ExportError, dumps_skops, export_onnx, loads_skops, with_threshold
from engine.deploy.export import untrusted_skops_types as _untrusted
from engine.errors import ModelError
from engine.train.training import release_free_memory
from storage import (
    IntegrityError,
    Workspace,
    now,
    read_card,
    read_export,
    read_model_bytes,
    read_model_dir,
    write_export,
)

__all__ = ["CHECK_ROWS", "EXPORT_FORMATS", "ONNX_SKIPPED", "PICKLE_WARNING", "ExportFile", "LoadedModel", "card_json",
           "export_model_dir", "joblib_bytes", "joblib_download", "load_model_dir", "model_exports", "onnx_export",
           "onnx_status", "skops_export", "StagedSkops", "keep_skops", "stage_skops", "write_dir_exports",
           "write_dir_files", "write_dir_onnx", "write_dir_skops"]

#: At most this many validation rows check an export.
CHECK_ROWS = 2000
#: Bump when the converters change, so exports (and reasons) kept from an earlier version are made again.
EXPORT_VERSION = 1
SKOPS_FILE = "model.skops"
#: The joblib file handed out when a decision threshold is saved: the pipeline wrapped to decide at it.
THRESHOLD_JOBLIB_FILE = "model_threshold.joblib"
ONNX_FILE = "model.onnx"
#: ``python -m engine export --format`` → the file it writes.
EXPORT_FORMATS = {"onnx": ONNX_FILE, "skops": SKOPS_FILE}
#: Why a model trained under a time budget has no ONNX export when the budget was spent before it.
ONNX_SKIPPED = ("skipped: the time budget ran out; `python -m engine export --model DIR --format onnx --data FILE` "
                "makes it later")
#: Said wherever a model directory's joblib file is loaded (help text, stderr, README).
PICKLE_WARNING = ("model.joblib is a Python pickle: loading it runs whatever code it holds. Trust it only for a "
                  "model directory you wrote yourself.")


class ExportFile(NamedTuple):
    """An export's bytes (None when the model does not export in that format) and what is known about it."""

    data: bytes | None
    info: dict


def joblib_bytes(ws: Workspace, model_id: int) -> bytes:
    """The stored ``model.joblib``, after checking it against the sha256 recorded in the database."""
    record = _trained(ws, model_id)
    return read_model_bytes(ws.model_dir(model_id), record["sha256"])


def joblib_download(ws: Workspace, model_id: int) -> bytes:
    """The joblib file a user downloads: the stored one (``joblib_bytes``), or, when a decision threshold is saved,
    the stored pipeline wrapped by ``with_threshold`` so its ``predict`` decides at that threshold (made once per
    threshold and kept next to the model)."""
    # Imported here, as in the functions below: the evaluation use cases import the rest of the app (serving,
    # FastAPI), which `python -m engine predict`, loading a model directory, does not need.
    from usecases.evaluation import model_threshold

    record = _trained(ws, model_id)
    threshold = model_threshold(ws, model_id)
    if threshold is None:
        return joblib_bytes(ws, model_id)
    cached = _cached(ws, model_id, THRESHOLD_JOBLIB_FILE, record["sha256"], threshold)
    if cached is not None and cached.data is not None:
        return cached.data
    import io

    import joblib

    pipeline, _ = ws.load_model(model_id)  # verified against the recorded sha256
    buffer = io.BytesIO()
    joblib.dump(with_threshold(pipeline, threshold), buffer, compress=3)
    data = buffer.getvalue()
    write_export(ws.model_dir(model_id), THRESHOLD_JOBLIB_FILE, data,
                 {"model_sha256": record["sha256"], "export_version": EXPORT_VERSION, "created_at": now(),
                  "decision_threshold": threshold})
    return data


def skops_export(ws: Workspace, model_id: int) -> ExportFile:
    """The model as a skops file, made once (per saved decision threshold) and checked: loaded back with the trusted
    types, it predicts exactly what the workbench predicts on the validation rows."""
    from usecases.evaluation import model_rows, model_threshold

    record = _trained(ws, model_id)
    threshold = model_threshold(ws, model_id)
    cached = _cached(ws, model_id, SKOPS_FILE, record["sha256"], threshold)
    if cached is not None:
        return cached
    m = model_rows(ws, model_id)
    return _skops_file(ws, model_id, record, m.pipeline, _check_rows(m), m.problem.task, threshold)


def _skops_file(ws: Workspace, model_id: int, record: dict, pipeline, rows, task: str,
                threshold: float | None = None) -> ExportFile:
    info = {"model_sha256": record["sha256"], "export_version": EXPORT_VERSION, "created_at": now(),
            "rows": int(len(rows)), "decision_threshold": threshold}
    try:
        pipeline = with_threshold(pipeline, threshold)
        data = dumps_skops(pipeline)
        loaded = loads_skops(data)
    except ExportError as exc:
        return ExportFile(None, write_export(ws.model_dir(model_id), SKOPS_FILE, None, {**info, "reason": str(exc)}))
    same = np.array_equal(loaded.predict(rows), pipeline.predict(rows))
    if same and hasattr(pipeline, "predict_proba") and task == "classification":
        same = np.array_equal(loaded.predict_proba(rows), pipeline.predict_proba(rows))
    if not same:
        reason = "The skops file, loaded back, predicts differently from the stored pipeline, so it is not offered."
        return ExportFile(None, write_export(ws.model_dir(model_id), SKOPS_FILE, None, {**info, "reason": reason}))
    info = {**info, "reason": None, "trusted_types": _untrusted(data), "versions": _versions()}
    return ExportFile(data, write_export(ws.model_dir(model_id), SKOPS_FILE, data, info))


class LoadedModel(NamedTuple):
    """A model directory's pipeline and card, and the file the pipeline came from (``model.skops`` or
    ``model.joblib``)."""

    pipeline: object
    card: dict
    file: str


def write_dir_skops(directory: str | Path, pipeline, rows) -> ExportFile:
    """Keep ``model.skops`` in a model directory (with its sha256 in ``exports.json``) when the pipeline stores as
    skops and, loaded back, predicts ``rows`` exactly as it does; else record why not."""
    return keep_skops(directory, stage_skops(pipeline, rows), rows)[0]


class StagedSkops(NamedTuple):
    """A pipeline's skops bytes and its predictions of the check rows, made while it is in memory; ``keep_skops``
    checks and writes them once it may be gone. ``data`` None: skops cannot store it (``reason``)."""

    data: bytes | None
    expected: np.ndarray | None
    reason: str | None


def stage_skops(pipeline, rows) -> StagedSkops:
    """The first half of ``write_dir_skops``: the bytes, and what the pipeline predicts for ``rows``."""
    try:
        data = dumps_skops(pipeline)
    except ExportError as exc:
        return StagedSkops(None, None, str(exc))
    release_free_memory()  # what writing the schema freed, before loading it back adds its own
    return StagedSkops(data, np.asarray(pipeline.predict(rows)), None)


def keep_skops(directory: str | Path, staged: StagedSkops, rows) -> tuple[ExportFile, object | None]:
    """The second half of ``write_dir_skops``: load the bytes back, keep the file when they predict ``rows`` as
    staged, and return it with the pipeline loaded back (None when no file is kept). The fitted pipeline need not
    be in memory any more: a caller that drops it first never holds the model twice (measured on a vote holding
    300 extra trees: +71 MB at the peak of a training run when both were)."""
    info = {"created_at": now(), "rows": int(len(rows)), "export_version": EXPORT_VERSION}
    if staged.data is None:
        return ExportFile(None, write_export(directory, SKOPS_FILE, None, {**info, "reason": staged.reason})), None
    try:
        loaded = loads_skops(staged.data)
    except ExportError as exc:
        return ExportFile(None, write_export(directory, SKOPS_FILE, None, {**info, "reason": str(exc)})), None
    if not np.array_equal(np.asarray(loaded.predict(rows)), staged.expected):
        reason = "The skops file, loaded back, predicts differently from the pipeline, so it is not kept."
        return ExportFile(None, write_export(directory, SKOPS_FILE, None, {**info, "reason": reason})), None
    return ExportFile(staged.data, write_export(directory, SKOPS_FILE, staged.data, {**info, "reason": None})), loaded


def load_model_dir(directory: str | Path, *, trust_pickle: bool = False) -> LoadedModel:
    """Load a model directory: through skops with the trusted types when it has a ``model.skops`` matching its
    recorded sha256, else (only when ``trust_pickle``) its ``model.joblib`` matching the card's sha256.

    Raises IntegrityError for a file that does not match its recorded sha256 or a joblib file with none recorded,
    UntrustedTypesError for a skops file holding other types, and ModelError for a directory with only a pickle
    when ``trust_pickle`` is False. A directory someone else wrote can only be trusted through skops: its card is
    theirs too, so the card's sha256 proves nothing about who made the pickle.
    """
    card = read_card(directory)
    found = read_export(directory, SKOPS_FILE)  # raises IntegrityError when the file is not the recorded one
    if found is not None and found[0] is not None:
        if not found[1].get("sha256"):
            raise IntegrityError(f"'{directory}' records no sha256 for model.skops in exports.json, so it is not "
                                 "loaded; retrain it with `python -m engine train`.")
        pipeline = loads_skops(found[0])
        release_free_memory()  # the parsed schema's pages (measured: 10 MB of a vote of two forests), before scoring
        return LoadedModel(pipeline, card, SKOPS_FILE)
    if not trust_pickle:
        why = found[1].get("reason") if found is not None else "it was written before model directories kept one"
        raise ModelError(f"'{directory}' has no model.skops ({why}), only model.joblib. {PICKLE_WARNING} If you "
                         "wrote it, pass --trust-pickle; else retrain it with `python -m engine train`.")
    if not card.get("sha256"):
        raise IntegrityError(f"'{directory}' records no sha256 for model.joblib in model.json, so it is not loaded; "
                             "retrain it with `python -m engine train`.")
    pipeline, card = read_model_dir(directory)
    return LoadedModel(pipeline, card, "model.joblib")


def onnx_status(ws: Workspace, model_id: int) -> ExportFile | None:
    """The ONNX export made earlier for this model (bytes or the reason there are none), or None if not yet made."""
    return _cached(ws, model_id, ONNX_FILE, _trained(ws, model_id)["sha256"])


def onnx_export(ws: Workspace, model_id: int) -> ExportFile:
    """Convert the model to ONNX and check it on the validation rows (once; later calls read the result).

    ``info`` holds ``reason`` (None when it converts), ``rows``, ``labels_equal``, ``max_diff``, ``tolerance``
    and ``model_dtype``. An export whose check fails is never returned, only its reason and figures.
    """
    from usecases.evaluation import model_rows

    record = _trained(ws, model_id)
    cached = _cached(ws, model_id, ONNX_FILE, record["sha256"])
    if cached is not None:
        return cached
    m = model_rows(ws, model_id)
    return _onnx_file(ws, model_id, record, m.pipeline, m.card, _check_rows(m))


def _onnx_file(ws: Workspace, model_id: int, record: dict, pipeline, card: dict, rows) -> ExportFile:
    result = export_onnx(pipeline, card["features"], card["task"], rows)
    info = {"model_sha256": record["sha256"], **_onnx_info(result, card["features"]), "versions": _versions()}
    return ExportFile(result.data, write_export(ws.model_dir(model_id), ONNX_FILE, result.data, info))


def model_exports(ws: Workspace, model_id: int, rows, *, deadline: float | None = None) -> dict:
    """Make a freshly trained workspace model's skops and ONNX exports as the Deploy page would on a click, checked
    on ``rows`` (its run's validation rows, already in memory: the table is not read again); return them as the card
    lists them. ONNX is left for the Deploy page when ``deadline`` (time.monotonic) has passed: nothing is recorded
    then, so a later click still converts it."""
    record = _trained(ws, model_id)
    pipeline, card = ws.load_model(model_id)
    rows = rows[[f["name"] for f in card["features"]]].iloc[:CHECK_ROWS]
    exports = {SKOPS_FILE: _skops_file(ws, model_id, record, pipeline, rows, card["task"]).info}
    if deadline is None or time.monotonic() <= deadline:
        exports[ONNX_FILE] = _onnx_file(ws, model_id, record, pipeline, card, rows).info
    return {name: _card_entry(info) for name, info in exports.items()}


def write_dir_exports(directory: str | Path, pipeline, card: dict, rows, *, deadline: float | None = None) -> dict:
    """Keep ``model.skops`` and, when every step converts and it passes its check on ``rows`` (validation rows),
    ``model.onnx`` in a model directory, recorded in ``exports.json``; return them as the card lists them (file,
    sha256, check figures, or the reason one is missing). ONNX is skipped once ``deadline`` (time.monotonic) passed.
    """
    rows = rows.iloc[:CHECK_ROWS]
    return write_dir_files(directory, stage_skops(pipeline, rows), pipeline, card, rows, deadline=deadline)


def write_dir_files(directory: str | Path, staged: StagedSkops, pipeline, card: dict, rows, *,
                    deadline: float | None = None) -> dict:
    """``write_dir_exports`` for a caller that has dropped its fitted pipeline after ``stage_skops``: the skops file
    is checked from ``staged``, and ``model.onnx`` is converted from the pipeline loaded back (or ``pipeline`` when
    the caller kept it: skops could not store it)."""
    rows = rows.iloc[:CHECK_ROWS]
    kept, loaded = keep_skops(directory, staged, rows)
    exports = {SKOPS_FILE: kept.info}
    release_free_memory()  # the skops state and its parse, before the ONNX graph is built
    source = loaded if loaded is not None else pipeline
    if source is None:
        info = {"export_version": EXPORT_VERSION, "created_at": now(),
                "reason": "not converted: the model was only kept as its skops file, which did not pass its check"}
        exports[ONNX_FILE] = write_export(directory, ONNX_FILE, None, info)
    else:
        exports[ONNX_FILE] = _dir_onnx(directory, source, card, rows, deadline)
    return {name: _card_entry(info) for name, info in exports.items()}


def _dir_onnx(directory: str | Path, pipeline, card: dict, rows, deadline: float | None) -> dict:
    if deadline is not None and time.monotonic() > deadline:
        info = {"export_version": EXPORT_VERSION, "created_at": now(), "reason": ONNX_SKIPPED}
        return write_export(directory, ONNX_FILE, None, info)
    return write_dir_onnx(directory, pipeline, card, rows).info


def write_dir_onnx(directory: str | Path, pipeline, card: dict, rows) -> ExportFile:
    """Convert a model directory's pipeline to ONNX, check it on ``rows`` and record it (or why not) in the
    directory, where ``serve --model DIR`` finds it."""
    result = export_onnx(pipeline, card["features"], card["task"], rows.iloc[:CHECK_ROWS])
    info = {**_onnx_info(result, card["features"]), "versions": _versions()}
    return ExportFile(result.data, write_export(directory, ONNX_FILE, result.data, info))


def export_model_dir(directory: str | Path, file_format: str, *, trust_pickle: bool = False,
                     check_rows=None) -> ExportFile:
    """The skops or ONNX file of a model directory (``python -m engine export``), for directories written before
    ``train`` kept them. The directory loads as ``load_model_dir`` allows. A verified export the directory keeps is
    returned as it is; else it is made now: ONNX only with ``check_rows`` (rows like the training ones) to check it
    on, and then recorded in the directory so ``serve`` uses it."""
    if file_format not in EXPORT_FORMATS:
        raise ExportError(f"The export format must be one of {list(EXPORT_FORMATS)}. Got {file_format!r} instead.")
    loaded = load_model_dir(directory, trust_pickle=trust_pickle)
    name = EXPORT_FORMATS[file_format]
    kept = read_export(directory, name)  # raises IntegrityError when the file is not the recorded one
    if kept is not None and kept[0] is not None:
        return ExportFile(*kept)
    if file_format == "skops":
        data = dumps_skops(loaded.pipeline)
        loads_skops(data)  # a file the workbench itself would refuse to load is never handed out
        return ExportFile(data, {"file": None, "reason": None, "trusted_types": _untrusted(data)})
    if check_rows is None:
        why = kept[1].get("reason") if kept is not None else "it was trained before model directories kept one"
        raise ExportError(f"'{directory}' keeps no verified model.onnx ({why}). Give --data FILE with rows like "
                          "the training ones (e.g. the training file) to convert it and check it on them.")
    made = write_dir_onnx(directory, loaded.pipeline, loaded.card, check_rows)
    if made.data is None:
        raise ExportError(f"The model does not export to ONNX: {made.info['reason']}")
    return made


def card_json(ws: Workspace, model_id: int) -> dict:
    """The model card: ``model.json`` plus the decision threshold, final test metrics, run time and exports.

    ``sha256`` is that of the ``.joblib`` file a user downloads (``joblib_download``), so the card describes the file
    beside it. With a decision threshold saved that file wraps the stored pipeline, whose own sha256 (the workspace
    record's) is then ``pipeline_sha256``.
    """
    from usecases.evaluation import model_threshold

    record = _trained(ws, model_id)
    card = read_card(ws.model_dir(model_id))
    run = ws.get_run(record["run_id"])
    threshold = model_threshold(ws, model_id)
    exports = {}
    for name in (SKOPS_FILE, ONNX_FILE):
        cached = _cached(ws, model_id, name, record["sha256"], threshold if name == SKOPS_FILE else None)
        if cached is not None:
            exports[name] = _card_entry(cached.info)
    download = record["sha256"] if threshold is None else hashlib.sha256(joblib_download(ws, model_id)).hexdigest()
    wrapped = {} if threshold is None else {"pipeline_sha256": record["sha256"]}
    return {**card, "sha256": download, **wrapped, "decision_threshold": threshold,
            "test_metrics": record["test_metrics"] or None, "fit_seconds": record["fit_seconds"],
            "run_seconds": run.get("seconds"), "exports": exports}


_INPUT_TYPES = {"categorical": "string", "text": "string", "boolean": "double (0 or 1)",
                "datetime": "double (seconds since 1970-01-01)"}


def _onnx_info(result, features: list[dict]) -> dict:
    """What is recorded of an ONNX export (``export_onnx``'s result): its check, or the reason there is none."""
    check = result.check
    return {"export_version": EXPORT_VERSION, "created_at": now(), "reason": result.reason,
            "rows": check.rows if check else None, "labels_equal": check.labels_equal if check else None,
            "max_diff": check.max_diff if check else None, "tolerance": ONNX_TOLERANCE,
            "model_dtype": result.model_dtype,
            "inputs": [{"name": f["name"], "type": _INPUT_TYPES.get(f["kind"], "double")} for f in features]}


def _card_entry(info: dict) -> dict:
    return {k: v for k, v in info.items() if k != "inputs"}


def _versions() -> dict[str, str]:
    """Versions of the export libraries (the model's own are in its card)."""
    from importlib import metadata

    return {name: metadata.version(name) for name in ("skops", "skl2onnx", "onnx", "onnxruntime")}


def _trained(ws: Workspace, model_id: int) -> dict:
    record = ws.get_model(model_id)
    if record["status"] != "ok" or not record["sha256"]:
        raise ExportError(f"Model {model_id} was not trained ({record['status']}); pick a trained model.")
    return record


def _cached(ws: Workspace, model_id: int, name: str, model_sha256: str,
            threshold: float | None = None) -> ExportFile | None:
    """A kept export of this model file, made under the same export version (and decision threshold)."""
    found = read_export(ws.model_dir(model_id), name)
    if found is None or found[1].get("model_sha256") != model_sha256 \
            or found[1].get("export_version") != EXPORT_VERSION \
            or found[1].get("decision_threshold") != threshold:
        return None
    return ExportFile(*found)


def _check_rows(m):
    rows = m.valid if len(m.valid) else m.train
    return m.X.iloc[rows[:CHECK_ROWS]]
