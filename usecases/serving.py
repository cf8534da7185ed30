"""Serving use cases: the REST app of a stored model, with its requests logged to the workspace for monitoring.

A model from a workspace is loaded after its sha256 is checked against the database; a model
directory written by ``python -m engine train`` is checked against its own card. Logging runs on a
background thread so a request never waits for SQLite.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

from engine.errors import ModelError, ServingError
from engine.onnx_feeds import OnnxRunner
from engine.serving import create_app, onnx_predictor
from storage import Workspace, read_export, read_model_dir
from usecases.evaluation import model_threshold

__all__ = ["ONNX_FILE", "RUNTIMES", "PredictionLogger", "model_app"]

ONNX_FILE = "model.onnx"


class PredictionLogger:
    """Writes each scored request of ``model_id`` to the workspace from a background thread."""

    def __init__(self, ws: Workspace, model_id: int):
        self.ws, self.model_id = ws, model_id
        self.records: queue.Queue = queue.Queue()
        threading.Thread(target=self._write, daemon=True, name="prediction-log").start()

    def __call__(self, record: dict) -> None:
        self.records.put(record)

    def flush(self) -> None:
        """Wait until every queued request is written."""
        self.records.join()

    def _write(self) -> None:
        while True:
            record = self.records.get()
            try:
                self.ws.log_prediction(self.model_id, inputs=record["inputs"], outputs=record["outputs"],
                                       ms=record["ms"], model_version=record["model_version"],
                                       created_at=record["time"])
            finally:
                self.records.task_done()


RUNTIMES = ("auto", "onnx", "scikit-learn")


def model_app(*, ws: Workspace | None = None, model_id: int | None = None, model_dir: str | Path | None = None,
              log: bool = True, runtime: str = "auto"):
    """The FastAPI app of workspace model ``model_id`` (requests logged when ``log``) or of ``model_dir``.

    ``runtime`` "auto" scores with the model's ONNX export when one was made and verified on the Deploy
    page (same classes, probabilities within 1e-4), else with the scikit-learn pipeline.
    """
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
                         runtime=chosen)
        app.state.logger = logger
        return app
    pipeline, card = read_model_dir(model_dir)
    threshold = card.get("decision_threshold")
    chosen, predictor = _runtime(runtime, model_dir, pipeline, card, threshold)
    return create_app(pipeline, card, threshold=threshold, predictor=predictor, runtime=chosen)


def _runtime(runtime: str, directory, pipeline, card: dict, threshold: float | None):
    if runtime == "scikit-learn":
        return runtime, None
    export = read_export(directory, ONNX_FILE)
    if export is None or export[0] is None:
        if runtime == "onnx":
            why = "it was never converted (Deploy → Convert to ONNX)" if export is None else export[1].get("reason")
            raise ServingError(f"This model has no verified ONNX export: {why}. Serve it with scikit-learn.")
        return "scikit-learn", None
    runner = OnnxRunner(export[0], card["features"])
    classes = list(getattr(pipeline, "classes_", [])) or None
    return "onnx", onnx_predictor(runner, classes, card["task"], threshold)
