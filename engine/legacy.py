"""Old module paths, still importable: model files name the module of every class they hold.

Until December 2026 the engine was 50 flat modules (``engine.transformers``, ``engine.training`` …). A model an
analyst downloaded then names ``engine.transformers.KindCaster`` inside its pickle or skops file; unpickling
imports that module. ``MOVED_MODULES`` maps each old path to where the module lives now, and a finder on
``sys.meta_path`` (installed by ``import engine``) answers an import of an old path with the module itself, loaded
from its new place: the same module object, so classes compare equal and nothing runs twice.

New code imports the new paths; ``tests/test_architecture.py`` refuses an old one anywhere in the project.

>>> import importlib
>>> importlib.import_module("engine.transformers") is importlib.import_module("engine.prepare.transformers")
True
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["MOVED_MODULES", "current_name", "install"]

#: Old module path -> the module's path since the engine moved into stage packages.
MOVED_MODULES = {f"engine.{old}": f"engine.{new}" for old, new in {
    "io": "data.io", "sources": "data.append", "sql": "data.sql", "web": "data.web", "samples": "data.samples",
    "schema": "data.schema", "problem": "data.problem",
    "profile": "explore.profile", "plots": "explore.plots", "report": "explore.report",
    "recipe": "prepare.recipe", "recipe_steps": "prepare.steps", "recipe_advice": "prepare.advice",
    "preprocessing": "prepare.pipeline", "transformers": "prepare.transformers", "cleaners": "prepare.cleaners",
    "features": "prepare.features", "selection": "prepare.selection", "rows": "prepare.rows",
    "split": "prepare.split", "split_advisor": "prepare.split_advisor", "leakage": "prepare.leakage",
    "models": "train.catalog", "model_families": "train.families", "training": "train.training",
    "tuning": "train.tuning", "tuning_report": "train.tuning_report", "automl": "train.automl",
    "metrics": "evaluate.metrics", "evaluation_plots": "evaluate.plots", "explain": "evaluate.explain",
    "comparison": "evaluate.comparison", "conformal": "evaluate.conformal", "replay": "evaluate.replay",
    "run_diff": "evaluate.run_diff",
    "export": "deploy.export", "onnx_converters": "deploy.onnx_converters", "onnx_feeds": "deploy.onnx_feeds",
    "serving": "deploy.serving", "bundle": "deploy.bundle", "predict": "deploy.predict",
    "report_html": "deploy.project_report",
    "drift": "monitor.drift", "drift_plots": "monitor.drift_plots", "decay": "monitor.decay",
    "decay_plots": "monitor.decay_plots", "webhook": "monitor.webhook",
}.items()}


def current_name(dotted: str) -> str:
    """``dotted`` (a module or ``module.Class`` path) with an old module path replaced by the current one.

    >>> current_name("engine.transformers.KindCaster")
    'engine.prepare.transformers.KindCaster'
    """
    module, _, rest = dotted.partition(".")
    for old, new in MOVED_MODULES.items():
        if dotted == old or dotted.startswith(old + "."):
            return new + dotted[len(old):]
    return f"{module}.{rest}" if rest else module


_OWN_SPECS: dict = {}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old module path and loads it as the module at its new path."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED_MODULES:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module(MOVED_MODULES[spec.name])
        _OWN_SPECS[module.__name__] = module.__spec__  # the import system overwrites it with the old path's spec
        return module

    def exec_module(self, module):
        """Nothing to run (the module was loaded from its new path); restore its own spec."""
        module.__spec__ = _OWN_SPECS[module.__name__]


def install() -> None:
    """Put the finder on ``sys.meta_path`` once."""
    if not any(isinstance(f, _MovedModules) for f in sys.meta_path):
        sys.meta_path.append(_MovedModules())
