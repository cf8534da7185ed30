"""Generate the benchmark table: N rows × 20 mixed-type columns with missing values, as CSV.

Not a benchmark itself (no figure, no target): the data of ``bench_data`` and ``bench_eda``. Seeded, so every run
of every benchmark reads the same table; files are written whole or not at all.

    .venv/bin/python -m bench.generate --rows 1000000 --out bench/out/mixed_1m.csv
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd


def mixed_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """8 floats, 4 ints, 4 categoricals, 2 dates, 1 boolean, 1 identifier; ~5% missing cells."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for i in range(8):
        data[f"num_{i}"] = np.round(rng.normal(i * 10, 1 + i, rows), 4)
    for i in range(4):
        data[f"int_{i}"] = rng.integers(0, 10 ** (i + 1), rows)
    for i in range(4):
        levels = np.array([f"level_{k}" for k in range(3 + 5 * i)])
        data[f"cat_{i}"] = levels[rng.integers(0, len(levels), rows)]
    start = np.datetime64("2015-01-01")
    for i in range(2):
        days = rng.integers(0, 3650, rows).astype("timedelta64[D]")
        data[f"date_{i}"] = np.datetime_as_string(start + days, unit="D")
    data["flag"] = np.where(rng.random(rows) < 0.3, "yes", "no")
    data["row_id"] = np.char.add("R", np.arange(rows).astype(str))
    frame = pd.DataFrame(data)
    for column in ["num_0", "num_3", "int_1", "cat_0", "cat_2", "date_1"]:
        frame.loc[rng.random(rows) < 0.15, column] = None
    return frame


def benchmark_csv(rows: int) -> Path:
    """The generated CSV of ``rows`` rows under bench/out/, written on first use.

    Written to a temporary name and renamed when complete: a run interrupted while writing must not leave a
    truncated file that every later run would measure as if it were the whole table."""
    path = Path(__file__).resolve().parent / "out" / f"mixed_{rows}.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        mixed_frame(rows).to_csv(partial, index=False)
        partial.replace(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path("bench/out/mixed_1m.csv"))
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_name(f"{args.out.name}.{os.getpid()}.partial")
    mixed_frame(args.rows).to_csv(partial, index=False)
    partial.replace(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
