"""Scoring use cases: predictions for a file with a stored model.

Every scoring is a job of kind "score" (a record the page renders from): the upload is kept in the workspace,
scored in chunks by ``engine.deploy.batch.score_file`` into ``predictions.csv`` beside it, and its input rows
(a uniform sample of at most ``MONITOR_ROWS``) become a batch on the Monitor page. A small upload is scored at
once; a big one in a background process whose progress the page polls.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow.csv as pyarrow_csv

from engine import read_table
from engine.deploy.batch import ScoredChunk, ScoredFile, score_file
from engine.errors import DataError
from storage import Workspace, now
from usecases import USER_ERRORS
from usecases.evaluation import model_threshold, prediction_interval
from usecases.jobs import spawn_worker
from usecases.monitoring import record_batch
from usecases.training import JobCancelled

__all__ = ["MONITOR_ROWS", "PREVIEW_ROWS", "ScoringResult", "inline_bytes", "predictions_bytes", "run_scoring_job",
           "score_path", "score_upload", "scoring_result", "start_scoring"]

SCORE_KIND = "score"
MONITOR_ROWS = 100_000  # the Monitor page's drift statistics need no more
PREVIEW_ROWS = 500
_PREDICTIONS = "predictions.csv"


def inline_bytes() -> int:
    """Uploads up to this size are scored at once, bigger ones in a background job with progress
    (``WORKBENCH_SCORE_INLINE_MB``, default 5 MB)."""
    return int(float(os.environ.get("WORKBENCH_SCORE_INLINE_MB", "5")) * 1024 * 1024)


def score_path(ws: Workspace, model_id: int, source: str | Path, out: str | Path, *, name: str | None = None,
               interval_level: float | None = None, callbacks=()) -> ScoredFile:
    """Score the file ``source`` with a stored model into ``out`` (.csv or .parquet), input columns first; plus
    notes for the user. The rows (a sample of a big file) are kept as a batch for the Monitor page.

    ``interval_level`` (e.g. 0.9) adds the split-conformal prediction interval of a regression model.
    """
    pipeline, card = ws.load_model(model_id)
    threshold = model_threshold(ws, model_id)
    interval = None
    if interval_level is not None and card["task"] == "regression":
        interval = prediction_interval(ws, model_id, interval_level)
    sample = _RowSample(MONITOR_ROWS)
    scored = score_file(pipeline, source, out, card["features"], card["task"], threshold, interval=interval,
                        callbacks=[sample, *callbacks])
    notes = list(scored.notes)
    if threshold is not None:
        notes.append(f"Classes are decided with the decision threshold {threshold:g} saved with the model.")
    if interval is not None:
        notes.append(f"The {interval.level:.0%} prediction interval is the prediction ± {interval.half_width:.4g} "
                     f"(split-conformal; {interval.coverage:.1%} of validation rows were covered when checked).")
    if scored.rows > MONITOR_ROWS:
        notes.append(f"The Monitor page keeps a random sample of {MONITOR_ROWS:,} of the {scored.rows:,} rows.")
    record_batch(ws, model_id, sample.frame(), name or Path(source).name, "batch scoring")
    return scored._replace(notes=notes)


def start_scoring(ws: Workspace, model_id: int, data: bytes, filename: str, interval_level: float | None = None,
                  *, background: bool | None = None) -> dict:
    """Keep an upload in the workspace and score it: at once when it is small (a user error is raised), else in
    a background job (``background`` forces either). Returns the job record; ``scoring_result`` reads it."""
    model = ws.get_model(model_id)
    name = Path(filename).name or "upload.csv"
    job = ws.create_job(model["project_id"], SCORE_KIND, {"model_id": model_id, "filename": name,
                                                          "interval_level": interval_level})
    folder = _folder(ws, job["id"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    if background if background is not None else len(data) > inline_bytes():
        spawn_worker(ws, job["id"])
        return ws.get_job(job["id"])
    _score_job(ws, job["id"], reraise=True)
    return ws.get_job(job["id"])


def run_scoring_job(ws: Workspace, job_id: int) -> None:
    """The body of a scoring job, run by the worker process; Cancel (SIGTERM) stops it at once."""

    def on_sigterm(signum, frame) -> None:
        raise JobCancelled()

    signal.signal(signal.SIGTERM, on_sigterm)
    _score_job(ws, job_id, reraise=False)


def _score_job(ws: Workspace, job_id: int, *, reraise: bool) -> None:
    job = ws.get_job(job_id)
    params, folder = job["params"], _folder(ws, job_id)
    ws.update_job(job_id, status="running", started_at=now(), message=f"Scoring {params['filename']}")

    def progress(chunk: ScoredChunk) -> None:
        ws.update_job(job_id, progress=round(chunk.done, 4), message=f"Scored {chunk.rows:,} rows")

    try:
        scored = score_path(ws, params["model_id"], folder / params["filename"], folder / _PREDICTIONS,
                            name=params["filename"], interval_level=params["interval_level"], callbacks=[progress])
    except JobCancelled:
        shutil.rmtree(folder)
        ws.update_job(job_id, status="cancelled", finished_at=now(), message="Cancelled; nothing was written.")
    except USER_ERRORS as exc:
        shutil.rmtree(folder)
        ws.update_job(job_id, status="failed", finished_at=now(), error=str(exc), message=str(exc))
        if reraise:
            raise
    except Exception as exc:
        ws.update_job(job_id, status="failed", finished_at=now(), error=repr(exc),
                      message=f"Scoring crashed: {exc!r}. The log has details.")
        raise
    else:
        ws.update_job(job_id, status="succeeded", progress=1.0, finished_at=now(),
                      message=f"Scored {scored.rows:,} rows", params={**params, "rows": scored.rows,
                                                                          "notes": scored.notes})
    finally:
        (folder / params["filename"]).unlink(missing_ok=True)  # the predictions hold the input columns


class ScoringResult(NamedTuple):
    """A finished scoring: its job, the rows scored, notes for the user and the first ``PREVIEW_ROWS`` rows."""

    job: dict
    filename: str
    rows: int
    notes: list[str]
    preview: pd.DataFrame


def scoring_result(ws: Workspace, job_id: int) -> ScoringResult:
    """The result of a succeeded scoring job, with a preview read from the start of its predictions file."""
    job = _finished(ws, job_id)
    head, rows = [], 0
    with pyarrow_csv.open_csv(_folder(ws, job_id) / _PREDICTIONS) as reader:
        for batch in reader:
            head.append(batch.to_pandas())
            rows += batch.num_rows
            if rows >= PREVIEW_ROWS:
                break
    params = job["params"]
    preview = pd.concat(head, ignore_index=True).head(PREVIEW_ROWS)
    return ScoringResult(job, params["filename"], params["rows"], params["notes"], preview)


def predictions_bytes(ws: Workspace, job_id: int) -> bytes:
    """The predictions file of a succeeded scoring job (input columns, then predictions), for a download."""
    return (_folder(ws, _finished(ws, job_id)["id"]) / _PREDICTIONS).read_bytes()


def score_upload(ws: Workspace, model_id: int, data: bytes, filename: str,
                 interval_level: float | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Predictions for a small uploaded table, in memory, with the input columns first; plus notes for the user."""
    job = start_scoring(ws, model_id, data, filename, interval_level, background=False)
    frame = read_table(_folder(ws, job["id"]) / _PREDICTIONS).frame
    shutil.rmtree(_folder(ws, job["id"]))
    return frame, job["params"]["notes"]


