"""The pure parts of a deployment bundle: which code and packages a fitted model needs, and the bundle's texts.

A bundle serves one model without the workbench installed. Unpickling a workbench pipeline imports the
``engine`` modules its steps are defined in (``engine.prepare.transformers.KindCaster`` …), and the server itself is
``engine.deploy.serving.create_app``; so the bundle carries exactly those modules and the ``engine`` modules they
import,
under ``workbench_runtime/engine/`` with an empty package ``__init__`` (the real one imports the whole library).
Which modules: the classes and functions pickling the pipeline references (``pickled_modules``), closed over the
``engine`` imports in their source (``engine_modules``). Which packages: the serving stack, plus the distributions
of every third-party module the pickle or the vendored code imports (e.g. pyarrow, for pandas string arrays kept
in a fitted step), each pinned to the version installed here.

>>> sorted(engine_modules({"engine.deploy.serving"}))[:3]  # the server, its NumPy scorer and what that reads
['engine.data.schema', 'engine.deploy.record_scoring', 'engine.deploy.serving']
>>> "pydantic" in third_party_modules(["engine.deploy.serving"])
True
"""

from __future__ import annotations

import ast
import io
import pickle
import sys
import zipfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from engine.errors import ModelError

__all__ = [
    "RUNTIME_DIR",
    "SERVING_PACKAGES",
    "BundleError",
    "distributions",
    "dockerfile",
    "dockerignore",
    "engine_modules",
    "engine_sources",
    "pickled_modules",
    "pins",
    "readme",
    "requirements",
    "serve_script",
    "third_party_modules",
    "zip_files",
]

#: Folder of the bundle that holds the vendored ``engine`` package; ``serve.py`` puts it first on ``sys.path``.
RUNTIME_DIR = "workbench_runtime"
#: What serving needs whatever the model: the pipeline's libraries and the web stack.
SERVING_PACKAGES = ("scikit-learn", "pandas", "numpy", "scipy", "joblib", "fastapi", "uvicorn", "pydantic")
#: The serving code ``serve.py`` calls; ``engine.deploy.onnx_feeds`` joins when the bundle holds a verified ONNX export.
SERVING_MODULES = ("engine.deploy.serving",)
ONNX_MODULES = ("engine.deploy.onnx_feeds",)
_ENGINE = Path(__file__).resolve().parents[1]  # the engine package
_INIT = '"""The workbench engine modules this model needs, vendored from the workbench; nothing else is here."""\n'
_LEGACY_INIT = (_INIT + "\nfrom engine import legacy\n\n"
                "legacy.install()  # files written before December 2026 name the old module paths\n")
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # fixed, so the same inputs give the same zip bytes


class BundleError(ModelError):
    """A model's deployment bundle cannot be made (e.g. it needs a module that is not an installed package)."""


# -- what the model needs ---------------------------------------------------------------------------------------

