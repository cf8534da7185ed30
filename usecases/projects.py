"""Project use cases: create, rename and delete a project; bring data in, define the problem, save the user's
choices."""

from __future__ import annotations

import os
import signal
import time

import pandas as pd

from engine import (
    DEFAULT_RECIPE,
    ColumnInfo,
    Problem,
    infer_schema,
    load_sample,
    propose_problem,
    read_table,
    validate_problem,
    validate_recipe,
    validate_settings,
)
from engine.data.append import append_rows as stack_rows
from engine.data.io import CsvOptions
from engine.data.samples import SAMPLES
from engine.data.schema import KINDS
from engine.errors import ColumnError, TargetError
from storage import Workspace
from usecases.jobs import ACTIVE, TRAINING_KINDS, cancel_job, is_worker_alive, refresh_job
from usecases.servers import refresh_servers, server_alive, stop_server

__all__ = [
    "add_frame",
    "create_project",
    "delete_project",
    "list_projects",
    "model_record",
    "open_project",
    "project_jobs",
    "project_models",
    "project_runs",
    "project_version",
    "rename_project",
    "active_dataset",
    "append_file",
    "import_file",
    "import_sample",
    "project_datasets",
    "project_frame",
    "project_problem",
    "project_recipe",
    "project_schema",
    "project_settings",
    "propose_for",
    "save_recipe",
    "save_settings",
    "set_active_dataset",
    "set_column_kinds",
    "set_problem",
]

#: How long a deleted project's job or server gets to stop after being asked, before it is killed.
STOP_SECONDS = 20.0


# -- lifecycle ------------------------------------------------------------------------------
def create_project(ws: Workspace, name: str) -> dict:
    """A new, empty project; names are unique and non-empty."""
    return ws.create_project(name)


def list_projects(ws: Workspace) -> list[dict]:
    """Every project, most recently changed first."""
    return ws.list_projects()


def open_project(ws: Workspace, project_id: int) -> dict:
    """The project's record (``NotFoundError`` when it is gone, e.g. deleted in another tab)."""
    return ws.get_project(project_id)


def rename_project(ws: Workspace, project_id: int, name: str) -> dict:
    return ws.rename_project(project_id, name)


def delete_project(ws: Workspace, project_id: int) -> None:
    """Stop the project's REST servers and background jobs, then delete its records and files.

    Stopping first matters: a server would keep answering with a model whose files are gone, and a job would
    keep writing models into a folder that no longer exists.
    """
    ws.get_project(project_id)  # a NotFoundError before anything is stopped
    for server in refresh_servers(ws, project_id):
        stop_server(ws, server)
        _wait_until(lambda s=server: not server_alive(s), server["pid"])
    for job in ws.list_jobs(project_id):
        if job["status"] in ACTIVE:
            _stop_job(ws, job["id"])
    ws.delete_project(project_id)


def _stop_job(ws: Workspace, job_id: int) -> None:
    """Cancel twice (the second skips a search's refit of its best parameters) and wait for the process."""
    cancel_job(ws, job_id)
    job = cancel_job(ws, job_id)
    _wait_until(lambda: not is_worker_alive(job["pid"], job_id), job["pid"])
    refresh_job(ws, job_id)  # reaps the worker when this process started it


def _wait_until(stopped, pid: int | None) -> None:
    """Poll ``stopped()`` for up to ``STOP_SECONDS``; then kill ``pid``, which ignored the polite request."""
    deadline = time.monotonic() + STOP_SECONDS
    while not stopped():
        if time.monotonic() > deadline:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, TypeError):
                pass
            return
        time.sleep(0.1)



# -- records a page shows -------------------------------------------------------------------
def project_models(ws: Workspace, project_id: int) -> list[dict]:
    """The project's model records, oldest first."""
    return ws.list_models(project_id)


def model_record(ws: Workspace, model_id: int) -> dict:
    """A model's record, with the task of the run that trained it under ``task``."""
    model = ws.get_model(model_id)
    return {**model, "task": ws.get_run(model["run_id"])["problem"]["task"]}


def project_runs(ws: Workspace, project_id: int) -> list[dict]:
    """The project's training runs, latest first."""
    return ws.list_runs(project_id)


def project_jobs(ws: Workspace, project_id: int) -> list[dict]:
    """The project's training jobs, latest first."""
    return [job for job in ws.list_jobs(project_id) if job["kind"] in TRAINING_KINDS]


def project_version(ws: Workspace, project_id: int) -> tuple:
    """What a report on the project depends on: its last change and its models' status and test scores."""
    return ws.get_project(project_id)["updated_at"], tuple(
        (m["id"], m["status"], bool(m["test_metrics"])) for m in ws.list_models(project_id))

