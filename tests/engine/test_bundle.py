"""The pure parts of a deployment bundle: which engine modules and packages a pipeline needs, and the texts."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from importlib import metadata

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from engine.deploy.bundle import (
    RUNTIME_DIR,
    BundleError,
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
from engine.prepare.pipeline import signed_log1p
from engine.prepare.transformers import KindCaster


def _pipeline() -> Pipeline:
    X = pd.DataFrame({"age": [20.0, 30.0, 40.0, 50.0]})
    return Pipeline([("cast", KindCaster([("age", "numeric")])), ("log", FunctionTransformer(signed_log1p)),
                     ("model", LogisticRegression())]).fit(X, [0, 0, 1, 1])


def test_pickled_modules_name_the_classes_and_functions_unpickling_imports():
    found = pickled_modules(_pipeline())
    assert {"engine.prepare.transformers", "engine.prepare.pipeline", "sklearn.pipeline", "numpy"} <= found
    assert not any(m.startswith("engine.deploy.export") for m in found)


def test_engine_modules_are_closed_over_their_engine_imports():
    assert engine_modules({"engine.prepare.transformers"}) == {
        "engine.prepare.transformers", "engine.errors", "engine.data.schema"}
    assert engine_modules({"engine.deploy.onnx_feeds", "sklearn.pipeline"}) == {
        "engine.deploy.onnx_feeds", "engine.data.schema", "engine.errors"}
    # the server needs only its own module
    assert "engine.deploy.predict" not in engine_modules({"engine.deploy.serving"})


def test_serving_code_imports_only_what_a_bundle_installs():
    # scikit-learn and SciPy: the NumPy scorer reads the fitted pipeline's steps (engine.deploy.record_scoring)
    assert third_party_modules(engine_modules({"engine.deploy.serving", "engine.deploy.onnx_feeds"})) == {
        "fastapi", "numpy", "pandas", "pydantic", "scipy", "sklearn"}


def test_distributions_map_modules_to_pip_names_and_refuse_unknown_ones():
    assert distributions({"sklearn.pipeline", "numpy._core.numeric", "builtins", "collections", "engine.data.schema",
                          "_cython_3_3_0"}) == {"scikit-learn", "numpy"}
    with pytest.raises(BundleError, match="no_such_package"):
        distributions({"no_such_package.sub"})


def test_requirements_pin_the_installed_versions():
    text = requirements(["scikit-learn", "pandas", "numpy"])
    pins = dict(line.split("==") for line in text.splitlines() if not line.startswith("#"))
    assert pins == {name: metadata.version(name) for name in ("numpy", "pandas", "scikit-learn")}


def test_engine_sources_vendor_the_modules_with_an_empty_package():
    files = engine_sources({"engine.prepare.transformers", "engine.errors"})
    assert set(files) == {f"{RUNTIME_DIR}/engine/__init__.py", f"{RUNTIME_DIR}/engine/prepare/__init__.py",
                          f"{RUNTIME_DIR}/engine/prepare/transformers.py", f"{RUNTIME_DIR}/engine/errors.py"}
    assert "import" not in files[f"{RUNTIME_DIR}/engine/__init__.py"]
    assert "import" not in files[f"{RUNTIME_DIR}/engine/prepare/__init__.py"]  # a stage's real one lists its names
    assert "class KindCaster" in files[f"{RUNTIME_DIR}/engine/prepare/transformers.py"]
    with pytest.raises(BundleError, match="not a module"):
        engine_sources({"engine.gone"})


def test_dockerfile_builds_a_small_non_root_image_that_reports_health():
    text = dockerfile()
    lines = text.splitlines()
    assert lines[0] == "FROM python:3.11-slim"
    assert "RUN pip install --no-cache-dir -r requirements.txt" in lines
    user = next(i for i, line in enumerate(lines) if line.startswith("USER "))
    assert lines[user] != "USER root" and user > lines.index("RUN pip install --no-cache-dir -r requirements.txt")
    assert "EXPOSE 8000" in lines
    assert "HEALTHCHECK" in text and "/health" in text
    assert lines[-1] == 'CMD ["python", "serve.py", "--host", "0.0.0.0", "--port", "8000"]'
    assert ".venv/" in dockerignore() and "__pycache__/" in dockerignore()


def test_serve_script_checks_the_sha256_before_loading_and_uses_the_vendored_app():
    text = serve_script()
    compile(text, "serve.py", "exec")
    assert text.index("verified(HERE / \"model.joblib\"") < text.index("create_app(")
    assert f'HERE / "{RUNTIME_DIR}"' in text and "from engine.deploy.serving import create_app" in text
    assert "FastAPI(" not in text  # the app is the workbench's own, vendored


@pytest.mark.parametrize(("threshold", "expected"), [
    (0.3, "decision threshold 0.3"),
    (None, "most probable class"),
], ids=["threshold", "none"])
def test_readme_says_what_is_inside_how_to_run_and_the_threshold(threshold, expected):
    card = {"target": "churned", "task": "classification", "family": "linear", "estimator": "LogisticRegression",
            "sha256": "ab" * 32, "classes": ["no", "yes"], "decision_threshold": threshold}
    text = readme(card, ["model.joblib", "serve.py", f"{RUNTIME_DIR}/engine/__init__.py",
                         f"{RUNTIME_DIR}/engine/errors.py"], "curl -s http://localhost:8000/predict", "3.11.7")
    assert expected in text and "ab" * 32 in text and "curl -s http://localhost:8000/predict" in text
    assert "docker build" in text and "pip install -r requirements.txt" in text
    assert f"`{RUNTIME_DIR}/engine/`" in text and "errors.py" in text


def test_zip_is_reproducible_and_serve_py_executable():
    files = {"serve.py": "print('hi')\n", "model.joblib": b"\x00\x01", "README.md": "# x\n"}
    data = zip_files(files)
    assert data == zip_files(dict(reversed(files.items())))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("model.joblib") == b"\x00\x01"
        assert (archive.getinfo("serve.py").external_attr >> 16) & 0o111
        assert np.all([archive.getinfo(n).date_time == (2026, 1, 1, 0, 0, 0) for n in archive.namelist()])


RICH = {  # recipes whose fitted steps live in most engine modules (transformers, cleaners, features, selection)
    "many-steps": [
        {"type": "drop_sparse", "columns": {"kind": "all"}, "params": {"threshold": 0.9}},
        {"type": "impute", "columns": {"kind": "numeric"}, "params": {"strategy": "mean", "indicator": True}},
        {"type": "impute", "columns": {"kind": "categorical"}, "params": {"strategy": "constant"}},
        {"type": "clip_outliers", "columns": {"kind": "numeric"}, "params": {}},
        {"type": "flag_outliers", "columns": {"kind": "numeric"}, "params": {}},
        {"type": "derive", "columns": {}, "params": {"op": "divide", "left": "age", "right": "visits"}},
        {"type": "power", "columns": {"kind": "numeric"}, "params": {"method": "log"}},
        {"type": "date_parts", "columns": {"kind": "datetime"}, "params": {"parts": ["year", "month"]}},
        {"type": "tfidf", "columns": {"kind": "text"}, "params": {"max_features": 5}},
        {"type": "encode", "columns": {"kind": "categorical"}, "params": {"method": "frequency"}},
        {"type": "select", "columns": {"kind": "all"}, "params": {"method": "model", "k": 4}}],
    "target-encoding-pca": [
        {"type": "impute", "columns": {"kind": "numeric"}, "params": {"strategy": "median"}},
        {"type": "encode", "columns": {"kind": "categorical"}, "params": {"method": "target"}},
        {"type": "date_parts", "columns": {"kind": "datetime"}, "params": {"parts": ["year"]}},
        {"type": "tfidf", "columns": {"kind": "text"}, "params": {"max_features": 3}},
        {"type": "pca", "columns": {"kind": "all"}, "params": {"n_components": 2}}],
}


def test_vendored_modules_are_enough_to_unpickle_and_serve(tmp_path):
    """Unpickle rich pipelines in a fresh interpreter that sees only site-packages and the vendored modules."""
    import joblib

    from engine import build_pipeline, validate_recipe
    from engine.data.schema import ColumnInfo
    from engine.deploy.bundle import ONNX_MODULES, SERVING_MODULES

    rng = np.random.default_rng(0)
    n = 40
    frame = pd.DataFrame({
        "age": rng.normal(40, 12, n).round(1), "visits": rng.integers(1, 30, n).astype(float),
        "plan": rng.choice(["basic", "pro", "team"], n).astype(object), "member": rng.choice(["yes", "no"], n),
        "signup": pd.date_range("2020-01-01", periods=n, freq="9D").astype(str),
        "note": rng.choice(["late delivery again", "great service", "asked about the price"], n)})
    frame.loc[[3, 17], "age"] = np.nan
    y = np.where(frame["visits"] > 14, "no", "yes")
    features = [ColumnInfo("age", "numeric", "float64", 2, 38), ColumnInfo("visits", "numeric", "float64", 0, 29),
                ColumnInfo("plan", "categorical", "object", 0, 3), ColumnInfo("member", "boolean", "object", 0, 2),
                ColumnInfo("signup", "datetime", "object", 0, n), ColumnInfo("note", "text", "object", 0, 3)]
    expected, roots = {}, set(SERVING_MODULES) | set(ONNX_MODULES)
    for name, steps in RICH.items():
        pipeline = build_pipeline(features, validate_recipe({"steps": steps}), LogisticRegression(max_iter=500),
                                  "classification").fit(frame, y)
        joblib.dump(pipeline, tmp_path / f"{name}.joblib")
        expected[name] = pipeline.predict_proba(frame).tolist()
        roots |= {m for m in pickled_modules(pipeline) if m.startswith("engine.")}
    modules = engine_modules(roots)
    assert {"engine.prepare.cleaners", "engine.prepare.features", "engine.prepare.selection",
            "engine.prepare.transformers"} <= modules
    for path, text in engine_sources(modules).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    frame.to_pickle(tmp_path / "frame.pkl")
    script = (f"import sys; sys.path.insert(0, {str(tmp_path / RUNTIME_DIR)!r})\n"
              "import json, joblib, pandas as pd, engine, engine.deploy.serving, engine.deploy.onnx_feeds\n"
              f"assert engine.__file__.startswith({str(tmp_path)!r}), engine.__file__\n"
              f"frame = pd.read_pickle({str(tmp_path / 'frame.pkl')!r})\n"
              f"print(json.dumps({{n: joblib.load({str(tmp_path)!r} + f'/{{n}}.joblib').predict_proba(frame).tolist()"
              f" for n in {list(RICH)!r}}}))\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([sys.executable, "-I", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout)
    for name in RICH:
        np.testing.assert_allclose(got[name], expected[name], rtol=0, atol=1e-12)


def test_vendored_code_installs_the_old_module_paths_when_legacy_is_vendored(tmp_path):
    """A bundle of a model trained before the stage packages: its pickle names engine.transformers."""
    files = engine_sources(engine_modules({"engine.prepare.transformers", "engine.legacy"}))
    assert "legacy.install()" in files[f"{RUNTIME_DIR}/engine/__init__.py"]
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    script = (f"import sys; sys.path.insert(0, {str(tmp_path / RUNTIME_DIR)!r})\n"
              "import engine, engine.transformers as old, engine.prepare.transformers as new\n"
              "assert old is new and engine.__file__.startswith(sys.path[0])\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([sys.executable, "-I", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
