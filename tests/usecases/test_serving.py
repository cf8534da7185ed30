"""Serving a stored model: verified loading, requests logged to the workspace, and the real server process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.errors import ModelError
from storage import IntegrityError
from usecases.serving import model_app

ROOT = Path(__file__).resolve().parents[2]


def _linear(ws, job) -> dict:
    return next(m for m in ws.list_models(job["project_id"]) if m["family"] == "linear")


def _row(ws, model) -> dict:
    _, card = ws.load_model(model["id"])
    frame = ws.load_dataset(ws.get_run(model["run_id"])["dataset_id"])
    record = frame[[f["name"] for f in card["features"]]].iloc[0].astype(object).to_dict()
    return {k: (None if v != v else v) for k, v in record.items()}  # NaN → null


def test_requests_to_a_workspace_model_are_logged(ws, trained):
    model = _linear(ws, trained)
    app = model_app(ws=ws, model_id=model["id"])
    client = TestClient(app)
    row = _row(ws, model)
    assert client.post("/predict", json=row).status_code == 200
    assert client.post("/predict", json=[row, row]).status_code == 200
    app.state.logger.flush()
    log = ws.list_prediction_log(model["id"])
    assert [entry["n_rows"] for entry in log] == [1, 2]
    assert log[1]["inputs"] == [row, row] and len(log[1]["outputs"]["predictions"]) == 2
    assert log[0]["model_version"] == f"{model['id']}-{model['sha256'][:12]}" and log[0]["source"] == "rest"


def test_a_tampered_model_file_is_not_served(ws, trained):
    model = _linear(ws, trained)
    with open(ws.model_dir(model["id"]) / "model.joblib", "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(IntegrityError, match="does not match its recorded sha256"):
        model_app(ws=ws, model_id=model["id"])


def test_a_failed_model_cannot_be_served(ws, trained):
    record = ws.add_model(trained["project_id"], ws.list_runs(trained["project_id"])[0]["id"], family="knn",
                          status="failed", error="boom")
    with pytest.raises(ModelError, match="was not trained"):
        model_app(ws=ws, model_id=record["id"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body) -> tuple[int, dict]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _serve(ws, model, log: Path, *options: str) -> tuple[subprocess.Popen, str]:
    """Start ``python -m engine serve`` of ``model`` on a free port, its output to ``log``: the process and its URL."""
    port = _free_port()
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "engine", "serve", "--workspace", str(ws.home),
                                   "--model-id", str(model["id"]), "--port", str(port), *options], cwd=ROOT,
                                  env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=out, stderr=subprocess.STDOUT)
    return server, f"http://127.0.0.1:{port}"


def _health(base: str, server: subprocess.Popen, log: Path, timeout: float) -> dict:
    """Poll ``/health`` until the server answers (failing if it exits or ``timeout`` s pass); its answer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"the server did not start within {timeout:g} s"
            time.sleep(0.3)


@pytest.mark.slow
def test_the_serve_command_answers_concurrent_clients(ws, trained, tmp_path):
    model = _linear(ws, trained)
    output = tmp_path / "server.log"
    server, base = _serve(ws, model, output)
    try:
        assert _health(base, server, output, 60)["status"] == "ok"
        row = _row(ws, model)
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda _: _post(f"{base}/predict", row), range(40)))
        assert {status for status, _ in results} == {200}
        missing = next(iter(row))
        status, body = _post(f"{base}/predict", {k: v for k, v in row.items() if k != missing})
        assert status == 422 and body["detail"][0]["loc"][-1] == missing
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert len(ws.list_prediction_log(model["id"])) == 40  # flushed on shutdown


@pytest.mark.slow
def test_start_and_stop_a_server_from_the_workspace(ws, trained):
    from engine.errors import ServingError
    from usecases import servers

    pid = trained["project_id"]
    model = _linear(ws, trained)
    server = servers.start_server(ws, pid, model["id"])
    try:
        assert servers.start_server(ws, pid, model["id"])["id"] == server["id"]  # one server per model
        assert [s["id"] for s in servers.refresh_servers(ws, pid)] == [server["id"]]
        status, body = _post(f"{servers.server_url(server)}/predict", _row(ws, model))
        assert status == 200 and body["predictions"]
        _, card = ws.load_model(model["id"])
        example = servers.curl_example(server, card["features"])
        assert example.startswith(f"curl -s http://127.0.0.1:{server['port']}/predict")
        other = ws.add_model(pid, model["run_id"], family="linear", status="ok")  # a second model, same port
        with pytest.raises(ServingError, match=f"Port {server['port']} is already in use"):
            servers.start_server(ws, pid, other["id"], port=server["port"])
    finally:
        stopped = servers.stop_server(ws, server)
    assert stopped["status"] == "stopped" and servers.refresh_servers(ws, pid) == []
    assert len(ws.list_prediction_log(model["id"])) == 1


