"""Benchmark: Workbench's REST API and in-process scoring against the bare service a user would write by hand,
measured in the same run (issue 18). Loopback only, bounded in count and time.

    .venv/bin/python -m bench.bench_serving            # 300 single-row requests, 50 clients for 30 s
    .venv/bin/python -m bench.bench_serving --quick    # 100 requests, 50 clients for 5 s (a smoke run)
    .venv/bin/python -m bench.bench_serving --family gradient_boosting   # the family the CLI picks most often

Data: the bundled customer-churn sample (generated, nothing downloaded). Workbench trains ``--family`` (default
``linear``: logistic regression, which also converts to ONNX) in a temporary workspace and exports it to ONNX
where every step converts. The baseline (``bench/bare_service.py``) is a scikit-learn Pipeline of
``SimpleImputer`` + ``OneHotEncoder`` in a ``ColumnTransformer`` + a clone of the very estimator Workbench chose,
fitted on the same table, served by FastAPI + uvicorn with their defaults (dict body -> DataFrame ->
``predict_proba`` -> JSON).

Measured, each the way a caller pays it:

- in process (one OpenMP / BLAS thread, as the servers), one row, median of the request count: the hand-built
  pipeline from a dict (``pd.DataFrame([row])`` + ``predict_proba``); Workbench's scikit-learn runtime and its
  ONNX runtime through the server's own scoring functions (``engine.deploy.serving.pipeline_predictor`` /
  ``onnx_predictor``: records in, response body out), so the DataFrame build that HTTP pays is inside every figure;
- over HTTP: the bare service (uvicorn's default, one process: a hand-written service would not add more), then
  ``python -m engine serve --workers W`` (``--workers``, default 2, one per core of a small machine; the table's
  ``workers`` column says so, and ``--workers 1`` compares process for process) with its default request logging
  to the workspace (the figures users get; an earlier version of this script served with ``--no-log``), once per
  runtime:
  single-row ``POST /predict`` one after another (median, p99), then ``--clients`` concurrent clients for
  ``--seconds`` (requests per second, errors).

Targets (issue 18), printed with PASS / FAIL; the exit code is 1 when any is missed:

- Workbench in-process ``predict_proba`` of one row (scikit-learn runtime) <= 1.2x the hand-built pipeline's;
- for each Workbench runtime (``serve --runtime auto`` falls back to scikit-learn whenever ONNX is missing, so
  both must hold): HTTP median <= 0.5x the bare service's, p99 <= 3x its own median, and under the load no
  errors and throughput >= 2x the bare service's.
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
import warnings
from pathlib import Path

from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
IN_PROCESS_TARGET = 1.2
MEDIAN_TARGET = 0.5
TAIL_TARGET = 3.0
THROUGHPUT_TARGET = 2.0
MAX_LOAD_REQUESTS = 200_000  # a bound on the load test's count, beside its time


def _model(home: Path, family: str) -> tuple[int, bool]:
    """Train the churn sample's ``family`` model in a fresh workspace and export it to ONNX where it converts;
    (model id, whether an ONNX export exists)."""
    from engine import Problem
    from usecases import export, open_workspace, projects
    from usecases.training import run_training_job

    ws = open_workspace(home)
    project = ws.create_project("Serving bench")
    projects.import_sample(ws, project["id"], "customer_churn")
    projects.set_problem(ws, project["id"], Problem("churned", "classification", "roc_auc"))
    projects.save_settings(ws, project["id"], {"models": [family], "cv_folds": 0})
    run_training_job(ws, ws.create_job(project["id"], "train")["id"])
    model = next(m for m in ws.list_models(project["id"]) if m["family"] == family)
    onnx = export.onnx_export(ws, model["id"])
    if onnx.data is None:
        print(f"no ONNX export for {family}: {onnx.info['reason']}")
    return model["id"], onnx.data is not None


def _rows_and_bare(home: Path, model_id: int, bare_path: Path) -> list[dict]:
    """Fit the hand-built pipeline on the model's table, save it to ``bare_path``; 200 rows as JSON records."""
    import joblib

    from bench.bare_service import hand_built_pipeline
    from usecases import open_workspace

    ws = open_workspace(home)
    pipeline, card = ws.load_model(model_id)
    frame = ws.load_dataset(ws.get_project(ws.get_model(model_id)["project_id"])["dataset_id"])
    bare = hand_built_pipeline(card["features"], pipeline.steps[-1][1])
    bare.fit(frame[[f["name"] for f in card["features"]]], frame["churned"])
    joblib.dump(bare, bare_path)
    X = frame[[f["name"] for f in card["features"]]].head(200).astype(object)
    return X.where(X.notna(), None).to_dict("records")


