"""Retraining: the champion's recipe and settings trained again on data that includes the labelled new rows, as a
challenger; then champion and challenger compared on the same recent labelled rows.

The labelled new rows are the stored incoming batches (Monitor uploads, files scored on Deploy) joined to their
late labels by the labels' key (``usecases.monitor_labels``). The most recent share of them, by arrival, is held
out of the retraining (``HOLDOUT_SHARE``) so both models can be scored on rows neither was trained on. The keys of
the new rows a retraining used and of those it held out are kept in its job's parameters (as ``key_text``, so a
key read back as 7.0 is still 7): the comparison scores exactly the held-out rows, and a later retraining on top
of this one knows which rows it has already seen. The key need not be a column of the training data.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from engine import ColumnInfo, Problem, TrainingError, predict_frame
from engine.data.append import append_rows
from engine.errors import RecipeError, TargetError
from engine.evaluate.comparison import Predictions, compare_predictions
from engine.evaluate.metrics import metric_interval
from engine.monitor.decay import ACTUAL, join_labels, key_text
from storage import Workspace, read_card
from usecases.evaluation import model_threshold
from usecases.jobs import refresh_job, spawn_worker
from usecases.monitor_labels import latest_labels, scored_batches
from usecases.projects import active_dataset
from usecases.registry import challenger
from usecases.runs import prepare_run, run_inputs, stored_run
from usecases.training import refuse_if_running

__all__ = ["ARRIVED", "DATA_CHOICES", "HOLDOUT_SHARE", "LABEL_KEY", "MIN_COMPARE_ROWS", "Comparison",
           "compare_on_recent", "data_signature", "labelled_new_rows", "latest_job", "retrain"]

#: What a retraining trains on.
DATA_CHOICES = {"reference+new": "reference + new data", "new": "new data only", "window": "sliding window"}
#: The most recent share of the labelled new rows, by arrival, kept out of a retraining to compare on.
HOLDOUT_SHARE = 0.3
#: Fewest held-out rows a comparison on recent rows needs; with fewer, nothing is held out and the models are
#: compared on the challenger run's validation split instead.
MIN_COMPARE_ROWS = 30
#: The arrival-time column of ``labelled_new_rows``.
ARRIVED = "arrived_at"
#: The label key of each of ``labelled_new_rows``, as ``key_text`` (what a retraining's job keeps).
LABEL_KEY = "label_key"
_PREDICTED = "prediction"


def labelled_new_rows(ws: Workspace, model_id: int) -> pd.DataFrame:
    """Every stored incoming row that has a late label (the newest label of a key wins), oldest arrival first:
    the project's dataset columns with the target taken from the label, plus ``arrived_at`` and ``label_key``
    (the row's label key as ``key_text``). Empty without labels.
    """
    project_id = ws.get_model(model_id)["project_id"]
    target = read_card(ws.model_dir(model_id))["target"]
    dataset = active_dataset(ws, project_id)
    columns = [c["name"] for c in dataset["schema"]] if dataset else [target]
    latest = latest_labels(ws, project_id, target)
    scored = scored_batches(ws, model_id) if latest else pd.DataFrame()
    if scored.empty:
        return pd.DataFrame(columns=[*columns, ARRIVED, LABEL_KEY])
    key, labels = latest
    joined, _ = join_labels(scored, labels, key, target)
    joined[target] = joined[ACTUAL]
    joined[LABEL_KEY] = key_text(joined[key])
    rows = joined.reindex(columns=[*columns, ARRIVED, LABEL_KEY])  # a dataset column the batches lack stays empty
    order = pd.to_datetime(rows[ARRIVED], utc=True, format="ISO8601").argsort(kind="stable")
    return rows.iloc[order].reset_index(drop=True)


def _retraining(ws: Workspace, model_id: int) -> dict:
    """The retraining parameters of the job that trained a model (empty for a model that is no retraining)."""
    run = ws.get_run(ws.get_model(model_id)["run_id"])
    job = ws.get_job(run["job_id"]) if run.get("job_id") else {}
    return (job.get("params") or {}).get("retrain", {})


def _keys(params: dict, name: str) -> set[str]:
    """A retraining's ``used_keys`` or ``held_keys`` as ``key_text`` (older jobs kept them as raw text)."""
    return set(key_text(pd.Series(params.get(name, []), dtype=object)).dropna())


def _training_table(base: pd.DataFrame, new: pd.DataFrame, schema: list[ColumnInfo], data: str,
                    window_rows: int | None) -> pd.DataFrame:
    """The dataset and the new rows (arrival order) stacked as ``data`` says; dataset rows count as oldest."""
    table = append_rows(base, new, schema)  # checked against the whole dataset (its known categories)
    if data == "new":
        return table.iloc[len(base):].reset_index(drop=True)
    return table.tail(window_rows).reset_index(drop=True) if data == "window" else table


def _check_choice(data: str, window_rows: int | None) -> None:
    if data not in DATA_CHOICES:
        raise TrainingError(f"The 'data' parameter of retrain must be one of {list(DATA_CHOICES)}. Got {data!r} "
                            "instead.")
    if data == "window" and (not isinstance(window_rows, int) or isinstance(window_rows, bool) or window_rows < 1):
        raise TrainingError(f"A sliding window needs a number of rows (a positive int). Got {window_rows!r} "
                            "instead.")


def retrain(ws: Workspace, project_id: int, data: str = "reference+new", window_rows: int | None = None) -> dict:
    """Store a retraining table as a new dataset version and start a background job that trains the champion run's
    recipe and settings on it; the job's best model becomes the challenger. Returns the job.

    ``data``: "reference+new" (the champion's training data and the labelled new rows), "new" (new rows only) or
    "window" (the most recent ``window_rows`` rows of both, by arrival). The most recent ``HOLDOUT_SHARE`` of the
    new rows is left out to compare on, when that leaves at least ``MIN_COMPARE_ROWS`` rows.
    """
    _check_choice(data, window_rows)
    champion_id = ws.get_project(project_id)["champion_model_id"]
    if not champion_id:
        raise TrainingError("This project has no champion to retrain: train models on Train and choose one on "
                            "Evaluate first.")
    refuse_if_running(ws, project_id)
    run = ws.get_run(ws.get_model(champion_id)["run_id"])
    inputs = run_inputs(ws, run)
    problem = inputs.problem
    new = labelled_new_rows(ws, champion_id)
    new = new[~new[LABEL_KEY].isin(_keys(_retraining(ws, champion_id), "used_keys"))]  # already in its data
    if new.empty:
        raise TrainingError("There are no labelled new rows to retrain on: upload new data and then its late labels "
                            "(Monitor → Late labels) first.")
    held = math.floor(len(new) * HOLDOUT_SHARE)
    held = held if held >= MIN_COMPARE_ROWS else 0
    used, held_rows = new.iloc[:len(new) - held], new.iloc[len(new) - held:]
    schema = [ColumnInfo(**row) for row in inputs.dataset["schema"]]
    table = _training_table(inputs.frame, used.drop(columns=[ARRIVED, LABEL_KEY]), schema, data, window_rows)
    name = _table_name(data, len(used), len(new), held, len(table))
    try:
        prepare_run(inputs._replace(frame=table))
    except (TargetError, RecipeError) as exc:
        raise TrainingError(f"Cannot retrain on {name}: {exc}") from exc
    dataset = ws.add_dataset(project_id, table, name=name, source=f"retrain:{data}", schema=inputs.dataset["schema"],
                             notes=[f"Built to retrain model {champion_id} (run {run['id']}); {held:,} most recent "
                                    "labelled rows held out to compare champion and challenger on."])
    used_keys = used[LABEL_KEY].tolist()
    if data == "window":
        used_keys = used_keys[max(0, len(used_keys) - len(table)):]
    job = ws.create_job(project_id, "train", {"retrain": {
        "run_id": run["id"], "dataset_id": dataset["id"], "champion_id": champion_id, "data": data,
        "window_rows": window_rows, "key": latest_labels(ws, project_id, problem.target)[0], "new_rows": len(new),
        "held_out": held, "used_keys": used_keys, "held_keys": held_rows[LABEL_KEY].tolist()}})
    spawn_worker(ws, job["id"])
    return ws.get_job(job["id"])


def data_signature(ws: Workspace, project_id: int) -> tuple:
    """What a comparison depends on besides the two models: the stored batches and label files there are."""
    return (tuple(b["id"] for b in ws.list_batches(project_id)),
            tuple(f["id"] for f in ws.list_labels(project_id)))


def latest_job(ws: Workspace, project_id: int) -> dict | None:
    """The project's newest retraining job (refreshed: a dead process shows as interrupted), or None."""
    job = next((j for j in ws.list_jobs(project_id) if (j["params"] or {}).get("retrain")), None)
    return refresh_job(ws, job["id"]) if job else None


def _table_name(data: str, n_used: int, n_new: int, n_held: int, n_rows: int) -> str:
    """The dataset name the versions table shows: what was trained on and how many new rows were held out."""
    held = f"{n_held:,} held out" if n_held else "none held out"
    if data == "new":
        return f"retrain: {n_used:,} of {n_new:,} new rows ({held})"
    if data == "window":
        return f"retrain: sliding window of the latest {n_rows:,} rows ({n_new:,} new rows, {held})"
    return f"retrain: reference + {n_used:,} of {n_new:,} new rows ({held})"


# -- champion vs challenger ---------------------------------------------------------------------------------------

class Comparison(NamedTuple):
    """Champion (A) and challenger (B) on the same rows: per metric both scores with their 95% intervals, B − A
    with its paired-bootstrap interval and a verdict; ``rows`` scored, ``source`` "recent" or "validation" and
    a sentence saying which rows these are."""

    table: pd.DataFrame
    champion_id: int
    challenger_id: int
    rows: int
    source: str
    where: str


def compare_on_recent(ws: Workspace, project_id: int, challenger_id: int | None = None, n_boot: int = 200
                      ) -> Comparison:
    """Score the champion and a challenger (default: the project's current one) on the labelled new rows the
    challenger's retraining held out, or, when fewer than ``MIN_COMPARE_ROWS`` are there, on the challenger run's
    validation rows."""
    champion_id = ws.get_project(project_id)["champion_model_id"]
    challenger_id = challenger_id or challenger(ws, project_id)
    if not champion_id or not challenger_id:
        raise TrainingError("There is no champion and challenger to compare: retrain the champion first.")
    if challenger_id == champion_id:
        raise TrainingError(f"Model {challenger_id} is the champion itself; compare it with a challenger.")
    card = read_card(ws.model_dir(challenger_id))
    problem = Problem(card["target"], card["task"], card["metric"])
    rows, source, where = _recent_rows(ws, project_id, champion_id, challenger_id, problem)
    if source == "validation":
        rows = _validation_rows(ws, challenger_id)
    y_true = _truth(rows[problem.target], problem.task)
    a, b = (_predict(ws, model_id, rows, problem.task) for model_id in (champion_id, challenger_id))
    table = compare_predictions(problem.task, problem.metric, y_true, a, b, n_boot)
    for side, p in (("a", a), ("b", b)):
        bounds = [metric_interval(m, y_true, p.y_pred, p.proba, p.classes, n_boot) for m in table["metric"]]
        table[f"{side}_low"], table[f"{side}_high"] = [x[0] for x in bounds], [x[1] for x in bounds]
    table["verdict"] = table["verdict"].map({"A better": "champion better", "B better": "challenger better"}
                                            ).fillna(table["verdict"])
    return Comparison(table, champion_id, challenger_id, len(rows), source, where)


def _recent_rows(ws: Workspace, project_id: int, champion_id: int, challenger_id: int,
                 problem: Problem) -> tuple[pd.DataFrame, str, str]:
    """The labelled new rows the challenger's retraining held out (less any the champion trained on), "recent"
    and a sentence naming them; or, with fewer than ``MIN_COMPARE_ROWS``, those rows, "validation" and why."""
    new = labelled_new_rows(ws, champion_id)
    new = new[new[problem.target].notna()]
    params = _retraining(ws, challenger_id)
    champion_seen = _keys(_retraining(ws, champion_id), "used_keys")
    if "held_keys" in params:  # the rows this very retraining left out
        held = _keys(params, "held_keys")
        rows = new[new[LABEL_KEY].isin(held - champion_seen)]
        n_new = params.get("new_rows", len(params["used_keys"]) + len(held))
        which = f"the {len(held):,}" if len(rows) == len(held) else f"{len(rows):,} of the {len(held):,}"
        what = (f"{which} labelled new rows held out of the retraining (the challenger was trained on the other "
                f"{n_new - len(held):,} of {n_new:,})")
        if not held:
            why = (f"the retraining held out none of its {n_new:,} labelled new rows: {HOLDOUT_SHARE:.0%} of them "
                   f"would have been fewer than {MIN_COMPARE_ROWS}")
        else:
            why = f"only {what} are left to compare on ({MIN_COMPARE_ROWS} are needed)"
    else:  # a retraining from before held-out keys were kept: the rows neither model's data lists
        rows = new[~new[LABEL_KEY].isin(champion_seen | _keys(params, "used_keys"))]
        what = f"the {len(rows):,} labelled new rows neither model was trained on"
        why = f"only {len(rows):,} labelled new rows were left out of training ({MIN_COMPARE_ROWS} are needed)"
    if len(rows) >= MIN_COMPARE_ROWS:
        return rows.reset_index(drop=True), "recent", f"{what}: rows neither model was trained on"
    return rows, "validation", (f"the challenger run's validation rows, because {why}. The champion may have been "
                                "trained on some of these rows, which favours it")


def _validation_rows(ws: Workspace, model_id: int) -> pd.DataFrame:
    """The raw rows (every column) of a model's run's validation split, as in training."""
    run = stored_run(ws, ws.get_model(model_id)["run_id"])
    return run.data.rows.iloc[run.split.valid].reset_index(drop=True)


def _truth(values: pd.Series, task: str) -> np.ndarray:
    return values.astype(float).to_numpy() if task == "regression" else values.astype(str).to_numpy()


def _predict(ws: Workspace, model_id: int, rows: pd.DataFrame, task: str) -> Predictions:
    pipeline, card = ws.load_model(model_id)
    predicted = predict_frame(pipeline, rows, card["features"], task, model_threshold(ws, model_id))
    classes = [c.removeprefix("proba_") for c in predicted.columns if c.startswith("proba_")] or None
    proba = None if classes is None else predicted[[f"proba_{c}" for c in classes]].to_numpy(dtype=float)
    return Predictions(_truth(predicted[_PREDICTED], task), proba, classes)
