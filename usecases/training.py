"""Training use cases: start a background training job, the job's own body, and the same sequence for the command
line (``train_model_dir``): inputs resolved once (``usecases.runs``) → train or tune → best model → stored."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
from sklearn.utils.class_weight import compute_sample_weight

from engine import (
    METRICS,
    Candidate,
    TimeBudgetExceeded,
    TrainingData,
    TrainingError,
    apply_row_steps,
    best_candidate,
    compute_metrics,
    library_versions,
    model_label,
    predict_frame,
    refit,
    train_candidates,
    validate_problem,
    validate_settings,
)
from engine.errors import TargetError
from engine.evaluate.conformal import interval_table
from engine.monitor.drift_reference import reference_profile
from engine.prepare.leakage import audit_training_rows
from engine.train.automl import tune_candidates
from engine.train.automl_estimates import training_fit_seconds, winner_post_search
from engine.train.calibration import (
    CalibrationCheck,
    calibrate_winner,
    calibrated_pipeline,
    calibration_response,
    check_calibration,
    skipped,
)
from engine.train.policy import automl_settings
from engine.train.training import cv_folds, cv_note, evaluate, release_free_memory
from engine.train.tuning import open_storage
from storage import Workspace, now, write_card, write_model_dir, write_model_file, write_reference
from storage.files import write_parquet
from usecases.advice import apply_audit, ensure_recipe
from usecases.export import CHECK_ROWS, model_exports, stage_skops, write_dir_files
from usecases.jobs import ACTIVE, TRAINING_KINDS, refresh_job, spawn_worker
from usecases.monitoring import save_reference
from usecases.projects import project_frame, project_problem, project_recipe, project_settings, save_settings
from usecases.registry import mark_challenger
from usecases.runs import PreparedRun, RunInputs, prepare_run, project_inputs, run_inputs

__all__ = ["JobCancelled", "audited_inputs", "calibrate_best", "card_context", "extend_training", "model_card",
           "refuse_if_running", "run_training_job", "start_automl", "start_training", "study_name", "train_model_dir",
           "train_or_tune", "training_row_log"]

Progress = Callable[[float, str], None]
_HEARTBEAT_SECONDS = 2.0
_REFERENCE_PREDICTIONS = 5_000  # training rows a model predicts for its reference's prediction profile


class JobCancelled(BaseException):
    """The user cancelled the job (SIGTERM from ``cancel_job``). Like KeyboardInterrupt it is no ``Exception``:
    the handler raises it wherever the job is, and a library's ``except Exception`` must not swallow it."""


def start_training(ws: Workspace, project_id: int, settings: dict) -> dict:
    """Check everything a run needs, then start it as a background job; return the job."""
    problem = project_problem(ws, project_id)
    if problem is None:
        raise TargetError("Choose a target column on the Data page first.")
    validate_problem(project_frame(ws, project_id), problem)
    refuse_if_running(ws, project_id)
    save_settings(ws, project_id, settings)
    job = ws.create_job(project_id, "train")
    spawn_worker(ws, job["id"])
    return ws.get_job(job["id"])


def start_automl(ws: Workspace, project_id: int, time_budget: float, seed: int = 42) -> dict:
    """One-click AutoML: the engine's AutoML policy (its families, search and folds) under ``time_budget``
    seconds, started as a background job like ``start_training``; the user's loss choices are kept."""
    problem = project_problem(ws, project_id)
    if problem is None:
        raise TargetError("Choose a target column on the Data page first.")
    settings = automl_settings(problem.task, time_budget=time_budget, seed=seed)
    return start_training(ws, project_id, {**settings, "losses": project_settings(ws, project_id)["losses"]})


def extend_training(ws: Workspace, project_id: int, run_id: int, n_trials: int | None = None,
                    time_budget: float | None = None) -> dict:
    """Continue the search of a finished or cancelled run with more trials and / or more seconds, as a
    background job: the same studies (earlier trials kept), data, recipe and settings; the refitted
    models form a new run that records the one it extends."""
    run = ws.get_run(run_id)
    if run["project_id"] != project_id:
        raise TrainingError(f"Run {run_id} belongs to another project.")
    if (run["settings"] or {}).get("search", "none") == "none":
        raise TrainingError(f"Run {run_id} trained each model with its defaults, without a search; there is no "
                            "search to continue. Start a new training with a search instead.")
    if not n_trials and not time_budget:
        raise TrainingError("Say how many more trials, or how many more seconds, the search may run.")
    validate_settings({**run["settings"], "n_trials": n_trials or run["settings"]["n_trials"],
                       "time_budget": time_budget}, run["problem"]["task"])
    refuse_if_running(ws, project_id)
    job = ws.create_job(project_id, "extend", {"run_id": run_id, "n_trials": n_trials, "time_budget": time_budget})
    spawn_worker(ws, job["id"])
    return ws.get_job(job["id"])