def _median_ms(score, rows: list[dict], n: int) -> float:
    for row in rows[:10]:  # warm up
        score(row)
    times = []
    for i in range(n):
        started = time.perf_counter()
        score(rows[i % len(rows)])
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _in_process_ms(home: Path, model_id: int, has_onnx: bool, bare_path: Path, rows: list[dict],
                   n: int) -> dict[str, float]:
    """Median ms of one row, dict in, for the hand-built pipeline and each Workbench runtime."""
    import joblib
    import pandas as pd

    from engine.deploy.onnx_feeds import OnnxRunner
    from engine.deploy.serving import onnx_predictor, pipeline_predictor
    from storage import read_export
    from usecases import open_workspace

    ws = open_workspace(home)
    pipeline, card = ws.load_model(model_id)
    bare = joblib.load(bare_path)
    out = {"bare": _median_ms(lambda row: bare.predict_proba(pd.DataFrame([row])), rows, n)}
    sklearn = pipeline_predictor(pipeline, card["features"], card["task"])
    out["scikit-learn"] = _median_ms(lambda row: sklearn([row]), rows, n)
    if has_onnx:
        runner = OnnxRunner(read_export(ws.model_dir(model_id), "model.onnx")[0], card["features"])
        onnx = onnx_predictor(runner, list(pipeline.classes_), card["task"])
        out["onnx"] = _median_ms(lambda row: onnx([row]), rows, n)
    return out


