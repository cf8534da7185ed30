"""The runtime wheel of a model trained in-process: the command that writes it, and (slow) a fresh venv with only
what the install line says, where the downloaded .joblib and .skops load and predict what the workbench predicts."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import predict_frame
from engine.deploy.bundle import engine_sources
from engine.deploy.runtime import install_command
from usecases import export, runtime
from usecases.bundle import bundle_files
from usecases.cli import main
from usecases.runtime import model_dir_runtime_wheel, runtime_wheel

pytestmark = pytest.mark.slow  # each test trains two models (about a second each)

LOAD = """\
import json, sys
import pandas as pd
rows = pd.read_csv("rows.csv")
if sys.argv[1] == "joblib":
    import joblib
    model = joblib.load("model.joblib")
else:
    import skops.io as sio
    model = sio.load("model.skops", trusted=json.loads(sys.argv[2]))
print(json.dumps({"labels": [str(v) for v in model.predict(rows)], "proba": model.predict_proba(rows).tolist(),
                  "classes": [str(c) for c in model.classes_]}))
"""


def _linear(ws, project_id: int) -> int:
    return next(m["id"] for m in ws.list_models(project_id) if m["family"] == "linear")


def test_cli_writes_the_wheel_of_a_workspace_model_or_a_model_directory(ws, loaded, trained, tmp_path, capsys):
    model_id = _linear(ws, loaded)
    wheel = runtime_wheel(ws, model_id)
    assert main(["runtime", "--workspace", str(ws.home), "--model-id", str(model_id), "--out", str(tmp_path)]) == 0
    assert (tmp_path / wheel.filename).read_bytes() == wheel.data
    assert install_command(wheel) in capsys.readouterr().out
    assert model_dir_runtime_wheel(ws.model_dir(model_id)) == wheel  # the same wheel from the model's folder
    assert main(["runtime", "--model", str(ws.model_dir(model_id)), "--out", str(tmp_path / "dir")]) == 0
    assert (tmp_path / "dir" / wheel.filename).read_bytes() == wheel.data
    assert main(["runtime", "--workspace", str(ws.home), "--model-id", "999", "--out", str(tmp_path)]) == 1
    assert "error: Model 999" in capsys.readouterr().err


def test_the_wheel_is_kept_until_the_model_the_sources_or_the_pins_change(ws, loaded, trained, monkeypatch):
    model_id = _linear(ws, loaded)
    first = runtime_wheel(ws, model_id)
    monkeypatch.setattr(ws, "load_model", lambda model_id: pytest.fail("a kept wheel is current: no unpickling"))
    assert runtime_wheel(ws, model_id) == first
    monkeypatch.undo()
    sources = engine_sources
    changed = {"workbench_runtime/engine/errors.py": "# a newer workbench\n"}
    monkeypatch.setattr("engine.deploy.runtime.engine_sources", lambda modules: {**sources(modules), **changed})
    newer = runtime_wheel(ws, model_id)
    assert newer.filename != first.filename and newer.modules == first.modules
    assert runtime_wheel(ws, model_id) == newer


def test_the_bundle_carries_the_wheel(ws, loaded, trained):
    model_id = _linear(ws, loaded)
    wheel = runtime_wheel(ws, model_id)
    assert bundle_files(ws, model_id)[wheel.filename] == wheel.data


@pytest.mark.timeout(900)
def test_downloaded_model_loads_in_a_fresh_venv_with_only_the_pins_and_the_wheel(ws, loaded, trained, tmp_path):
    """An empty venv (no system site-packages) gets the pinned packages: the .joblib still fails with "No module
    named 'engine'"; after the install line with the wheel, the .joblib and the .skops (with the trusted types the
    card lists) load, outside the repository and without it on the path, and predict what the workbench does."""
    model_id = _linear(ws, loaded)
    wheel = runtime_wheel(ws, model_id)
    card = export.card_json(ws, model_id)
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / wheel.filename).write_bytes(wheel.data)
    (folder / "model.joblib").write_bytes(export.joblib_bytes(ws, model_id))
    (folder / "model.skops").write_bytes(export.skops_export(ws, model_id).data)
    (folder / "load.py").write_text(LOAD)
    pipeline, _ = ws.load_model(model_id)
    X = ws.load_dataset(ws.get_project(loaded)["dataset_id"])[[f["name"] for f in card["features"]]].head(12)
    X.to_csv(folder / "rows.csv", index=False)
    expected = predict_frame(pipeline, X, card["features"], card["task"])

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, cwd=tmp_path, env=env, timeout=120)
    python = str(venv / "bin" / "python")
    command = shlex.split(install_command(wheel, skops=True))
    assert command[:2] == ["pip", "install"]
    packages = [arg for arg in command[2:] if not arg.endswith(".whl")]
    _pip(python, packages, folder, env)
    without = _load(python, folder, env, "joblib")
    assert without.returncode != 0 and "ModuleNotFoundError: No module named 'engine'" in without.stderr

    _pip(python, command[2:], folder, env)  # exactly the install line: the same pins and the wheel
    trusted = card["exports"]["model.skops"]["trusted_types"]
    assert f"trusted=[{', '.join(repr(t) for t in trusted)}]" in runtime.card_markdown(ws, model_id)
    for kind in ("joblib", "skops"):
        run = _load(python, folder, env, kind, json.dumps(trusted))
        assert run.returncode == 0, run.stderr[-2000:]
        got = json.loads(run.stdout)
        assert got["labels"] == [str(v) for v in expected["prediction"]]
        np.testing.assert_allclose(got["proba"], expected[[f"proba_{c}" for c in got["classes"]]].to_numpy(),
                                   rtol=0, atol=1e-12)
    shown = subprocess.run([python, "-m", "pip", "show", "-f", "workbench-runtime"], cwd=tmp_path, env=env,
                           capture_output=True, text=True)
    assert f"Version: {wheel.filename.split('-')[1]}" in shown.stdout
    assert "engine/prepare/transformers.py" in shown.stdout


def _pip(python: str, args: list[str], cwd: Path, env: dict) -> None:
    install = subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args], cwd=cwd,
                             env=env, capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]


def _load(python: str, folder: Path, env: dict, kind: str, trusted: str = "[]") -> subprocess.CompletedProcess:
    """Run load.py from the download folder: the repository is neither the working directory nor on the path."""
    return subprocess.run([python, "load.py", kind, trusted], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=300)
