"""Benchmark: how often drift verdicts cry wolf, and how often they catch a real shift, on real data.

    .venv/bin/python -m bench.bench_drift_alarms [--draws 200] [--seed 0]

The data is the RAND Health Insurance Experiment table shipped inside statsmodels (``statsmodels.datasets.randhie``:
20,190 people × 10 columns: doctor visits, coinsurance, income, health indicators), nothing downloaded. Each draw
shuffles the rows, profiles 10,000 of them as the model's reference (``reference_profile``) and takes a batch from
the rest, so reference and batch are two independent samples of one distribution:

- ``--draws`` unshifted batches of 100 to 5,000 rows (log-uniform): a warning on one of them is a false alarm;
- ``--draws`` shifted batches of 1,000 rows, one column changed each, in turn: its mean moved by 0.5 σ, its spread
  scaled by 1.5 around the mean, 10% of a categorical column's rows in a category never seen, or its missing rate
  up by 20 points. A shift is caught when the changed column's verdict is "warn" or "alert".

Exits 1 unless at most 5% of the unshifted batches warn (overall verdict) and at least 95% of the shifts are caught.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

import numpy as np
import pandas as pd

from engine.monitor.drift import drift_report
from engine.monitor.drift_reference import reference_profile

REFERENCE_ROWS = 10_000
SHIFT_ROWS = 1_000
SIZES = (100, 5_000)  # unshifted batch sizes, drawn log-uniform between these
MAX_FALSE_ALARMS = 0.05
MIN_CAUGHT = 0.95
NUMERIC = ["mdvis", "lpi", "fmde", "physlm", "disea"]
CATEGORICAL = ["lncoins"]
BOOLEAN = ["idp", "hlthg", "hlthf", "hlthp"]
FEATURES = ([{"name": c, "kind": "numeric"} for c in NUMERIC]
            + [{"name": c, "kind": "categorical"} for c in CATEGORICAL]
            + [{"name": c, "kind": "boolean"} for c in BOOLEAN])
SHIFTS = ("mean +0.5 sd", "scale x1.5", "new category", "missing +20 points")


def load_table() -> pd.DataFrame:
    """The RAND HIE table, its coinsurance level as a category and its 0/1 indicators as booleans."""
    from statsmodels.datasets import randhie

    frame = randhie.load_pandas().data
    frame["lncoins"] = frame["lncoins"].round(3).astype(str)
    return frame.astype({c: bool for c in BOOLEAN})


def shifted(batch: pd.DataFrame, kind: str, column: str, rng: np.random.Generator) -> pd.DataFrame:
    """``batch`` with ``column`` changed by ``kind`` (one of SHIFTS)."""
    batch = batch.copy()
    values = batch[column]
    if kind == "mean +0.5 sd":
        batch[column] = values + 0.5 * values.std()
    elif kind == "scale x1.5":
        batch[column] = values.mean() + 1.5 * (values - values.mean())
    elif kind == "new category":
        chosen = rng.random(len(batch)) < 0.10
        batch[column] = values.where(~chosen, "never seen")
    else:
        batch[column] = values.astype(object).where(rng.random(len(batch)) >= 0.20, None)
    return batch


def _split(table: pd.DataFrame, n: int, rng: np.random.Generator) -> tuple[dict, pd.DataFrame]:
    order = rng.permutation(len(table))
    reference = table.iloc[order[:REFERENCE_ROWS]]
    return reference_profile(reference, FEATURES), table.iloc[order[REFERENCE_ROWS:REFERENCE_ROWS + n]]


def main() -> None:
    parser = argparse.ArgumentParser(description="Drift false-alarm and detection rates on real data")
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    table = load_table()
    started = time.perf_counter()

    false_alarms, by_size, noisy = 0, Counter(), Counter()
    for _ in range(args.draws):
        n = int(round(np.exp(rng.uniform(np.log(SIZES[0]), np.log(SIZES[1])))))
        reference, batch = _split(table, n, rng)
        report = drift_report(reference, batch)
        flagged = report.overall in ("warn", "alert")
        false_alarms += flagged
        by_size["<500" if n < 500 else "500-2000" if n < 2000 else ">=2000", flagged] += 1
        noisy.update(report.features.loc[report.features["verdict"].isin(["warn", "alert"]), "name"])

    caught, per_kind = 0, Counter()
    for i in range(args.draws):
        kind = SHIFTS[i % len(SHIFTS)]
        pool = CATEGORICAL + BOOLEAN if kind == "new category" else NUMERIC if kind != "missing +20 points" \
            else NUMERIC + CATEGORICAL
        column = pool[rng.integers(len(pool))]
        reference, batch = _split(table, SHIFT_ROWS, rng)
        if kind == "new category" and column in BOOLEAN:
            batch = batch.astype({column: object})
        report = drift_report(reference, shifted(batch, kind, column, rng))
        verdict = report.features.set_index("name").loc[column, "verdict"]
        hit = verdict in ("warn", "alert")
        caught += hit
        per_kind[kind, hit] += 1

    rate, detected = false_alarms / args.draws, caught / args.draws
    print(f"data: statsmodels randhie, {len(table):,} rows x {len(FEATURES)} features; reference {REFERENCE_ROWS:,} "
          f"rows per draw; {time.perf_counter() - started:.1f} s")
    print(f"unshifted batches ({SIZES[0]:,}-{SIZES[1]:,} rows): {false_alarms} of {args.draws} warn = {rate:.1%} "
          f"(target <= {MAX_FALSE_ALARMS:.0%})")
    for size in ("<500", "500-2000", ">=2000"):
        total = by_size[size, True] + by_size[size, False]
        print(f"  {size:>9} rows: {by_size[size, True]} of {total} warn")
    if noisy:
        print(f"  features that warned: {dict(noisy.most_common())}")
    print(f"shifted batches ({SHIFT_ROWS:,} rows): {caught} of {args.draws} caught = {detected:.1%} "
          f"(target >= {MIN_CAUGHT:.0%})")
    for kind in SHIFTS:
        print(f"  {kind:>18}: {per_kind[kind, True]} of {per_kind[kind, True] + per_kind[kind, False]} caught")
    ok = rate <= MAX_FALSE_ALARMS and detected >= MIN_CAUGHT
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