def _finished(ws: Workspace, job_id: int) -> dict:
    job = ws.get_job(job_id)
    if job["kind"] != SCORE_KIND or job["status"] != "succeeded":
        raise DataError(f"Job {job_id} is not a finished scoring ({job['kind']}, {job['status']}); score a file.")
    return job


def _folder(ws: Workspace, job_id: int) -> Path:
    return ws.home / "scoring" / str(job_id)


class _RowSample:
    """A uniform random sample of at most ``size`` input rows, in file order (every row of a smaller file),
    seeded: the same file gives the same sample, so scoring it again stores no second batch."""

    def __init__(self, size: int):
        self.size = size
        self._start()

    def _start(self) -> None:
        self.rng, self.rows, self.keys, self.kept = np.random.default_rng(0), 0, np.empty(0), []

    def __call__(self, chunk: ScoredChunk) -> None:
        if chunk.rows == len(chunk.inputs):  # the first chunk, again when a read started over
            self._start()
        inputs = chunk.inputs.drop(columns=chunk.predictions.columns, errors="ignore")
        inputs.index = pd.RangeIndex(self.rows, self.rows + len(inputs))
        self.rows += len(inputs)
        frame = pd.concat([*self.kept, inputs]) if self.kept else inputs
        keys = np.concatenate([self.keys, self.rng.random(len(inputs))])
        if len(frame) > self.size:
            chosen = np.sort(np.argpartition(keys, self.size)[: self.size])
            frame, keys = frame.iloc[chosen], keys[chosen]
        self.kept, self.keys = [frame], keys

    def frame(self) -> pd.DataFrame:
        return self.kept[0].reset_index(drop=True) if self.kept else pd.DataFrame()
