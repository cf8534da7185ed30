"""A REST API for one fitted model: ``POST /predict``, ``GET /health``, ``GET /model`` and OpenAPI docs.

The request schema is generated from the model card's features, so a bad request gets a 422 that
names the field and what is wrong, before the model sees it. Each column is required (a typo'd
name is an error, not a silently missing value) and nullable (missing values are filled as in
training); other keys are ignored. The app is built from objects already loaded and verified; reading files is the
caller's job (``usecases.serving``), so nothing here unpickles anything.

>>> from fastapi.testclient import TestClient
>>> from sklearn.dummy import DummyClassifier
>>> import pandas as pd
>>> model = DummyClassifier().fit(pd.DataFrame({"age": [30.0, 40.0]}), ["no", "yes"])
>>> card = {"task": "classification", "target": "churned", "family": "baseline", "sha256": "ab12",
...         "features": [{"name": "age", "kind": "numeric", "dtype": "float64"}], "classes": ["no", "yes"]}
>>> client = TestClient(create_app(model, card))
>>> client.post("/predict", json={"age": 35}).json()["predictions"]
['no']
>>> client.post("/predict", json={"agee": 35}).json()["detail"][0]["msg"]
'Field required'

"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from fastapi import Body, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field, create_model

from engine.errors import WorkbenchError
from engine.predict import predict_frame, probability_frame

__all__ = ["MAX_ROWS", "create_app", "onnx_predictor", "request_model"]

MAX_ROWS = 10_000  # per request; larger batches belong in batch scoring
_TYPES: dict[str, Any] = {
    "numeric": float,
    "boolean": bool,
    "categorical": str | int | float | bool,  # codes often arrive as numbers
    "datetime": str,
    "text": str,
    "identifier": str | int,
}


def request_model(features: list[dict]) -> type[BaseModel]:
    """A pydantic model of one input row: one required, nullable field per feature (by its column name)."""
    fields = {}
    for i, feature in enumerate(features):
        kind = _TYPES.get(feature["kind"], str | int | float | bool)
        fields[f"field_{i}"] = (kind | None, Field(..., alias=feature["name"], title=feature["name"],
                                                   description=f"{feature['kind']} column"))
    # Other keys (an ID, the target) are ignored, as in batch scoring; a misspelt column still fails as missing.
    return create_model("Row", __config__=ConfigDict(extra="ignore", populate_by_name=False), **fields)


def onnx_predictor(runner, classes: list | None, task: str, threshold: float | None = None):
    """A ``predict_frame``-alike over an ``engine.export.OnnxRunner``: the same columns, classes in the
    pipeline's own values and order, the decision threshold applied. A verified ONNX export scores a single
    row in well under a millisecond, where the pandas pipeline takes tens of milliseconds."""

    def predict(frame: pd.DataFrame) -> pd.DataFrame:
        outputs = runner(frame)
        if task != "classification":
            return pd.DataFrame({"prediction": np.ravel(outputs["prediction"]).astype(float)})
        return probability_frame(outputs["probabilities"], classes, threshold)

    return predict


def create_app(pipeline, card: dict, *, threshold: float | None = None, version: str | None = None,
               on_predict: Callable[[dict], None] | None = None, on_shutdown: Callable[[], None] | None = None,
               predictor: Callable[[pd.DataFrame], pd.DataFrame] | None = None, runtime: str = "scikit-learn"
               ) -> FastAPI:
    """The FastAPI app serving ``pipeline``; ``on_predict`` receives a record of every scored request
    (time, inputs, outputs, milliseconds, model version), e.g. to log it for monitoring, and
    ``on_shutdown`` runs when the server stops (e.g. to write what is still queued). ``predictor``
    (named ``runtime``) replaces the pipeline for scoring, e.g. ``onnx_predictor`` of a verified export."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        if on_shutdown is not None:
            on_shutdown()

    features = card["features"]
    names = [f["name"] for f in features]
    Row = request_model(features)
    version = version or card.get("sha256", "")[:12]
    app = FastAPI(title=f"Workbench model: {card.get('target', 'target')} ({card.get('family', 'model')})",
                  version=version or "0", lifespan=lifespan,
                  description=f"Predicts **{card.get('target')}** ({card.get('task')}) from {len(names)} columns. "
                              "POST one row as an object, or many as a list of objects.")
    started = datetime.now(UTC).isoformat(timespec="seconds")
    app.state.runtime = runtime

    if predictor is None:
        def predictor(frame: pd.DataFrame) -> pd.DataFrame:
            return predict_frame(pipeline, frame, features, card["task"], threshold)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "model_version": version, "runtime": runtime, "started_at": started}

    @app.get("/model")
    def model() -> dict:
        return {"card": card, "decision_threshold": threshold, "input_schema": Row.model_json_schema(by_alias=True)}

    def predict(rows=Body(..., examples=[_example(features)])) -> dict:
        many = isinstance(rows, list)
        rows = rows if many else [rows]
        if not rows:
            raise HTTPException(422, "Send at least one row.")
        if len(rows) > MAX_ROWS:
            raise HTTPException(413, f"At most {MAX_ROWS:,} rows per request; score larger files in batches.")
        clock = time.perf_counter()
        records = [r.model_dump(by_alias=True) for r in rows]
        frame = pd.DataFrame.from_records(records, columns=names)
        try:
            out = predictor(frame)
        except (WorkbenchError, ValueError, TypeError) as exc:
            raise HTTPException(422, f"The model could not score these rows: {exc}") from exc
        body = _response(out, many)
        body["model_version"] = version
        if on_predict is not None:
            on_predict({"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "inputs": records,
                        "outputs": body, "ms": round((time.perf_counter() - clock) * 1000, 3),
                        "model_version": version})
        return body

    # The row model is built at run time, so the annotation is set here rather than written (as a string).
    predict.__annotations__["rows"] = Row | list[Row]
    app.post("/predict")(predict)
    return app


def _response(out: pd.DataFrame, many: bool) -> dict:
    predictions = [_plain(v) for v in out["prediction"]]
    proba_columns = [c for c in out.columns if c.startswith("proba_")]
    body: dict = {"predictions": predictions if many else predictions[:1]}
    if proba_columns:
        probabilities = [{c.removeprefix("proba_"): float(row[c]) for c in proba_columns}
                         for _, row in out[proba_columns].iterrows()]
        body["probabilities"] = probabilities
    return body


def _plain(value):
    """A numpy scalar as the JSON-able Python value."""
    return value.item() if isinstance(value, np.generic) else value


def _example(features: list[dict]) -> dict:
    sample = {"numeric": 1.0, "boolean": True, "categorical": "a", "datetime": "2026-01-31", "text": "some words",
              "identifier": "id-1"}
    return {f["name"]: sample.get(f["kind"], "a") for f in features}