def import_file(ws: Workspace, project_id: int, data: bytes, filename: str, *,
                options: CsvOptions | None = None, sheet: str | None = None) -> dict:
    """Parse an uploaded file, store it and make it the project's active dataset.

    ``options`` overrides how a text file is read, ``sheet`` picks an Excel sheet.
    """
    table = read_table(data, name=filename, options=options, sheet=sheet)
    name = f"{filename} [{table.sheet}]" if table.sheet else filename
    return add_frame(ws, project_id, table.frame, name, f"upload:{filename}", table.notes)


def append_file(ws: Workspace, project_id: int, data: bytes, filename: str, *,
                options: CsvOptions | None = None, sheet: str | None = None, onto: int | None = None) -> dict:
    """Add the rows of an uploaded file below the active dataset, as a new active version.

    The file must have the same columns, with values that fit each column's kind; the previous
    version is kept and column type overrides and the problem carry over. ``options`` and ``sheet``
    say how to read the file (as in ``import_file``); ``onto`` names the version to add the rows to
    instead of the active one (to read an appended file again with other options).
    """
    current = active_dataset(ws, project_id) if onto is None else ws.get_dataset(onto)
    if current is None:
        raise ColumnError("This project has no data to add rows to; upload a file first.")
    if current["project_id"] != project_id:
        raise ColumnError(f"Dataset {onto} belongs to another project; pick one of this project's datasets.")
    table = read_table(data, name=filename, options=options, sheet=sheet)
    frame = ws.load_dataset(current["id"])
    kinds = ws.get_project(project_id)["column_kinds"] or {}
    schema = _with_overrides([ColumnInfo(**row) for row in current["schema"]], kinds)
    combined = stack_rows(frame, table.frame, schema)
    base = current["name"].split(" + ")[0]
    notes = table.notes + [f"{len(table.frame):,} rows from '{filename}' were added to '{current['name']}' "
                           f"({len(frame):,} -> {len(combined):,} rows)."]
    dataset = add_frame(ws, project_id, combined, f"{base} + {filename}", f"append:{filename}", notes)
    ws.update_project(project_id, column_kinds=kinds)
    _record_appended(ws, project_id, table.frame, f"{filename} (added to data version #{current['id']})")
    return dataset


def _record_appended(ws: Workspace, project_id: int, frame: pd.DataFrame, name: str) -> None:
    """Appended rows are also new data for the champion's monitor; the same file read again (other options)
    replaces its earlier batch instead of counting twice."""
    champion = ws.get_project(project_id)["champion_model_id"]
    if not champion:
        return
    for batch in ws.list_batches(project_id):
        if batch["source"] == "append" and batch["name"] == name:
            ws.delete_batch(batch["id"])
    ws.add_batch(project_id, frame, source="append", name=name, model_id=champion)


def project_datasets(ws: Workspace, project_id: int) -> list[dict]:
    """Every dataset version of the project, newest first, each with ``active`` set."""
    active = ws.get_project(project_id)["dataset_id"]
    return [{**d, "active": d["id"] == active} for d in reversed(ws.list_datasets(project_id))]


def set_active_dataset(ws: Workspace, project_id: int, dataset_id: int) -> dict:
    """Work on another stored version; overrides and the problem stay where their columns still exist."""
    dataset = ws.get_dataset(dataset_id)
    if dataset["project_id"] != project_id:
        raise ColumnError(f"Dataset {dataset_id} belongs to another project; pick one of this project's datasets.")
    project = ws.get_project(project_id)
    columns = {row["name"] for row in dataset["schema"]}
    kinds = {c: k for c, k in (project["column_kinds"] or {}).items() if c in columns}
    changes: dict = {"dataset_id": dataset_id, "column_kinds": kinds}
    if project["problem"] and project["problem"].get("target") not in columns:
        changes["problem"] = None
    ws.update_project(project_id, **changes)
    return dataset


def import_sample(ws: Workspace, project_id: int, name: str) -> dict:
    """Store a bundled sample dataset and propose its documented target."""
    frame = load_sample(name)
    dataset = add_frame(ws, project_id, frame, f"{name} (sample)", f"sample:{name}", [])
    target = SAMPLES[name].target
    kind = {c.name: c.kind for c in project_schema(ws, project_id)}[target]
    set_problem(ws, project_id, propose_problem(frame[target], kind, target))
    return dataset


