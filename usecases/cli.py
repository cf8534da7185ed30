"""The command line: ``python -m engine train|predict``. A contract other tools call; keep it stable.

    python -m engine train --data FILE --target COL [--task classification|regression] [--metric NAME]
                           [--recipe RECIPE.json] [--time-budget SECONDS] [--seed N] --out DIR
    python -m engine predict --model DIR --data FILE --out FILE.csv|FILE.parquet [--chunk-rows N] [--trust-pickle]
    python -m engine profile --data FILE [--target COL] --out REPORT.json|REPORT.html
    python -m engine audit --data FILE --target COL [--recipe RECIPE.json] --out AUDIT.json
    python -m engine worker --study NAME --storage URL [--n-trials N] [--timeout SECONDS] [--worker K]
    python -m engine drift --model DIR --data FILE --out DRIFT.json [--thresholds JSON|FILE.json] [--trust-pickle]
        exit 0: ok / warn / too few rows; 4: alert; 2: the model has no reference.json (retrain it)
    python -m engine bundle --workspace DIR --model-id N --out FILE.zip
    python -m engine runtime (--model DIR | --workspace DIR --model-id N) --out DIR
    python -m engine export --model DIR --format onnx|skops --out FILE [--data FILE] [--trust-pickle]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from engine import (
    TASKS,
    Problem,
    advise_split,
    infer_schema,
    metrics_for_task,
    predict_frame,
    propose_problem,
    read_table,
    validate_problem,
    validate_recipe,
)
from engine.deploy.batch import DEFAULT_CHUNK_ROWS, score_file
from engine.errors import ColumnError, DataError, DriftError, RecipeError, ServingError, TargetError, TrainingError
from engine.prepare.leakage import audit_training_rows
from storage import NotFoundError, read_reference, sha256_file
from usecases import USER_ERRORS
from usecases.export import PICKLE_WARNING, load_model_dir

# Each command imports what only it needs (Optuna, FastAPI, the profiler, ...) when it runs: `predict` is a
# process a user starts per file, and its start-up is part of what scoring a file costs.

__all__ = ["main"]

_CLI_SPLIT = {"train": 0.8, "valid": 0.2, "test": 0.0, "strategy": "stratified"}
_ALERT_EXIT = 4  # ``drift``: the overall verdict is "alert"; ``monitor``: alerts are open (1 bad input, 3 mismatch)
_NO_REFERENCE = 2
#: engine.deploy.serving.MAX_BODY_BYTES, written out so that building the parser does not import FastAPI (a test
#: checks they agree).
_MAX_BODY_BYTES = 1 << 20


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description="Workbench engine command line.")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a model on a whole file and write a model directory")
    train.add_argument("--data", required=True, help="CSV / Parquet / Excel / JSON file")
    train.add_argument("--target", required=True, help="column to predict")
    train.add_argument("--task", choices=TASKS, help="default: proposed from the target")
    train.add_argument("--metric", help="what to tune, select and ensemble by, e.g. log_loss, roc_auc, f1_macro, rmse, "
                       "mae (the Data page's metrics for the task; default: proposed from the target)")
    train.add_argument("--recipe", help="preparation recipe JSON, e.g. exported from the Prepare page (default: "
                       "the default recipe with an 80/20 split)")
    train.add_argument("--time-budget", type=float, default=None, help="seconds (default: no limit)")
    train.add_argument("--seed", type=int, default=42)
    train.add_argument("--out", required=True, help="model directory to write")
    predict = commands.add_parser("predict", help="score a file with a model directory")
    predict.add_argument("--model", required=True, help="model directory written by train")
    predict.add_argument("--data", required=True, help="file to score (the target column may be present)")
    predict.add_argument("--out", required=True, help="CSV or Parquet file to write (the predictions only)")
    predict.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS,
                         help=f"rows read, scored and written at a time: memory holds the model and one chunk "
                         f"(UTF-8 CSV and Parquet; other files are read whole; default {DEFAULT_CHUNK_ROWS:,})")
    _trust_pickle_flag(predict)
    profile = commands.add_parser("profile", help="profile a file: statistics, warnings, correlations")
    profile.add_argument("--data", required=True, help="CSV / Parquet / Excel / JSON file")
    profile.add_argument("--target", help="column to relate every feature to (optional)")
    profile.add_argument("--out", required=True, help="report to write: .json or .html")
    audit = commands.add_parser("audit", help="leakage audit and split advice for a file and target")
    audit.add_argument("--data", required=True, help="CSV / Parquet / Excel / JSON file")
    audit.add_argument("--target", required=True, help="column to predict")
    audit.add_argument("--recipe", help="recipe JSON whose split and left-out columns to use")
    audit.add_argument("--out", required=True, help="JSON file to write")
    worker = commands.add_parser("worker", help="join a tuning study started by the workbench and run trials")
    worker.add_argument("--study", required=True, help="study name (shown on the Train page)")
    worker.add_argument("--storage", required=True, help="Optuna storage URL, e.g. postgresql://user@host/db")
    worker.add_argument("--n-trials", type=int, default=None, help="trials this worker runs (default: until "
                        "--timeout, or the study's grid is done)")
    worker.add_argument("--timeout", type=float, default=None, help="seconds this worker runs")
    worker.add_argument("--worker", type=int, default=1, help="worker number >= 1; offsets the sampler's seed")
    serve = commands.add_parser("serve", help="serve a model as a REST API (POST /predict, GET /health, GET /model, "
                                "docs at /docs)")
    source = serve.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="model directory written by train")
    source.add_argument("--model-id", type=int, help="model number in --workspace (shown on the Evaluate page)")
    source.add_argument("--project", help="project name in --workspace: serve its champion, and after a promotion "
                        "or rollback the new one, without a restart")
    serve.add_argument("--workspace", help="workspace directory, with --model-id or --project (requests are logged "
                       "there)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-log", action="store_true", help="do not log requests to the workspace")
    serve.add_argument("--runtime", choices=("auto", "onnx", "scikit-learn"), default="auto",
                       help="auto (default): the model's verified ONNX export when there is one (made by train, the "
                       "Deploy page or export; much faster for single rows), else the scikit-learn pipeline")
    serve.add_argument("--token", default=os.environ.get("WORKBENCH_API_TOKEN") or None,
                       help="require 'Authorization: Bearer TOKEN' on /predict and /model (default: the "
                       "WORKBENCH_API_TOKEN environment variable, which unlike this flag other users of the machine "
                       "cannot see). Without a token the API is OPEN: anyone who reaches --host:--port can score rows "
                       "and read the model card; /health always stays open")
    serve.add_argument("--max-body-bytes", type=int, default=None, help="larger request bodies answer 413 "
                       f"(default: {_MAX_BODY_BYTES:,} bytes, engine.deploy.serving.MAX_BODY_BYTES)")
    serve.add_argument("--workers", type=int, default=1, help="server processes sharing the port, each with its "
                       "own copy of the model (default 1); more answer more concurrent clients, up to one per core")
    _trust_pickle_flag(serve)
    drift = commands.add_parser("drift", help="compare a file with a model's training reference: per-feature drift, "
                                "data quality and an overall verdict (exit 0 ok/warn/too few rows, 4 alert)")
    drift.add_argument("--model", required=True, help="model directory written by train (with its reference.json)")
    drift.add_argument("--data", required=True, help="new rows: CSV / Parquet / Excel / JSON file")
    drift.add_argument("--out", required=True, help="drift report JSON to write")
    drift.add_argument("--thresholds", help='JSON object or file, e.g. \'{"psi_alert": 0.3, "min_rows": 50}\' '
                       "(default: PSI 0.1 warn / 0.25 alert, p 0.01, JS 0.1 / 0.2, 100 rows)")
    _trust_pickle_flag(drift)
    bundle = commands.add_parser("bundle", help="write a workspace model's deployment bundle: model, serve.py, "
                                 "pinned requirements, Dockerfile, README (a zip)")
    bundle.add_argument("--workspace", required=True, help="workspace directory (WORKBENCH_HOME of the app)")
    bundle.add_argument("--model-id", required=True, type=int, help="model number (shown on the Evaluate page)")
    bundle.add_argument("--out", required=True, help="zip file to write")
    runtime = commands.add_parser("runtime", help="write the workbench-runtime wheel a model's downloaded file needs "
                                  "to load outside the workbench, and print the pip install line")
    model = runtime.add_mutually_exclusive_group(required=True)
    model.add_argument("--model", help="model directory written by train")
    model.add_argument("--model-id", type=int, help="model number in --workspace (shown on the Evaluate page)")
    runtime.add_argument("--workspace", help="workspace directory (WORKBENCH_HOME of the app), with --model-id")
    runtime.add_argument("--out", required=True, help="folder to write the .whl into")
    monitor = commands.add_parser("monitor", help="check every project's champion for drift and performance decay, "
                                  "record new alerts and post them to webhooks (exit 4 while alerts are open)")
    monitor.add_argument("--workspace", required=True, help="workspace directory (WORKBENCH_HOME of the app)")
    monitor.add_argument("--project", help="only this project (by name)")
    export = commands.add_parser("export", help="write a model directory's model as a skops or ONNX file (train "
                                 "keeps both; this makes them for directories written before)")
    export.add_argument("--model", required=True, help="model directory written by train")
    export.add_argument("--format", required=True, choices=("onnx", "skops"), help="skops: the pipeline, loadable "
                        "without running code; onnx: checked against scikit-learn, then kept in --model for serve")
    export.add_argument("--out", required=True, help="file to write")
    export.add_argument("--data", help="with --format onnx for a directory keeping no model.onnx: rows like the "
                        "training ones (e.g. the training file) to check the ONNX model on")
    _trust_pickle_flag(export)
    verify = commands.add_parser("verify", help="refit a workspace's model from its run's stored inputs and check "
                                 "that it reproduces its validation results (exit 0 match, 3 mismatch)")
    verify.add_argument("--workspace", required=True, help="workspace directory (WORKBENCH_HOME of the app)")
    verify.add_argument("--model", required=True, type=int, help="model number (shown on the Evaluate page)")
    return parser


def _trust_pickle_flag(command: argparse.ArgumentParser) -> None:
    command.add_argument("--trust-pickle", action="store_true",
                         help="with --model DIR: load its model.joblib when it has no model.skops (directories "
                         "written by train keep one, loaded without running code). WARNING: " + PICKLE_WARNING)


def _model_dir(args):
    """The pipeline and card of ``--model``: skops when the directory has it, the pickle only with --trust-pickle."""
    loaded = load_model_dir(args.model, trust_pickle=args.trust_pickle)
    if loaded.file == "model.joblib":
        print(f"warning: loading {args.model}/model.joblib because of --trust-pickle. {PICKLE_WARNING}",
              file=sys.stderr)
    return loaded.pipeline, loaded.card


def main(argv: list[str] | None = None, started: float | None = None) -> int:
    """Run one command; ``started`` (time.monotonic) is when the process began, so the time
    budget also covers start-up and imports."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "profile":
            return _profile(args)
        if args.command == "train":
            return _train(args, time.monotonic() if started is None else started)
        if args.command == "audit":
            return _audit(args)
        if args.command == "worker":
            return _worker(args)
        if args.command == "verify":
            return _verify(args)
        if args.command == "drift":
            return _drift(args)
        if args.command == "monitor":
            return _monitor(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "bundle":
            return _bundle(args)
        if args.command == "runtime":
            return _runtime(args)
        if args.command == "export":
            return _export(args)
        return _predict(args)
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _recipe(args) -> dict:
    if not args.recipe:
        return validate_recipe({"split": {**_CLI_SPLIT, "seed": args.seed}})
    try:
        recipe = json.loads(Path(args.recipe).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RecipeError(f"Cannot read the recipe {args.recipe}: {exc}") from exc
    return validate_recipe(recipe)


def _load_with_target(args) -> tuple:
    """The file of ``--data``, its column kinds, and the problem proposed for ``--target``."""
    frame = read_table(args.data).frame
    schema = infer_schema(frame)
    kinds = {c.name: c.kind for c in schema}
    if args.target not in kinds:
        raise TargetError(f"Target column '{args.target}' is not in {args.data}; columns are {list(kinds)[:20]}.")
    return frame, schema, propose_problem(frame[args.target], kinds[args.target], args.target)


def _train(args, started: float) -> int:
    """Train on the whole file as a training job does (``usecases.training.train_model_dir``) and write a model
    directory; the time budget covers start-up, choosing a model, the refit on all rows and the files."""
    budget = args.time_budget
    if budget is not None and budget <= 0:
        raise TargetError(f"--time-budget must be a positive number of seconds. Got {budget} instead.")
    from engine.train.policy import budget_settings
    from usecases.runs import RunInputs
    from usecases.training import train_model_dir

    _quiet_optuna()
    frame, schema, proposed = _load_with_target(args)
    problem = _problem(args, proposed)
    notes = validate_problem(frame, problem)
    recipe = _recipe(args)
    settings = budget_settings(problem.task, budget, seed=args.seed, elapsed=time.monotonic() - started)
    dataset = {"name": Path(args.data).name, "sha256": sha256_file(args.data), "n_rows": len(frame)}
    out = Path(args.out)
    # One deadline for the whole run: the search keeps what the refit, the calibration check and the files need.
    deadline = None if budget is None else started + budget
    best, _ = train_model_dir(RunInputs(dataset, frame, schema, problem, recipe, settings), out,
                              deadline=deadline, notes=notes)
    metric = problem.metric
    print(f"{best.model}: validation {metric} {best.valid_metrics[metric]:.4f}; wrote {out / 'model.joblib'}")
    return 0


def _quiet_optuna() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # one line per command, not one per trial


def _problem(args, proposed: Problem) -> Problem:
    """The problem of ``--target`` with ``--task`` and ``--metric`` when given, else as proposed from the target."""
    task = args.task or proposed.task
    valid = metrics_for_task(task)
    if args.metric is not None and args.metric not in valid:
        raise TargetError(f"--metric must be one of the {task} metrics {', '.join(valid)}. Got "
                          f"'{args.metric}' instead.")
    default = proposed.metric if task == proposed.task else ("rmse" if task == "regression" else "f1_macro")
    return Problem(args.target, task, args.metric or default)


def _audit(args) -> int:
    """The Prepare page's advisors, headless: which columns leak the target, which split the rows call for."""
    frame, schema, problem = _load_with_target(args)
    recipe = _recipe(args) if args.recipe else validate_recipe({})
    result = audit_training_rows(frame, schema, problem, recipe)
    advice = advise_split(frame, schema, args.target, problem.task, recipe["split"])
    report = {"task": problem.task, "leaks": [f._asdict() for f in result.findings],
              "scores": result.scores.to_dict("records"), "split_advice": [a._asdict() for a in advice]}
    Path(args.out).write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    for finding in result.findings:
        print(f"leak: {finding.column}: {finding.message}")
    for tip in advice:
        print(f"split: {tip.message}")
    print(f"{len(result.findings)} leaking columns, {len(advice)} split proposals; wrote {args.out}")
    return 0


def _worker(args) -> int:
    """Run trials of an existing study from this process (scale-out over Optuna's shared storage)."""
    if args.n_trials is None and args.timeout is None:
        raise TrainingError("Give the worker --n-trials or --timeout so it knows when to stop.")
    if args.worker < 1:
        raise TrainingError(f"--worker must be 1 or more (0 is the workbench's own process). Got {args.worker}.")
    from engine.train.tuning import load_study, open_storage, run_study, spec_from_study

    _quiet_optuna()
    storage = open_storage(args.storage)
    try:
        study = load_study(args.study, storage, worker=args.worker)
        frame = read_table(spec_from_study(study)["data"]).frame
        ran = run_study(study, frame, n_trials=args.n_trials, timeout=args.timeout)
        best = f"best value {study.best_value:.4f} (trial {study.best_trial.number})" if ran else "no trial finished"
    finally:
        storage.remove_session()
        storage.engine.dispose()
    print(f"worker {args.worker}: ran {ran} trials of study '{args.study}'; study {best}")
    return 0


def _existing_workspace(home: str | None):
    from usecases import open_workspace

    if not home or not (Path(home) / "workbench.db").is_file():
        raise NotFoundError(f"There is no workspace at {home} (no workbench.db); give the folder the app uses "
                            "(its WORKBENCH_HOME) with --workspace.")
    return open_workspace(home)


def _serve(args) -> int:
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from engine.deploy.serving import MAX_BODY_BYTES  # here: FastAPI loads only for serve
    from usecases.serving import SERVE_OPTIONS_ENV, served_app

    if args.workers < 1:
        raise ServingError(f"--workers must be 1 or more. Got {args.workers} instead.")
    if args.project is not None or args.model_id is not None:
        _existing_workspace(args.workspace)
    options = {"workspace": args.workspace, "model_id": args.model_id, "project": args.project,
               "model_dir": args.model, "log": not args.no_log, "runtime": args.runtime,
               "trust_pickle": args.trust_pickle, "token": args.token,
               "max_body_bytes": MAX_BODY_BYTES if args.max_body_bytes is None else args.max_body_bytes}
    # With several workers this process only checks that the model loads; each worker loads its own copy.
    app = served_app(**{**options, "log": options["log"] and args.workers == 1})
    if args.project is not None:
        what = f"the champion of '{args.project}' (now model {app.model_id}) with {app.app.state.runtime}"
    else:
        what = f"{args.model or f'model {args.model_id}'} with {app.state.runtime}"
        if getattr(app.state, "model_file", None) == "model.joblib":
            print(f"warning: loaded {args.model}/model.joblib because of --trust-pickle. {PICKLE_WARNING}",
                  file=sys.stderr)
    workers = f", {args.workers} worker processes" if args.workers > 1 else ""
    print(f"serving {what} on http://{args.host}:{args.port}{workers} (docs at /docs); {_access(args)}; "
          "Ctrl+C stops", flush=True)
    if args.workers == 1:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
        return 0
    del app  # each worker loads its own copy
    os.environ[SERVE_OPTIONS_ENV] = json.dumps(options)  # the workers' environment, not their command line
    # A worker that does not answer uvicorn's health check in time is killed and replaced; loading the model on a
    # busy machine can take longer than its default 5 s.
    config = uvicorn.Config("usecases.serving:worker_app", factory=True, workers=args.workers, host=args.host,
                            port=args.port, log_level="warning", timeout_worker_healthcheck=60)
    listener = config.bind_socket()
    # uvicorn binds the shared socket without TCP_NODELAY (asyncio sets it only on sockets it makes), so every
    # response, written as headers then body, waited for the client's delayed ACK: 40 ms a request. Accepted
    # connections inherit it from the listening socket.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[listener]).run()
    return 0


def _access(args) -> str:
    return "a bearer token is required" if args.token else "OPEN: no token (set WORKBENCH_API_TOKEN to require one)"


def _thresholds(text: str | None):
    from engine.monitor.drift import DriftThresholds

    if not text:
        return DriftThresholds()
    try:
        values = json.loads(Path(text).read_text(encoding="utf-8") if Path(text).is_file() else text)
    except (OSError, ValueError) as exc:
        raise DriftError(f"--thresholds must be a JSON object or a JSON file; cannot read {text!r}: {exc}") from exc
    if not isinstance(values, dict):
        raise DriftError(f"--thresholds must be a JSON object like '{{\"psi_alert\": 0.3}}'. Got {text!r}.")
    return DriftThresholds.from_dict(values)


def _drift(args) -> int:
    """One file against a model's reference: per-feature scores and verdicts, data quality, an overall verdict."""
    thresholds = _thresholds(args.thresholds)
    pipeline, card = _model_dir(args)
    reference = read_reference(args.model)
    if reference is None:
        print(f"error: '{args.model}' has no reference.json (it was trained before drift monitoring); retrain it "
              "with `python -m engine train` to store one.", file=sys.stderr)
        return _NO_REFERENCE
    from engine.monitor.drift import drift_report

    frame = read_table(args.data).frame
    try:
        predictions = predict_frame(pipeline, frame, card["features"], card["task"])
    except ColumnError:  # a missing column is reported by the drift report itself
        predictions = None
    report = drift_report(reference, frame, predictions, thresholds)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report.to_dict(), indent=2), encoding="utf-8")
    rows = report.features.to_dict("records") + ([report.prediction] if report.prediction else [])
    for row in rows:
        print(f"{row['verdict']:<12} {row['name']}: {row['reason']}")
    for finding in report.quality:
        print(f"quality: {finding}")
    print(f"{report.message} Wrote {out}")
    return _ALERT_EXIT if report.overall == "alert" else 0


