"""Late labels and performance decay: ground truth that arrives after the predictions, joined to the rows a
model scored, and the model's metric per time window against its validation score.

The rows a model scored are the project's incoming batches (Monitor uploads and files scored on Deploy); a
labels file names a key column present in them. Labels are stored with the project, so the decay chart is
there after a restart and grows as more labels arrive.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from engine import infer_schema, read_table
from engine.errors import ColumnError, DecayError, EmptyDataError
from engine.monitor.decay import DecayThresholds, decay_report, join_labels, key_text
from storage import Workspace, read_card
from usecases.monitoring import batch_rows

__all__ = ["DecayCheck", "add_label_file", "decay_check", "decay_thresholds", "key_columns", "latest_labels",
           "save_decay_thresholds", "scored_batches"]


class DecayCheck(NamedTuple):
    """The decay table (one row per window), the project's metric and the validation baseline, and notes."""

    table: pd.DataFrame
    metric: str
    baseline: float
    labelled: int
    notes: list[str]


def scored_batches(ws: Workspace, model_id: int) -> pd.DataFrame:
    """Every stored batch's rows with the model's predictions (``prediction``, ``proba_*``) and arrival time."""
    project_id = ws.get_model(model_id)["project_id"]
    pipeline, card = ws.load_model(model_id)
    frames = []
    for batch in ws.list_batches(project_id):
        rows, predictions = batch_rows(ws, model_id, f"batch:{batch['id']}", pipeline, card)
        scored = pd.concat([rows.reset_index(drop=True).drop(columns=list(predictions.columns), errors="ignore"),
                            predictions.reset_index(drop=True)], axis=1)
        frames.append(scored.assign(arrived_at=batch["created_at"]))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def key_columns(ws: Workspace, model_id: int) -> list[str]:
    """Columns of the incoming batches a labels file can be joined on, likeliest first: identifiers (a different
    whole number or code on every row), then whole numbers and text by how distinct they are; measurements with
    fractions ("Price") and dates last."""
    project_id = ws.get_model(model_id)["project_id"]
    distinct: dict[str, float] = {}
    identifier: set[str] = set()
    measured: set[str] = set()
    for batch in ws.list_batches(project_id):
        frame = ws.load_batch(batch["id"])
        for info in infer_schema(frame):
            values = frame[info.name].dropna()
            share = values.nunique() / max(len(frame), 1)
            distinct[info.name] = max(distinct.get(info.name, 0.0), share)
            if info.kind == "identifier":
                identifier.add(info.name)
            if info.kind == "datetime" or (pd.api.types.is_float_dtype(values) and bool((values % 1 != 0).any())):
                measured.add(info.name)
    return sorted(distinct, key=lambda c: (c not in identifier, c in measured, -round(distinct[c], 2), c))


def add_label_file(ws: Workspace, model_id: int, data: bytes, filename: str, key: str) -> tuple[dict, list[str]]:
    """Check a labels file (key and target columns, one label per key, at least one match with scored rows)
    and keep it with the project. Nothing is saved when the check fails."""
    card = read_card(ws.model_dir(model_id))
    frame = read_table(data, name=filename).frame
    if frame.empty:
        raise EmptyDataError(f"'{filename}' has no rows; upload the labels as rows of '{key}' and "
                             f"'{card['target']}'.")
    for column in (key, card["target"]):
        if column not in frame.columns:
            raise ColumnError(f"'{filename}' has no column '{column}'; a labels file needs the key '{key}' and the "
                              f"target '{card['target']}'. Its columns are {list(frame.columns)[:20]}.")
    scored = scored_batches(ws, model_id)
    if scored.empty:
        raise DecayError("This model has not scored any stored rows yet: upload new data on Monitor (or score a "
                         "file on Deploy) first, then the labels for those rows.")
    if key not in scored.columns:
        raise DecayError(f"The scored rows have no column '{key}' to join on; pick one of "
                         f"{key_columns(ws, model_id)[:10]}.")
    _, notes = join_labels(scored, frame, key, card["target"])
    record = ws.add_labels(ws.get_model(model_id)["project_id"], frame[[key, card["target"]]],
                           name=filename, key=key, target=card["target"])
    return record, notes


def decay_thresholds(ws: Workspace, project_id: int) -> DecayThresholds:
    return DecayThresholds.from_dict(ws.get_decay_thresholds(project_id))


def save_decay_thresholds(ws: Workspace, project_id: int, values: dict | None) -> DecayThresholds:
    """Check and save a project's decay thresholds (None: back to the defaults); return what now applies."""
    thresholds = DecayThresholds() if values is None else DecayThresholds.from_dict(
        {**DecayThresholds().to_dict(), **values})
    ws.save_decay_thresholds(project_id, None if values is None else thresholds.to_dict())
    return thresholds


def latest_labels(ws: Workspace, project_id: int, target: str) -> tuple[str, pd.DataFrame] | None:
    """(key, labels) of the project's label files on the newest file's key, one label per key (a later label of a
    key wins); None when no labels were uploaded yet."""
    files = ws.list_labels(project_id)
    if not files:
        return None
    key = files[-1]["key"]
    labels = pd.concat([ws.load_labels(f["id"]) for f in files if f["key"] == key],
                       ignore_index=True)
    labels = labels[[key, target]].dropna()
    return key, labels[~key_text(labels[key]).duplicated(keep="last")]


def decay_check(ws: Workspace, model_id: int, freq: str = "W") -> DecayCheck | None:
    """The model's metric per window (``freq`` "D", "W", "batch" or "all") on every label that matches a scored
    row, against its validation score; None when no labels were uploaded yet. A later label of a key wins."""
    project_id = ws.get_model(model_id)["project_id"]
    card = read_card(ws.model_dir(model_id))
    latest = latest_labels(ws, project_id, card["target"])
    if latest is None:
        return None
    key, labels = latest
    target = card["target"]
    joined, notes = join_labels(scored_batches(ws, model_id), labels, key, target)
    metric = card["metric"]
    baseline = card["metrics"]["validation"].get(metric)
    if baseline is None:
        raise DecayError(f"Model {model_id} has no validation {metric} to compare with; pick another model.")
    table = decay_report(joined, card["task"], metric, float(baseline), time=joined["arrived_at"], freq=freq,
                         batch=joined["arrived_at"], thresholds=decay_thresholds(ws, project_id),
                         classes=card["classes"])
    return DecayCheck(table, metric, float(baseline), len(joined), notes)
