"""Benchmark: what the engine's tuning loop adds over a bare Optuna loop running the same objective.

    .venv/bin/python -m bench.bench_tuning_overhead                # 20 trials, 5 repeats, SQLite and in-memory
    .venv/bin/python -m bench.bench_tuning_overhead --quick        # 10 trials, 2 repeats
    .venv/bin/python -m bench.bench_tuning_overhead --families linear random_forest --trials 10

The objective is the product's own: ``engine.train.tuning.make_objective`` on a spec built as ``engine/train/automl.py``
builds it (``tuning_spec``), for breast_cancer (569 rows, 30 numeric columns), Workbench's 60/20/20 split,
3-fold CV on the train rows, the AutoML search over ``--families`` (default: ``linear``, i.e. logistic regression
with its searched C, penalty and l1_ratio; ``--families linear random_forest`` for dearer trials), TPE with the
spec's seed, median pruner, ``--threads`` (default 1) BLAS / OpenMP / joblib threads for both loops.

- ``engine``: ``engine.train.tuning.create_study(spec, storage, name)`` then
  ``engine.train.tuning.run_study(study, frame,
  n_trials=N, timeout=3600)``, the calls ``tune_candidates`` makes. With a timeout, as under an AutoML budget,
  each fold's fit runs behind the deadline guard (``call_before``), and ``run_study`` builds its objective
  itself; both are counted as the engine's. The storage is ``engine.train.tuning.open_storage`` (heartbeats on)
  for SQLite, ``None`` (Optuna's in-memory storage) otherwise.
- ``bare``: ``optuna.create_study(storage=<same kind>, sampler=<same>, pruner=<same>, direction=<same>)``, the
  same AutoML start points queued (``engine.train.catalog.automl_portfolio``, one ``enqueue_trial`` each, as
  ``create_study`` does), then ``study.optimize(objective, n_trials=N)`` with the objective built once by
  ``make_objective`` (no deadline), storage given as a plain URL (Optuna's default RDBStorage). Without the
  queued points the bare loop's first trial was TPE's (C = 1.96) where the engine's was the start point (C = 1.0):
  the two loops compared different work, and nothing said so.

Both start from a fresh SQLite file in a temporary directory (or a fresh in-memory study) and are timed from
study creation to the end of the last trial. Each repeat runs both, alternating which goes first; a warm-up
pair (3 trials) runs first and is not counted. The sampler is seeded, so both loops must run the same trials: each
trial's parameters, state and value are compared between the two loops of every repeat, and any difference fails
the run (the ratio would compare different work; the first differing trial is printed). Printed: median seconds of each,
the ratio engine / bare (goal: < 1.10) and the absolute overhead per trial in ms; the same for the process's CPU
time (all threads), which a busy shared machine disturbs far less than wall time. Results go to
bench/out/tuning_overhead.json. Exits 1 when a storage's wall-time ratio misses the goal or the loops ran
different trials.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import optuna

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "tuning_overhead.json"
GOAL = 1.10


def setup(families: list[str], seed: int):
    """(spec, frame) for breast_cancer as ``tune_candidates`` would build them."""
    from sklearn.datasets import load_breast_cancer

    from engine import Problem, infer_schema, validate_recipe
    from engine.train.automl import tuning_spec
    from engine.train.training import validate_settings

    frame = load_breast_cancer(as_frame=True).frame
    frame = frame.rename(columns={c: str(c).replace(" ", "_") for c in frame.columns})
    problem = Problem("target", "classification", "roc_auc")
    recipe = validate_recipe({"split": {"train": 0.6, "valid": 0.2, "test": 0.2, "strategy": "stratified",
                                        "seed": seed}})
    settings = validate_settings({"models": families, "cv_folds": 3, "seed": seed, "search": "tpe",
                                  "automl": True, "pruner": "median", "n_trials": 10_000}, "classification")
    spec = tuning_spec("unused.parquet", problem, recipe, infer_schema(frame), settings, families)
    return spec, frame


def trial_record(trials) -> list[tuple]:
    """What must match between the two loops: each trial's parameters, state and objective value(s)."""
    return [(t.params, t.state.name, t.values) for t in trials]


def first_difference(engine: list[tuple], bare: list[tuple]) -> str | None:
    """The first trial that differs between the two loops, said in words; None when they ran the same trials."""
    if len(engine) != len(bare):
        return f"engine ran {len(engine)} trials, bare {len(bare)}"
    for number, (ours, theirs) in enumerate(zip(engine, bare, strict=True)):
        if ours != theirs:
            return f"trial {number}: engine {ours} vs bare {theirs}"
    return None


def run_engine(spec, frame, n_trials: int, sqlite_dir: Path | None) -> tuple[float, float, list]:
    from engine.train.tuning import create_study, open_storage, run_study

    storage = None if sqlite_dir is None else open_storage(f"sqlite:///{sqlite_dir}/engine.db")
    started, cpu = time.perf_counter(), time.process_time()
    study = create_study(spec, storage, "overhead")
    ran = run_study(study, frame, n_trials=n_trials, timeout=3600)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert ran == n_trials, (ran, n_trials)
    trials = study.get_trials(deepcopy=False)
    if storage is not None:
        storage.remove_session()
        storage.engine.dispose()
    return seconds, cpu, trial_record(trials)


