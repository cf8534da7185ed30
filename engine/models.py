"""The model catalog: each family's estimator for each task, with sensible defaults.

>>> make_estimator("random_forest", "regression", seed=0).n_estimators
200
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge

from engine.errors import RecipeError

__all__ = ["MODELS", "ModelFamily", "default_models", "make_estimator", "models_for_task"]


class ModelFamily(NamedTuple):
    label: str
    classifier: Callable[[int], object] | None
    regressor: Callable[[int], object] | None
    description: str


MODELS: dict[str, ModelFamily] = {
    "baseline": ModelFamily(
        "Baseline (majority class / mean)",
        lambda seed: DummyClassifier(strategy="prior"),
        lambda seed: DummyRegressor(strategy="mean"),
        "Predicts without looking at the features; every real model must beat it.",
    ),
    "linear": ModelFamily(
        "Logistic / linear regression",
        lambda seed: LogisticRegression(max_iter=2000, random_state=seed),
        lambda seed: Ridge(alpha=1.0, random_state=seed),
        "Fast and interpretable; works best when effects are roughly additive.",
    ),
    "random_forest": ModelFamily(
        "Random forest",
        lambda seed: RandomForestClassifier(n_estimators=200, n_jobs=-1, random_state=seed),
        lambda seed: RandomForestRegressor(n_estimators=200, n_jobs=-1, random_state=seed),
        "Many decision trees averaged; robust, little tuning needed.",
    ),
    "gradient_boosting": ModelFamily(
        "Gradient boosting (histogram)",
        lambda seed: HistGradientBoostingClassifier(random_state=seed),
        lambda seed: HistGradientBoostingRegressor(random_state=seed),
        "Trees built one after another to fix earlier errors; often the most accurate on tables.",
    ),
}


def models_for_task(task: str) -> list[str]:
    """Names of the families that can learn ``task``."""
    attr = "classifier" if task == "classification" else "regressor"
    return [name for name, family in MODELS.items() if getattr(family, attr) is not None]


def default_models(task: str) -> list[str]:
    """The families trained when the user picks nothing: all of them."""
    return models_for_task(task)


def make_estimator(name: str, task: str, seed: int):
    """A fresh, unfitted estimator of family ``name`` for ``task``."""
    if name not in MODELS:
        raise RecipeError(f"Unknown model '{name}'; choose one of {list(MODELS)}.")
    factory = MODELS[name].classifier if task == "classification" else MODELS[name].regressor
    if factory is None:
        raise RecipeError(f"Model '{name}' cannot do {task}.")
    return factory(seed)
