"""The one way a table is read and written: small generic methods every ``Workspace`` method goes through.

Each operation opens its own connection (``open_db`` / ``write_db``); JSON columns are encoded and decoded
here, so callers only see Python values. Tables whose rows point at a Parquet file (datasets, labels files,
incoming batches) share ``_add_parquet`` / ``_load_parquet`` / ``_delete_parquet``: the file is written first,
then registered with its sha256, and read back only when it still matches.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from storage.db import dumps, loads, open_db, write_db
from storage.errors import NotFoundError
from storage.files import read_parquet, write_parquet

__all__ = ["Records", "now"]

#: Columns holding JSON text, per table.
JSON_COLUMNS = {
    "projects": ("problem", "column_kinds", "recipe", "settings"),
    "datasets": ("schema", "notes"),
    "jobs": ("params",),
    "runs": ("problem", "recipe", "settings", "split", "notes", "versions", "schema"),
    "models": ("cv_scores", "valid_metrics", "test_metrics"),
    "prediction_log": ("inputs", "outputs"),
    "alerts": ("details", "delivery"),
    "monitor_runs": ("summary",),
    "monitor_settings": ("thresholds", "decay"),
}

#: Columns holding a 0/1 flag, per table.
BOOL_COLUMNS = {"shares": ("allow_predict",)}

#: What a row of each table is called in a "does not exist" message.
RECORD_NAMES = {
    "projects": "Project", "datasets": "Dataset", "jobs": "Job", "runs": "Run", "models": "Model",
    "prediction_log": "Logged prediction", "servers": "Server", "shares": "Share link", "alerts": "Alert",
    "monitor_batches": "Batch", "monitor_labels": "Labels file", "monitor_runs": "Monitor run",
    "champion_history": "Champion change",
}


def now() -> str:
    """UTC timestamp in ISO 8601, the format of every time column."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _decode(table: str, row: dict) -> dict:
    json_columns, flags = JSON_COLUMNS.get(table, ()), BOOL_COLUMNS.get(table, ())
    return {k: loads(v) if k in json_columns else bool(v) if k in flags else v for k, v in row.items()}


def _encode(table: str, values: dict) -> dict:
    json_columns, flags = JSON_COLUMNS.get(table, ()), BOOL_COLUMNS.get(table, ())
    return {k: dumps(v) if k in json_columns else int(v) if k in flags else v for k, v in values.items()}


class Records:
    """Generic row and Parquet-record access on the workspace database at ``self.db_path``."""

    home: Path
    db_path: Path

    def project_dir(self, project_id: int) -> Path:
        """The folder of a project's artifact files."""
        return self.home / "projects" / str(project_id)

    # -- rows ---------------------------------------------------------------------------
    def _insert(self, table: str, values: dict) -> dict:
        """Insert a row and return it."""
        return self._get(table, self._insert_row(table, values, "INSERT"))

    def _insert_once(self, table: str, values: dict) -> dict | None:
        """Insert a row and return it; None when a unique constraint says it is already there."""
        row_id = self._insert_row(table, values, "INSERT OR IGNORE")
        return None if row_id is None else self._get(table, row_id)

    def _insert_row(self, table: str, values: dict, verb: str) -> int | None:
        encoded = _encode(table, values)
        columns = ", ".join(f"[{c}]" for c in encoded)
        marks = ", ".join("?" for _ in encoded)
        with write_db(self.db_path) as db:
            cursor = db.execute(f"{verb} INTO [{table}] ({columns}) VALUES ({marks})", list(encoded.values()))
            return cursor.lastrowid if cursor.rowcount else None

    def _get(self, table: str, row_id: int) -> dict:
        """The row with ``id`` = ``row_id``; NotFoundError when there is none."""
        rows = self._rows(table, "id = ?", [row_id])
        if not rows:
            raise NotFoundError(f"{RECORD_NAMES[table]} {row_id} does not exist; it may have been deleted.")
        return rows[0]

    def _update(self, table: str, row_id: int, values: dict) -> dict:
        """Set columns of one existing row and return it."""
        self._get(table, row_id)
        with write_db(self.db_path) as db:
            db[table].update(row_id, _encode(table, values))
        return self._get(table, row_id)

    def _delete(self, table: str, row_id: int) -> None:
        with write_db(self.db_path) as db:
            db.execute(f"DELETE FROM [{table}] WHERE id = ?", [row_id])

    def _rows(self, table: str, where: str = "1 = 1", args: list | tuple = (), order: str = "id") -> list[dict]:
        """Decoded rows matching ``where``, in ``order``."""
        with open_db(self.db_path) as db:
            return [_decode(table, r) for r in db[table].rows_where(where, list(args), order_by=order)]

    # -- per-project settings (one monitor_settings row, one column per setting) ----------
    def _setting(self, project_id: int, column: str):
        rows = self._rows("monitor_settings", "project_id = ?", [project_id], order="project_id")
        return rows[0].get(column) if rows else None

    def _save_setting(self, project_id: int, column: str, value) -> None:
        self._get("projects", project_id)
        values = _encode("monitor_settings", {"project_id": project_id, column: value, "updated_at": now()})
        with write_db(self.db_path) as db:
            # an upsert of this column only: the project's other settings share the row
            db["monitor_settings"].upsert(values, pk="project_id")

    # -- rows that point at a Parquet file --------------------------------------------------
    def _add_parquet(self, table: str, frame: pd.DataFrame, folder: Path, values: dict,
                     same: tuple[str, ...] | None = None) -> dict:
        """Write ``frame`` as Parquet in ``folder`` and insert ``values`` with its path, sha256 and size.

        ``same``: columns which, with an equal sha256, make it the same record: the earlier row is returned
        and no second file kept (a page that reruns, a file uploaded again).
        """
        path = _new_file(folder, values.get("created_at") or now(), len(frame))
        digest = write_parquet(frame, path)
        project_id = values["project_id"]
        if same is not None:
            for row in self._rows(table, "project_id = ? AND sha256 = ?", [project_id, digest]):
                if all(row[c] == values.get(c) for c in same):
                    path.unlink()
                    return row
        record = {**values, "path": str(path.relative_to(self.home)), "sha256": digest, "n_rows": len(frame)}
        try:
            return self._insert(table, record)
        except BaseException:  # no file without its row
            path.unlink(missing_ok=True)
            raise

    def _load_parquet(self, table: str, row_id: int) -> pd.DataFrame:
        """The table a row points at, verified against its sha256."""
        record = self._get(table, row_id)
        return read_parquet(self.home / record["path"], record["sha256"])

    def _delete_parquet(self, table: str, row_id: int) -> None:
        """Forget a row and delete its file."""
        record = self._get(table, row_id)
        self._delete(table, row_id)
        (self.home / record["path"]).unlink(missing_ok=True)


def _new_file(folder: Path, stamp: str, n_rows: int) -> Path:
    """A Parquet path in ``folder`` named by time and size, not taken yet."""
    base = f"{stamp.replace(':', '').replace('.', '').replace('+', '')}-{n_rows}"
    path, n = folder / f"{base}.parquet", 1
    while path.exists():
        path, n = folder / f"{base}-{n}.parquet", n + 1
    return path