def refuse_if_running(ws: Workspace, project_id: int) -> None:
    running = [j for j in ws.list_jobs(project_id)
               if j["kind"] in TRAINING_KINDS and refresh_job(ws, j["id"])["status"] in ACTIVE]
    if running:  # checked before saving: the running job may not have read its settings yet
        raise TrainingError(f"Training job {running[0]['id']} is still running; wait for it or cancel it.")


def run_training_job(ws: Workspace, job_id: int) -> None:
    """The body of a training job (kind "train" or "extend"), run by the worker process.

    The first cancel (SIGTERM) of a search stops it after the trial in progress and still refits the best
    parameters found so far; a second one, or a cancel outside a search, stops the job at once.
    """
    job = ws.get_job(job_id)
    ws.update_job(job_id, status="running", started_at=now(), heartbeat_at=now(), message="Loading data")
    stop, search = threading.Event(), threading.Event()
    threading.Thread(target=_heartbeat, args=(ws, job_id, stop), daemon=True).start()

    def on_sigterm(signum, frame) -> None:
        if search.is_set() and not stop.is_set():
            stop.set()
            return
        raise JobCancelled()

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        if job["kind"] == "extend":
            _extend_run(ws, job_id, job["project_id"], job["params"], stop, search)
        elif (job["params"] or {}).get("retrain"):
            _retrain_run(ws, job_id, job["project_id"], job["params"]["retrain"], stop, search)
        else:
            _train_project(ws, job_id, job["project_id"], stop, search)
    except JobCancelled:
        ws.update_job(job_id, status="cancelled", finished_at=now(), message="Cancelled; finished models are kept.")
    except (TrainingError, TargetError) as exc:
        ws.update_job(job_id, status="failed", finished_at=now(), error=str(exc), message=str(exc))
    except Exception as exc:
        ws.update_job(job_id, status="failed", finished_at=now(), error=repr(exc),
                      message=f"Training crashed: {exc!r}. The log has details.")
        raise
    finally:
        stop.set()


def _heartbeat(ws: Workspace, job_id: int, stop: threading.Event) -> None:
    while not stop.wait(_HEARTBEAT_SECONDS):
        ws.update_job(job_id, heartbeat_at=now())


def _train_project(ws: Workspace, job_id: int, project_id: int, stop: threading.Event,
                   search: threading.Event) -> None:
    inputs, notes = audited_inputs(ws, project_id)
    _run(ws, job_id, project_id, inputs, notes, None, stop, search)


def _extend_run(ws: Workspace, job_id: int, project_id: int, params: dict, stop: threading.Event,
                search: threading.Event) -> None:
    earlier = ws.get_run(params["run_id"])
    inputs = run_inputs(ws, earlier)
    # Only more time given: as many trials as fit in it.
    settings = {**inputs.settings, "n_trials": params["n_trials"] or 10_000, "time_budget": params["time_budget"]}
    more = " and ".join(([f"{params['n_trials']} more trials"] if params["n_trials"] else [])
                        + ([f"{params['time_budget']:g} more seconds"] if params["time_budget"] else []))
    notes = [f"Continues the search of run {earlier['id']} ({more}); its earlier trials are kept."]
    _run(ws, job_id, project_id, inputs._replace(settings=settings), notes, earlier, stop, search)


def _retrain_run(ws: Workspace, job_id: int, project_id: int, params: dict, stop: threading.Event,
                 search: threading.Event) -> None:
    """A retraining (``usecases.retraining.retrain``): the champion run's recipe, settings, schema and problem on
    a new dataset version; its best model becomes a challenger, never the champion."""
    inputs = run_inputs(ws, ws.get_run(params["run_id"]), ws.get_dataset(params["dataset_id"]))
    notes = [f"Retrains run {params['run_id']} (the champion's) on '{inputs.dataset['name']}'."]
    _run(ws, job_id, project_id, inputs, notes, None, stop, search, challenger=True)


