"""The REST server faces people who are not the workbench's users: what it answers to bad, big or anonymous
requests, and that its request log survives a failing database without holding a stop up or filling memory."""

from __future__ import annotations

import importlib.util
import json
import threading
import time

import joblib
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sklearn.linear_model import LinearRegression

from engine.deploy.bundle import serve_script
from engine.deploy.serving import create_app
from storage import sha256_file
from usecases.serving import PredictionLogger

CARD = {"task": "regression", "target": "y", "family": "linear", "sha256": "ab12",
        "features": [{"name": "x1", "kind": "numeric", "dtype": "float64"},
                     {"name": "x2", "kind": "numeric", "dtype": "float64"}]}


@pytest.fixture
def model():
    X = pd.DataFrame({"x1": [0.0, 1.0, 2.0, 3.0], "x2": [1.0, 0.0, 1.0, 0.0]})
    return LinearRegression().fit(X, [0.0, 2.0, 4.0, 6.0])


def test_a_prediction_that_overflows_answers_422_not_500(model):
    client = TestClient(create_app(model, CARD), raise_server_exceptions=False)
    response = client.post("/predict", json={"x1": 1e308, "x2": 1e308})
    assert response.status_code == 422
    assert "not a finite number" in response.json()["detail"]
    assert client.post("/predict", json={"x1": 1.0, "x2": 0.0}).json()["predictions"] == pytest.approx([2.0])


def test_a_body_over_the_limit_answers_413_unread(model):
    logged = []
    client = TestClient(create_app(model, CARD, on_predict=logged.append, max_body_bytes=1000))
    rows = [{"x1": 1.0, "x2": 0.0}] * 100  # 2,100 bytes of JSON
    response = client.post("/predict", json=rows)
    assert response.status_code == 413
    assert "1,000 bytes" in response.json()["detail"]

    def chunks():  # no Content-Length: the limit holds while the body streams in
        body = json.dumps(rows).encode()
        for start in range(0, len(body), 256):
            yield body[start:start + 256]

    assert client.post("/predict", content=chunks(), headers={"Content-Type": "application/json"}).status_code == 413
    assert client.post("/predict", json=rows[:10]).status_code == 200
    assert len(logged) == 1  # only the request within the limit was scored and logged


def test_the_default_body_limit_is_one_mib(model):
    client = TestClient(create_app(model, CARD))
    assert client.get("/health").json()["max_body_bytes"] == 1 << 20
    big = b"[" + b",".join([b'{"x1": 1.0, "x2": 0.0}'] * 50_000) + b"]"  # 1.1 MB
    assert client.post("/predict", content=big, headers={"Content-Type": "application/json"}).status_code == 413


def test_a_token_is_required_when_set_and_health_stays_open(model):
    client = TestClient(create_app(model, CARD, token="s3cret"))
    row = {"x1": 1.0, "x2": 0.0}
    assert client.post("/predict", json=row).status_code == 401
    assert client.post("/predict", json=row, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/model").status_code == 401
    assert client.post("/predict", json=row, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/model", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/health").json()["auth"] == "bearer"


def test_without_a_token_the_server_says_it_is_open(model):
    client = TestClient(create_app(model, CARD))
    assert client.post("/predict", json={"x1": 1.0, "x2": 0.0}).status_code == 200
    assert client.get("/health").json()["auth"] == "none"


def test_the_bundle_serve_py_honours_the_token_and_the_body_limit(model, tmp_path):
    joblib.dump(model, tmp_path / "model.joblib")
    (tmp_path / "card.json").write_text(json.dumps({**CARD, "sha256": sha256_file(tmp_path / "model.joblib")}))
    (tmp_path / "serve.py").write_text(serve_script())
    spec = importlib.util.spec_from_file_location("bundle_serve", tmp_path / "serve.py")
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    client = TestClient(serve.build_app("scikit-learn", token="s3cret", max_body_bytes=1000))
    row = {"x1": 1.0, "x2": 0.0}
    assert client.post("/predict", json=row).status_code == 401
    assert client.post("/predict", json=row, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.post("/predict", json=[row] * 100, headers={"Authorization": "Bearer s3cret"}).status_code == 413


class _FlakyWorkspace:
    """A stand-in for the workspace whose log writes fail ``failures`` times, or hang until ``release`` is set."""

    def __init__(self, failures: int = 0, hang: bool = False):
        self.failures, self.rows = failures, []
        self.release = threading.Event()
        if not hang:
            self.release.set()

    def log_predictions(self, model_id, requests):
        self.release.wait()
        if self.failures:
            self.failures -= 1
            raise OSError("database is locked")
        self.rows.extend(requests)


def _record(i: int) -> dict:
    return {"time": f"2026-01-01T00:00:0{i}", "inputs": [{"x1": i}], "outputs": {}, "ms": 1.0, "model_version": "1"}


def test_a_transient_write_error_is_retried_and_the_row_logged():
    ws = _FlakyWorkspace(failures=2)
    logger = PredictionLogger(ws, 1, retries=3, retry_pause=0.001)
    logger(_record(1))
    assert logger.flush(timeout=5)
    assert len(ws.rows) == 1
    assert logger.stats()["logged"] == 1 and logger.stats()["dropped_write_failed"] == 0


def test_a_lasting_write_error_drops_the_row_counts_it_and_the_logger_goes_on(model):
    ws = _FlakyWorkspace(failures=4)  # the first row fails 1 + 3 retries; the second is written
    logger = PredictionLogger(ws, 1, retries=3, retry_pause=0.001)
    client = TestClient(create_app(model, CARD, on_predict=logger,
                                   health_info=lambda: {"prediction_log": logger.stats()}))
    client.post("/predict", json={"x1": 1.0, "x2": 0.0})
    assert logger.flush(timeout=5)
    client.post("/predict", json={"x1": 2.0, "x2": 0.0})
    assert logger.flush(timeout=5)
    log = client.get("/health").json()["prediction_log"]
    assert (log["logged"], log["dropped_write_failed"], log["last_error"]) == (1, 1, "OSError: database is locked")
    assert log["warning"] == "1 requests were not logged for monitoring."
    assert ws.rows[0]["inputs"] == [{"x1": 2.0, "x2": 0.0}]


def test_a_hanging_log_never_blocks_the_shutdown_and_its_queue_is_bounded():
    ws = _FlakyWorkspace(hang=True)
    logger = PredictionLogger(ws, 1, capacity=3)
    logger(_record(0))
    while logger.records.qsize():  # the writer takes it and hangs
        time.sleep(0.01)
    for i in range(1, 10):  # three wait, six do not fit
        logger(_record(i))
    started = time.monotonic()
    assert logger.flush(timeout=0.3) is False
    assert time.monotonic() - started < 1.0
    assert logger.stats()["queued"] == 3
    assert logger.stats()["dropped_queue_full"] == 6
    ws.release.set()
    assert logger.flush(timeout=5)
    assert len(ws.rows) == 4
