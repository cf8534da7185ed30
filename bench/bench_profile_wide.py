"""Benchmark: ``python -m engine profile`` of a wide table, 1,000 rows × 10,000 columns (targets: under 30 s and
under 1 GB peak RSS; the report stays small).

    .venv/bin/python -m bench.bench_profile_wide [--rows 1000] [--columns 10000] [--target]

Generates the table (mostly numbers, every tenth column a category, a few missing cells) as a CSV, then profiles
it to JSON and to HTML, each in a fresh interpreter. That interpreter imports the command line, records its
resident memory (the baseline), runs the command, and reports its peak resident memory (``VmHWM``, which covers
the whole process life) and the command's wall time. Peak RSS is checked against the target; the rise above the
baseline is what the profile itself cost. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
MAX_SECONDS = 30.0
MAX_PEAK_MB = 1024.0
MAX_REPORT_MB = 20.0

# Runs in the fresh interpreter: argv[1:] are the command line's arguments.
_CHILD = """
import json, sys, time
from usecases.cli import main

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB -> MB

baseline = status("VmRSS")
started = time.perf_counter()
code = main(sys.argv[1:])
seconds = time.perf_counter() - started
print(json.dumps({"code": code, "seconds": seconds, "baseline_mb": baseline, "peak_mb": status("VmHWM")}))
"""


def wide_csv(path: Path, rows: int, columns: int, seed: int = 0) -> Path:
    """``rows`` × ``columns``: numbers on many scales, a category every tenth column, 1% missing cells."""
    rng = np.random.default_rng(seed)
    numbers = rng.normal(size=(rows, columns)) * rng.uniform(0.1, 100.0, size=columns)
    numbers[rng.random(numbers.shape) < 0.01] = np.nan
    frame = pd.DataFrame(numbers.round(3), columns=[f"c{i}" for i in range(columns)]).astype(object)
    categories = rng.choice(["red", "green", "blue", "grey"], size=(rows, len(range(0, columns, 10))))
    frame.iloc[:, ::10] = categories
    frame["target"] = rng.choice(["yes", "no"], size=rows)
    frame.to_csv(path, index=False)
    return path


def profile_in_fresh_process(data: Path, out: Path, target: str | None) -> dict:
    """Run the profile command in a new interpreter; its time, baseline and peak memory, and the report size."""
    args = ["profile", "--data", str(data), "--out", str(out)] + (["--target", target] if target else [])
    result = subprocess.run([sys.executable, "-c", _CHILD, *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=600)
    if result.returncode != 0:
        raise SystemExit(f"profile failed ({result.returncode}):\n{result.stderr[-2000:]}")
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    return {**measured, "report_mb": out.stat().st_size / 1e6}


def main() -> int:
    parser = argparse.ArgumentParser(description="wide-table profile benchmark")
    parser.add_argument("--rows", type=int, default=1_000)
    parser.add_argument("--columns", type=int, default=10_000)
    parser.add_argument("--target", action="store_true", help="profile against the target column too")
    args = parser.parse_args()
    missed = []
    with tempfile.TemporaryDirectory(prefix="bench-wide-") as folder:
        data = wide_csv(Path(folder) / "wide.csv", args.rows, args.columns)
        print(f"table: {args.rows:,} rows × {args.columns + 1:,} columns, CSV {data.stat().st_size / 1e6:.1f} MB")
        for suffix in ("json", "html"):
            run = profile_in_fresh_process(data, Path(folder) / f"report.{suffix}", "target" if args.target else None)
            print(f"{suffix:>4}: {run['seconds']:6.1f} s   peak RSS {run['peak_mb']:7.0f} MB "
                  f"(baseline {run['baseline_mb']:.0f} MB, +{run['peak_mb'] - run['baseline_mb']:.0f} MB)   "
                  f"report {run['report_mb']:.1f} MB")
            if run["seconds"] > MAX_SECONDS:
                missed.append(f"{suffix}: {run['seconds']:.1f} s > {MAX_SECONDS:.0f} s")
            if run["peak_mb"] > MAX_PEAK_MB:
                missed.append(f"{suffix}: peak RSS {run['peak_mb']:.0f} MB > {MAX_PEAK_MB:.0f} MB")
            if run["report_mb"] > MAX_REPORT_MB:
                missed.append(f"{suffix}: report {run['report_mb']:.1f} MB > {MAX_REPORT_MB:.0f} MB")
    print("targets met" if not missed else "MISSED: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