def audited_inputs(ws: Workspace, project_id: int) -> tuple[RunInputs, list[str]]:
    """The project's inputs, its table read once, after the leakage audit on the training rows left out what it
    flags (unless the user kept it); plus notes on the problem and on each column left out."""
    ensure_recipe(ws, project_id)  # a project trained before its Prepare page was opened gets the proposal too
    inputs = project_inputs(ws, project_id)
    notes = validate_problem(inputs.frame, inputs.problem)
    result = audit_training_rows(inputs.frame, inputs.schema, inputs.problem, inputs.recipe)
    apply_audit(ws, project_id, result)
    recipe = project_recipe(ws, project_id)
    excluded = recipe["leakage"]["excluded"]
    notes += [f"Leakage audit left out '{f.column}': {f.message}" for f in result.findings if f.column in excluded]
    return inputs._replace(recipe=recipe), notes


def train_or_tune(run: PreparedRun, *, storage=None, study_name: str = "", data_path: str = "",
                  progress: Progress | None = None, on_candidate: Callable[[Candidate], None] | None = None,
                  stop: threading.Event | None = None, deadline: float | None = None,
                  keep_models: bool = True) -> list[Candidate]:
    """Train each family of the run's settings with its defaults, or search them (per family or AutoML) in Optuna
    studies named ``study_name``-… in ``storage``, whose workers read the table at ``data_path`` (``keep_models``:
    see ``tune_candidates``)."""
    _, _, schema, problem, recipe, settings = run.inputs
    if validate_settings(settings, problem.task)["search"] == "none":
        return train_candidates(run.data.rows, schema, problem, recipe, settings, run.split, progress, on_candidate)
    return tune_candidates(run.data.rows, schema, problem, recipe, settings, run.split, storage=storage,
                           study_name=study_name, data_path=data_path, progress=progress,
                           on_candidate=on_candidate, stop=stop, deadline=deadline, keep_models=keep_models)


def _run(ws: Workspace, job_id: int, project_id: int, inputs: RunInputs, notes: list[str], extends: dict | None,
         stop: threading.Event, search: threading.Event, challenger: bool = False) -> None:
    dataset, _, schema, problem, recipe, settings = inputs
    prepared = prepare_run(inputs)
    split = prepared.split
    row_log = training_row_log(prepared.data, split, recipe, problem.task)
    checked = validate_settings(settings, problem.task)
    if checked["search"] != "none":
        open_storage(ws.studies_url())  # create its tables before the page, polling the run, opens it too
    fold_note = cv_note(prepared.data.y.iloc[split.train], problem.task, recipe["split"], checked)
    notes = notes + ([fold_note] if fold_note else [])
    run = ws.add_run(project_id, job_id=job_id, dataset_id=dataset["id"], dataset_sha256=dataset["sha256"],
                     problem=problem.to_dict(), recipe=recipe, settings=settings,
                     split={**split.sizes(), "stratified": split.stratified, "strategy": recipe["split"]["strategy"]},
                     notes=notes + split.notes + row_log, versions=library_versions(),
                     schema=[c.to_dict() for c in schema], extends=extends and extends["id"])
    study = (extends or {}).get("study") or (extends and study_name(extends["id"])) or study_name(run["id"])
    run = ws.update_run(run["id"], study=study)
    started = time.monotonic()
    context = card_context(prepared, run["id"])

    def progress(fraction: float, message: str) -> None:
        ws.update_job(job_id, progress=round(fraction, 4), message=message, heartbeat_at=now())
        ws.append_job_log(job_id, message)

    def save(candidate: Candidate) -> None:
        _save_candidate(ws, project_id, candidate, context)
        ws.append_job_log(job_id, f"{candidate.model}: {candidate.status} {candidate.error}".strip())

    if checked["search"] != "none":
        search.set()
    candidates = train_or_tune(prepared, storage=open_storage(ws.studies_url()) if search.is_set() else None,
                               study_name=study, data_path=str(ws.dataset_path(dataset["id"])), progress=progress,
                               on_candidate=save, stop=stop)
    best = best_candidate(candidates, problem.metric)
    # Each was saved as it came (``save``); from here only the winner's fitted model is read, so the others' are
    # not held through the calibration check and the exports.
    candidates = [c if c is best else c._replace(pipeline=None) for c in candidates]
    release_free_memory()
    models = {m["family"]: m for m in ws.list_models(project_id, run["id"])}
    ws.update_job(job_id, message="Checking the winner's probabilities", heartbeat_at=now())
    post = _post_search(prepared, best)
    best, check = calibrate_best(prepared, best, best.pipeline,
                                 post.ends_by("calibration", _deadline(started, settings)))
    if check is not None:
        _store_calibrated(ws, models[best.model]["id"], best, context, check)
    # the winner is stored, so Evaluate proposes the model this rule chose (not its own pick by validation)
    ws.update_run(run["id"], seconds=round(time.monotonic() - started, 3), winner_model_id=models[best.model]["id"])
    # the Deploy page's exports, made now so the model is served on the fast path as soon as it is chosen
    check_rows = prepared.data.X.iloc[split.valid if len(split.valid) else split.train]
    model_exports(ws, models[best.model]["id"], check_rows,
                  deadline=post.starts_by("onnx", _deadline(started, settings)))  # ONNX starts only if it can end
    # A run never chooses the champion: Evaluate proposes the best model and the analyst confirms it
    # (``evaluation.set_champion``); a retrained model waits as the challenger, to be compared and promoted.
    if challenger:
        mark_challenger(ws, project_id, models[best.model]["id"])
    result = f"the winner is {model_label(best.model)} ({_chosen_by(best, problem.metric)})"
    if stop.is_set():
        ws.update_job(job_id, status="cancelled", progress=1.0, finished_at=now(),
                      message=f"Cancelled: the search stopped early and its best parameters so far were refitted; "
                              f"{result}.")
    else:
        ws.update_job(job_id, status="succeeded", progress=1.0, finished_at=now(), message=f"Done: {result}.")


