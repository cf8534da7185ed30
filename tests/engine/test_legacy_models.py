"""Model files written before the engine moved into stage packages still load and predict the same values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from engine.deploy.export import loads_skops, untrusted_skops_types
from engine.legacy import MOVED_MODULES, current_name

LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy_models"
EXPECTED = json.loads((LEGACY / "expected.json").read_text())


def _rows() -> pd.DataFrame:
    frame = pd.read_csv(LEGACY / "rows.csv")
    frame["plan"] = frame["plan"].astype(object)
    return frame


def _predict(model, name: str):
    return model.predict(_rows()) if name == "scaled-regression" else model.predict_proba(_rows())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_joblib_written_before_the_move_predicts_the_same(name):
    model = joblib.load(LEGACY / f"{name}.joblib")
    np.testing.assert_allclose(_predict(model, name), EXPECTED[name], rtol=0, atol=1e-9)
    assert type(model[0].steps[0][1]).__module__ == "engine.prepare.transformers"  # loaded from the new home


def test_skops_written_before_the_move_loads_with_the_old_type_names():
    data = (LEGACY / "target-encoding-pca.skops").read_bytes()
    assert "engine.transformers.KindCaster" in untrusted_skops_types(data)
    model = loads_skops(data)
    np.testing.assert_allclose(model.predict_proba(_rows()), EXPECTED["target-encoding-pca"], rtol=0, atol=1e-9)


def test_old_module_paths_import_as_the_moved_module_in_a_fresh_interpreter():
    script = ("import importlib, engine.transformers as old, engine.prepare.transformers as new\n"
              "assert old is new and new.__spec__.name == 'engine.prepare.transformers'\n"
              "from engine.training import refit\n"
              "assert refit.__module__ == 'engine.train.training'\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=LEGACY.parents[2], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]


def test_every_moved_module_exists():
    import importlib

    assert all(importlib.import_module(new).__name__ == new for new in MOVED_MODULES.values())
    assert current_name("engine.export._ClipBounds") == "engine.deploy.export._ClipBounds"
    assert current_name("sklearn.pipeline.Pipeline") == "sklearn.pipeline.Pipeline"


def test_old_files_load_into_the_shared_base_class_and_still_name_their_columns():
    from engine.prepare.transformers import ColumnStep, FrameTransformer

    model = joblib.load(LEGACY / "many-steps.joblib")
    stages = [stage for _, stage in model[0].steps]
    inner = [s.transformer_ for s in stages if isinstance(s, ColumnStep) and s.transformer_ is not None]
    ours = [t for t in stages + inner if type(t).__module__.startswith("engine.")]
    assert len(ours) > len(stages) and all(isinstance(t, FrameTransformer) for t in ours)
    for transformer in ours:
        assert len(transformer.get_feature_names_out()) >= 1
    assert list(model[0].get_feature_names_out()) == list(stages[-1].feature_names_in_)