def _post(connection: http.client.HTTPConnection, row: dict) -> int:
    connection.request("POST", "/predict", json.dumps(row), {"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    return response.status


def _latencies(port: int, rows: list[dict], n: int) -> tuple[list[float], int]:
    """(seconds of each of ``n`` sequential single-row requests that answered 200, errors)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for row in rows[:10]:  # warm up
        _post(connection, row)
    times, errors = [], 0
    for i in range(n):
        started = time.perf_counter()
        try:
            ok = _post(connection, rows[i % len(rows)]) == 200
        except (OSError, http.client.HTTPException):
            ok = False
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        if ok:
            times.append(time.perf_counter() - started)
        errors += not ok
    connection.close()
    return times, errors


def _load(port: int, rows: list[dict], clients: int, seconds: float) -> tuple[int, int, float]:
    """(requests answered 200, errors, elapsed seconds) from ``clients`` threads posting single rows for
    ``seconds`` (and at most ``MAX_LOAD_REQUESTS`` in all)."""
    done, errors, lock = [0], [0], threading.Lock()
    started = time.monotonic()
    stop_at = started + seconds

    def client(k: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        i = k
        while time.monotonic() < stop_at and done[0] + errors[0] < MAX_LOAD_REQUESTS:
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
    return done[0], errors[0], time.monotonic() - started


def _wait_healthy(server: subprocess.Popen, port: int, name: str) -> None:
    deadline = time.monotonic() + 300  # several workers each load the model: slow on a busy machine
    while time.monotonic() < deadline and server.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit(f"the {name} server did not start on port {port}")


def _serve(home: Path, model_id: int, service: str, bare_path: Path, port: int, workers: int) -> subprocess.Popen:
    """Start one service from the venv's own interpreter; Workbench's with its default request logging."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "BARE_MODEL": str(bare_path)}
    if service == "bare":
        command = [sys.executable, "-m", "uvicorn", "bench.bare_service:create_app", "--factory", "--port", str(port)]
    else:
        command = [sys.executable, "-m", "engine", "serve", "--workspace", str(home), "--model-id", str(model_id),
                   "--port", str(port), "--runtime", service, "--workers", str(workers)]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_healthy(server, port, service)
    return server


def _http(home: Path, model_id: int, service: str, bare_path: Path, port: int, rows: list[dict], n: int,
          clients: int, seconds: float, workers: int) -> dict:
    server = _serve(home, model_id, service, bare_path, port, workers)
    try:
        times, sequential_errors = _latencies(port, rows, n)
        ok, errors, elapsed = _load(port, rows, clients, seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    times.sort()
    median = statistics.median(times) * 1000 if times else float("nan")
    p99 = times[int(0.99 * (len(times) - 1))] * 1000 if times else float("nan")
    return {"median_ms": median, "p99_ms": p99, "rps": ok / elapsed, "errors": errors + sequential_errors}


def _checks(inprocess: dict[str, float], http: dict[str, dict], clients: int, seconds: float) -> list[tuple]:
    """(what, figure, target, passed) for every target of issue 18."""
    ratio = inprocess["scikit-learn"] / inprocess["bare"]
    checks = [("in-process one row, Workbench scikit-learn / hand-built", f"{ratio:.2f}x",
               f"<= {IN_PROCESS_TARGET}x", ratio <= IN_PROCESS_TARGET)]
    bare = http["bare"]
    for runtime, r in http.items():
        if runtime == "bare":
            continue
        median, tail, rps = r["median_ms"] / bare["median_ms"], r["p99_ms"] / r["median_ms"], r["rps"] / bare["rps"]
        checks += [(f"{runtime}: HTTP median / bare service's", f"{median:.2f}x", f"<= {MEDIAN_TARGET}x",
                    median <= MEDIAN_TARGET),
                   (f"{runtime}: p99 / own median", f"{tail:.2f}x", f"<= {TAIL_TARGET:g}x", tail <= TAIL_TARGET),
                   (f"{runtime}: errors under {clients} clients for {seconds:g} s", f"{r['errors']}", "0",
                    r["errors"] == 0),
                   (f"{runtime}: throughput / bare service's", f"{rps:.2f}x", f">= {THROUGHPUT_TARGET:g}x",
                    rps >= THROUGHPUT_TARGET)]
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 requests, 5 s of load: a smoke run")
    parser.add_argument("--requests", type=int, default=None, help="sequential single-row requests (default 300)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=None, help="length of the load test (default 30)")
    parser.add_argument("--family", default="linear", help="model family Workbench trains (default: linear)")
    parser.add_argument("--port", type=int, default=8765, help="first of three loopback ports")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of `python -m engine serve` "
                        "(default 2, one per core of a small machine); the bare service runs uvicorn's default, 1")
    args = parser.parse_args(argv)
    n = args.requests or (100 if args.quick else 300)
    seconds = args.seconds or (5.0 if args.quick else 30.0)
    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        home, bare_path = Path(tmp), Path(tmp) / "bare.joblib"
        model_id, has_onnx = _model(home, args.family)
        rows = _rows_and_bare(home, model_id, bare_path)
        with threadpool_limits(1):  # the servers run with OMP_NUM_THREADS=1: in process alike
            inprocess = _in_process_ms(home, model_id, has_onnx, bare_path, rows, n)
        print(f"in process, one row from a dict, median of {n} (1-minute load {os.getloadavg()[0]:.1f}):")
        for name, ms in inprocess.items():
            print(f"  {name:<13} {ms:8.2f} ms  {ms / inprocess['bare']:6.2f}x hand-built")
        services = ["bare", "scikit-learn"] + (["onnx"] if has_onnx else [])
        http = {service: _http(home, model_id, service, bare_path, args.port + k, rows, n, args.clients, seconds,
                               args.workers) for k, service in enumerate(services)}
    print(f"HTTP on loopback: {n} sequential single-row requests, then {args.clients} clients for {seconds:g} s; "
          f"Workbench with --workers {args.workers}, the bare service with 1 (1-minute load {os.getloadavg()[0]:.1f})")
    print(f"{'service':<13}{'workers':>8}{'median ms':>10}{'p99 ms':>9}{'p99/median':>11}{'req/s':>9}{'errors':>7}"
          f"{'median/bare':>12}{'req/s / bare':>13}")
    for service, r in http.items():
        workers = 1 if service == "bare" else args.workers
        print(f"{service:<13}{workers:8d}{r['median_ms']:10.2f}{r['p99_ms']:9.2f}{r['p99_ms'] / r['median_ms']:11.2f}"
              f"{r['rps']:9.1f}{r['errors']:7d}{r['median_ms'] / http['bare']['median_ms']:12.2f}"
              f"{r['rps'] / http['bare']['rps']:13.2f}")
    checks = _checks(inprocess, http, args.clients, seconds)
    for what, figure, target, ok in checks:
        print(f"{what}: {figure} (target {target}) -> {'PASS' if ok else 'FAIL'}")
    return 0 if all(ok for *_, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