def _chosen_by(best: Candidate, metric: str) -> str:
    """The score ``best_candidate`` chose ``best`` by, as Train and Evaluate say it: cross-validated when it has fold
    scores, with its validation score beside; else its validation score."""
    label, valid = METRICS[metric].label, best.valid_metrics[metric]
    if not best.cv_scores:
        return f"validation {label} {valid:.4f}"
    return (f"cross-validated {label} {np.mean(best.cv_scores):.4f} ± {np.std(best.cv_scores):.4f}; "
            f"validation {valid:.4f}")


def train_model_dir(inputs: RunInputs, out: Path, *, deadline: float | None, notes: list[str]
                    ) -> tuple[Candidate, dict]:
    """Train as a training job does, outside a workspace: choose a model on the split (``train_or_tune``, with
    throw-away studies), refit it on all rows while ``deadline`` (time.monotonic) allows, and write the model
    directory ``out`` (model.joblib, model.json, reference.json). Returns the chosen candidate and its card."""
    prepared = prepare_run(inputs)
    data, split, metric = prepared.data, prepared.split, inputs.problem.metric
    candidates = _train_or_tune_without_workspace(prepared, deadline)
    best = best_candidate(candidates, metric)
    # The others' fitted models are not written: only their scores, for the leaderboard (memory for the refit,
    # the calibration check and the exports that follow).
    candidates = [c if c is best else c._replace(pipeline=None) for c in candidates]
    release_free_memory()  # what the search's fits freed, before the refit and the files add their own
    pipeline, trained_on = best.pipeline, {"split": "train", "rows": int(len(split.train))}
    post = _post_search(prepared, best)
    try:
        if not ((best.tuning or {}).get("refitted") and len(split.test) == 0):  # else the search refitted it on all
            pipeline = refit(best.pipeline, data.X, data.y, post.ends_by("refit", deadline), data.fitter)
        trained_on = {"split": "all", "rows": int(len(data.rows))}
    except TimeBudgetExceeded:
        notes = notes + [f"The time budget ran out before refitting on all rows; the model is the one fitted on "
                         f"the training split ({len(split.train):,} rows)."]
    best, check = calibrate_best(prepared, best, pipeline, post.ends_by("calibration", deadline))
    pipeline = best.pipeline
    card = model_card(best, card_context(prepared, None), calibration=check)
    card.update(trained_on=trained_on, notes=notes + split.notes, versions=library_versions(),
                leaderboard={c.model: c.valid_metrics.get(metric) for c in candidates if c.status == "ok"})
    candidates = None  # the winner as fitted on the training split, when refitted here
    out.mkdir(parents=True, exist_ok=True)
    # What needs the fitted pipeline comes first: the drift reference's predictions, model.skops's bytes and the
    # predictions it is checked against, model.joblib. Then it goes, so that the skops file loaded back for its check
    # (and what model.onnx converts) is the one copy in memory.
    sample = data.X.sample(_REFERENCE_PREDICTIONS, random_state=0) if len(data.X) > _REFERENCE_PREDICTIONS else data.X
    predictions = predict_frame(pipeline, sample, card["features"], card["task"])
    rows = data.X.iloc[split.valid if len(split.valid) else split.train].iloc[:CHECK_ROWS]
    staged = stage_skops(pipeline, rows)
    digest = write_model_file(out, pipeline)
    best = best._replace(pipeline=None)
    pipeline = None if staged.data is not None else pipeline  # kept only when skops cannot store it
    release_free_memory()
    # model.skops is what --model DIR loads (no pickle, no code run); model.onnx is what serve answers with
    card["exports"] = write_dir_files(out, staged, pipeline, card, rows, deadline=post.starts_by("onnx", deadline))
    staged = None
    _onnx_calibration_note(card)
    write_card(out, card, digest)
    write_reference(out, reference_profile(data.X, card["features"], predictions, task=card["task"]))  # for drift
    return best, card


