"""The deployment bundle of a model trained in-process: its files, its pins, and (slow) a fresh venv that
installs only its requirements.txt and serves the same predictions as the workbench."""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from importlib import metadata
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from engine import predict_frame
from engine.deploy.bundle import zip_files
from usecases import evaluation, export, scoring
from usecases.bundle import bundle_bytes, bundle_files, bundle_name
from usecases.cli import main

pytestmark = pytest.mark.slow  # each test trains two models (about a second each)

ROOT = Path(__file__).resolve().parents[2]


def test_bundle_holds_model_card_code_and_texts(ws, loaded, trained):
    model_id = next(m["id"] for m in ws.list_models(loaded) if export.onnx_status(ws, m["id"]) is None)  # not the best
    files = bundle_files(ws, model_id)
    card = json.loads(files["card.json"])
    assert hashlib.sha256(files["model.joblib"]).hexdigest() == card["sha256"] == ws.get_model(model_id)["sha256"]
    assert {"model.joblib", "model.skops", "card.json", "MODEL_CARD.md", "serve.py", "requirements.txt",
            "Dockerfile", ".dockerignore", "README.md", "workbench_runtime/engine/__init__.py",
            "workbench_runtime/engine/prepare/transformers.py",
            "workbench_runtime/engine/deploy/serving.py"} <= set(files)
    assert card["exports"]["model.skops"]["sha256"] == hashlib.sha256(files["model.skops"]).hexdigest()
    assert "model.onnx" not in files  # never converted: neither the run's best nor on the Deploy page
    assert "workbench_runtime/engine/train/training.py" not in files  # only what unpickling and serving import
    pins = dict(line.split("==") for line in files["requirements.txt"].splitlines() if not line.startswith("#"))
    assert {"scikit-learn", "pandas", "numpy", "scipy", "joblib", "fastapi", "uvicorn", "pydantic"} <= set(pins)
    assert "onnxruntime" not in pins and "skops" not in pins
    assert all(metadata.version(name) == version for name, version in pins.items())
    assert card["sha256"] in files["README.md"] and "curl -s http://localhost:8000/predict" in files["README.md"]
    assert files["MODEL_CARD.md"].startswith("# Model card")
    with zipfile.ZipFile(io.BytesIO(bundle_bytes(ws, model_id))) as archive:
        assert sorted(archive.namelist()) == sorted(files)
    assert bundle_name(ws, model_id) == f"Churn-model-{model_id}-bundle.zip"


def test_a_verified_onnx_export_joins_with_onnxruntime(ws, loaded, trained):
    model_id = next(m["id"] for m in ws.list_models(loaded) if m["family"] == "linear")
    assert export.onnx_export(ws, model_id).data is not None
    files = bundle_files(ws, model_id)
    assert files["model.onnx"] == export.onnx_status(ws, model_id).data
    assert "workbench_runtime/engine/deploy/onnx_feeds.py" in files
    assert f"onnxruntime=={metadata.version('onnxruntime')}" in files["requirements.txt"].splitlines()


def test_cli_writes_the_bundle(ws, loaded, trained, tmp_path, capsys):
    model_id = next(m["id"] for m in ws.list_models(loaded) if m["family"] == "linear")
    out = tmp_path / "model.zip"
    assert main(["bundle", "--workspace", str(ws.home), "--model-id", str(model_id), "--out", str(out)]) == 0
    assert out.read_bytes() == bundle_bytes(ws, model_id)
    assert main(["bundle", "--workspace", str(ws.home), "--model-id", "999", "--out", str(out)]) == 1
    assert "error: Model 999" in capsys.readouterr().err


