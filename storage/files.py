"""Artifact files: Parquet datasets and model directories, each checked by sha256.

A model directory holds ``model.joblib`` (one fitted scikit-learn Pipeline) and
``model.json`` (its card, including the joblib file's sha256). Only files written here are
ever unpickled, and only after their sha256 matches the record.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import joblib
import pandas as pd

from storage.errors import IntegrityError

__all__ = ["read_card", "read_export", "read_model_bytes", "read_model_dir", "read_parquet", "read_reference",
           "sha256_file", "write_card", "write_export", "write_model_dir", "write_model_file", "write_parquet",
           "write_reference"]

MODEL_FILE = "model.joblib"
CARD_FILE = "model.json"


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_path(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    return Path(tmp)


def _write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` write-then-rename: a reader sees the old file or the new one, never half."""
    tmp = _atomic_path(path)
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _write_json(path: Path, value, *, indent: int | None = None) -> None:
    """Write ``value`` as JSON to ``path`` write-then-rename."""
    _write_bytes(path, json.dumps(value, indent=indent, sort_keys=True, default=str).encode())


def write_parquet(frame: pd.DataFrame, path: str | Path) -> str:
    """Write ``frame`` to ``path`` atomically; return the file's sha256."""
    path = Path(path)
    tmp = _atomic_path(path)
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    return sha256_file(path)


def read_parquet(path: str | Path, sha256: str | None = None) -> pd.DataFrame:
    """Read a Parquet file, first checking its sha256 when one is given."""
    _verify(Path(path), sha256)
    return pd.read_parquet(path)


def write_model_dir(directory: str | Path, pipeline, card: dict) -> str:
    """Write ``model.joblib`` and ``model.json`` (with the sha256 added); return the sha256."""
    digest = write_model_file(directory, pipeline)
    write_card(directory, card, digest)
    return digest


def write_model_file(directory: str | Path, pipeline) -> str:
    """Write ``model.joblib`` alone (its card follows with ``write_card``); return its sha256."""
    directory = Path(directory)
    tmp = _atomic_path(directory / MODEL_FILE)
    joblib.dump(pipeline, tmp, compress=3)
    os.replace(tmp, directory / MODEL_FILE)
    return sha256_file(directory / MODEL_FILE)


def write_card(directory: str | Path, card: dict, sha256: str) -> None:
    """Write ``model.json``: ``card`` with the sha256 of the ``model.joblib`` beside it."""
    _write_json(Path(directory) / CARD_FILE, {**card, "sha256": sha256, "model_file": MODEL_FILE}, indent=2)


def read_card(directory: str | Path) -> dict:
    """The ``model.json`` of a model directory."""
    path = Path(directory) / CARD_FILE
    if not path.is_file():
        raise IntegrityError(f"'{directory}' is not a model directory: it has no {CARD_FILE}.")
    return json.loads(path.read_text())


REFERENCE_FILE = "reference.json"


def write_reference(directory: str | Path, profile: dict) -> None:
    """Write a model's reference profile (what its training data looked like, for drift) as ``reference.json``."""
    _write_json(Path(directory) / REFERENCE_FILE, profile)


def read_reference(directory: str | Path) -> dict | None:
    """The ``reference.json`` of a model directory, or None for a model saved before references were kept."""
    path = Path(directory) / REFERENCE_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def read_model_dir(directory: str | Path, sha256: str | None = None) -> tuple[object, dict]:
    """Load (pipeline, card) from a model directory after checking the joblib file's sha256.

    ``sha256`` is the value recorded elsewhere (the workspace database); without it the
    card's own value is used, which guards against corruption but not against tampering.
    """
    card = read_card(directory)
    _verify(Path(directory) / MODEL_FILE, sha256 or card.get("sha256"))
    return joblib.load(Path(directory) / MODEL_FILE), card


def _verify(path: Path, sha256: str | None) -> None:
    if not path.is_file():
        raise IntegrityError(f"Artifact '{path}' is missing from the workspace.")
    if sha256 is not None and sha256_file(path) != sha256:
        raise IntegrityError(
            f"Artifact '{path}' does not match its recorded sha256; it was changed outside the workbench "
            "and will not be loaded."
        )


# -- exports kept next to a model (added for Deploy's model artifacts) --------------------------------------------

EXPORTS_FILE = "exports.json"


def write_export(directory: str | Path, file_name: str, data: bytes | None, info: dict) -> dict:
    """Keep an export of a model (e.g. ``model.onnx``) in its directory, with ``info`` and its sha256.

    ``data`` None records only ``info`` (e.g. why the model does not convert). Returns the stored info.
    """
    directory = Path(directory)
    if Path(file_name).name != file_name or file_name in (MODEL_FILE, CARD_FILE, EXPORTS_FILE):
        raise IntegrityError(f"'{file_name}' cannot be an export file name; use a plain new name like 'model.onnx'.")
    info = {**info, "file": None, "sha256": None}
    if data is not None:
        _write_bytes(directory / file_name, data)
        info = {**info, "file": file_name, "sha256": hashlib.sha256(data).hexdigest()}
    exports = _read_exports(directory)
    exports[file_name] = info
    _write_json(directory / EXPORTS_FILE, exports, indent=2)
    return info


def read_export(directory: str | Path, file_name: str) -> tuple[bytes | None, dict] | None:
    """(bytes or None, info) of an export written by ``write_export``, checked by sha256; None if never written."""
    info = _read_exports(Path(directory)).get(file_name)
    if info is None:
        return None
    if info.get("file") is None:
        return None, info
    path = Path(directory) / file_name
    _verify(path, info["sha256"])
    return path.read_bytes(), info


def _read_exports(directory: Path) -> dict:
    path = directory / EXPORTS_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def read_model_bytes(directory: str | Path, sha256: str) -> bytes:
    """The bytes of a model directory's ``model.joblib`` (for download), after checking them against ``sha256``."""
    path = Path(directory) / MODEL_FILE
    _verify(path, sha256)
    return path.read_bytes()