def test_a_champion_server_process_follows_a_promotion(ws, trained):
    from usecases import evaluation, servers

    pid = trained["project_id"]
    models = {m["family"]: m for m in ws.list_models(pid)}
    evaluation.set_champion(ws, pid, models["linear"]["id"])
    server = servers.start_server(ws, pid, None)
    try:
        assert server["model_id"] is None
        health = f"{servers.server_url(server)}/health"
        with urllib.request.urlopen(health, timeout=10) as response:
            assert json.loads(response.read())["model_version"].startswith(f"{models['linear']['id']}-")
        evaluation.set_champion(ws, pid, models["baseline"]["id"])
        deadline = time.monotonic() + 20
        version = ""
        while not version.startswith(f"{models['baseline']['id']}-") and time.monotonic() < deadline:
            time.sleep(0.5)
            with urllib.request.urlopen(health, timeout=10) as response:
                version = json.loads(response.read())["model_version"]
        assert version.startswith(f"{models['baseline']['id']}-")  # the same process, the new champion
    finally:
        servers.stop_server(ws, server)


@pytest.mark.slow
def test_a_verified_onnx_export_serves_the_same_answers(ws, trained):
    from usecases import export

    model = _linear(ws, trained)
    row = _row(ws, model)
    plain = TestClient(model_app(ws=ws, model_id=model["id"], log=False, runtime="scikit-learn"))
    assert plain.get("/health").json()["runtime"] == "scikit-learn"
    assert export.onnx_status(ws, model["id"]).data is not None  # the run's best model: exported while training
    fast = TestClient(model_app(ws=ws, model_id=model["id"], log=False))
    assert fast.get("/health").json()["runtime"] == "onnx"
    a, b = plain.post("/predict", json=[row, row]).json(), fast.post("/predict", json=[row, row]).json()
    assert a["predictions"] == b["predictions"]
    for p, q in zip(a["probabilities"], b["probabilities"], strict=True):
        assert p.keys() == q.keys() and all(abs(p[k] - q[k]) < 1e-6 for k in p)


@pytest.mark.slow
def test_regression_scores_carry_a_measured_prediction_interval(ws, keep_sigterm):
    from engine import Problem
    from usecases import evaluation, projects, scoring
    from usecases.training import run_training_job

    project = ws.create_project("Diabetes")
    projects.import_sample(ws, project["id"], "diabetes")
    projects.set_problem(ws, project["id"], Problem("progression", "regression", "rmse"))
    projects.save_settings(ws, project["id"], {"models": ["linear"], "cv_folds": 0})
    job = ws.create_job(project["id"], "train")
    run_training_job(ws, job["id"])
    model = next(m for m in ws.list_models(project["id"]) if m["family"] == "linear")
    interval = evaluation.prediction_interval(ws, model["id"], 0.9)
    assert interval.rows == 66 and 40 < interval.half_width < 150 and 0.8 < interval.coverage <= 1.0
    frame = ws.load_dataset(ws.get_project(project["id"])["dataset_id"]).head(5)
    scored, notes = scoring.score_upload(ws, model["id"], frame.to_csv(index=False).encode(), "rows.csv", 0.9)
    assert (scored["upper_90%"] - scored["lower_90%"]).round(6).eq(round(2 * interval.half_width, 6)).all()
    assert any(n.startswith("The 90% prediction interval is the prediction ± ") for n in notes)

    # The same intervals travel in the model card, so the REST server (and a bundle) can answer with them.
    _, card = ws.load_model(model["id"])
    assert [i["level"] for i in card["prediction_intervals"]] == [0.8, 0.9, 0.95]
    assert card["prediction_intervals"][1] == interval._asdict()
    client = TestClient(model_app(ws=ws, model_id=model["id"], log=False))
    rows = json.loads(frame[[f["name"] for f in card["features"]]].to_json(orient="records"))
    body = client.post("/predict?interval=0.9", json=rows).json()
    assert body["interval"]["upper"][0] - body["interval"]["lower"][0] == pytest.approx(2 * interval.half_width)
    assert body["predictions"] == pytest.approx(scored["prediction"].tolist())
    from usecases.runtime import card_markdown

    assert "## Prediction intervals" in card_markdown(ws, model["id"])
    assert f"| 90% | {interval.half_width:.4g} | {interval.coverage:.1%} |" in card_markdown(ws, model["id"])


