"""The ``workbench-runtime`` wheel of a stored model: what makes its downloaded ``.joblib`` / ``.skops`` load in a
plain Python environment, and the one ``pip install`` line that says so.

The pipeline comes from storage verified against its recorded sha256; a skops export, when the model has one,
adds the modules of the types it holds (its trusted types).
"""

from __future__ import annotations

from pathlib import Path

from engine.deploy.runtime import RuntimeWheel, build_wheel, install_command
from storage import Workspace, read_export, read_model_dir
from usecases import export

__all__ = ["RuntimeWheel", "install_command", "model_dir_runtime_wheel", "runtime_wheel"]


def runtime_wheel(ws: Workspace, model_id: int) -> RuntimeWheel:
    """The runtime wheel of workspace model ``model_id`` (``.filename``, ``.data``, ``.requires``).

    >>> wheel = runtime_wheel(ws, model_id)  # doctest: +SKIP
    >>> install_command(wheel, skops=True)  # doctest: +SKIP
    'pip install joblib==1.5.2 numpy==2.3.4 … skops==0.13.0 ./workbench_runtime-1.0+3f1c…-py3-none-any.whl'
    """
    pipeline, _ = ws.load_model(model_id)
    skops = export.skops_export(ws, model_id)  # made once; the Deploy page offers it beside the wheel
    return build_wheel(pipeline, skops.info.get("trusted_types") or ())


def model_dir_runtime_wheel(model_dir: str | Path) -> RuntimeWheel:
    """The runtime wheel of a model directory written by ``python -m engine train`` (checked by its card's sha256)."""
    pipeline, _ = read_model_dir(model_dir)
    skops = read_export(model_dir, export.SKOPS_FILE)
    return build_wheel(pipeline, (skops[1].get("trusted_types") or ()) if skops else ())
