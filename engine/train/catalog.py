"""The model catalog: which families learn which task, their estimators, search spaces, grids and limits.

The families themselves are declared in ``engine.train.families``; this module is the API.

>>> make_estimator("random_forest", "regression", seed=0).n_estimators
200
>>> make_estimator("gradient_boosting", "regression", 0, {"loss": "absolute_error", "max_iter": 50}).loss
'absolute_error'
>>> too_slow("svm", 50_000)[:55]
'Kernel SVM gets slow beyond 20,000 training rows (this '
"""

from __future__ import annotations

from typing import Any

from engine.errors import RecipeError
from engine.train.families import AUTOML_PORTFOLIO, LARGE_ROWS, MODELS, ModelFamily, forest_size

__all__ = [
    "DEFAULT_FAMILIES",
    "MODELS",
    "ModelFamily",
    "automl_portfolio",
    "default_models",
    "family_for_task",
    "grid_for",
    "make_estimator",
    "model_label",
    "models_for_task",
    "params_for_rows",
    "suggest_params",
    "too_slow",
]

DEFAULT_FAMILIES = ("baseline", "linear", "random_forest", "gradient_boosting")
"""Trained when the user picks nothing: fast, robust on any table size, and different from each other."""


ENSEMBLE_LABEL = "Voting ensemble of the best models"


def model_label(name: str) -> str:
    """What the UI calls a trained model: its family's label, or the ensemble's."""
    return ENSEMBLE_LABEL if name == "ensemble" else MODELS[name].label


def family_for_task(name: str, task: str) -> ModelFamily:
    """The family called ``name``, checked to be able to learn ``task``."""
    if name not in MODELS:
        raise RecipeError(f"Unknown model '{name}'; choose one of {list(MODELS)}.")
    family = MODELS[name]
    if task not in family.tasks:
        raise RecipeError(f"Model '{name}' ({family.label}) cannot do {task}; choose one of {models_for_task(task)}.")
    return family


def models_for_task(task: str) -> list[str]:
    """Names of the families that can learn ``task``, in catalog order."""
    return [name for name, family in MODELS.items() if task in family.tasks]


def default_models(task: str) -> list[str]:
    """The families trained when the user picks nothing (see ``DEFAULT_FAMILIES``)."""
    return [name for name in models_for_task(task) if name in DEFAULT_FAMILIES]


def make_estimator(name: str, task: str, seed: int, params: dict[str, Any] | None = None):
    """A fresh, unfitted estimator of family ``name`` for ``task``; ``params`` override the family's defaults.

    ``params`` use the family's own names (those of ``MODELS[name].defaults[task]``) plus ``loss``, one of
    ``MODELS[name].losses[task]``; the family maps them onto the estimator.
    """
    family = family_for_task(name, task)
    given = dict(params or {})
    losses = family.losses.get(task, ())
    loss = given.pop("loss", losses[0] if losses else None)
    unknown = sorted(set(given) - set(family.defaults[task]))
    if unknown:
        raise RecipeError(f"Model '{name}' has no parameter {unknown} for {task}; its parameters are "
                          f"{sorted(family.defaults[task])}{' and loss' if losses else ''}.")
    if loss is not None and loss not in losses:
        choices = f"choose one of {list(losses)}" if losses else "it has no choice of loss"
        raise RecipeError(f"Model '{name}' cannot minimise the loss {loss!r} for {task}; {choices}.")
    complete = {**family.defaults[task], **given}
    if losses:
        complete["loss"] = loss
    return family.build(task, complete, seed)


def suggest_params(name: str, trial, task: str, prefix: str = "") -> dict[str, Any]:
    """Parameters for ``make_estimator`` drawn by an Optuna ``trial``; ``prefix`` namespaces the trial's names."""
    family = family_for_task(name, task)
    return {} if family.space is None else family.space(trial, task, prefix)


def params_for_rows(name: str, params: dict[str, Any], rows: int, outputs: int = 1) -> dict[str, Any]:
    """``params`` a fit on ``rows`` rows can take: k-NN asks for at most as many neighbours as there are rows (a
    search space up to 50 neighbours would fail every such trial on a small table's folds); a forest gets at most
    the trees, then the leaves, that keep it within ``FOREST_MAX_BYTES`` (``forest_size``; ``outputs``: the classes,
    1 for regression)."""
    if name == "knn" and "n_neighbors" in params and rows >= 1:
        return {**params, "n_neighbors": min(int(params["n_neighbors"]), rows)}
    if name in ("random_forest", "extra_trees") and params.get("max_leaf_nodes") is None:
        complete = {**MODELS[name].defaults["regression"], **params}
        asked = int(complete["n_estimators"])
        trees, leaves = forest_size(asked, rows, int(complete["min_samples_leaf"]), outputs)
        sized = params if trees == asked else {**params, "n_estimators": trees}
        return sized if leaves is None else {**sized, "max_leaf_nodes": leaves}
    return params


def automl_portfolio(families: list[str], task: str, rows: int = 0) -> list[tuple[str, dict[str, Any]]]:
    """``(family, space params)`` of the first trials an AutoML search over ``families`` on ``rows`` training rows
    runs, in running order (``engine.train.families.AUTOML_PORTFOLIO``): points for large data only from their
    ``min_rows``, heavy ones (k-NN, kernel SVM, MLP) only below ``LARGE_ROWS``."""
    return [(point.family, dict(point.params[task])) for point in AUTOML_PORTFOLIO
            if point.family in families and task in point.params and rows >= point.min_rows
            and not (point.heavy and rows >= LARGE_ROWS)]


def grid_for(name: str, task: str) -> dict[str, list]:
    """Values per parameter for Optuna's ``GridSampler`` (a copy; empty when the family has nothing to search)."""
    family = family_for_task(name, task)
    return {param: list(values) for param, values in family.grid.get(task, {}).items()}


def too_slow(name: str, n_rows: int) -> str | None:
    """A plain-English warning when ``n_rows`` training rows make family ``name`` slow, else ``None``."""
    if name not in MODELS:
        raise RecipeError(f"Unknown model '{name}'; choose one of {list(MODELS)}.")
    family = MODELS[name]
    if family.slow_rows is None or n_rows <= family.slow_rows:
        return None
    instead = " or ".join(MODELS[a].label for a in family.alternatives)
    return (f"{family.label} gets slow beyond {family.slow_rows:,} training rows (this data has {n_rows:,}): "
            f"expect minutes per fit{'; try ' + instead if instead else ''}.")
