"""A REST API for one fitted model: ``POST /predict``, ``GET /health``, ``GET /model`` and OpenAPI docs.

The request schema is generated from the model card's features, so a bad request gets a 422 that
names the field and what is wrong, before the model sees it. Each column is required (a typo'd
name is an error, not a silently missing value) and nullable (missing values are filled as in
training); other keys are ignored. The app is built from objects already loaded and verified; reading files is the
caller's job (``usecases.serving``), so nothing here unpickles anything.

Fast by default: a body of rows the schema would keep unchanged (``plain_records``) is scored by ``PlainPredict``
without FastAPI's routing and pydantic, and a compiled recipe at NumPy level (``engine.deploy.record_scoring``);
the answer is the same bytes, and anything else takes the full path, so every refusal keeps its message.

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

What is open: with no ``token`` anyone who reaches the port may score rows and read the card (``/model``, ``/docs``);
with one, ``/predict`` and ``/model`` answer 401 unless the request carries ``Authorization: Bearer <token>``
(``/health``, ``/docs`` and the schema stay open). A body larger than ``max_body_bytes`` answers 413 before it is
parsed, and a prediction that is not a finite number (e.g. from inputs near the float limit) a 422.

A regression model whose card lists ``prediction_intervals`` (split-conformal, from its validation rows) adds one
on request: ``POST /predict?interval=0.9`` answers ``interval: {level, half_width, coverage, lower, upper}``.

"""

from __future__ import annotations

import hmac
import json
import math
import shlex
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from fastapi import Body, Depends, FastAPI, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, create_model

from engine.deploy.record_scoring import record_scorer
from engine.errors import ServingError, WorkbenchError

__all__ = ["INLINE_ROWS", "MAX_BODY_BYTES", "MAX_ROWS", "PLAIN_BODY_BYTES", "BodyLimit", "PlainPredict", "Predictor",
           "create_app", "curl_command", "onnx_predictor", "pipeline_predictor", "plain_records", "request_model",
           "scores"]

MAX_ROWS = 10_000  # per request; larger batches belong in batch scoring
#: Default request body limit (1 MiB, about 5,000 rows of 10 columns); larger bodies answer 413 unread.
MAX_BODY_BYTES = 1 << 20
#: Requests of at most this many rows are scored on the event loop when the runtime is ONNX or a compiled
#: recipe's fast pipeline (``engine.prepare.transformers.FramePipeline``).
INLINE_ROWS = 32
#: Scores JSON records (a list of dicts keyed by column name): the body's ``predictions`` (and ``probabilities``).
Predictor = Callable[[list[dict]], dict]
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


def pipeline_predictor(pipeline, features: list[dict], task: str, threshold: float | None = None) -> Predictor:
    """Score records with the scikit-learn pipeline: as ``engine.deploy.predict.predict_frame``, the response body built
    straight from the arrays (a one-row output DataFrame costs more than the linear model's arithmetic). A compiled
    recipe is scored at NumPy level (``engine.deploy.record_scoring.record_scorer``, used only where it answers bit
    for bit as the pipeline), else its records are cast straight to arrays (``FramePipeline.transform_records``);
    other pipelines (an older model file) get a DataFrame of them."""
    names = [f["name"] for f in features]
    proba = task == "classification" and hasattr(pipeline, "predict_proba")
    scorer = record_scorer(pipeline, features, task) if proba or task != "classification" else None
    if scorer is not None:  # the compiled recipe's arithmetic, checked against it bit for bit
        classes = pipeline.classes_ if proba else None

        def predict_arrays(records: list[dict]) -> dict:
            if proba:
                return scores(scorer(records), classes, threshold)
            return {"predictions": [_plain(v) for v in scorer(records)]}

        return predict_arrays
    if _fast_pipeline(pipeline):  # a compiled recipe: no DataFrame of the rows
        prepare, model = pipeline.steps[0][1], pipeline.steps[1][1]

        def predict(records: list[dict]) -> dict:
            X = prepare.transform_records(records)
            if proba:
                return scores(model.predict_proba(X), model.classes_, threshold)
            return {"predictions": [_plain(v) for v in model.predict(X)]}

        return predict

    def predict_frame(records: list[dict]) -> dict:
        X = pd.DataFrame.from_records(records, columns=names)
        if proba:
            return scores(pipeline.predict_proba(X), pipeline.classes_, threshold)
        return {"predictions": [_plain(v) for v in pipeline.predict(X)]}

    return predict_frame


