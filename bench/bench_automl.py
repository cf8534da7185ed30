"""Benchmark: Workbench's AutoML against FLAML under the same wall-clock budget, scored on the same test rows.

    .venv/bin/pip install -r bench/requirements.txt     # peer tools, for this benchmark only
    .venv/bin/python -m bench.bench_automl              # full: 3 seeds, 30 s (and 60 s on gen_clf_20k)
    .venv/bin/python -m bench.bench_automl --quick      # smoke check: 1 seed, 15 s, the small sets only
    .venv/bin/python -m bench.bench_automl --seeds 2 --datasets wine digits --budget 30

Data ships with scikit-learn (nothing is downloaded): the bundled breast_cancer, wine, digits and
diabetes sets, plus two generated tables: ``gen_clf_20k`` (make_classification, 20,000 rows, 5% flipped
labels, noise features, three binned columns turned into text categories and one pure-noise category) and
``gen_reg_5k`` (make_friedman1, 5,000 rows, noise, plus a text category that shifts the target).

Protocol, per dataset × seed: Workbench's split (60/20/20, stratified for classification) fixes the test
rows. Workbench tunes with its honest protocol: TPE over the families below with 3-fold CV on the train
rows, validation rows pick the best candidate (baseline, each family's refit, or the voting ensemble).
FLAML gets train + valid rows together (it validates internally) and its default estimators. Both then
score the same test rows with ``engine.metrics.compute_metrics``: ROC-AUC for binary, macro-F1 for
multiclass, R² for regression; each tool optimises that same metric. Each run is its own process with the
same thread limits (OMP/BLAS/loky at ``--threads``, FLAML ``n_jobs=--threads``). Wall time is the whole
``tune_candidates`` call (search, refits, ensemble) and the whole ``AutoML.fit`` (search, final retrain).
Results go to bench/out/automl.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "automl.json"
FAMILIES = ["linear", "random_forest", "extra_trees", "gradient_boosting", "knn"]
SMALL = ["breast_cancer", "wine", "digits", "diabetes"]
DATASETS = [*SMALL, "gen_clf_20k", "gen_reg_5k"]
TOOLS = ("workbench", "workbench+refit", "flaml")
FLAML_METRIC = {"roc_auc": "roc_auc", "f1_macro": "macro_f1", "r2": "r2"}


def _categories(values: np.ndarray, levels: int) -> np.ndarray:
    """Bin a numeric column into ``levels`` text categories ("c0", "c1", ...) by quantile."""
    codes = pd.qcut(values, levels, labels=False, duplicates="drop")
    return np.char.add("c", np.asarray(codes).astype(str))


def dataset(name: str) -> tuple[pd.DataFrame, str, str]:
    """(frame with a 'target' column, task, metric) of a bundled or generated dataset."""
    from sklearn import datasets

    if name in SMALL:
        bunch = getattr(datasets, f"load_{name}")(as_frame=True)
        frame = bunch.frame.rename(columns={c: str(c).replace(" ", "_") for c in bunch.frame.columns})
        if name == "diabetes":
            return frame, "regression", "r2"
        return frame, "classification", "roc_auc" if frame["target"].nunique() == 2 else "f1_macro"
    rng = np.random.default_rng(0)
    if name == "gen_clf_20k":
        X, y = datasets.make_classification(n_samples=20_000, n_features=20, n_informative=8, n_redundant=4,
                                            flip_y=0.05, class_sep=0.8, random_state=0)
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(20)])
        for i in range(3):  # informative columns become categories: the signal survives only through encoding
            frame[f"x{i}"] = _categories(frame[f"x{i}"].to_numpy(), 4 + 3 * i)
        frame = frame.rename(columns={f"x{i}": f"cat{i}" for i in range(3)})
        frame["cat_noise"] = np.char.add("n", rng.integers(0, 8, len(frame)).astype(str))
        frame["target"] = y
        return frame, "classification", "roc_auc"
    if name == "gen_reg_5k":
        X, y = datasets.make_friedman1(n_samples=5_000, n_features=10, noise=1.0, random_state=0)
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(10)])
        shift = {"a": 0.0, "b": 2.0, "c": -3.0, "d": 5.0}
        frame["group"] = np.array(list(shift))[rng.integers(0, len(shift), len(frame))]
        frame["target"] = y + frame["group"].map(shift).to_numpy()
        return frame, "regression", "r2"
    raise SystemExit(f"Unknown dataset '{name}'; choose from {DATASETS}.")


def _split(frame: pd.DataFrame, task: str, metric: str, seed: int):
    from engine import Problem, prepare_target, split_rows, validate_recipe

    problem = Problem("target", task, metric)
    strategy = "stratified" if task == "classification" else "random"
    recipe = validate_recipe({"split": {"train": 0.6, "valid": 0.2, "test": 0.2, "strategy": strategy,
                                        "seed": seed}})
    rows, y = prepare_target(frame, problem)
    return problem, recipe, rows, y, split_rows(y, task, recipe["split"], rows)


def run_workbench(frame, task, metric, seed, budget, workdir: Path, refit_past_budget: bool = False) -> dict:
    import optuna

    if refit_past_budget:  # the "+refit" row: the budget bounds the search only, as the search loop expects
        import engine.automl
        from engine.training import call_before

        engine.automl.call_before = lambda deadline, work: call_before(None, work)
    from engine import infer_schema
    from engine.automl import tune_candidates
    from engine.training import best_candidate, evaluate
    from engine.tuning import open_storage

    problem, recipe, rows, y, split = _split(frame, task, metric, seed)
    data_path = workdir / "data.parquet"
    frame.to_parquet(data_path)
    settings = {"models": FAMILIES, "cv_folds": 3, "seed": seed, "time_budget": budget, "search": "tpe",
                "n_trials": 10_000, "automl": True, "ensemble": True, "pruner": "median"}
    storage = open_storage(f"sqlite:///{workdir}/studies.db")
    started = time.perf_counter()
    candidates = tune_candidates(frame, infer_schema(frame), problem, recipe, settings, split, storage=storage,
                                 study_name="bench", data_path=str(data_path))
    seconds = time.perf_counter() - started
    best = best_candidate(candidates, metric)
    X = rows.drop(columns=["target"])
    test, _ = evaluate(best.pipeline, X.iloc[split.test], y.iloc[split.test], task)
    n_trials = len(optuna.load_study(study_name="bench-automl", storage=storage).get_trials(deepcopy=False))
    return {"score": test[metric], "test": test, "seconds": seconds, "best": best.model, "trials": n_trials,
            "candidates": {c.model: {"status": c.status, "valid": c.valid_metrics.get(metric), "error": c.error}
                           for c in candidates}}


def run_flaml(frame, task, metric, seed, budget, threads: int) -> dict:
    from flaml import AutoML

    from engine.metrics import compute_metrics

    problem, recipe, rows, y, split = _split(frame, task, metric, seed)
    X = rows.drop(columns=["target"])
    X = X.astype({c: "category" for c in X.columns if X[c].dtype == object or pd.api.types.is_string_dtype(X[c])})
    fit_rows = np.concatenate([split.train, split.valid])
    automl = AutoML()
    started = time.perf_counter()
    automl.fit(X.iloc[fit_rows], y.iloc[fit_rows], task=task, time_budget=budget, metric=FLAML_METRIC[metric],
               seed=seed, n_jobs=threads, verbose=0)
    seconds = time.perf_counter() - started
    X_test, y_test = X.iloc[split.test], y.iloc[split.test]
    proba = automl.predict_proba(X_test) if task == "classification" else None
    classes = list(automl.classes_) if task == "classification" else None
    test = compute_metrics(task, y_test, automl.predict(X_test), proba, classes)
    return {"score": test[metric], "test": test, "seconds": seconds, "best": automl.best_estimator,
            "trials": len(automl.config_history)}


def child(tool: str, name: str, seed: int, budget: float, threads: int) -> None:
    """One run, in this process; prints its result as one JSON line."""
    import warnings

    warnings.filterwarnings("ignore")
    frame, task, metric = dataset(name)
    with tempfile.TemporaryDirectory() as tmp:
        if tool.startswith("workbench"):
            result = run_workbench(frame, task, metric, seed, budget, Path(tmp), tool == "workbench+refit")
        else:
            result = run_flaml(frame, task, metric, seed, budget, threads)
    print(json.dumps({"tool": tool, "dataset": name, "metric": metric, "seed": seed, "budget": budget, **result}))


def measure(tool: str, name: str, seed: int, budget: float, threads: int) -> dict:
    """One run in a fresh process with the thread limits set; a crash is recorded with its traceback."""
    limits = {k: str(threads) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                        "NUMEXPR_NUM_THREADS", "LOKY_MAX_CPU_COUNT")}
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "bench.bench_automl", "--child", tool, name, str(seed),
                          str(budget), str(threads)], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, **limits})
    process = time.perf_counter() - started
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"tool": tool, "dataset": name, "seed": seed, "budget": budget, "error": out.stderr[-4000:],
                "process_seconds": process}
    return {**json.loads(lines[-1]), "process_seconds": process}


def _median(runs: list[dict], key: str) -> float:
    values = [r[key] for r in runs if "error" not in r]
    return statistics.median(values) if values else float("nan")


def summarise(results: list[dict]) -> list[dict]:
    """One row per dataset × budget: median scores, difference, wall times and their ratio."""
    rows = []
    for name, budget in dict.fromkeys((r["dataset"], r["budget"]) for r in results):
        runs = {t: [r for r in results if (r["dataset"], r["budget"], r["tool"]) == (name, budget, t)]
                for t in TOOLS}
        theirs = _median(runs["flaml"], "score")
        for tool in TOOLS[:2]:
            ours = _median(runs[tool], "score")
            rows.append({"dataset": name, "budget": budget, "tool": tool, "metric": dataset_metric(runs),
                         "workbench": ours, "flaml": theirs, "diff": ours - theirs,
                         "wb_seconds": _median(runs[tool], "seconds"),
                         "flaml_seconds": _median(runs["flaml"], "seconds"),
                         "wins": sum(a.get("score", -np.inf) > b.get("score", -np.inf)
                                     for a, b in zip(runs[tool], runs["flaml"], strict=True)),
                         "seeds": len(runs[tool]),
                         "errors": sum("error" in r for t in (tool, "flaml") for r in runs[t])})
    return rows


def dataset_metric(runs: dict) -> str:
    return next((r["metric"] for rs in runs.values() for r in rs if "metric" in r), "?")


def print_table(rows: list[dict]) -> None:
    print(f"{'dataset':<14}{'budget':>7} {'Workbench run':<16}{'metric':<9}{'Workbench':>10}{'FLAML':>9}{'diff':>9}"
          f"{'WB wins':>8}{'WB s':>8}{'FLAML s':>9}{'time ratio':>11}")
    for r in rows:
        ratio = r["wb_seconds"] / r["flaml_seconds"]
        print(f"{r['dataset']:<14}{r['budget']:>6.0f}s {r['tool']:<16}{r['metric']:<9}"
              f"{r['workbench']:>10.4f}{r['flaml']:>9.4f}"
              f"{r['diff']:>+9.4f}{r['wins']:>5}/{r['seeds']:<2}{r['wb_seconds']:>8.1f}{r['flaml_seconds']:>9.1f}"
              f"{ratio:>11.2f}" + (f"   ({r['errors']} runs failed)" if r["errors"] else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description="AutoML benchmark: Workbench against FLAML")
    parser.add_argument("--child", nargs=5, metavar=("TOOL", "DATASET", "SEED", "BUDGET", "THREADS"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="1 seed, 15 s budgets, the small bundled sets")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--long-budget", type=float, default=60.0, help="extra budget for gen_clf_20k (0: off)")
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.child:
        tool, name, seed, budget, threads = args.child
        return child(tool, name, int(seed), float(budget), int(threads))
    if args.quick:
        args.seeds, args.budget, args.long_budget = 1, 15.0, 0.0
        args.datasets = [d for d in args.datasets if d in SMALL]
    plan = [(name, args.budget) for name in args.datasets]
    if args.long_budget and "gen_clf_20k" in args.datasets:
        plan.append(("gen_clf_20k", args.long_budget))
    started = time.perf_counter()
    results = []
    for name, budget in plan:
        for seed in range(args.seeds):
            for tool in TOOLS:
                result = measure(tool, name, seed, budget, args.threads)
                results.append(result)
                status = (f"error (see {OUT.name})" if "error" in result
                          else f"{result['score']:.4f} in {result['seconds']:.1f} s, best {result['best']}")
                print(f"  {name:<14} {budget:>4.0f}s seed {seed} {tool:<16} {status}", flush=True)
    rows = summarise(results)
    total = time.perf_counter() - started
    print(f"\nmedian over {args.seeds} seed(s), {args.threads} threads each; test rows scored alike; "
          f"diff = Workbench - FLAML (higher is better for every metric here); benchmark took {total / 60:.1f} min")
    print_table(rows)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"settings": vars(args) | {"families": FAMILIES}, "summary": rows,
                               "runs": results, "total_seconds": total}, indent=1, default=str))
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