def queue_starts(study: optuna.Study, spec) -> None:
    """Queue the AutoML start points ``engine.train.tuning.create_study`` queues (one cheap point per family),
    so the bare loop runs the same trials: without them its first trials are TPE's, and the loops differ."""
    from engine.train.catalog import automl_portfolio

    several = len(spec["families"]) > 1
    for family, params in automl_portfolio(spec["families"], spec["problem"]["task"]):
        point = {f"{family}__{name}": value for name, value in params.items()}
        study.enqueue_trial({"family": family, **point} if several else point)


def run_bare(spec, objective, n_trials: int, sqlite_dir: Path | None) -> tuple[float, float, list]:
    from engine.evaluate.metrics import METRICS
    from engine.train.tuning import make_pruner, make_sampler

    direction = "maximize" if METRICS[spec["problem"]["metric"]].greater_is_better else "minimize"
    storage = None if sqlite_dir is None else f"sqlite:///{sqlite_dir}/bare.db"
    started, cpu = time.perf_counter(), time.process_time()
    study = optuna.create_study(storage=storage, sampler=make_sampler(spec), pruner=make_pruner(spec),
                                direction=direction)
    queue_starts(study, spec)
    study.optimize(objective, n_trials=n_trials)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return seconds, cpu, trial_record(study.get_trials(deepcopy=False))


def measure(spec, frame, objective, n_trials: int, storage: str, engine_first: bool) -> dict:
    out = {}
    order = ("engine", "bare") if engine_first else ("bare", "engine")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) if storage == "sqlite" else None
        for loop in order:
            if loop == "engine":
                out[loop] = run_engine(spec, frame, n_trials, folder)
            else:
                out[loop] = run_bare(spec, objective, n_trials, folder)
    return {"engine": out["engine"][0], "bare": out["bare"][0], "engine_cpu": out["engine"][1],
            "bare_cpu": out["bare"][1], "difference": first_difference(out["engine"][2], out["bare"][2]),
            "same_trials": out["engine"][2] == out["bare"][2], "engine_first": engine_first}


