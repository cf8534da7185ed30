"""``python -m engine profile``: the same overview as the Explore page, written as JSON or HTML."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from usecases.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "tiny_churn.csv"


def test_profile_writes_json_with_stats_warnings_and_correlations(tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["profile", "--data", str(DATA), "--target", "churned", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["target"] == "churned" and report["task"] == "classification"
    assert report["overview"]["n_columns"] == 6
    columns = {c["column"]: c for c in report["columns"]}
    assert set(columns) == {"customer_id", "age", "plan", "visits", "signup", "churned"}
    assert columns["age"]["min"] == 20
    assert {"check", "column", "message"} <= set(report["warnings"][0])
    assert ("id-like", "customer_id") in {(w["check"], w["column"]) for w in report["warnings"]}
    assert report["correlations"]["pearson"]["matrix"]["age"]["age"] == pytest.approx(1.0)
    assert report["correlations"]["mixed"]["rows_used"] == report["overview"]["n_rows"]
    assert {row["feature"] for row in report["target_association"]} >= {"age", "plan", "visits"}
    assert capsys.readouterr().out.endswith(f"wrote {out}\n")


def test_profile_without_target_has_no_target_association(tmp_path):
    out = tmp_path / "report.json"
    assert main(["profile", "--data", str(DATA), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["target"] is None and report["target_association"] is None


def test_profile_writes_a_standalone_html_report(tmp_path):
    out = tmp_path / "sub" / "report.html"
    result = subprocess.run([sys.executable, "-m", "engine", "profile", "--data", str(DATA), "--target", "churned",
                             "--out", str(out)], cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<h1>tiny_churn.csv</h1>" in page
    assert page.count("* plotly.js v") == 1 and 'src="https://cdn' not in page


@pytest.mark.parametrize("args, message", [
    (["--target", "nope", "--out", "r.json"], "Target column 'nope' is not in the data"),
    (["--out", "r.txt"], "--out must end in .json or .html. Got 'r.txt' instead."),
], ids=["unknown-target", "bad-suffix"])
def test_profile_rejects_bad_input_with_one_line(tmp_path, capsys, args, message):
    args = [a if not a.startswith("r.") else str(tmp_path / a) for a in args]
    assert main(["profile", "--data", str(DATA), *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_profile_of_a_short_wide_file_bounds_its_associations_and_report(tmp_path):
    """5 rows × 1,000 columns (the shape that once took gigabytes): the matrices keep 50 columns and say so."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(5, 1_000)).round(3) * np.arange(1, 1_001),
                         columns=[f"x{i}" for i in range(1_000)])
    frame.to_csv(tmp_path / "wide.csv", index=False)
    out = tmp_path / "report.json"
    assert main(["profile", "--data", str(tmp_path / "wide.csv"), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert len(report["columns"]) == 1_000
    for method in ("pearson", "spearman", "mixed"):
        correlations = report["correlations"][method]
        assert (correlations["columns_used"], correlations["columns_total"]) == (50, 1_000)
        assert len(correlations["matrix"]) == 50 and len(correlations["top_pairs"]) == 10
        assert correlations["note"] == "Associations computed for the 50 most variable of 1,000 columns."
    assert out.stat().st_size < 1_500_000