def calibrate_best(run: PreparedRun, best: Candidate, fitted, deadline: float | None, *,
                   validation_only: bool = False) -> tuple[Candidate, CalibrationCheck | None]:
    """Check the winning classifier's out-of-fold probabilities on the run's training rows against the class shares
    and its calibrations (``engine.train.calibration``); the winner with ``fitted`` (its pipeline fitted on the
    training split, or refitted on all rows) calibrated when that helps, and rescored on the validation rows.
    Every route that decides a run's model (the training job, retraining, ``train_model_dir``) comes through here.
    Returns the check too (None for regression, the baseline, or a model without probabilities).
    ``validation_only`` checks on the validation rows at once (a replay of a model checked there)."""
    problem, recipe = run.inputs.problem, run.inputs.recipe
    if problem.task != "classification" or best.model == "baseline" or not hasattr(fitted, "predict_proba"):
        return best._replace(pipeline=fitted), None
    settings = validate_settings(run.inputs.settings, problem.task)
    data, split = run.data, run.split
    X, y = data.X.iloc[split.train], data.y.iloc[split.train]
    folds = cv_folds(data.rows.iloc[split.train], y, problem.task, recipe["split"], settings)
    # A class-balanced recipe asks for probabilities that treat the classes alike: judge and calibrate them so.
    weight = compute_sample_weight("balanced", y) if recipe["balance"] != "none" else None
    # The search's out-of-fold probabilities of the winner (same folds) spare refitting them.
    check = calibrate_winner(best.pipeline, X, y, [] if validation_only else folds, fit=data.fitter.fit,
                             oof_proba=best.oof_proba, deadline=deadline, sample_weight=weight,
                             seed=settings["seed"],
                             fit_seconds=training_fit_seconds(best, split))
    X_valid, y_valid = data.X.iloc[split.valid], data.y.iloc[split.valid]
    if check.status == "skipped" and len(split.valid):
        check = _check_on_validation(best.pipeline, X_valid, y_valid, check.reason, recipe, settings["seed"])
    if not check.applied:
        return best._replace(pipeline=fitted), check
    pipeline = calibrated_pipeline(fitted, check)
    if not len(split.valid):
        return best._replace(pipeline=pipeline), check
    if check.source.startswith("the validation rows"):  # score each row with a calibrator not fitted on it
        metrics, predictions = _scored(y_valid, check.calibrated_proba, check.classes)
    elif (best.tuning or {}).get("refitted"):
        # The search refitted the winner on the training and validation rows and kept no training-split fit to
        # score: the validation numbers stay those it measured before the refit (and so before calibration).
        return best._replace(pipeline=pipeline), check
    else:  # scored as fitted on the training split: a refit on all rows has seen the validation rows
        scored = pipeline if fitted is best.pipeline else calibrated_pipeline(best.pipeline, check)
        metrics, predictions = evaluate(scored, X_valid, y_valid, problem.task)
    return best._replace(pipeline=pipeline, valid_metrics=metrics, valid_predictions=predictions), check