def isolate(spec, frame, objective, n_trials: int, repeats: int) -> dict:
    """Which part of the engine's loop costs, on SQLite: a bare loop with (A) a plain URL, (B) the engine's
    storage (``open_storage``: heartbeats), (C) the objective built with a deadline (fits in guarded threads),
    and (D) the engine loop; the order rotates each repeat. Medians of wall and CPU seconds per variant."""
    from engine.train.tuning import create_study, make_objective, make_pruner, make_sampler, open_storage, run_study

    def bare(folder: str, heartbeat: bool, deadline: bool) -> None:
        url = f"sqlite:///{folder}/x.db"
        guarded = make_objective(spec, frame, time.monotonic() + 3600) if deadline else objective
        study = optuna.create_study(storage=open_storage(url) if heartbeat else url, sampler=make_sampler(spec),
                                    pruner=make_pruner(spec), direction="maximize")
        queue_starts(study, spec)
        study.optimize(guarded, n_trials=n_trials)

    def engine(folder: str) -> None:
        run_study(create_study(spec, open_storage(f"sqlite:///{folder}/x.db"), "o"), frame, n_trials=n_trials,
                  timeout=3600)

    variants = {"A bare, plain URL": lambda f: bare(f, False, False),
                "B bare, engine storage": lambda f: bare(f, True, False),
                "C bare, deadline-guarded fits": lambda f: bare(f, False, True), "D engine": engine}
    names, times = list(variants), {name: [] for name in variants}
    for repeat in range(repeats):
        for name in names[repeat % 4:] + names[:repeat % 4]:
            with tempfile.TemporaryDirectory() as tmp:
                wall, cpu = time.perf_counter(), time.process_time()
                variants[name](tmp)
                times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    out = {name: {"wall_s": statistics.median(w for w, _ in v), "cpu_s": statistics.median(c for _, c in v)}
           for name, v in times.items()}
    base = out[names[0]]
    print(f"\nisolation on SQLite, {n_trials} trials, {repeats} repeats (medians; overhead against A):")
    for name, r in out.items():
        wall_ms, cpu_ms = ((r[k] - base[k]) / n_trials * 1000 for k in ("wall_s", "cpu_s"))
        print(f"  {name:<30} wall {r['wall_s']:7.2f} s ({wall_ms:+6.0f} ms/trial)"
              f"  CPU {r['cpu_s']:6.2f} s ({cpu_ms:+6.0f} ms/trial)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Engine tuning loop vs a bare Optuna loop, same objective")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--families", nargs="+", default=["linear"])
    parser.add_argument("--threads", type=int, default=1, help="BLAS / OpenMP / joblib threads (both loops alike)")
    parser.add_argument("--storages", nargs="+", default=["sqlite", "memory"], choices=["sqlite", "memory"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="10 trials, 2 repeats")
    parser.add_argument("--isolate", action="store_true", help="also time the engine loop's parts (SQLite only)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.quick:
        args.trials, args.repeats = 10, 2
        if args.out == OUT:
            args.out = OUT.with_name("tuning_overhead_quick.json")
    warnings.filterwarnings("ignore")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    os.environ["LOKY_MAX_CPU_COUNT"] = str(args.threads)  # joblib reads it per call (random forest n_jobs=-1)
    from threadpoolctl import threadpool_limits

    from engine.train.tuning import make_objective

    threadpool_limits(args.threads)

    spec, frame = setup(args.families, args.seed)
    started = time.perf_counter()
    objective = make_objective(spec, frame)
    build_ms = (time.perf_counter() - started) * 1000
    print(f"objective: {' + '.join(args.families)} on breast_cancer, 3-fold CV, TPE seed {args.seed}, median pruner;"
          f" make_objective takes {build_ms:.0f} ms; {args.trials} trials per loop, {args.repeats} repeats")
    results = {}
    for storage in args.storages:
        measure(spec, frame, objective, min(args.trials, 3), storage, True)  # warm-up, not counted
        runs = []
        for repeat in range(args.repeats):
            run = measure(spec, frame, objective, args.trials, storage, repeat % 2 == 0)
            runs.append(run)
            print(f"  {storage:<7} repeat {repeat} ({'engine' if run['engine_first'] else 'bare'} first): engine "
                  f"{run['engine']:.2f} s, bare {run['bare']:.2f} s, ratio {run['engine'] / run['bare']:.3f}; CPU "
                  f"{run['engine_cpu']:.2f} s vs {run['bare_cpu']:.2f} s, "
                  f"ratio {run['engine_cpu'] / run['bare_cpu']:.3f}; "
                  f"same trials: {run['same_trials']}", flush=True)
            if run["difference"]:
                print(f"    DIFFERENT TRIALS: {run['difference']}", flush=True)
        engine = statistics.median(r["engine"] for r in runs)
        bare = statistics.median(r["bare"] for r in runs)
        ratios = [r["engine"] / r["bare"] for r in runs]
        engine_cpu = statistics.median(r["engine_cpu"] for r in runs)
        bare_cpu = statistics.median(r["bare_cpu"] for r in runs)
        results[storage] = {"engine_median_s": engine, "bare_median_s": bare, "ratio": engine / bare,
                            "median_of_ratios": statistics.median(ratios), "engine_cpu_median_s": engine_cpu,
                            "bare_cpu_median_s": bare_cpu, "cpu_ratio": engine_cpu / bare_cpu,
                            "cpu_overhead_ms_per_trial": (engine_cpu - bare_cpu) / args.trials * 1000,
                            "overhead_ms_per_trial": (engine - bare) / args.trials * 1000,
                            "bare_ms_per_trial": bare / args.trials * 1000,
                            "same_trials": all(r["same_trials"] for r in runs), "runs": runs}
    print(f"\n{'storage':<9}{'engine s':>10}{'bare s':>9}{'ratio':>8}{'median ratio':>14}{'bare ms/trial':>15}"
          f"{'overhead ms/trial':>19}{'CPU ratio':>11}{'CPU overhead ms/trial':>23}  same trials")
    for storage, r in results.items():
        print(f"{storage:<9}{r['engine_median_s']:>10.2f}{r['bare_median_s']:>9.2f}{r['ratio']:>8.3f}"
              f"{r['median_of_ratios']:>14.3f}{r['bare_ms_per_trial']:>15.1f}{r['overhead_ms_per_trial']:>19.1f}"
              f"{r['cpu_ratio']:>11.3f}{r['cpu_overhead_ms_per_trial']:>23.1f}"
              f"  {r['same_trials']}")
    passed = True
    print(f"1-minute load at the end: {os.getloadavg()[0]:.1f}")
    for storage, r in results.items():
        ok = r["ratio"] < GOAL and r["same_trials"]
        passed = passed and ok
        print(f"OVERHEAD {storage}: engine / bare = {r['ratio']:.3f} (goal < {GOAL:.2f}), same trials "
              f"{r['same_trials']} -> {'PASS' if ok else 'FAIL'}; {r['overhead_ms_per_trial']:+.1f} ms per trial; "
              f"CPU time engine / bare = {r['cpu_ratio']:.3f} ({r['cpu_overhead_ms_per_trial']:+.1f} ms per trial)")
    parts = isolate(spec, frame, objective, args.trials, args.repeats) if args.isolate else None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"settings": vars(args) | {"make_objective_ms": build_ms},
                                    "load": os.getloadavg()[0], "results": results,
                                    "isolation": parts},
                                   indent=1, default=str))
    print(f"wrote {args.out}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