def _bundle(args) -> int:
    from usecases.bundle import bundle_bytes

    data = bundle_bytes(_existing_workspace(args.workspace), args.model_id)
    Path(args.out).write_bytes(data)
    print(f"wrote the deployment bundle of model {args.model_id} to {args.out} ({len(data) / 1e3:,.0f} kB)")
    return 0


def _runtime(args) -> int:
    from usecases.runtime import install_command, model_dir_runtime_wheel, runtime_wheel

    wheel = (model_dir_runtime_wheel(args.model) if args.model is not None
             else runtime_wheel(_existing_workspace(args.workspace), args.model_id))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / wheel.filename).write_bytes(wheel.data)
    print(f"wrote {out / wheel.filename}; load the model elsewhere after:\n  {install_command(wheel)}")
    return 0


def _export(args) -> int:
    """A model directory's skops or ONNX file: the verified one it keeps, else made (and checked) now."""
    from usecases.export import export_model_dir

    rows = read_table(args.data).frame if args.data else None
    made = export_model_dir(args.model, args.format, trust_pickle=args.trust_pickle, check_rows=rows)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(made.data)
    check = (f"; checked on {made.info['rows']} rows, largest relative difference {made.info['max_diff']:.2g}"
             if made.info.get("max_diff") is not None else "")
    print(f"wrote the {args.format} file of {args.model} to {out} ({len(made.data) / 1e3:,.1f} kB{check})")
    return 0


