"""Benchmark: loading a 1,000,000-row × 20-column CSV, against pyarrow.csv.read_csv in the same run.

    .venv/bin/python -m bench.bench_data [--rows 1000000] [--repeat 3]

Each measurement runs in a fresh process, so peak memory (ru_maxrss) belongs to that reader
alone. Prints medians and the ratios the targets are stated in:
  load wall time / pyarrow.csv.read_csv wall time   (target <= 1.5)
  load peak memory / resulting DataFrame size        (target <= 3)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from bench.generate import benchmark_csv

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, resource, sys, time
path, mode = sys.argv[1], sys.argv[2]
import pyarrow.csv, pandas
import engine
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
if mode == "pyarrow":
    table = pyarrow.csv.read_csv(path)
    size = table.nbytes
else:
    frame = engine.read_table(path).frame
    size = int(frame.memory_usage(deep=True).sum())
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": (peak - before) / 1024, "size_mb": size / 1e6}))
"""


def measure(path: Path, mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), mode], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description="CSV load benchmark")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = benchmark_csv(args.rows)
    runs = {mode: [measure(path, mode) for _ in range(args.repeat)] for mode in ("pyarrow", "engine")}
    median = {mode: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for mode, rs in runs.items()}
    base, ours = median["pyarrow"], median["engine"]
    print(f"file: {path.name} ({path.stat().st_size / 1e6:.0f} MB, {args.rows:,} rows × 20 columns), "
          f"median of {args.repeat}")
    print(f"pyarrow.csv.read_csv   {base['seconds']:7.2f} s")
    print(f"engine.read_table      {ours['seconds']:7.2f} s   peak +{ours['peak_mb']:.0f} MB, "
          f"DataFrame {ours['size_mb']:.0f} MB")
    print(f"ratio load time   engine / pyarrow   = {ours['seconds'] / base['seconds']:.2f}  (target <= 1.5)")
    print(f"ratio peak memory / DataFrame size   = {ours['peak_mb'] / ours['size_mb']:.2f}  (target <= 3)")


if __name__ == "__main__":
    main()
