"""Serving use cases: the REST app of a stored model, with its requests logged to the workspace for monitoring.

A model from a workspace is loaded after its sha256 is checked against the database; a model
directory written by ``python -m engine train`` is loaded from its skops file (no code runs), its pickle only when
the caller trusts it (``usecases.export.load_model_dir``). Logging runs on a
background thread so a request never waits for SQLite.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from pathlib import Path

from fastapi.concurrency import run_in_threadpool

from engine.deploy.onnx_feeds import OnnxRunner
from engine.deploy.serving import MAX_BODY_BYTES, create_app, onnx_predictor
from engine.errors import ModelError, ServingError, WorkbenchError
from storage import StorageError, Workspace, read_export
from usecases.evaluation import model_threshold
from usecases.export import load_model_dir

__all__ = ["ONNX_FILE", "RUNTIMES", "SERVE_OPTIONS_ENV", "ChampionApp", "PredictionLogger", "model_app",
           "project_id_by_name", "served_app", "worker_app"]

ONNX_FILE = "model.onnx"
_log = logging.getLogger(__name__)


class PredictionLogger:
    """Writes each scored request of ``model_id`` to the workspace from a background thread.

    Bounded and never fatal: at most ``capacity`` requests wait (more are dropped and counted); the requests waiting
    are written together, at most every ``pause`` seconds and up to ``batch_size`` in one transaction (one write per
    request would cost a busy server more than scoring); a write that fails (the database locked, the disk full) is
    retried ``retries`` times with a growing pause, then its requests are dropped and counted, and the thread goes on
    with the next ones. ``stats()`` has the counts for ``GET /health``; ``flush`` waits at most ``timeout`` seconds,
    so a stopping server is never held up by its log.
    """

    def __init__(self, ws: Workspace, model_id: int, *, capacity: int = 10_000, retries: int = 3,
                 retry_pause: float = 0.2, batch_size: int = 500, pause: float = 0.2):
        self.ws, self.model_id, self.retries, self.retry_pause = ws, model_id, retries, retry_pause
        self.batch_size, self.pause = batch_size, pause
        self.records: queue.Queue = queue.Queue(maxsize=capacity)
        self.logged = self.dropped_full = self.dropped_failed = 0
        self.last_error: str | None = None
        threading.Thread(target=self._write, daemon=True, name="prediction-log").start()

    def __call__(self, record: dict) -> None:
        try:
            self.records.put_nowait(record)
        except queue.Full:
            self.dropped_full += 1
            if self.dropped_full == 1:
                _log.warning("The prediction log queue is full (%d requests); further requests are not logged "
                             "until it drains.", self.records.maxsize)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued request is written or dropped, at most ``timeout`` seconds; True when done."""
        deadline = time.monotonic() + timeout
        while self.records.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.records.unfinished_tasks

    def stats(self) -> dict:
        """The log's counts: written, waiting, dropped (queue full / write failed) and the last write error."""
        dropped = self.dropped_full + self.dropped_failed
        return {"logged": self.logged, "queued": self.records.qsize(), "dropped_queue_full": self.dropped_full,
                "dropped_write_failed": self.dropped_failed, "last_error": self.last_error,
                "warning": f"{dropped:,} requests were not logged for monitoring." if dropped else None}

    def _write(self) -> None:
        while True:
            batch = [self.records.get()]
            while len(batch) < self.batch_size:  # what queued meanwhile goes in the same transaction
                try:
                    batch.append(self.records.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write_batch(batch)
            finally:
                for _ in batch:
                    self.records.task_done()
            # At most one write every `pause` seconds: a write per request would take the interpreter from the
            # requests as often as they come (and, on a busy machine, hold it while the system runs others).
            time.sleep(self.pause)

    def _write_batch(self, batch: list[dict]) -> None:
        requests = [{"inputs": r["inputs"], "outputs": r["outputs"], "ms": r["ms"], "model_version": r["model_version"],
                     "created_at": r["time"]} for r in batch]
        for attempt in range(self.retries + 1):
            try:
                self.ws.log_predictions(self.model_id, requests)
                self.logged += len(batch)
                return
            except Exception as exc:  # noqa: BLE001 - whatever a write raises, the log thread must live on
                self.last_error = f"{type(exc).__name__}: {exc}"
                if attempt < self.retries:
                    time.sleep(self.retry_pause * 2 ** attempt)
        self.dropped_failed += len(batch)
        _log.warning("%d predictions of model %s were not logged after %d attempts: %s", len(batch), self.model_id,
                     self.retries + 1, self.last_error)


RUNTIMES = ("auto", "onnx", "scikit-learn")


def model_app(*, ws: Workspace | None = None, model_id: int | None = None, model_dir: str | Path | None = None,
              log: bool = True, runtime: str = "auto", trust_pickle: bool = False, token: str | None = None,
              max_body_bytes: int = MAX_BODY_BYTES):
    """The FastAPI app of workspace model ``model_id`` (requests logged when ``log``) or of ``model_dir``.

    ``runtime`` "auto" scores with the model's ONNX export when one was made and verified (at training time, on
    the Deploy page or by ``python -m engine export``: same classes, probabilities within 1e-4), else with the
    scikit-learn pipeline. ``model_dir`` loads
    through skops; its pickle only with ``trust_pickle`` (``app.state.model_file`` says which). ``token`` and
    ``max_body_bytes`` as in ``engine.deploy.serving.create_app``.
    """
    limits = {"token": token or None, "max_body_bytes": max_body_bytes}
    if runtime not in RUNTIMES:
        raise ServingError(f"The runtime must be one of {list(RUNTIMES)}. Got {runtime!r} instead.")
    if (model_id is None) == (model_dir is None):
        raise ModelError("Give either a workspace model number or a model directory to serve, not both.")
    if model_id is not None:
        record = ws.get_model(model_id)
        if record["status"] != "ok":
            raise ModelError(f"Model {model_id} was not trained ({record['status']}); pick a trained model.")
        pipeline, card = ws.load_model(model_id)
        threshold = model_threshold(ws, model_id)
        logger = PredictionLogger(ws, model_id) if log else None
        chosen, predictor = _runtime(runtime, ws.model_dir(model_id), pipeline, card, threshold)
        app = create_app(pipeline, card, threshold=threshold, version=f"{model_id}-{record['sha256'][:12]}",
                         on_predict=logger, on_shutdown=logger and logger.flush, predictor=predictor,
                         runtime=chosen, health_info=logger and (lambda: {"prediction_log": logger.stats()}), **limits)
        app.state.logger = logger
        return app
    pipeline, card, model_file = load_model_dir(model_dir, trust_pickle=trust_pickle)
    threshold = card.get("decision_threshold")
    chosen, predictor = _runtime(runtime, model_dir, pipeline, card, threshold)
    app = create_app(pipeline, card, threshold=threshold, predictor=predictor, runtime=chosen, **limits)
    app.state.model_file = model_file
    return app


#: How ``python -m engine serve --workers N`` hands its options (JSON) to each worker process it starts.
SERVE_OPTIONS_ENV = "WORKBENCH_SERVE_OPTIONS"


def served_app(*, workspace: str | Path | None = None, model_id: int | None = None, project: str | None = None,
               model_dir: str | Path | None = None, log: bool = True, runtime: str = "auto",
               trust_pickle: bool = False, token: str | None = None, max_body_bytes: int = MAX_BODY_BYTES):
    """The app ``python -m engine serve`` runs: the champion of ``project`` (``ChampionApp``) or workspace model
    ``model_id`` in ``workspace``, or the model in ``model_dir`` (``model_app``)."""
    from usecases import open_workspace

    limits = {"runtime": runtime, "token": token, "max_body_bytes": max_body_bytes}
    if project is not None:
        ws = open_workspace(workspace)
        return ChampionApp(ws, project_id_by_name(ws, project), log=log, **limits)
    if model_id is not None:
        return model_app(ws=open_workspace(workspace), model_id=model_id, log=log, **limits)
    return model_app(model_dir=model_dir, trust_pickle=trust_pickle, **limits)


def worker_app():
    """The app of one worker process of ``python -m engine serve --workers N``: ``served_app`` of the options in
    ``$WORKBENCH_SERVE_OPTIONS``. Each worker loads (and checks) the model itself and logs its own requests."""
    return served_app(**json.loads(os.environ[SERVE_OPTIONS_ENV]))


def _runtime(runtime: str, directory, pipeline, card: dict, threshold: float | None):
    if runtime == "scikit-learn":
        return runtime, None
    export = read_export(directory, ONNX_FILE)
    if export is None or export[0] is None:
        if runtime == "onnx":
            why = export[1].get("reason") if export is not None else (
                "it was never converted (Deploy → Convert to ONNX, or `python -m engine export --format onnx`)")
            raise ServingError(f"This model has no verified ONNX export: {why}. Serve it with scikit-learn.")
        return "scikit-learn", None
    runner = OnnxRunner(export[0], card["features"])
    classes = list(getattr(pipeline, "classes_", [])) or None
    return "onnx", onnx_predictor(runner, classes, card["task"], threshold)


def project_id_by_name(ws: Workspace, name: str) -> int:
    """The id of the workspace's project called ``name``."""
    for project in ws.list_projects():
        if project["name"] == name:
            return project["id"]
    names = [p["name"] for p in ws.list_projects()][:10]
    raise ModelError(f"There is no project called '{name}' in {ws.home}; its projects are {names}.")


class ChampionApp:
    """An ASGI app that serves whichever model is a project's champion now.

    Every request first checks the project's champion and its decision threshold (at most once per ``check_every``
    seconds, two SQLite reads); after a promotion, a rollback or a newly saved threshold the next request loads the
    champion (sha256-checked, as ``model_app`` does) and from then on it answers, without a restart. Requests in
    flight finish on the model they started with. ``GET /health`` names the model version answering.
    """

    def __init__(self, ws: Workspace, project_id: int, *, log: bool = True, runtime: str = "auto",
                 check_every: float = 1.0, token: str | None = None, max_body_bytes: int = MAX_BODY_BYTES):
        self.ws, self.project_id, self.log, self.runtime, self.check_every = ws, project_id, log, runtime, check_every
        self.limits = {"token": token, "max_body_bytes": max_body_bytes}
        self.model_id: int | None = None
        self.threshold: float | None = None  # the champion's decision threshold the app decides at
        self.app = None
        self.loggers: list[PredictionLogger] = []
        self._checked = 0.0
        self._lock = threading.Lock()
        self._refresh()

    def _refresh(self) -> None:
        with self._lock:
            self._checked = time.monotonic()
            champion = self.ws.get_project(self.project_id)["champion_model_id"]
            if champion is None and self.app is not None:
                return
            if champion is None:
                raise ModelError(f"Project {self.project_id} has no champion to serve; choose one on Evaluate.")
            threshold = self.ws.get_model(champion)["decision_threshold"]
            if (champion, threshold) == (self.model_id, self.threshold):  # a new threshold is a new version too
                return
            try:
                app = model_app(ws=self.ws, model_id=champion, log=self.log, runtime=self.runtime, **self.limits)
            except (WorkbenchError, StorageError):
                if self.app is None:
                    raise
                return  # a new champion that cannot load (e.g. its file fails its sha256): keep serving the last one
            if app.state.logger is not None:
                self.loggers.append(app.state.logger)
            self.app, self.model_id, self.threshold = app, champion, threshold

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":  # the served apps come and go; this app owns start-up and shutdown
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    deadline = time.monotonic() + 5.0  # one bound for all the logs: a stop is never held up
                    for logger in self.loggers:
                        logger.flush(max(0.0, deadline - time.monotonic()))
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if time.monotonic() - self._checked >= self.check_every:
            await run_in_threadpool(self._refresh)  # loading a new champion must not block other requests
        await self.app(scope, receive, send)