def onnx_predictor(runner, classes: list | None, task: str, threshold: float | None = None) -> Predictor:
    """Score records with an ``engine.deploy.onnx_feeds.OnnxRunner``: the same body as ``pipeline_predictor``, classes
    in the pipeline's own values and order, the decision threshold applied. The inputs are built from the records
    without a DataFrame, so a verified export scores a single row in well under a millisecond."""

    def predict(records: list[dict]) -> dict:
        outputs = runner.records(records)
        if task != "classification":
            return {"predictions": np.ravel(outputs["prediction"]).astype(float).tolist()}
        return scores(outputs["probabilities"], classes, threshold)

    return predict


def scores(proba, classes, threshold: float | None = None) -> dict:
    """The response body of a probability matrix whose columns follow ``classes``: ``predictions`` (as
    ``engine.deploy.predict.probability_frame`` decides them) and ``probabilities``, one ``{class: p}`` per row."""
    proba = np.asarray(proba, dtype=float)
    labels = np.asarray(classes)
    if threshold is not None and len(labels) == 2:
        chosen = np.where(proba[:, 1] >= threshold, 1, 0)
    else:
        chosen = proba.argmax(axis=1)
    keys = [str(label) for label in labels]
    return {"predictions": [_plain(labels[j]) for j in chosen],
            "probabilities": [dict(zip(keys, row, strict=True)) for row in proba.tolist()]}