def add_frame(ws: Workspace, project_id: int, frame: pd.DataFrame, name: str, source: str, notes: list[str]) -> dict:
    """Store ``frame`` (from any source) with its inferred schema and make it the active dataset."""
    schema = infer_schema(frame)
    notes = notes + [f"Column '{c.name}' {c.note}." for c in schema if "mixes" in c.note]
    dataset = ws.add_dataset(project_id, frame, name=name, source=source,
                             schema=[c.to_dict() for c in schema], notes=notes)
    project = ws.get_project(project_id)
    changes: dict = {"dataset_id": dataset["id"], "column_kinds": {}}
    problem = project["problem"]
    if problem and problem.get("target") not in frame.columns:
        changes["problem"] = None
    ws.update_project(project_id, **changes)
    return dataset


def active_dataset(ws: Workspace, project_id: int) -> dict | None:
    """The record of the dataset the project works on, or None before any import."""
    dataset_id = ws.get_project(project_id)["dataset_id"]
    return ws.get_dataset(dataset_id) if dataset_id else None


def project_frame(ws: Workspace, project_id: int) -> pd.DataFrame:
    """The active dataset as a DataFrame."""
    dataset = active_dataset(ws, project_id)
    if dataset is None:
        raise ColumnError("This project has no data yet; upload a file or open a sample on the Data page.")
    return ws.load_dataset(dataset["id"])


def project_schema(ws: Workspace, project_id: int) -> list[ColumnInfo]:
    """Column kinds of the active dataset, with the user's overrides applied."""
    dataset = active_dataset(ws, project_id)
    if dataset is None:
        return []
    overrides = ws.get_project(project_id)["column_kinds"] or {}
    return _with_overrides([ColumnInfo(**row) for row in dataset["schema"]], overrides)


def _with_overrides(schema: list[ColumnInfo], overrides: dict[str, str]) -> list[ColumnInfo]:
    out = []
    for info in schema:
        kind = overrides.get(info.name, info.kind)
        note = info.note if kind == info.kind else f"set to {kind} by you (inferred {info.kind})"
        out.append(ColumnInfo(info.name, kind, info.dtype, info.n_missing, info.n_unique, note))
    return out


def set_column_kinds(ws: Workspace, project_id: int, overrides: dict[str, str]) -> list[ColumnInfo]:
    """Store per-column kind overrides (validated against the data)."""
    dataset = active_dataset(ws, project_id)
    if dataset is None:
        raise ColumnError("This project has no data yet; upload a file or open a sample on the Data page.")
    names = {row["name"]: row["kind"] for row in dataset["schema"]}
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise ColumnError(f"Columns {unknown} are not in the data.")
    bad = {c: k for c, k in overrides.items() if k not in KINDS}
    if bad:
        raise ColumnError(f"Unknown column kinds {bad}; use one of {list(KINDS)}.")
    changed = {c: k for c, k in overrides.items() if names[c] != k}
    ws.update_project(project_id, column_kinds=changed)
    return project_schema(ws, project_id)


def propose_for(ws: Workspace, project_id: int, target: str) -> Problem:
    """The task and metric the workbench proposes for ``target``."""
    frame = project_frame(ws, project_id)
    kinds = {c.name: c.kind for c in project_schema(ws, project_id)}
    if target not in frame.columns:
        raise TargetError(f"Target column '{target}' is not in the data.")
    return propose_problem(frame[target], kinds[target], target)


def set_problem(ws: Workspace, project_id: int, problem: Problem) -> list[str]:
    """Validate and store the problem definition; return notes for the user."""
    frame = project_frame(ws, project_id)
    notes = validate_problem(frame, problem)
    ws.update_project(project_id, problem=problem.to_dict())
    return notes


def project_problem(ws: Workspace, project_id: int) -> Problem | None:
    stored = ws.get_project(project_id)["problem"]
    return Problem(**stored) if stored else None


def project_recipe(ws: Workspace, project_id: int) -> dict:
    return validate_recipe(ws.get_project(project_id)["recipe"] or DEFAULT_RECIPE)


def save_recipe(ws: Workspace, project_id: int, recipe: dict) -> dict:
    recipe = validate_recipe(recipe)
    ws.update_project(project_id, recipe=recipe)
    return recipe


def project_settings(ws: Workspace, project_id: int) -> dict:
    problem = project_problem(ws, project_id)
    stored = ws.get_project(project_id)["settings"] or {}
    return validate_settings(stored, problem.task) if problem else stored


def save_settings(ws: Workspace, project_id: int, settings: dict) -> dict:
    problem = project_problem(ws, project_id)
    if problem is None:
        raise TargetError("Choose a target on the Data page before setting up training.")
    settings = validate_settings(settings, problem.task)
    ws.update_project(project_id, settings=settings)
    return settings
