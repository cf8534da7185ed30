"""Deployed models: the local REST servers the Deploy page started and the requests they scored.

The prediction log is read by the monitor as one batch per UTC day (``prediction_log_days``).
"""

from __future__ import annotations

import pandas as pd

from storage.db import loads, open_db, write_db
from storage.records import Records, _encode, now

__all__ = ["Deployment"]


class Deployment(Records):
    """REST servers and the prediction log of a workspace."""

    def add_server(self, project_id: int, model_id: int, *, host: str, port: int, pid: int) -> dict:
        return self._insert("servers", {"project_id": project_id, "model_id": model_id, "host": host, "port": port,
                                        "pid": pid, "status": "running", "started_at": now()})

    def update_server(self, server_id: int, **values) -> dict:
        return self._update("servers", server_id, values)

    def list_servers(self, project_id: int, status: str | None = None) -> list[dict]:
        if status is None:
            return self._rows("servers", "project_id = ?", [project_id], order="id desc")
        return self._rows("servers", "project_id = ? AND status = ?", [project_id, status], order="id desc")

    def log_prediction(self, model_id: int, *, inputs: list[dict], outputs: dict, ms: float, model_version: str,
                       source: str = "rest", created_at: str | None = None) -> dict:
        """Record one scored request of a model (for monitoring)."""
        model = self._get("models", model_id)
        return self._insert("prediction_log", {
            "project_id": model["project_id"], "model_id": model_id, "created_at": created_at or now(),
            "n_rows": len(inputs), "inputs": inputs, "outputs": outputs, "ms": ms, "model_version": model_version,
            "source": source})

    def log_predictions(self, model_id: int, requests: list[dict], *, source: str = "rest") -> int:
        """Record several scored requests of a model in one transaction (a busy REST server's log writes them as
        they queue up); each request has the keyword arguments of ``log_prediction``. Returns how many."""
        project_id = self._get("models", model_id)["project_id"]
        rows = [_encode("prediction_log", {
            "project_id": project_id, "model_id": model_id, "created_at": r.get("created_at") or now(),
            "n_rows": len(r["inputs"]), "inputs": r["inputs"], "outputs": r["outputs"], "ms": r["ms"],
            "model_version": r["model_version"], "source": source}) for r in requests]
        if not rows:
            return 0
        columns = list(rows[0])
        with write_db(self.db_path) as db:
            db.conn.executemany(f"INSERT INTO [prediction_log] ({', '.join(f'[{c}]' for c in columns)}) VALUES "
                                f"({', '.join('?' for _ in columns)})", [[row[c] for c in columns] for row in rows])
        return len(rows)

    def list_prediction_log(self, model_id: int) -> list[dict]:
        """The scored requests of a model, oldest first."""
        return self._rows("prediction_log", "model_id = ?", [model_id])

    def prediction_log_days(self, model_id: int) -> list[dict]:
        """The prediction log of a model as one batch per UTC day: day, requests, n_rows, first, last."""
        with open_db(self.db_path) as db:
            rows = db.execute(
                "SELECT substr(created_at, 1, 10) AS day, count(*) AS requests, sum(n_rows) AS n_rows, "
                "min(created_at) AS first, max(created_at) AS last FROM prediction_log WHERE model_id = ? "
                "GROUP BY day ORDER BY day", [model_id]).fetchall()
        return [dict(zip(("day", "requests", "n_rows", "first", "last"), row, strict=True)) for row in rows]

    def load_prediction_log_day(self, model_id: int, day: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(input rows, predictions) a model's REST server logged on ``day`` (YYYY-MM-DD), in arrival order."""
        with open_db(self.db_path) as db:
            rows = db.execute("SELECT inputs, outputs FROM prediction_log WHERE model_id = ? AND "
                              "substr(created_at, 1, 10) = ? ORDER BY created_at, id", [model_id, day]).fetchall()
        inputs, predictions = [], []
        for raw_inputs, raw_outputs in rows:
            records = loads(raw_inputs, [])
            outputs = (loads(raw_outputs, {}) or {}).get("predictions") or []
            inputs.extend(records)
            predictions.extend(outputs[:len(records)] + [None] * (len(records) - len(outputs)))
        return pd.DataFrame.from_records(inputs), pd.DataFrame({"prediction": predictions})
