"""The ``workbench-runtime`` wheel of a stored model: what makes its downloaded ``.joblib`` / ``.skops`` load in a
plain Python environment, and the one ``pip install`` line that says so.

The pipeline comes from storage verified against its recorded sha256; a skops export, when the model has one,
adds the modules of the types it holds (its trusted types). A workspace model's wheel is kept next to it and made
again only when the model, its skops file, the vendored sources or the installed versions changed (checking that
reads a few source files; building unpickles the model, about a second, too slow for every page run).
"""

from __future__ import annotations

from pathlib import Path

from engine.deploy.export import model_card_markdown
from engine.deploy.runtime import RuntimeWheel, build_wheel, install_command, wheel_filename
from storage import Workspace, now, read_export, read_model_dir, write_export
from usecases import export

__all__ = ["RuntimeWheel", "card_markdown", "install_command", "model_dir_runtime_wheel", "runtime_wheel"]

#: The wheel's name in the model's folder; it is downloaded under its own file name (``RuntimeWheel.filename``).
WHEEL_FILE = "workbench_runtime.whl"


def runtime_wheel(ws: Workspace, model_id: int) -> RuntimeWheel:
    """The runtime wheel of workspace model ``model_id`` (``.filename``, ``.data``, ``.requires``).

    >>> wheel = runtime_wheel(ws, model_id)  # doctest: +SKIP
    >>> install_command(wheel, skops=True)  # doctest: +SKIP
    'pip install joblib==1.6.0 numpy==2.4.6 … skops==0.16.0 ./workbench_runtime-1.0+d0315901aafa-py3-none-any.whl'
    """
    skops = export.skops_export(ws, model_id)  # made once (the Deploy page offers it beside the wheel); checks the id
    key = {"model_sha256": ws.get_model(model_id)["sha256"], "skops_sha256": skops.info.get("sha256")}
    kept = read_export(ws.model_dir(model_id), WHEEL_FILE)
    if kept is not None and kept[0] is not None and all(kept[1].get(k) == v for k, v in key.items()):
        info = kept[1]
        if wheel_filename(info["modules"], info["packages"]) == info["filename"]:
            return RuntimeWheel(info["filename"], kept[0], tuple(info["requires"]), tuple(info["modules"]),
                                tuple(info["packages"]))
    pipeline, _ = ws.load_model(model_id)
    wheel = build_wheel(pipeline, skops.info.get("trusted_types") or ())
    write_export(ws.model_dir(model_id), WHEEL_FILE, wheel.data,
                 {**key, "created_at": now(), "filename": wheel.filename, "requires": list(wheel.requires),
                  "modules": list(wheel.modules), "packages": list(wheel.packages)})
    return wheel


def model_dir_runtime_wheel(model_dir: str | Path) -> RuntimeWheel:
    """The runtime wheel of a model directory written by ``python -m engine train`` (checked by its card's sha256)."""
    pipeline, _ = read_model_dir(model_dir)
    skops = read_export(model_dir, export.SKOPS_FILE)
    return build_wheel(pipeline, (skops[1].get("trusted_types") or ()) if skops else ())


def card_markdown(ws: Workspace, model_id: int) -> str:
    """The model card as Markdown, naming the exact runtime wheel and pins that load the model elsewhere."""
    wheel = runtime_wheel(ws, model_id)  # first: it keeps the skops export the card then lists
    return model_card_markdown(export.card_json(ws, model_id), install_command(wheel))
