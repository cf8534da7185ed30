"""A run's inputs, resolved once: its dataset and table, column schema, problem, recipe and settings, then its
training rows and split. A training job, the command line, evaluation, retraining and replay build these values
once and pass them down, instead of each step loading the table again.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from engine import Problem, TrainingData, TrainingError, split_rows, training_data, validate_recipe
from engine.data.schema import ColumnInfo, schema_from_dicts
from engine.errors import ColumnError, TargetError
from engine.prepare.split import Split
from storage import Workspace
from usecases.projects import active_dataset, project_problem, project_recipe, project_schema

__all__ = ["PreparedRun", "RunInputs", "prepare_run", "project_inputs", "run_inputs", "stored_run"]


class RunInputs(NamedTuple):
    """What a run trains from: the dataset record (name, sha256, n_rows; an ``id`` when stored) and its table,
    the column schema, problem, recipe and settings."""

    dataset: dict
    frame: pd.DataFrame
    schema: list[ColumnInfo]
    problem: Problem
    recipe: dict
    settings: dict


class PreparedRun(NamedTuple):
    """A run's inputs with the rows it learns from (``data``: rows with a target, target, features, X, fitter)
    and the split training makes of them (positions into ``data.rows``)."""

    inputs: RunInputs
    data: TrainingData
    split: Split


def prepare_run(inputs: RunInputs) -> PreparedRun:
    """The training rows and split of ``inputs``: same table, recipe and seed, same rows, whoever asks (training,
    the final test, explanations, retraining, replay)."""
    data = training_data(inputs.frame, inputs.schema, inputs.problem, inputs.recipe)
    split = split_rows(data.y, inputs.problem.task, inputs.recipe["split"], data.rows)
    return PreparedRun(inputs, data, split)


def project_inputs(ws: Workspace, project_id: int) -> RunInputs:
    """The project's active dataset (its table read once), schema with the user's overrides, problem, recipe and
    stored settings."""
    dataset = active_dataset(ws, project_id)
    if dataset is None:
        raise ColumnError("This project has no data yet; upload a file or open a sample on the Data page.")
    problem = project_problem(ws, project_id)
    if problem is None:
        raise TargetError("Choose a target column on the Data page first.")
    return RunInputs(dataset, ws.load_dataset(dataset["id"]), project_schema(ws, project_id), problem,
                     project_recipe(ws, project_id), ws.get_project(project_id)["settings"] or {})


def run_inputs(ws: Workspace, run: dict, dataset: dict | None = None) -> RunInputs:
    """The exact inputs of a stored run: its dataset version (checked against the run's sha256), its schema
    (the project's current one for runs saved before schemas were stored), problem, recipe and settings.
    ``dataset``: another version to train the run's choices on instead (a retraining); its table is the one read."""
    if dataset is None:
        dataset = ws.get_dataset(run["dataset_id"])
        if dataset["sha256"] != run["dataset_sha256"]:
            raise TrainingError(f"The data of run {run['id']} has changed since it ran (sha256 "
                                f"{run['dataset_sha256'][:12]}… then, {dataset['sha256'][:12]}… now).")
    schema = schema_from_dicts(run["schema"]) if run.get("schema") else project_schema(ws, run["project_id"])
    return RunInputs(dataset, ws.load_dataset(dataset["id"]), schema, Problem(**run["problem"]),
                     validate_recipe(run["recipe"]), run["settings"])


def stored_run(ws: Workspace, run_id: int) -> PreparedRun:
    """A stored run's inputs, training rows and split, rebuilt from its dataset, recipe and seed."""
    return prepare_run(run_inputs(ws, ws.get_run(run_id)))