def _check_on_validation(trained, X_valid, y_valid, why: str, recipe: dict, seed: int) -> CalibrationCheck:
    """The calibration check on the validation rows of ``trained`` (fitted on the training split), when no
    out-of-fold predictions could be made: the calibrator is still judged on rows it was not fitted on."""
    classes = np.asarray(trained.classes_)
    if set(np.unique(y_valid)) != set(classes):
        return skipped(f"{why} The validation rows lack a class the model knows, so they cannot stand in.")
    proba = trained.predict_proba(X_valid)
    response = calibration_response(trained, X_valid, len(classes))
    weight = compute_sample_weight("balanced", y_valid) if recipe["balance"] != "none" else None
    reason = why.removeprefix("Not checked: ").rstrip(".")
    return check_calibration(response, proba, y_valid.to_numpy(), classes, sample_weight=weight, seed=seed,
                             source=f"the validation rows, as {reason}")


def _scored(y, proba: np.ndarray, classes: np.ndarray) -> tuple[dict, pd.DataFrame]:
    """Validation metrics and predictions of the probabilities ``proba`` (``classes`` order)."""
    predictions = pd.DataFrame({"y_true": y.to_numpy(), "y_pred": classes[proba.argmax(axis=1)]})
    for j, label in enumerate(classes):
        predictions[f"proba_{label}"] = proba[:, j]
    labels = list(classes)
    return compute_metrics("classification", y, predictions["y_pred"], proba, labels), predictions


def _store_calibrated(ws: Workspace, model_id: int, candidate: Candidate, context: dict,
                      check: CalibrationCheck) -> None:
    """Rewrite a saved winner's files with its calibration check (and its calibrated pipeline, scores and
    validation predictions when calibration was applied)."""
    folder = ws.model_dir(model_id)
    card = {**model_card(candidate, context, calibration=check), "model_id": model_id}
    digest = write_model_dir(folder, candidate.pipeline, card)
    if candidate.valid_predictions is not None:
        write_parquet(candidate.valid_predictions, folder / "valid_predictions.parquet")
    ws.update_model(model_id, sha256=digest, size_bytes=(folder / "model.joblib").stat().st_size,
                    valid_metrics=candidate.valid_metrics)
    if check.applied:
        save_reference(ws, model_id, candidate.pipeline, context["train_rows"])


def _onnx_calibration_note(card: dict) -> None:
    """Say in a card's calibration record when its ONNX export is missing and the calibration may be why."""
    calibration, onnx = card.get("calibration") or {}, (card.get("exports") or {}).get("model.onnx") or {}
    if calibration.get("applied") and not onnx.get("sha256") and onnx.get("reason"):
        calibration["onnx"] = (f"No ONNX export for the calibrated model ({calibration['method']} calibration "
                               f"around the model): {onnx['reason']}")


def _post_search(run: PreparedRun, best: Candidate):
    """About how long the winner's calibration check and files take
    (``engine.train.automl_estimates.winner_post_search``).
    Each step's own estimate, not what the search kept for it: a step with a stand-in the search kept no time for
    (the ONNX file of a large forest) must still start only when its estimate says it can end."""
    settings = validate_settings(run.inputs.settings, run.inputs.problem.task)
    return winner_post_search(best, run.split, run.inputs.problem.task, settings["cv_folds"], None)


def _deadline(started: float, settings: dict) -> float | None:
    """When (time.monotonic) a run's time budget, counted from ``started``, runs out; None without one."""
    budget = settings.get("time_budget")
    return None if budget is None else started + budget


def _train_or_tune_without_workspace(run: PreparedRun, deadline: float | None = None) -> list[Candidate]:
    """``train_or_tune`` with a throw-away study storage for a search: in memory, as no other process joins it (a
    SQLite file cost SQLAlchemy, Alembic and a Parquet copy of the table: about 30 MB more at the peak)."""
    if validate_settings(run.inputs.settings, run.inputs.problem.task)["search"] == "none":
        return train_or_tune(run)
    return train_or_tune(run, storage=optuna.storages.InMemoryStorage(), study_name="cli", keep_models=False,
                         deadline=deadline)


def card_context(run: PreparedRun, run_id: int | None) -> dict:
    """What ``model_card`` records of the run a model came from (``run_id`` None: trained outside a workspace)."""
    inputs = run.inputs
    return {"dataset": inputs.dataset, "problem": inputs.problem, "recipe": inputs.recipe,
            "settings": inputs.settings, "features": run.data.features, "split": run.split, "run_id": run_id,
            "train_rows": run.data.X.iloc[run.split.train]}


