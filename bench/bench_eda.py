"""Benchmark: the full EDA overview of a 1,000,000-row × 20-column table (target: under 10 s here).

    .venv/bin/python -m bench.bench_eda [--rows 1000000] [--repeat 3]

Times ``engine.explore.profile.profile`` (overview, per-column statistics, warnings, correlations,
target association) on the generated table, after loading it, and prints the ratio against
the time pandas needs for a bare ``DataFrame.describe(include="all")`` of the same table in the
same run, so a slow machine shows up in both numbers.

The target is stated for 1,000,000 rows; a smaller ``--rows`` (a smoke run) is held to the same rate, 10 s per
million rows, which fixed costs make stricter, never looser. Exits 1 when the median misses it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from bench.generate import benchmark_csv
from engine import infer_schema, read_table
from engine.explore.profile import profile

TARGET_S = 10.0
TARGET_ROWS = 1_000_000


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="EDA overview benchmark")
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    path = benchmark_csv(args.rows)
    frame = read_table(path).frame
    schema = infer_schema(frame)
    ours = [_seconds(lambda: profile(frame, schema, target="flag", task="classification"))
            for _ in range(args.repeat)]
    base = [_seconds(lambda: frame.describe(include="all")) for _ in range(args.repeat)]
    target = TARGET_S * args.rows / TARGET_ROWS
    seconds = statistics.median(ours)
    print(f"table: {args.rows:,} rows × {frame.shape[1]} columns, median of {args.repeat}, "
          f"1-minute load {os.getloadavg()[0]:.1f}")
    print(f"engine.explore.profile (full overview)  {seconds:6.2f} s")
    print(f"pandas describe(include='all')          {statistics.median(base):6.2f} s")
    print(f"ratio profile / describe                {seconds / statistics.median(base):6.2f}  (no target)")
    ok = seconds < target
    print(f"EDA profile {seconds:.2f} s (target < {target:.3g} s: {TARGET_S:g} s per {TARGET_ROWS:,} rows) -> "
          f"{'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
