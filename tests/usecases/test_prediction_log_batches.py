"""The REST server's request log writes what queued meanwhile in one transaction, not one per request."""

from __future__ import annotations

import threading

from usecases.serving import PredictionLogger


class _CountingWorkspace:
    def __init__(self):
        self.calls, self.release = [], threading.Event()

    def log_predictions(self, model_id, requests):
        self.release.wait()
        self.calls.append([r["inputs"][0]["x"] for r in requests])


def test_requests_waiting_for_the_log_are_written_together_in_order():
    ws = _CountingWorkspace()
    logger = PredictionLogger(ws, 1, batch_size=3, pause=0.0)
    for i in range(7):  # the first is taken at once and held up; the six others wait
        logger({"time": "2026-01-01T00:00:00", "inputs": [{"x": i}], "outputs": {}, "ms": 1.0, "model_version": "1"})
    ws.release.set()
    assert logger.flush(timeout=5)
    assert [x for call in ws.calls for x in call] == list(range(7))
    assert len(ws.calls) < 7 and max(len(call) for call in ws.calls) <= 3
    assert logger.stats()["logged"] == 7