def create_app(pipeline, card: dict, *, threshold: float | None = None, version: str | None = None,
               on_predict: Callable[[dict], None] | None = None, on_shutdown: Callable[[], None] | None = None,
               predictor: Predictor | None = None, runtime: str = "scikit-learn", token: str | None = None,
               max_body_bytes: int = MAX_BODY_BYTES, health_info: Callable[[], dict] | None = None) -> FastAPI:
    """The FastAPI app serving ``pipeline``; ``on_predict`` receives a record of every scored request
    (time, inputs, outputs, milliseconds, model version), e.g. to log it for monitoring, and
    ``on_shutdown`` runs when the server stops (e.g. to write what is still queued). ``predictor``
    (named ``runtime``) replaces the pipeline for scoring, e.g. ``onnx_predictor`` of a verified export.
    ``token`` (when given) is required as a bearer token by ``/predict`` and ``/model``; bodies over
    ``max_body_bytes`` answer 413; ``health_info`` adds its dict to ``GET /health`` (e.g. the request log's counts)."""
    if max_body_bytes < 1:
        raise ServingError(f"The body limit must be a positive number of bytes. Got {max_body_bytes} instead.")

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
    authorized = [Depends(_bearer(token))] if token else []

    if predictor is None:
        predictor = pipeline_predictor(pipeline, features, card["task"], threshold)
    inline = runtime == "onnx" or _fast_pipeline(pipeline)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "model_version": version, "runtime": runtime, "started_at": started,
                "auth": "bearer" if token else "none", "max_body_bytes": max_body_bytes,
                **(health_info() if health_info is not None else {})}

    @app.get("/model", dependencies=authorized)
    def model() -> dict:
        return {"card": card, "decision_threshold": threshold, "input_schema": Row.model_json_schema(by_alias=True)}

    intervals = {round(float(i["level"]), 4): i for i in card.get("prediction_intervals") or []}

    def score(records: list[dict], interval: dict | None = None) -> dict:
        clock = time.perf_counter()
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # an overflow is answered below, as a 422
                body = predictor(records)
        except (WorkbenchError, ValueError, TypeError) as exc:
            raise HTTPException(422, f"The model could not score these rows: {exc}") from exc
        if not _finite(body):
            raise HTTPException(422, "The model's answer for these rows is not a finite number (inputs near the "
                                     "float limit, e.g. 1e308, overflow its arithmetic); send values in the range "
                                     "the model was trained on.")
        if interval is not None:
            body["interval"] = _bounds(body["predictions"], interval)
        body["model_version"] = version
        if on_predict is not None:
            on_predict({"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "inputs": records,
                        "outputs": body, "ms": round((time.perf_counter() - clock) * 1000, 3),
                        "model_version": version})
        return body

    async def predict(rows=Body(..., examples=[_example(features)]),
                      interval: float | None = Query(None, description=_interval_help(card, intervals))) -> dict:
        chosen = None if interval is None else _interval(interval, intervals, card)
        rows = rows if isinstance(rows, list) else [rows]
        if not rows:
            raise HTTPException(422, "Send at least one row.")
        if len(rows) > MAX_ROWS:
            raise HTTPException(413, f"At most {MAX_ROWS:,} rows per request; score larger files in batches.")
        records = [r.model_dump(by_alias=True) for r in rows]
        # A few rows through ONNX or the fast pipeline take about a millisecond: scored on the event loop, as two
        # hops to the thread pool (scoring, then serialising) cost as much on a busy machine. Anything slower (a
        # model saved before the fast pipeline, big batches) runs in the thread pool so it never holds up others.
        if inline and len(records) <= INLINE_ROWS:
            body = score(records, chosen)
        else:
            body = await run_in_threadpool(score, records, chosen)
        return JSONResponse(body)  # built from plain lists and floats already: no response model to validate

    # The row model is built at run time, so the annotation is set here rather than written (as a string).
    predict.__annotations__["rows"] = Row | list[Row]
    app.post("/predict", dependencies=authorized)(predict)

    async def score_plain(records: list[dict]) -> dict:
        if inline and len(records) <= INLINE_ROWS:
            return score(records)
        return await run_in_threadpool(score, records)

    # Added first, so that BodyLimit (added last, the outer one) sees every request before it.
    app.add_middleware(PlainPredict, records=plain_records(features), score=score_plain, token=token)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    return app


#: The Python types JSON values of each kind keep unchanged through the request schema (``_TYPES``).
_PLAIN_TYPES = {"numeric": (float,), "boolean": (bool,), "categorical": (str, int, float, bool),
                "datetime": (str,), "text": (str,), "identifier": (str, int)}
#: Bodies up to this size may take the plain path (parsed on the event loop); larger ones go through FastAPI.
PLAIN_BODY_BYTES = 64 << 10
_EXACT_INT = 1 << 53  # an int the schema reads as a float is exactly float(value) up to here


def plain_records(features: list[dict]) -> Callable[[Any], list[dict] | None]:
    """A check of a parsed JSON body that the request schema (``request_model``) would accept as it is: one object
    or a non-empty list of at most ``MAX_ROWS`` objects, every column present, each value None or of a type its
    kind keeps (an int in a numeric column becomes its float, as pydantic makes it). It returns the records as
    ``model_dump(by_alias=True)`` gives them (the columns only, in the card's order), or None for anything else,
    which then goes through FastAPI and pydantic: errors keep their messages because only they write them.

    >>> check = plain_records([{"name": "age", "kind": "numeric"}, {"name": "plan", "kind": "categorical"}])
    >>> check({"age": 3, "plan": "gold", "id": 7})
    [{'age': 3.0, 'plan': 'gold'}]
    >>> check({"age": "3", "plan": "gold"}) is None  # pydantic parses text as a number: its path, not this one
    True
    """
    columns = [(f["name"], _PLAIN_TYPES.get(f["kind"], (str, int, float, bool)), f["kind"] == "numeric")
               for f in features]

    def check(body: Any) -> list[dict] | None:
        rows = body if type(body) is list else [body]
        if not rows or len(rows) > MAX_ROWS:
            return None
        records = []
        for row in rows:
            if type(row) is not dict:
                return None
            record = {}
            for name, plain, numeric in columns:
                value = row.get(name, row)  # the row itself marks a missing key (None is a value)
                if value is None or type(value) in plain:
                    record[name] = value
                elif numeric and type(value) is int and -_EXACT_INT <= value <= _EXACT_INT:
                    record[name] = float(value)
                else:
                    return None
            records.append(record)
        return records

    return check


