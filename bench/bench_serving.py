"""Benchmark: the REST API's single-row latency and its throughput under concurrent clients, next to the
in-process ``predict`` time for the same rows, for both runtimes (the scikit-learn pipeline and its
verified ONNX export). Loopback only, bounded in count and time.

    .venv/bin/python -m bench.bench_serving            # 400 single-row requests, 50 clients for 30 s
    .venv/bin/python -m bench.bench_serving --quick    # 100 requests, 50 clients for 5 s

Data: the bundled customer-churn sample (generated, nothing downloaded), a logistic-regression model
trained by the workbench itself in a temporary workspace. Goal (issue 6): median single-row HTTP latency
under 10 ms and no errors under 50 concurrent clients for 30 s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _model(home: Path) -> tuple[int, list[dict]]:
    """Train the churn sample's logistic regression in a fresh workspace and export it to ONNX; (model id, rows)."""
    from engine import Problem
    from usecases import export, open_workspace, projects
    from usecases.training import run_training_job

    ws = open_workspace(home)
    project = ws.create_project("Serving bench")
    projects.import_sample(ws, project["id"], "customer_churn")
    projects.set_problem(ws, project["id"], Problem("churned", "classification", "roc_auc"))
    projects.save_settings(ws, project["id"], {"models": ["linear"], "cv_folds": 0})
    run_training_job(ws, ws.create_job(project["id"], "train")["id"])
    model = next(m for m in ws.list_models(project["id"]) if m["family"] == "linear")
    export.onnx_export(ws, model["id"])
    _, card = ws.load_model(model["id"])
    frame = ws.load_dataset(ws.get_project(project["id"])["dataset_id"])
    X = frame[[f["name"] for f in card["features"]]].head(200).astype(object)
    return model["id"], X.where(X.notna(), None).to_dict("records")


def _in_process_ms(home: Path, model_id: int, rows: list[dict], n: int) -> float:
    import pandas as pd

    from usecases import open_workspace

    pipeline, card = open_workspace(home).load_model(model_id)
    times = []
    for i in range(n):
        frame = pd.DataFrame([rows[i % len(rows)]])
        started = time.perf_counter()
        pipeline.predict_proba(frame)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _in_process_onnx_ms(home: Path, model_id: int, rows: list[dict], n: int) -> float:
    """Median time of what the server does for one row with the ONNX runtime, without HTTP: records -> ONNX
    inputs -> onnxruntime -> response body (``engine.deploy.serving.onnx_predictor``)."""
    from engine.deploy.onnx_feeds import OnnxRunner
    from engine.deploy.serving import onnx_predictor
    from storage import read_export
    from usecases import open_workspace

    ws = open_workspace(home)
    pipeline, card = ws.load_model(model_id)
    runner = OnnxRunner(read_export(ws.model_dir(model_id), "model.onnx")[0], card["features"])
    predict = onnx_predictor(runner, list(pipeline.classes_), card["task"])
    times = []
    for i in range(n):
        started = time.perf_counter()
        predict([rows[i % len(rows)]])
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _post(connection: http.client.HTTPConnection, row: dict) -> int:
    connection.request("POST", "/predict", json.dumps(row), {"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    return response.status


def _latencies(port: int, rows: list[dict], n: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for row in rows[:10]:  # warm up
        _post(connection, row)
    times = []
    for i in range(n):
        started = time.perf_counter()
        status = _post(connection, rows[i % len(rows)])
        times.append(time.perf_counter() - started)
        assert status == 200, status
    connection.close()
    return times


def _load(port: int, rows: list[dict], clients: int, seconds: float) -> tuple[int, int]:
    """(requests answered 200, errors) from ``clients`` threads posting single rows for ``seconds``."""
    done, errors, lock = [0], [0], threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(k: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        i = k
        while time.monotonic() < stop_at:
            try:
                ok = _post(connection, rows[i % len(rows)]) == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            with lock:
                done[0] += ok
                errors[0] += not ok
            i += clients
        connection.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0], errors[0]


def _serve(home: Path, model_id: int, runtime: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "engine", "serve", "--workspace", str(home), "--model-id",
                               str(model_id), "--port", str(port), "--runtime", runtime, "--no-log"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health")
            if json.loads(connection.getresponse().read())["runtime"] == runtime:
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit(f"the {runtime} server did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    n = args.requests or (100 if args.quick else 400)
    seconds = args.seconds or (5.0 if args.quick else 30.0)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        model_id, rows = _model(home)
        inprocess = _in_process_ms(home, model_id, rows, n)
        print(f"in-process pipeline.predict_proba, one row: median {inprocess:.2f} ms")
        print(f"in-process ONNX scoring (records -> body), one row: median "
              f"{_in_process_onnx_ms(home, model_id, rows, n):.2f} ms")
        print(f"{'runtime':<13} {'median ms':>9} {'p99 ms':>8} {'x in-process':>12} {'clients':>7} {'req/s':>8} "
              f"{'errors':>6}")
        for runtime in ("scikit-learn", "onnx"):
            server = _serve(home, model_id, runtime, args.port)
            try:
                times = sorted(_latencies(args.port, rows, n))
                ok, errors = _load(args.port, rows, args.clients, seconds)
            finally:
                server.terminate()
                server.wait(timeout=30)
            median, p99 = statistics.median(times) * 1000, times[int(0.99 * (len(times) - 1))] * 1000
            print(f"{runtime:<13} {median:9.2f} {p99:8.2f} {median / inprocess:12.2f} {args.clients:7d} "
                  f"{ok / seconds:8.1f} {errors:6d}")
    print(f"goal: median single-row HTTP latency < 10 ms; no errors under {args.clients} clients for {seconds:g} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
