"""Benchmark: loading a 1,000,000-row × 20-column CSV, against pyarrow in the same run.

    .venv/bin/python -m bench.bench_data [--rows 1000000] [--repeat 3]

Three readers, each in a fresh process per repeat:

- ``pyarrow``: ``pyarrow.csv.read_csv`` alone, an Arrow table (the floor of any CSV reader here);
- ``pyarrow+pandas``: ``pyarrow.csv.read_csv(...).to_pandas()``, a DataFrame, what a user of pandas gets;
- ``engine``: ``engine.read_table(path).frame``.

The time target is stated against ``pyarrow+pandas``: the engine returns a DataFrame, so a baseline that stops
at an Arrow table leaves out a conversion every DataFrame user pays and makes the ratio compare unlike work. The
bare table time is printed beside it.

Peak memory is each reader's own (``bench.rss.PeakAbove``): after its imports the child resets its high-water
mark (``5`` into ``/proc/self/clear_refs``; where that is refused, a thread samples ``VmRSS`` every millisecond),
reads, and reports ``VmHWM`` minus the resident size it had just before reading. ``ru_maxrss`` cannot serve: a child
started by ``subprocess`` inherits its parent's high-water mark across ``exec``, so after generating the table
the parent's peak hid the reader's (the old figure was "peak +0 MB").

Targets (medians): engine time / pyarrow+pandas time <= 1.5; engine peak / resulting DataFrame size <= 3.
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.generate import benchmark_csv

ROOT = Path(__file__).resolve().parent.parent
MODES = ("pyarrow", "pyarrow+pandas", "engine")
TIME_TARGET = 1.5
MEMORY_TARGET = 3.0

_CHILD = r"""
import json, sys, time
path, mode = sys.argv[1], sys.argv[2]
import pyarrow.csv, pandas
import engine
from bench.rss import PeakAbove

with PeakAbove() as peak:
    started = time.perf_counter()
    if mode == "pyarrow":
        table = pyarrow.csv.read_csv(path)
        size = table.nbytes
    else:
        frame = pyarrow.csv.read_csv(path).to_pandas() if mode == "pyarrow+pandas" else engine.read_table(path).frame
        size = int(frame.memory_usage(deep=True).sum())
    seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "peak_mb": peak.above_mb, "size_mb": size / 2**20}))
"""


def measure(path: Path, mode: str) -> dict:
    """Seconds, peak MB above the pre-read resident size, and result size (MB) of one read in a fresh process."""
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), mode], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CSV load benchmark")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    path = benchmark_csv(args.rows)
    runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
    for _ in range(args.repeat):  # interleaved, so a change in the machine's load touches every reader alike
        for mode in MODES:
            runs[mode].append(measure(path, mode))
    median = {mode: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for mode, rs in runs.items()}
    print(f"file: {path.name} ({path.stat().st_size / 1e6:.0f} MB, {args.rows:,} rows × 20 columns), "
          f"median of {args.repeat}, 1-minute load {os.getloadavg()[0]:.1f}")
    print(f"{'reader':<16}{'seconds':>9}{'peak MB':>9}{'result MB':>11}")
    for mode in MODES:
        m = median[mode]
        print(f"{mode:<16}{m['seconds']:9.2f}{m['peak_mb']:9.0f}{m['size_mb']:11.0f}")
    ours, pandas_base, table_base = median["engine"], median["pyarrow+pandas"], median["pyarrow"]
    time_ratio = ours["seconds"] / pandas_base["seconds"]
    memory_ratio = ours["peak_mb"] / ours["size_mb"]
    print(f"engine / pyarrow (Arrow table only)        = {ours['seconds'] / table_base['seconds']:.2f}  (no target)")
    print(f"pyarrow+pandas peak / its DataFrame size   = {pandas_base['peak_mb'] / pandas_base['size_mb']:.2f}"
          f"  (no target)")
    checks = [(f"load time engine / pyarrow+pandas = {time_ratio:.2f}", time_ratio <= TIME_TARGET,
               f"<= {TIME_TARGET}"),
              (f"engine peak memory / DataFrame size = {memory_ratio:.2f}", memory_ratio <= MEMORY_TARGET,
               f"<= {MEMORY_TARGET:g}")]
    for text, ok, target in checks:
        print(f"{text}  (target {target}) -> {'PASS' if ok else 'FAIL'}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