class PlainPredict:
    """ASGI middleware: a ``POST /predict`` of plain JSON rows (``plain_records``) is scored without FastAPI's
    routing, dependency resolution and pydantic models, which cost more than scoring one row; the response is the
    same ``JSONResponse`` of the same body. Everything else (other paths, a query string, another content type, a
    missing or wrong token, a body the check refuses or that does not parse, a large body, an error while scoring)
    goes on to the app, the body replayed, and is answered as before."""

    def __init__(self, app, records: Callable[[Any], list[dict] | None], score: Callable, token: str | None):
        self.app, self.records, self.score = app, records, score
        self.authorization = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope, receive, send) -> None:
        if not self._plain_request(scope):
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        try:
            while more:
                message = await receive()
                if message["type"] != "http.request":  # the client left: let the app see it as it would
                    await self.app(scope, _replay(b"".join(chunks), receive, message), send)
                    return
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
        except HTTPException as exc:  # BodyLimit: the body passed the limit while arriving
            await JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)(
                scope, receive, send)
            return
        body = b"".join(chunks)
        records = self._parse(body)
        answer = None
        if records is not None:
            try:
                answer = await self.score(records)
            except HTTPException:  # a 422 of the model: the app answers it the way it always has
                answer = None
        if answer is None:
            await self.app(scope, _replay(body, receive), send)
            return
        await JSONResponse(answer)(scope, receive, send)

    def _plain_request(self, scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != "/predict" or scope.get(
                "query_string"):
            return False
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        if headers.get(b"content-type") != b"application/json" or not length.isdigit() or (
                int(length) > PLAIN_BODY_BYTES):
            return False
        if self.authorization is None:
            return True
        given = [value for name, value in scope["headers"] if name == b"authorization"]
        return len(given) == 1 and hmac.compare_digest(given[0], self.authorization)

    def _parse(self, body: bytes) -> list[dict] | None:
        try:
            return self.records(json.loads(body))  # as Starlette's Request.json() reads it
        except ValueError:  # not JSON (UnicodeDecodeError is one): FastAPI's path says so
            return None


def _replay(body: bytes, receive, last: dict | None = None):
    """A ``receive`` giving ``body`` once as the whole request (then ``last``, if given), then the real one."""
    pending = [{"type": "http.request", "body": body, "more_body": False}] + ([last] if last else [])

    async def replayed() -> dict:
        return pending.pop(0) if pending else await receive()

    return replayed


class _BodyTooLarge(HTTPException):
    def __init__(self, max_bytes: int):
        super().__init__(413, f"The request body is larger than this server's limit of {max_bytes:,} bytes; send "
                              f"fewer rows per request (or start the server with a higher --max-body-bytes).")


class BodyLimit:
    """ASGI middleware: a request whose body exceeds ``max_bytes`` answers 413, by its Content-Length before any of
    it is read, or (sent in chunks) as soon as the bytes received pass the limit; nothing larger is ever held."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            error = _BodyTooLarge(self.max_bytes)
            await JSONResponse({"detail": error.detail}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise _BodyTooLarge(self.max_bytes)  # FastAPI re-raises an HTTPException met reading the body
            return message

        await self.app(scope, limited_receive, send)


def _bearer(token: str) -> Callable:
    """A dependency refusing (401) a request without ``Authorization: Bearer <token>``; compared in constant time."""
    scheme = HTTPBearer(auto_error=False, description="The token the server was started with (--token or "
                                                      "WORKBENCH_API_TOKEN).")
    expected = token.encode()

    def check(credentials: HTTPAuthorizationCredentials | None = Depends(scheme)) -> None:
        given = (credentials.credentials if credentials is not None else "").encode()
        if not hmac.compare_digest(given, expected):
            raise HTTPException(401, "This server needs a token: send the header 'Authorization: Bearer <token>' "
                                     "with the token it was started with.", headers={"WWW-Authenticate": "Bearer"})

    return check


def _fast_pipeline(pipeline) -> bool:
    """Whether ``pipeline`` is a compiled recipe that scores records without a DataFrame (``pipeline_predictor``)."""
    steps = getattr(pipeline, "steps", [])
    return len(steps) == 2 and hasattr(steps[0][1], "transform_records")


def _finite(body: dict) -> bool:
    """True when every number in the predictions and probabilities is finite (JSON has no inf or nan)."""
    numbers = [v for v in body["predictions"] if isinstance(v, float)]
    numbers += [p for row in body.get("probabilities") or [] for p in row.values()]
    return all(math.isfinite(v) for v in numbers)


def curl_command(url: str, features: list[dict], token: str | None = None) -> str:
    """A ready-to-paste shell command scoring one row (every column null: filled as in training) at ``url``.

    Every argument is quoted with ``shlex.quote``, so column names (or a token) holding quotes, ``$(...)`` or
    backticks reach the server as text and never run in the shell they are pasted into.

    >>> print(curl_command("http://localhost:8000", [{"name": "it's"}]))
    curl -s http://localhost:8000/predict -H 'Content-Type: application/json' \\
         -d '{"it'"'"'s": null}'
    """
    row = json.dumps({f["name"]: None for f in features})
    auth = f" -H {shlex.quote(f'Authorization: Bearer {token}')}" if token else ""
    return (f"curl -s {shlex.quote(url.rstrip('/') + '/predict')} -H 'Content-Type: application/json'{auth} \\\n"
            f"     -d {shlex.quote(row)}")


def _interval(level: float, intervals: dict[float, dict], card: dict) -> dict:
    """The card's interval at ``level``, or a 422 that says which levels there are."""
    if card.get("task") != "regression":
        raise HTTPException(422, "Prediction intervals are for regression models; this classifier answers with "
                                 "class probabilities.")
    found = intervals.get(round(level, 4))
    if found is None:
        offered = ", ".join(f"{lv:g}" for lv in intervals) or "none (its card lists no prediction intervals)"
        raise HTTPException(422, f"This model has no {level:g} prediction interval; the levels it offers are "
                                 f"{offered}.")
    return found


def _bounds(predictions: list, interval: dict) -> dict:
    half = float(interval["half_width"])
    return {"level": interval["level"], "half_width": half, "coverage": interval["coverage"],
            "lower": [p - half for p in predictions], "upper": [p + half for p in predictions]}


def _interval_help(card: dict, intervals: dict[float, dict]) -> str:
    if card.get("task") != "regression" or not intervals:
        return "Not offered by this model (prediction intervals are for regression models)."
    return ("Add a split-conformal prediction interval at this level, one of "
            f"{', '.join(f'{lv:g}' for lv in intervals)}: lower and upper bounds for each row.")


def _plain(value):
    """A numpy scalar as the JSON-able Python value."""
    return value.item() if isinstance(value, np.generic) else value


def _example(features: list[dict]) -> dict:
    sample = {"numeric": 1.0, "boolean": True, "categorical": "a", "datetime": "2026-01-31", "text": "some words",
              "identifier": "id-1"}
    return {f["name"]: sample.get(f["kind"], "a") for f in features}
