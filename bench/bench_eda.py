"""Benchmark: the full EDA overview of a 1,000,000-row × 20-column table (target: under 10 s here).

    .venv/bin/python -m bench.bench_eda [--rows 1000000] [--repeat 3]

Times ``engine.explore.profile.profile`` (overview, per-column statistics, warnings, correlations,
target association) on the generated table, after loading it, and prints the ratio against
the time pandas needs for a bare ``DataFrame.describe(include="all")`` of the same table in the
same run, so a slow machine shows up in both numbers.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.generate import benchmark_csv
from engine import infer_schema, read_table
from engine.explore.profile import profile


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description="EDA overview benchmark")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = benchmark_csv(args.rows)
    frame = read_table(path).frame
    schema = infer_schema(frame)
    ours = [_seconds(lambda: profile(frame, schema, target="flag", task="classification"))
            for _ in range(args.repeat)]
    base = [_seconds(lambda: frame.describe(include="all")) for _ in range(args.repeat)]
    print(f"table: {args.rows:,} rows × {frame.shape[1]} columns, median of {args.repeat}")
    print(f"engine.explore.profile (full overview)      {statistics.median(ours):6.2f} s   (target < 10 s)")
    print(f"pandas describe(include='all')      {statistics.median(base):6.2f} s")
    print(f"ratio profile / describe            {statistics.median(ours) / statistics.median(base):6.2f}")


if __name__ == "__main__":
    main()
