"""Library versions recorded with every model, so a result can be reproduced."""

from __future__ import annotations

import platform
from importlib import metadata

__all__ = ["library_versions"]

_LIBRARIES = ("scikit-learn", "pandas", "numpy", "joblib", "scipy", "pyarrow")


def library_versions() -> dict[str, str]:
    """Python and the libraries a fitted pipeline depends on."""
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