def test_a_classifier_has_no_prediction_interval(ws, trained):
    from usecases import evaluation

    with pytest.raises(ModelError, match="for regression models"):
        evaluation.prediction_interval(ws, _linear(ws, trained)["id"], 0.9)


def test_a_project_server_picks_up_a_new_champion_without_a_restart(ws, trained):
    from usecases import evaluation
    from usecases.serving import ChampionApp, project_id_by_name

    project_id = project_id_by_name(ws, "Churn")
    models = {m["family"]: m for m in ws.list_models(project_id)}
    evaluation.set_champion(ws, project_id, models["linear"]["id"])
    app = ChampionApp(ws, project_id, check_every=0.0)
    row = _row(ws, models["linear"])
    with TestClient(app) as client:  # with: the lifespan runs, so shutdown writes the queued log
        first = client.post("/predict", json=row).json()
        assert first["model_version"] == f"{models['linear']['id']}-{models['linear']['sha256'][:12]}"
        evaluation.set_champion(ws, project_id, models["baseline"]["id"])  # a promotion, from another process
        second = client.post("/predict", json=row).json()
        assert second["model_version"].startswith(f"{models['baseline']['id']}-")
        assert client.get("/health").json()["model_version"] == second["model_version"]
        with open(ws.model_dir(models["linear"]["id"]) / "model.joblib", "ab") as file:
            file.write(b"tampered")
        evaluation.set_champion(ws, project_id, models["linear"]["id"])  # its file now fails its sha256
        assert client.post("/predict", json=row).json()["model_version"] == second["model_version"]
    assert [len(ws.list_prediction_log(m["id"])) for m in (models["linear"], models["baseline"])] == [1, 2]
    with pytest.raises(ModelError, match="no project called 'Nope'"):
        project_id_by_name(ws, "Nope")


def _rows(ws, model) -> list[dict]:
    """Every row of the model's table as JSON records (NaN → null), plus rows a client may send: a category never
    seen in training, every value missing."""
    _, card = ws.load_model(model["id"])
    frame = ws.load_dataset(ws.get_run(model["run_id"])["dataset_id"])[[f["name"] for f in card["features"]]]
    records = [{k: (None if v != v else v) for k, v in r.items()} for r in frame.astype(object).to_dict("records")]
    unseen = {**records[0], **{f["name"]: "never seen" for f in card["features"] if f["kind"] == "categorical"}}
    return [*records, unseen, dict.fromkeys(records[0])]


@pytest.mark.slow
def test_each_runtime_answers_every_row_the_same(ws, trained):
    """`serve --runtime auto` picks the verified ONNX export; it answers as the scikit-learn pipeline, row by row."""
    model = _linear(ws, trained)
    answers = {}
    for runtime in ("scikit-learn", "auto"):
        client = TestClient(model_app(ws=ws, model_id=model["id"], log=False, runtime=runtime))
        answers[client.get("/health").json()["runtime"]] = [client.post("/predict", json=row).json()
                                                            for row in _rows(ws, model)]
    assert set(answers) == {"scikit-learn", "onnx"}
    for a, b in zip(answers["scikit-learn"], answers["onnx"], strict=True):
        assert a.keys() == b.keys() and a["predictions"] == b["predictions"]
        (p,), (q,) = a["probabilities"], b["probabilities"]
        assert p.keys() == q.keys() and all(abs(p[k] - q[k]) < 1e-6 for k in p)


def _descendants(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        children = [int(child) for child in listing.read().split()]
    return children + [d for child in children for d in _descendants(child)]


@pytest.mark.slow
@pytest.mark.timeout(900)  # the parent and each worker load the model: minutes on a busy machine
def test_the_serve_command_runs_several_workers(ws, trained, tmp_path):
    model = _linear(ws, trained)
    output = tmp_path / "server.log"
    server, base = _serve(ws, model, output, "--workers", "2")
    try:
        # the parent checks the model, then each worker loads it: slow when busy
        assert _health(base, server, output, 240)["runtime"] == "onnx"  # auto: the export made at training
        row = _row(ws, model)
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda _: _post(f"{base}/predict", row), range(40)))
        assert {status for status, _ in results} == {200}
        assert len({json.dumps(body["probabilities"]) for _, body in results}) == 1
        assert len(_descendants(server.pid)) >= 2  # the worker processes
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert "2 worker processes" in output.read_text()
    assert len(ws.list_prediction_log(model["id"])) == 40  # each worker wrote its own requests on shutdown