def study_name(run_id: int) -> str:
    """The prefix of the Optuna studies of one run (one study per family, or ``-automl``)."""
    return f"run{run_id}"


def training_row_log(data: TrainingData, split, recipe: dict, task: str) -> list[str]:
    """One line per row step saying how many training rows it removed or added."""
    _, _, log = apply_row_steps(data.X.iloc[split.train], data.y.iloc[split.train], recipe, task, data.fitter.kinds,
                                seed=recipe["split"]["seed"])
    lines = []
    for entry in log:
        change = (f"removed {entry['removed']:,}" if entry["removed"] >= 0 else f"added {-entry['removed']:,}")
        lines.append(f"{entry['label']}: {change} of {entry['rows_before']:,} training rows "
                     f"({entry['rows_after']:,} left).")
    return lines


def _save_candidate(ws: Workspace, project_id: int, candidate: Candidate, context: dict) -> dict:
    values = {"family": candidate.model, "status": candidate.status, "cv_scores": candidate.cv_scores,
              "valid_metrics": candidate.valid_metrics, "fit_seconds": round(candidate.fit_seconds, 3),
              "error": candidate.error or None}
    if candidate.pipeline is None:
        return ws.add_model(project_id, context["run_id"], **values)
    card = model_card(candidate, context)
    record = ws.add_model(project_id, context["run_id"], pipeline=candidate.pipeline, card=card,
                          predictions=candidate.valid_predictions, **values)
    save_reference(ws, record["id"], candidate.pipeline, context["train_rows"])  # for drift monitoring
    return record


def model_card(candidate: Candidate, context: dict, calibration: CalibrationCheck | None = None) -> dict:
    """The ``model.json`` contents: what the model is, what it needs and how well it did (and, for a run's winning
    classifier, what ``calibrate_best`` found of its probabilities)."""
    problem = context["problem"]
    estimator = candidate.pipeline.named_steps["model"]
    classes = [str(c) for c in getattr(candidate.pipeline, "classes_", [])] or None
    scores = candidate.cv_scores
    return {
        "format_version": 1,
        "task": problem.task,
        "target": problem.target,
        "metric": problem.metric,
        "family": candidate.model,
        "estimator": type(estimator).__name__,
        "params": {k: v for k, v in estimator.get_params().items() if isinstance(v, (int, float, str, bool))},
        "features": [{"name": c.name, "kind": c.kind, "dtype": c.dtype} for c in context["features"]],
        "classes": classes,
        "metrics": {
            "validation": candidate.valid_metrics,
            "cv": {"scores": scores, "mean": float(np.mean(scores)) if scores else None,
                   "std": float(np.std(scores)) if scores else None},
        },
        "dataset": {"name": context["dataset"]["name"], "sha256": context["dataset"]["sha256"],
                    "rows": context["dataset"]["n_rows"]},
        "trained_on": _trained_on(candidate, context["split"]),
        "recipe": context["recipe"],
        "settings": context["settings"],
        "run_id": context["run_id"],
        "tuning": candidate.tuning,
        "prediction_intervals": _intervals(candidate, problem.task),
        "calibration": None if calibration is None else calibration.record(),
        "fit_seconds": round(candidate.fit_seconds, 3),
        "versions": library_versions(),
        "created_at": now(),
        "created_unix": time.time(),
    }


def _trained_on(candidate: Candidate, split) -> dict:
    """The rows the model learnt from: the training split, or with the validation rows when the search refitted
    its winner on them (its metrics are still those of the fit on the training split alone)."""
    tuning = candidate.tuning or {}
    if tuning.get("refitted"):
        return {"split": "train+valid", "rows": int(len(split.train) + len(split.valid))}
    skipped = {"note": f"refit on all rows skipped: {tuning['refit_skipped']}"} if "refit_skipped" in tuning else {}
    return {"split": "train", "rows": int(len(split.train)), **skipped}


def _intervals(candidate: Candidate, task: str) -> list[dict]:
    """The split-conformal intervals of a regression model, from its validation residuals (REST and bundles
    serve them with ``?interval=``)."""
    predictions = candidate.valid_predictions
    if task != "regression" or predictions is None:
        return []
    return interval_table(predictions["y_true"], predictions["y_pred"])
