"""The workbench-runtime wheel of a small fitted pipeline: its members, RECORD hashes, pins, version and bytes."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from engine import build_pipeline, validate_recipe
from engine.data.schema import ColumnInfo
from engine.deploy import bundle
from engine.deploy.export import dumps_skops, model_card_markdown, untrusted_skops_types
from engine.deploy.runtime import build_wheel, install_command, wheel_filename

LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy_models"
FEATURES = [ColumnInfo("age", "numeric", "float64", 1, 10), ColumnInfo("plan", "categorical", "object", 0, 2)]
STEPS = [{"type": "impute", "columns": {"kind": "numeric"}, "params": {"strategy": "median"}},
         {"type": "encode", "columns": {"kind": "categorical"}, "params": {"method": "onehot"}}]


@pytest.fixture(scope="module")
def pipeline():
    X = pd.DataFrame({"age": [20.0, 31, np.nan, 45, 52, 38, 27, 60, 33, 41, 29, 55],
                      "plan": ["basic", "pro"] * 6})
    y = np.array(["no", "yes", "no", "yes", "yes", "no", "no", "yes", "no", "yes", "no", "yes"])
    model = build_pipeline(FEATURES, validate_recipe({"steps": STEPS}), LogisticRegression(), "classification")
    return model.fit(X, y)


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_wheel_holds_the_pickle_modules_with_empty_package_inits(pipeline):
    wheel = build_wheel(pipeline)
    members = _members(wheel.data)
    dist_info = wheel.filename.split("-py3")[0] + ".dist-info"
    assert wheel.filename.startswith("workbench_runtime-1.0+") and wheel.filename.endswith("-py3-none-any.whl")
    assert {"engine/__init__.py", "engine/prepare/__init__.py", "engine/prepare/transformers.py",
            "engine/errors.py", f"{dist_info}/METADATA", f"{dist_info}/WHEEL",
            f"{dist_info}/RECORD"} <= set(members)
    assert not any(name.startswith("engine/train/") or name.endswith("serving.py") for name in members)
    assert b"import" not in members["engine/prepare/__init__.py"]  # the real ones import the whole library
    assert members["engine/__init__.py"].endswith(b"from engine import legacy\n\nlegacy.install()  # files written "
                                                  b"before December 2026 name the old module paths\n")
    assert members["engine/prepare/transformers.py"].decode() == \
        bundle.engine_sources(["engine.prepare.transformers"])["workbench_runtime/engine/prepare/transformers.py"]
    assert b"Tag: py3-none-any\n" in members[f"{dist_info}/WHEEL"]


def test_record_lists_every_member_with_its_sha256_and_size(pipeline):
    members = _members(build_wheel(pipeline).data)
    record_name = next(n for n in members if n.endswith(".dist-info/RECORD"))
    rows = list(csv.reader(io.StringIO(members[record_name].decode())))
    assert sorted(row[0] for row in rows) == sorted(members)
    for path, digest, size in rows:
        if path == record_name:
            assert digest == size == ""
            continue
        expected = base64.urlsafe_b64encode(hashlib.sha256(members[path]).digest()).rstrip(b"=").decode()
        assert (digest, int(size)) == (f"sha256={expected}", len(members[path])), path


def test_metadata_pins_what_the_vendored_code_and_the_file_import(pipeline):
    wheel = build_wheel(pipeline)
    pins = dict(r.split("==") for r in wheel.requires)
    assert {"scikit-learn", "pandas", "numpy", "scipy", "joblib"} <= set(pins)
    assert not {"streamlit", "fastapi", "optuna", "skops"} & set(pins)
    assert all(metadata.version(name) == version for name, version in pins.items())
    text = next(v for k, v in _members(wheel.data).items() if k.endswith("METADATA")).decode()
    assert "Name: workbench-runtime\n" in text and "Requires-Python: >=3.11\n" in text
    assert [line.removeprefix("Requires-Dist: ") for line in text.splitlines()
            if line.startswith("Requires-Dist: ")] == list(wheel.requires)


def test_same_inputs_give_the_same_bytes_and_other_code_another_version(pipeline, monkeypatch):
    first = build_wheel(pipeline)
    assert build_wheel(pipeline) == first
    assert wheel_filename(first.modules, first.packages) == first.filename  # without unpickling or zipping
    sources = bundle.engine_sources
    changed = {"workbench_runtime/engine/errors.py": "# another workbench\n"}
    monkeypatch.setattr("engine.deploy.runtime.engine_sources", lambda modules: {**sources(modules), **changed})
    other = build_wheel(pipeline)
    assert other.filename != first.filename and other.requires == first.requires
    assert wheel_filename(first.modules, first.packages) == other.filename


def test_skops_types_add_their_modules(pipeline):
    types = untrusted_skops_types(dumps_skops(pipeline))
    plain = build_wheel(pipeline).modules
    assert build_wheel(pipeline, types).modules == plain  # all in the pickle already
    extra = build_wheel(pipeline, ["engine.deploy.onnx_feeds.OnnxRunner"]).modules
    assert "engine.deploy.onnx_feeds" in extra and "engine.deploy.onnx_feeds" not in plain


def test_install_command_names_the_pins_and_the_wheel_file(pipeline):
    wheel = build_wheel(pipeline)
    assert install_command(wheel) == f"pip install {' '.join(wheel.requires)} ./{wheel.filename}"
    assert f"skops=={metadata.version('skops')} ./" in install_command(wheel, skops=True)


def test_model_card_says_what_to_install_and_the_skops_trusted_types():
    card = {"versions": {"python": "3.11.7", "scikit-learn": "1.9.1", "pyarrow": "not installed"},
            "exports": {"model.skops": {"sha256": "ef" * 32, "rows": 10, "versions": {"skops": "0.13.0"},
                                        "trusted_types": ["engine.prepare.transformers.KindCaster"]}}}
    generic = model_card_markdown(card)
    assert "- **Install** (Python 3.11 or newer; trained with 3.11.7): `pip install scikit-learn==1.9.1` and this " \
           "model's `workbench-runtime` wheel" in generic
    assert "python -m engine runtime --workspace DIR --model-id N --out DIR" in generic
    assert "pyarrow==" not in generic
    assert ("- **skops** (also `pip install skops==0.13.0`): `model = skops.io.load('model.skops', "
            "trusted=['engine.prepare.transformers.KindCaster'])`") in generic
    exact = model_card_markdown(card, install="pip install numpy==2.3.4 ./workbench_runtime-1.0+abc-py3-none-any.whl")
    assert "): `pip install numpy==2.3.4 ./workbench_runtime-1.0+abc-py3-none-any.whl`\n" in exact


PREDICT = """\
import json, sys
import joblib, pandas as pd
sys.path.insert(0, sys.argv[1])
import engine
rows = pd.read_csv(sys.argv[3])
rows["plan"] = rows["plan"].astype(object)
model = joblib.load(sys.argv[2])
values = model.predict(rows) if sys.argv[4] == "predict" else model.predict_proba(rows)
print(json.dumps({"engine": engine.__file__, "values": values.tolist()}))
"""


@pytest.mark.parametrize("name", sorted(json.loads((LEGACY / "expected.json").read_text())))
def test_a_file_written_before_the_engine_moved_loads_with_its_wheel_alone(name, tmp_path):
    """The old file names ``engine.transformers`` …; the wheel's ``engine`` (first on the path of a process outside
    the repository) answers those names and predicts what the file predicted when it was written."""
    wheel = build_wheel(joblib.load(LEGACY / f"{name}.joblib"))
    with zipfile.ZipFile(io.BytesIO(wheel.data)) as archive:
        archive.extractall(tmp_path / "site")
    method = "predict" if name == "scaled-regression" else "predict_proba"
    run = subprocess.run([sys.executable, "-c", PREDICT, str(tmp_path / "site"), str(LEGACY / f"{name}.joblib"),
                          str(LEGACY / "rows.csv"), method], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120, env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout)
    assert got["engine"] == str(tmp_path / "site" / "engine" / "__init__.py")
    expected = json.loads((LEGACY / "expected.json").read_text())[name]
    np.testing.assert_allclose(got["values"], expected, rtol=0, atol=1e-9)
