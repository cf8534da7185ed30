"""Monitoring use cases: a model's reference profile, the incoming data batches, drift and data-quality reports.

Incoming data reaches a model's monitor as batches: files uploaded on the Monitor page ("upload"), files scored
on the Deploy page ("batch scoring"), rows appended to the project's data on the Data page ("append"), all stored
in the project, and the REST server's prediction log read as
one batch per day ("rest", never copied). Every check compares a batch with the model's reference profile, a
compact summary of its training rows kept as ``reference.json`` next to the model, so the raw training file is
never needed again. The reference's predictions are decided at the model's decision threshold, and it records
that threshold: after another one is saved on Evaluate the reference is made again, so a new threshold alone never
reads as prediction drift.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from engine import predict_frame, read_table
from engine.errors import ColumnError, EmptyDataError, WorkbenchError
from engine.monitor.drift import DriftReport, DriftThresholds, drift_report
from engine.monitor.drift_reference import reference_profile
from engine.monitor.drift_windows import windowed_drift
from storage import Workspace, now, read_card, read_reference, write_reference
from usecases.evaluation import model_rows, model_threshold

__all__ = ["ALL", "MonitorCheck", "add_upload", "batch_rows", "delete_batch", "drift_check", "drift_over_time",
           "incoming_batches",
           "model_reference", "project_thresholds", "rebuild_reference", "record_batch", "save_reference",
           "save_thresholds"]

#: The key of "all incoming data" (every batch together) in ``drift_check``.
ALL = "all"
#: Training rows scored to profile a model's own predictions (enough for stable class shares and deciles).
PREDICTION_SAMPLE = 5_000


class MonitorCheck(NamedTuple):
    """One drift check: which batch (None for all incoming data), the reference, the report, and the rows."""

    batch: dict | None
    reference: dict
    report: DriftReport
    current: pd.DataFrame


# -- the reference profile -------------------------------------------------------------------------------------

def save_reference(ws: Workspace, model_id: int, pipeline, rows: pd.DataFrame) -> dict:
    """Profile a model's training (fit) rows and its predictions on them; keep it as the model's ``reference.json``.

    Training calls this for every model it saves; ``rows`` are the raw input columns of the training split only.
    """
    directory = ws.model_dir(model_id)
    card = read_card(directory)
    sample = rows.sample(PREDICTION_SAMPLE, random_state=0) if len(rows) > PREDICTION_SAMPLE else rows
    threshold = model_threshold(ws, model_id)
    predictions = predict_frame(pipeline, sample, card["features"], card["task"], threshold)
    profile = reference_profile(rows, card["features"], predictions, task=card["task"])
    profile = {**profile, "created_at": now(), "model_id": model_id, "decision_threshold": threshold}
    write_reference(directory, profile)
    return profile


def rebuild_reference(ws: Workspace, model_id: int) -> dict:
    """Rebuild the reference of a model saved before references were kept, from its run's stored data and split."""
    m = model_rows(ws, model_id)
    return save_reference(ws, model_id, m.pipeline, m.X.iloc[m.train])


def model_reference(ws: Workspace, model_id: int) -> dict:
    """A model's reference profile, rebuilt (once) and saved when it has none yet or when its predictions were
    decided at another decision threshold than the one saved now."""
    reference = read_reference(ws.model_dir(model_id))
    if reference is None or reference.get("decision_threshold") != model_threshold(ws, model_id):
        return rebuild_reference(ws, model_id)
    return reference


# -- thresholds --------------------------------------------------------------------------------------------------

def project_thresholds(ws: Workspace, project_id: int) -> DriftThresholds:
    """The drift thresholds of a project: the saved ones, else the defaults."""
    saved = ws.get_drift_thresholds(project_id)
    return DriftThresholds() if saved is None else DriftThresholds.from_dict(saved)


def save_thresholds(ws: Workspace, project_id: int, values: dict | None) -> DriftThresholds:
    """Check and save a project's drift thresholds (``None``: back to the defaults); return what now applies."""
    if values is None:
        ws.save_drift_thresholds(project_id, None)
        return DriftThresholds()
    thresholds = DriftThresholds.from_dict({**DriftThresholds().to_dict(), **values})
    ws.save_drift_thresholds(project_id, thresholds.to_dict())
    return thresholds


# -- incoming batches --------------------------------------------------------------------------------------------

def add_upload(ws: Workspace, model_id: int, data: bytes, filename: str) -> dict:
    """Store an uploaded "new data" file as a batch of the model's project, after checking it has the model's
    columns. The same table uploaded twice is one batch."""
    table = read_table(data, name=filename)
    card = read_card(ws.model_dir(model_id))
    if table.frame.empty:
        raise EmptyDataError(f"'{filename}' has a header but no rows; upload a file with the new rows.")
    needed = [f["name"] for f in card["features"]]
    missing = [name for name in needed if name not in table.frame.columns]
    if missing:
        raise ColumnError(f"'{filename}' lacks {len(missing)} of the {len(needed)} columns the model uses: "
                          f"{missing[:10]}; upload rows with the same columns as the training data. Nothing was "
                          "saved.")
    return record_batch(ws, model_id, table.frame, filename, "upload")


