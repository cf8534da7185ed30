"""A fit abandoned by the time budget runs to its end before the process exits.

Abandoned fits used to run in daemon threads, which the interpreter tears down at exit in the middle of native
code; a 10,000-row ``train`` then died with SIGABRT ("terminate called without an active exception", exit 134).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}

_ABANDON = """
import sys, time
from pathlib import Path
from engine.train.training import TimeBudgetExceeded, call_before

def slow_fit():
    time.sleep(1.5)
    Path(sys.argv[1]).write_text("finished")

try:
    call_before(time.monotonic() + 0.2, slow_fit)
except TimeBudgetExceeded:
    print("abandoned")
"""


def test_the_interpreter_lets_an_abandoned_fit_finish_before_it_exits(tmp_path):
    marker = tmp_path / "finished.txt"
    result = subprocess.run([sys.executable, "-c", _ABANDON, str(marker)], cwd=ROOT, env=ENV, capture_output=True,
                            text=True, timeout=60)
    assert (result.returncode, result.stdout) == (0, "abandoned\n"), result.stderr
    assert marker.read_text() == "finished"  # not torn down at exit


def test_train_with_a_budget_that_runs_out_mid_fit_exits_cleanly(tmp_path):
    rng = np.random.default_rng(0)
    n = 3_000
    frame = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(8)})
    frame["city"] = rng.choice(["north", "south", "east", "west"], size=n)
    frame["plan"] = rng.choice([f"p{i}" for i in range(30)], size=n)
    frame["channel"] = rng.choice(["web", "shop", "phone"], size=n)
    frame["y"] = (frame["x0"] + (frame["city"] == "north") + rng.normal(size=n) > 0.5).astype(int)
    frame.to_csv(tmp_path / "rows.csv", index=False)
    result = subprocess.run([sys.executable, "-m", "engine", "train", "--data", str(tmp_path / "rows.csv"),
                             "--target", "y", "--time-budget", "15", "--out", str(tmp_path / "model")], cwd=ROOT,
                            env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "model" / "model.joblib").exists()