@pytest.mark.timeout(900)
def test_bundle_installs_in_a_fresh_venv_and_serves_the_same_predictions(ws, loaded, trained, tmp_path):
    """The point: requirements.txt alone is enough. An empty venv gets ``pip install -r requirements.txt`` (from
    the machine's package index), then serve.py runs with that venv's python, from outside the repository and
    without it on the path, and scores rows exactly as the workbench does, with both runtimes."""
    model_id = next(m["id"] for m in ws.list_models(loaded) if m["family"] == "linear")
    export.onnx_export(ws, model_id)
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(io.BytesIO(bundle_bytes(ws, model_id))) as archive:
        archive.extractall(folder)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["OMP_NUM_THREADS"] = "1"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, cwd=tmp_path, env=env, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", "requirements.txt"], cwd=folder,
                             env=env, capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    probe = subprocess.run([str(python), "-c", "import engine, sys; print(engine.__file__)"], cwd=tmp_path,
                           env=env, capture_output=True, text=True)
    assert probe.returncode != 0  # the workbench is not importable there: serve.py must bring what it needs

    pipeline, card = ws.load_model(model_id)
    frame = ws.load_dataset(ws.get_project(loaded)["dataset_id"])
    names = [f["name"] for f in card["features"]]
    X = frame[names].head(8)
    rows = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in X.astype(object).to_dict("records")]
    expected = predict_frame(pipeline, X, card["features"], card["task"])
    for runtime, tolerance in (("auto", 1e-4), ("scikit-learn", 1e-9)):
        body, health = _serve_and_score(python, folder, tmp_path, env, runtime, rows)
        assert health["runtime"] == ("onnx" if runtime == "auto" else "scikit-learn")
        assert body["predictions"] == expected["prediction"].tolist()
        got = np.array([[p[str(c)] for c in pipeline.classes_] for p in body["probabilities"]])
        np.testing.assert_allclose(got, expected[[f"proba_{c}" for c in pipeline.classes_]].to_numpy(),
                                   atol=tolerance)


def test_serve_py_refuses_a_changed_model_file(ws, loaded, trained, tmp_path):
    model_id = next(m["id"] for m in ws.list_models(loaded) if m["family"] == "linear")
    with zipfile.ZipFile(io.BytesIO(bundle_bytes(ws, model_id))) as archive:
        archive.extractall(tmp_path)
    (tmp_path / "model.joblib").write_bytes((tmp_path / "model.joblib").read_bytes() + b"x")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([sys.executable, "serve.py", "--port", str(_free_port())], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "does not match the sha256 in card.json" in run.stderr


def test_a_bundle_after_a_saved_threshold_decides_at_it_in_the_file_and_the_server(ws, churn_champion, tmp_path):
    """Issue 17 item 1: the bundle's model.joblib is the Deploy download (the pipeline in a FixedThresholdClassifier
    at the saved 0.7), so its predict agrees with the app's scores; serve.py applies 0.7 once, on either runtime."""
    model_id = churn_champion["champion_model_id"]
    evaluation.set_threshold(ws, model_id, 0.7)
    assert export.onnx_export(ws, model_id).data is not None
    frame = ws.load_dataset(churn_champion["dataset_id"]).drop(columns=["churned"]).head(300)
    scored, _ = scoring.score_upload(ws, model_id, frame.to_csv(index=False).encode(), "new.csv")
    app = scored["prediction"].astype(str).tolist()
    assert app == np.where(scored["proba_yes"] >= 0.7, "yes", "no").tolist()
    assert app != np.where(scored["proba_yes"] >= 0.5, "yes", "no").tolist()  # 0.7 changes some of these rows

    files = bundle_files(ws, model_id)
    assert files["model.joblib"] == export.joblib_download(ws, model_id)
    card = json.loads(files["card.json"])
    assert card["decision_threshold"] == 0.7 and card["sha256"] == hashlib.sha256(files["model.joblib"]).hexdigest()
    assert f"`{card['sha256']}`" in files["MODEL_CARD.md"] and card["sha256"] in files["README.md"]
    bundled = joblib.load(io.BytesIO(files["model.joblib"]))
    assert bundled.threshold == 0.7 and bundled.predict(frame).astype(str).tolist() == app

    folder = tmp_path / "bundle"
    with zipfile.ZipFile(io.BytesIO(zip_files(files))) as archive:
        archive.extractall(folder)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for runtime in ("scikit-learn", "onnx"):
        body, health = _serve_and_score(Path(sys.executable), folder, tmp_path, env, runtime, records)
        assert health["runtime"] == runtime
        assert [str(p) for p in body["predictions"]] == app, runtime


def _serve_and_score(python: Path, folder: Path, cwd: Path, env: dict, runtime: str, rows: list[dict]):
    port = _free_port()
    log = (cwd / f"serve-{runtime}.log").open("wb")
    server = subprocess.Popen([str(python), str(folder / "serve.py"), "--port", str(port), "--runtime", runtime],
                              cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        health = _wait_healthy(port, server, cwd / f"serve-{runtime}.log")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", json.dumps(rows).encode(),
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read()), health
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _wait_healthy(port: int, server: subprocess.Popen, log: Path) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"serve.py exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"serve.py did not answer in 120 s: {log.read_text()[-2000:]}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
