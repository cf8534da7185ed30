"""Several scored requests written in one transaction read back as if each had been written alone."""

from __future__ import annotations

from tests.storage.test_monitoring_store import _model


def test_log_predictions_writes_every_request_in_order(ws):
    model_id = _model(ws)
    requests = [{"inputs": [{"age": 30}], "outputs": {"predictions": [1]}, "ms": 1.5, "model_version": "v1",
                 "created_at": "2026-05-01T09:00:00.000+00:00"},
                {"inputs": [{"age": 31}, {"age": None}], "outputs": {"predictions": [0, 1]}, "ms": 2.0,
                 "model_version": "v2", "created_at": "2026-05-01T09:00:01.000+00:00"}]
    assert ws.log_predictions(model_id, requests) == 2
    assert ws.log_predictions(model_id, []) == 0
    log = ws.list_prediction_log(model_id)
    assert [(r["n_rows"], r["inputs"], r["outputs"], r["ms"], r["model_version"], r["source"]) for r in log] == [
        (1, [{"age": 30}], {"predictions": [1]}, 1.5, "v1", "rest"),
        (2, [{"age": 31}, {"age": None}], {"predictions": [0, 1]}, 2.0, "v2", "rest")]
    inputs, predictions = ws.load_prediction_log_day(model_id, "2026-05-01")
    assert inputs["age"].tolist()[:2] == [30, 31] and predictions["prediction"].tolist() == [1, 0, 1]
