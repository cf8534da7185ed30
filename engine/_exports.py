"""Lazy public names for the stage packages: ``from engine.prepare import validate_recipe`` imports one module.

A stage's ``__init__`` lists which module holds each public name; a name is imported on first use. Stages import
each other's modules (train uses evaluate's metrics, data's problem does too), so eager package imports would
tie them in a circle, and a bundle or server that needs two modules would load a whole stage.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, modules: dict[str, tuple[str, ...]]) -> tuple[list[str], Callable, Callable]:
    """``__all__``, ``__getattr__`` and ``__dir__`` for ``package``, whose names live in the given modules."""
    home = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str):
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{home[name]}"), name)

    def __dir__() -> list[str]:
        return sorted(home)

    return sorted(home), __getattr__, __dir__
