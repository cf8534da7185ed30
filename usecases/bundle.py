"""Deployment bundle: one model as a zip that serves it anywhere Python (or Docker) runs.

The zip holds the model (``model.joblib``; ``model.skops`` when it stores; ``model.onnx`` when its export passed
its check), ``card.json`` + ``MODEL_CARD.md``, ``serve.py``, the workbench code the pipeline and the server need
(``workbench_runtime/engine/``), a pinned ``requirements.txt``, a ``Dockerfile`` + ``.dockerignore`` and a README;
also the model's runtime wheel (``workbench_runtime-….whl``), which loads ``model.joblib`` in one's own code.
Everything comes from the stored pipeline verified against the sha256 in the workspace database.

``model.joblib`` is the file Deploy's "Model (.joblib)" download gives (``export.joblib_download``): with a saved
decision threshold, the pipeline inside a ``FixedThresholdClassifier``, so its ``predict`` decides as the app does.
The bundle's card names that file's sha256, the one ``serve.py`` checks before loading it.
"""

from __future__ import annotations

import hashlib
import json
import platform

from engine.deploy.bundle import (
    ONNX_MODULES,
    SERVING_MODULES,
    SERVING_PACKAGES,
    distributions,
    dockerfile,
    dockerignore,
    engine_modules,
    engine_sources,
    pickled_modules,
    readme,
    requirements,
    serve_script,
    third_party_modules,
    zip_files,
)
from engine.deploy.export import model_card_markdown, with_threshold
from engine.deploy.serving import curl_command
from storage import Workspace
from usecases import export
from usecases.evaluation import model_threshold
from usecases.runtime import install_command, runtime_wheel

__all__ = ["bundle_bytes", "bundle_files", "bundle_name"]


def bundle_files(ws: Workspace, model_id: int) -> dict[str, str | bytes]:
    """The bundle's files (path -> text or bytes) for workspace model ``model_id``."""
    model_file = export.joblib_download(ws, model_id)  # from the pipeline checked against the database's sha256
    pipeline, _ = ws.load_model(model_id)
    model = with_threshold(pipeline, model_threshold(ws, model_id))  # what model.joblib holds
    files: dict[str, str | bytes] = {"model.joblib": model_file}
    skops = export.skops_export(ws, model_id)  # made once; before the card, which lists the exports
    if skops.data is not None:
        files["model.skops"] = skops.data
    onnx = export.onnx_status(ws, model_id)
    roots = set(SERVING_MODULES)
    packages = set(SERVING_PACKAGES)
    if onnx is not None and onnx.data is not None:
        files["model.onnx"] = onnx.data
        roots |= set(ONNX_MODULES)
        packages.add("onnxruntime")
    wheel = runtime_wheel(ws, model_id)
    files[wheel.filename] = wheel.data
    card = {**export.card_json(ws, model_id), "sha256": hashlib.sha256(model_file).hexdigest()}
    found = pickled_modules(model)
    # engine.legacy: a model trained before the stage packages names the old module paths
    modules = engine_modules(roots | {"engine.legacy"} | {m for m in found if m.split(".", 1)[0] == "engine"})
    packages |= distributions(found | third_party_modules(modules))
    files.update(engine_sources(modules))
    files.update({"card.json": json.dumps(card, indent=2, default=str) + "\n",
                  "MODEL_CARD.md": model_card_markdown(card, install_command(wheel)), "serve.py": serve_script(),
                  "requirements.txt": requirements(packages), "Dockerfile": dockerfile(),
                  ".dockerignore": dockerignore()})
    curl = curl_command("http://localhost:8000", card["features"])  # never the app's own token
    files["README.md"] = readme(card, [*files, "README.md"], curl, platform.python_version())
    return files


def bundle_bytes(ws: Workspace, model_id: int) -> bytes:
    """The deployment bundle of ``model_id`` as zip bytes."""
    return zip_files(bundle_files(ws, model_id))


def bundle_name(ws: Workspace, model_id: int) -> str:
    """A file name for the bundle: ``<project>-model-<id>-bundle.zip``."""
    project = ws.get_project(ws.get_model(model_id)["project_id"])
    return f"{project['name']}-model-{model_id}-bundle.zip".replace(" ", "_")