def _monitor(args) -> int:
    from usecases.alerts import run_workspace

    runs = run_workspace(_existing_workspace(args.workspace), args.project)
    for run in runs:
        print(f"{run.project['name']}: {run.summary['status']}; {len(run.new_alerts)} new alert(s), "
              f"{run.summary.get('open_alerts', 0)} open")
        for alert in run.new_alerts:
            sent = f" [webhook: {alert['delivery']['message']}]" if alert["delivery"] else ""
            print(f"  ALERT {alert['kind']}: {alert['message']}{sent}")
    return _ALERT_EXIT if any(run.summary.get("open_alerts") for run in runs) else 0


def _verify(args) -> int:
    from usecases.replay import verify_model

    check = verify_model(_existing_workspace(args.workspace), args.model)
    print(check.metrics.to_string(index=False))
    print(check.message)
    return 0 if check.match else 3


def _predict(args) -> int:
    pipeline, card = _model_dir(args)
    scored = score_file(pipeline, args.data, args.out, card["features"], card["task"], with_inputs=False,
                        chunk_rows=args.chunk_rows)
    for note in scored.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {scored.rows} predictions to {args.out}")
    return 0


def _profile(args) -> int:
    from engine.explore.profile import profile
    from engine.explore.report import html_report, profile_json

    out = Path(args.out)
    if out.suffix.lower() not in (".json", ".html"):
        raise DataError(f"--out must end in .json or .html. Got '{out.name}' instead.")
    frame = read_table(args.data).frame
    schema = infer_schema(frame)
    task = None
    if args.target is not None:
        if args.target not in frame.columns:
            raise TargetError(f"Target column '{args.target}' is not in the data; columns: {list(frame.columns)}.")
        kind = {c.name: c.kind for c in schema}[args.target]
        task = propose_problem(frame[args.target], kind, args.target).task
    result = profile(frame, schema, args.target, task)
    text = profile_json(result) if out.suffix.lower() == ".json" else html_report(result, Path(args.data).name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"profiled {len(frame):,} rows x {frame.shape[1]} columns, {len(result.warnings)} warnings; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
