"""The command line loads what a command needs: training and scoring start without the web server, SQLAlchemy,
or the ONNX libraries (each 10-30 MB of resident memory, and the benchmark counts the peak)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import optuna

import usecases.training as training
from engine.deploy.serving import MAX_BODY_BYTES
from usecases.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
NOT_AT_START = ("fastapi", "uvicorn", "sqlalchemy", "alembic", "onnx", "onnxruntime", "skl2onnx", "skops",
                "streamlit", "engine.explore.profile")


def test_the_command_line_starts_without_server_database_or_onnx_libraries():
    code = (f"import json, sys; import usecases.cli; "
            f"print(json.dumps([m for m in {list(NOT_AT_START)!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_serve_states_the_apis_own_body_limit():
    """``--max-body-bytes`` defaults to None so the parser needs no FastAPI; its help states the API's limit."""
    serve = build_parser()._subparsers._group_actions[0].choices["serve"]
    action = next(a for a in serve._actions if a.dest == "max_body_bytes")
    assert action.default is None and f"{MAX_BODY_BYTES:,} bytes" in action.help


def test_a_command_line_search_keeps_its_studies_in_memory(monkeypatch):
    """Regression: the throw-away studies of ``python -m engine train`` lived in a SQLite file, which loaded
    SQLAlchemy and Alembic and copied the table to Parquet (about 30 MB at the peak) for no other process."""
    seen = {}

    def fake_train_or_tune(run, **kwargs):
        seen.update(kwargs)
        return []

    monkeypatch.setattr(training, "train_or_tune", fake_train_or_tune)

    class Inputs:
        settings = {"search": "tpe", "automl": True, "models": ["linear"], "n_trials": 2}
        problem = type("P", (), {"task": "classification"})()

    class Run:
        inputs = Inputs()

    assert training._train_or_tune_without_workspace(Run()) == []
    assert isinstance(seen["storage"], optuna.storages.InMemoryStorage) and "data_path" not in seen