def record_batch(ws: Workspace, model_id: int, frame: pd.DataFrame, name: str, source: str) -> dict:
    """Keep rows that reached a model (an upload, a scored file) as an incoming batch of its project."""
    model = ws.get_model(model_id)
    return ws.add_batch(model["project_id"], frame, source=source, name=name, model_id=model_id)


def delete_batch(ws: Workspace, project_id: int, batch_id: int) -> None:
    """Forget a stored batch of the project (e.g. a file uploaded by mistake): its rows leave every drift check,
    decay window and retraining. The REST log is not a stored batch and cannot be deleted this way."""
    batch = ws.get_batch(batch_id)
    if batch["project_id"] != project_id:
        raise ColumnError(f"Batch {batch_id} belongs to another project; pick one of this project's batches.")
    ws.delete_batch(batch_id)


def incoming_batches(ws: Workspace, model_id: int) -> list[dict]:
    """Every batch a model can be checked on, oldest first: the project's stored batches, then its REST days.

    Each is ``{"key", "label", "source", "created_at", "n_rows"}``; ``key`` is what ``drift_check`` takes.
    """
    model = ws.get_model(model_id)
    batches = [{"key": f"batch:{b['id']}", "label": f"#{b['id']} {b['name']}", "source": b["source"],
                "created_at": b["created_at"], "n_rows": b["n_rows"]}
               for b in ws.list_batches(model["project_id"])]
    batches += [{"key": f"rest:{d['day']}", "label": f"REST requests of {d['day']}", "source": "rest",
                 "created_at": d["first"], "n_rows": d["n_rows"]} for d in ws.prediction_log_days(model_id)]
    return sorted(batches, key=lambda b: b["created_at"])


def batch_rows(ws: Workspace, model_id: int, key: str, pipeline, card: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows, predictions) of one batch: REST days as logged, stored batches scored by the model now."""
    kind, _, ident = key.partition(":")
    if kind == "rest":
        return ws.load_prediction_log_day(model_id, ident)
    frame = ws.load_batch(int(ident))
    try:
        predictions = predict_frame(pipeline, frame, card["features"], card["task"], model_threshold(ws, model_id))
    except (WorkbenchError, ValueError, TypeError):  # the drift report says what is wrong with these rows
        predictions = pd.DataFrame({"prediction": [None] * len(frame)})
    return frame, predictions


def _window_label(batch: dict) -> str:
    """A short label that sorts by arrival: "2026-05-01 REST" or "2026-05-02 08:15 #3 june.csv"."""
    if batch["source"] == "rest":
        return f"{batch['created_at'][:10]} REST"
    name = batch["label"] if len(batch["label"]) <= 24 else batch["label"][:23] + "…"
    return f"{batch['created_at'][:16].replace('T', ' ')} {name}"


def _rows(ws: Workspace, model_id: int, batches: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame | None,
                                                                      pd.DataFrame]:
    """Rows and predictions (None when none could be made) of several batches stacked, and per row its batch
    (window label) and arrival time."""
    pipeline, card = ws.load_model(model_id)
    frames, predictions, origin = [], [], []
    for batch in batches:
        frame, predicted = batch_rows(ws, model_id, batch["key"], pipeline, card)
        frames.append(frame.reset_index(drop=True))
        predictions.append(predicted[["prediction"]].reset_index(drop=True))
        window = _window_label(batch)
        origin.append(pd.DataFrame({"batch": [window] * len(frame),
                                    "time": pd.to_datetime([batch["created_at"]] * len(frame), utc=True,
                                                           format="ISO8601")}))
    predicted = pd.concat(predictions, ignore_index=True)
    return (pd.concat(frames, ignore_index=True), None if predicted["prediction"].isna().all() else predicted,
            pd.concat(origin, ignore_index=True))


def drift_check(ws: Workspace, model_id: int, key: str | None = None) -> MonitorCheck | None:
    """Compare a batch (``key`` from ``incoming_batches``; default the newest; ``ALL`` for every batch together)
    with the model's reference under the project's thresholds. None when no data has arrived yet."""
    batches = incoming_batches(ws, model_id)
    if not batches:
        return None
    chosen = batches if key == ALL else [next((b for b in batches if b["key"] == key), batches[-1])]
    frame, predictions, _ = _rows(ws, model_id, chosen)
    reference = model_reference(ws, model_id)
    thresholds = project_thresholds(ws, ws.get_model(model_id)["project_id"])
    report = drift_report(reference, frame, predictions, thresholds)
    return MonitorCheck(None if key == ALL else chosen[0], reference, report, frame)


def drift_over_time(ws: Workspace, model_id: int, freq: str = "batch") -> pd.DataFrame:
    """PSI per feature and window (``"batch"``, ``"D"`` day or ``"W"`` week) over all incoming data: the long
    table of ``engine.monitor.drift_windows.windowed_drift`` (window, feature, psi, verdict, n_rows); empty with no
    data."""
    batches = incoming_batches(ws, model_id)
    if not batches:
        return pd.DataFrame(columns=["window", "feature", "psi", "verdict", "n_rows"])
    frame, predictions, origin = _rows(ws, model_id, batches)
    thresholds = project_thresholds(ws, ws.get_model(model_id)["project_id"])
    return windowed_drift(model_reference(ws, model_id), frame, origin["time"], freq, origin["batch"], thresholds,
                          predictions)
