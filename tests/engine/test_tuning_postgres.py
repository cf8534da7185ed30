"""Scale-out: two worker processes share one study through a real PostgreSQL server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from engine import Problem, infer_schema, validate_recipe
from engine.train.automl import tuning_spec
from engine.train.tuning import create_study, open_storage

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@pytest.mark.slow
def test_two_workers_contribute_trials_to_one_study(postgres_url, tmp_path):
    X, y = make_classification(n_samples=200, n_features=4, random_state=1)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["y"] = np.where(y == 1, "yes", "no")
    frame.to_parquet(tmp_path / "data.parquet")
    spec = tuning_spec(str(tmp_path / "data.parquet"), Problem("y", "classification", "roc_auc"),
                       validate_recipe({}), infer_schema(frame),
                       {"automl": True, "search": "random", "pruner": "none", "cv_folds": 2, "seed": 3},
                       ["linear", "random_forest"])
    storage = open_storage(postgres_url)
    create_study(spec, storage, "shared")
    workers = [subprocess.Popen([sys.executable, "-m", "engine", "worker", "--study", "shared", "--storage",
                                 postgres_url, "--n-trials", "4", "--worker", str(k)], cwd=ROOT, env=ENV,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in (1, 2)]
    outputs = [w.communicate(timeout=240) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    study = optuna.load_study(study_name="shared", storage=storage)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == 8
    assert len({t.user_attrs["worker"] for t in done}) == 2  # both processes ran trials
    best = max(done, key=lambda t: t.value)
    assert study.best_trial.number == best.number and study.best_value == best.value
    assert all("ran 4 trials of study 'shared'; study best value" in out for out, _ in outputs)
    storage.remove_session()
    storage.engine.dispose()