def pickled_modules(obj) -> set[str]:
    """The modules of every class and function pickling ``obj`` refers to by name (what unpickling imports)."""
    found: set[str] = set()

    class _Recorder(pickle.Pickler):
        def reducer_override(self, value):
            found.add(type(value).__module__)
            if isinstance(value, type) or callable(value):
                found.add(getattr(value, "__module__", None) or "builtins")
            return NotImplemented

    _Recorder(io.BytesIO(), protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return found


def engine_modules(roots: Iterable[str]) -> set[str]:
    """``roots`` (``engine.*`` names) and every ``engine`` module they import, anywhere in their source."""
    found: set[str] = set()
    todo = [m for m in roots if m.split(".", 1)[0] == "engine"]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        todo += [m for m in _imports(name, top_level_only=False) if m.split(".", 1)[0] == "engine"]
    return found


def third_party_modules(modules: Iterable[str]) -> set[str]:
    """Top-level names of the packages the given ``engine`` modules import when loaded (module level)."""
    names = {m.split(".", 1)[0] for module in modules for m in _imports(module, top_level_only=True)}
    return {n for n in names if n != "engine" and n not in sys.stdlib_module_names and n != "__future__"}


def distributions(modules: Iterable[str]) -> set[str]:
    """The installed distributions (pip names) providing these top-level modules; stdlib and builtins are skipped.

    Raises BundleError for a module no installed distribution provides (it could not be installed elsewhere).
    """
    provided = metadata.packages_distributions()
    found, unknown = set(), []
    for name in {m.split(".", 1)[0] for m in modules if m}:
        if name in sys.stdlib_module_names or name in ("builtins", "engine", "__main__") or name.startswith("_cython"):
            continue  # _cython_*: the type of Cython-compiled functions, not a module anyone imports
        if name not in provided:
            unknown.append(name)
            continue
        found.add(provided[name][0])
    if unknown:
        raise BundleError(f"The model needs modules no installed package provides: {sorted(unknown)}; "
                          "a bundle could not install them, so none is made.")
    return found


def engine_sources(modules: Iterable[str]) -> dict[str, str]:
    """Bundle paths -> source text of the ``engine`` modules, with an empty ``__init__`` for each package; when
    ``engine.legacy`` is among them the top ``__init__`` installs it, so files naming old module paths load too."""
    files = {}
    for name in sorted(modules):
        parts = name.split(".")
        for depth in range(1, len(parts)):
            files[f"{RUNTIME_DIR}/{'/'.join(parts[:depth])}/__init__.py"] = _INIT
        if name != "engine":
            files[f"{RUNTIME_DIR}/{name.replace('.', '/')}.py"] = _module_path(name).read_text()
    files.setdefault(f"{RUNTIME_DIR}/engine/__init__.py", _INIT)
    if "engine.legacy" in modules:
        files[f"{RUNTIME_DIR}/engine/__init__.py"] = _LEGACY_INIT
    return files


def _is_package(name: str) -> bool:
    return name.split(".", 1)[0] == "engine" and _ENGINE.joinpath(*name.split(".")[1:]).is_dir()


def _is_module(name: str) -> bool:
    return _ENGINE.joinpath(*name.split(".")[1:]).with_suffix(".py").is_file()


def _module_path(name: str) -> Path:
    path = _ENGINE.joinpath(*name.split(".")[1:]).with_suffix(".py")
    if not path.is_file():
        raise BundleError(f"The model refers to '{name}', which is not a module of this workbench's engine; "
                          "retrain the model with this version of the workbench.")
    return path


def _imports(name: str, *, top_level_only: bool) -> set[str]:
    """Modules ``name`` imports (``from engine.explore import plots`` counts as ``engine.explore.plots``)."""
    if name == "engine":
        return set()
    tree = ast.parse(_module_path(name).read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _is_package(node.module):  # `from engine.explore import plots`: the names must be modules
                missing = [a.name for a in node.names if not _is_module(f"{node.module}.{a.name}")]
                if missing:
                    raise BundleError(f"'{name}' imports {missing} from the package '{node.module}' itself, which "
                                      "a bundle does not carry; import them from their modules.")
                found |= {f"{node.module}.{a.name}" for a in node.names}
            else:
                found.add(node.module)
    return found


def pins(packages: Iterable[str]) -> tuple[str, ...]:
    """``name==version`` of each installed distribution, sorted by name (the spelling pip prints)."""
    found = {metadata.metadata(p)["Name"].lower(): metadata.version(p) for p in packages}
    return tuple(f"{name}=={version}" for name, version in sorted(found.items()))


def requirements(packages: Iterable[str]) -> str:
    """``requirements.txt``: each distribution pinned to the version installed here."""
    return ("# What serve.py needs, pinned to the versions the model was trained and checked with.\n"
            + "".join(f"{pin}\n" for pin in pins(packages)))


# -- the bundle's files -----------------------------------------------------------------------------------------

def serve_script() -> str:
    """``serve.py``: check the model file against the card's sha256, load it, serve it with the vendored app."""
    return _SERVE


def dockerfile() -> str:
    return _DOCKERFILE


def dockerignore() -> str:
    return ".venv/\nvenv/\n__pycache__/\n*.pyc\n.git/\n*.zip\n"


def readme(card: dict, files: Iterable[str], curl: str, python: str) -> str:
    """``README.md``: what is inside, how to run it with and without Docker, a curl example, threshold, sha256."""
    threshold = card.get("decision_threshold")
    decision = (f"For the positive class '{(card.get('classes') or ['', ''])[-1]}' the server applies the decision "
                f"threshold {threshold:g}: a row is predicted positive when its probability is at least that. "
                "`model.joblib` decides at the same threshold: loaded in your own code, its `predict` agrees "
                "with the server."
                if threshold is not None else
                "No decision threshold was saved: the server predicts the most probable class."
                if card.get("task") == "classification" else "A regression model: the prediction is the value.")
    vendored = sorted(Path(n).name for n in files if n.startswith(f"{RUNTIME_DIR}/") and not n.endswith("__init__.py"))
    inside = "\n".join(f"- `{name}`{_FILE_NOTES.get(name, '')}" for name in sorted(files)
                       if not name.startswith(f"{RUNTIME_DIR}/"))
    inside += f"\n- `{RUNTIME_DIR}/engine/`{_FILE_NOTES[RUNTIME_DIR]}: {', '.join(vendored)}"
    return _README.format(target=card.get("target"), family=card.get("family"), task=card.get("task"),
                          estimator=card.get("estimator"), sha256=card.get("sha256"), inside=inside, curl=curl,
                          decision=decision, python=python, runtime=RUNTIME_DIR)


def zip_files(files: dict[str, str | bytes]) -> bytes:
    """A zip of ``files`` (path -> text or bytes), the same bytes for the same files; ``serve.py`` executable."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if name == "serve.py" else 0o644) << 16
            data = files[name]
            archive.writestr(info, data.encode() if isinstance(data, str) else data)
    return buffer.getvalue()


_FILE_NOTES = {
    "model.joblib": ": the scikit-learn Pipeline (raw columns in; with a decision threshold, inside a "
                    "`FixedThresholdClassifier` whose `predict` decides at it); its sha256 is in `card.json`",
    "model.skops": ": the same pipeline in skops format (loads without running code; its workbench types are in "
                   f"`{RUNTIME_DIR}/`)",
    "model.onnx": ": the ONNX export, checked against scikit-learn on the validation rows",
    "card.json": ": the model card (features, metrics, threshold, sha256, versions)",
    "MODEL_CARD.md": ": the model card to read",
    "serve.py": ": the REST server (FastAPI + uvicorn)",
    "requirements.txt": ": the exact packages serve.py needs",
    "Dockerfile": ": the container image (python:3.11-slim, non-root, port 8000)",
    "README.md": ": this file",
    RUNTIME_DIR: ": the workbench code the pipeline's steps and the server are defined in",
}

_SERVE = '''\
"""Serve this model as a REST API: POST /predict, GET /health, GET /model, docs at /docs.

    pip install -r requirements.txt
    python serve.py [--host 127.0.0.1] [--port 8000] [--runtime auto|onnx|scikit-learn] [--max-body-bytes N]

Open by default: anyone who reaches the port may score rows and read the card. Set WORKBENCH_API_TOKEN (or pass
--token) to require 'Authorization: Bearer <token>' on /predict and /model; /health stays open. Bodies over
--max-body-bytes (1 MiB) answer 413.

model.joblib is loaded only when it matches the sha256 in card.json (and model.onnx the sha256 of its export);
the workbench code it needs is in workbench_runtime/, so the workbench itself need not be installed.
"""

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "workbench_runtime"))


def verified(path: Path, sha256: str | None) -> Path:
    """``path`` when its sha256 is the recorded one; otherwise stop before anything is loaded."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if not sha256 or digest != sha256:
        sys.exit(f"{path.name} does not match the sha256 in card.json ({digest} != {sha256}); not loading it.")
    return path


def build_app(runtime: str = "auto", token: str | None = None, max_body_bytes: int = 1 << 20):
    import joblib
    from sklearn.model_selection import FixedThresholdClassifier

    from engine.deploy.serving import create_app

    card = json.loads((HERE / "card.json").read_text())
    model = joblib.load(verified(HERE / "model.joblib", card["sha256"]))
    # With a decision threshold, model.joblib is the pipeline inside a FixedThresholdClassifier (so its predict
    # decides at it in one's own code); the server applies the threshold to the probabilities itself, so it serves
    # the pipeline inside, once thresholded and on its fast path.
    pipeline = model.estimator if isinstance(model, FixedThresholdClassifier) else model
    threshold = card.get("decision_threshold")
    limits = {"token": token or None, "max_body_bytes": max_body_bytes}
    onnx_file = HERE / "model.onnx"
    if runtime == "scikit-learn" or (runtime == "auto" and not onnx_file.is_file()):
        return create_app(pipeline, card, threshold=threshold, **limits)
    if not onnx_file.is_file():
        sys.exit("This bundle has no model.onnx; serve it with --runtime scikit-learn.")
    from engine.deploy.onnx_feeds import OnnxRunner
    from engine.deploy.serving import onnx_predictor

    export = (card.get("exports") or {}).get("model.onnx") or {}
    runner = OnnxRunner(verified(onnx_file, export.get("sha256")).read_bytes(), card["features"])
    classes = list(getattr(pipeline, "classes_", [])) or None
    predictor = onnx_predictor(runner, classes, card["task"], threshold)
    return create_app(pipeline, card, threshold=threshold, predictor=predictor, runtime="onnx", **limits)


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve this model as a REST API.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 in a container)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--runtime", choices=("auto", "onnx", "scikit-learn"), default="auto",
                        help="auto: the ONNX export when the bundle has one, else the scikit-learn pipeline")
    parser.add_argument("--token", default=os.environ.get("WORKBENCH_API_TOKEN") or None,
                        help="require 'Authorization: Bearer TOKEN' on /predict and /model (default: the "
                        "WORKBENCH_API_TOKEN environment variable). Without one the API is OPEN to anyone who "
                        "reaches the port; /health always stays open")
    parser.add_argument("--max-body-bytes", type=int, default=1 << 20,
                        help="larger request bodies answer 413 (default: 1 MiB)")
    args = parser.parse_args()
    import uvicorn

    app = build_app(args.runtime, args.token, args.max_body_bytes)
    access = "a bearer token is required" if args.token else "OPEN: no token (set WORKBENCH_API_TOKEN to require one)"
    print(f"serving on http://{args.host}:{args.port} with {app.state.runtime} (docs at /docs); {access}",
          flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
'''

_DOCKERFILE = """\
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
RUN useradd --create-home --uid 10001 model
COPY --chown=model:model . .
USER model
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \\
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"
CMD ["python", "serve.py", "--host", "0.0.0.0", "--port", "8000"]
"""

_README = """\
# Model: {target} ({family}, {task})

A self-contained REST server for one model trained with Workbench: `{estimator}`, a scikit-learn Pipeline that
takes the raw columns. It does not need the workbench installed: the workbench code the pipeline's steps are
defined in travels in `{runtime}/`.

## What is inside

{inside}

Model file sha256: `{sha256}`. `serve.py` refuses to load `model.joblib` unless it matches (and `model.onnx`
unless it matches the sha256 its export recorded).

## Run it without Docker

Python {python} (the version the model was trained with; 3.11 or newer):

```bash
python -m venv .venv
.venv/bin/pip install -r requirements.txt
.venv/bin/python serve.py --port 8000            # --runtime scikit-learn to skip the ONNX export
```

## Run it with Docker

```bash
docker build -t workbench-model .
docker run --rm -p 8000:8000 -e WORKBENCH_API_TOKEN workbench-model
```

The image runs as a non-root user and reports its health from `GET /health`.

## Who may call it

Open by default: without a token, anyone who reaches the port may score rows and read the model card. Before
exposing it on a network, set `WORKBENCH_API_TOKEN` (or pass `--token`): `/predict` and `/model` then answer 401
unless the request sends `Authorization: Bearer <token>` (add `-H "Authorization: Bearer $WORKBENCH_API_TOKEN"`
to the command below); `/health` stays open. Request bodies over 1 MiB answer 413 (`--max-body-bytes`).

## Score rows

`POST /predict` takes one row as a JSON object or many as a list of objects; every column is required and may be
null (a gap is filled as in training). `GET /model` shows the card and the input schema; `/docs` is interactive.

```bash
{curl}
```

{decision}
"""
