"""Benchmark: Workbench's one-click AutoML against FLAML and a default HistGBM, same wall-clock budget, same test rows.

    .venv/bin/pip install -r bench/requirements.txt     # peer tools, for this benchmark only
    .venv/bin/python -m bench.bench_automl --budget 60  # the contract: 8+ real datasets, 60 s each
    .venv/bin/python -m bench.bench_automl --quick      # smoke check: 1 seed, 15 s, the four small sklearn sets
    .venv/bin/python -m bench.bench_automl --seeds 0 1 --datasets wine affairs --out bench/out/automl_x.json
    .venv/bin/python -m bench.bench_automl --report bench/out/automl_s0.json bench/out/automl_s1.json

The suite (``REAL``) is nine real public tables that ship inside installed packages; nothing is downloaded
(scikit-learn's ``load_*`` loaders and statsmodels' ``datasets.<name>.load_pandas()``, which read files inside
the package; never ``fetch_*`` or ``get_rdataset``):

==============  ============  =====  ====================================================================
name            task, metric  rows   what it is; what this benchmark changes
==============  ============  =====  ====================================================================
breast_cancer   binary, AUC     569  sklearn; Wisconsin diagnostic
wine            3-class, F1     178  sklearn; cultivar from chemistry
digits          10-class, F1   1797  sklearn; 8x8 handwritten digits
diabetes        reg, R²         442  sklearn; disease progression after one year
affairs         binary, AUC    6366  statsmodels ``fair``: had an affair (``affairs > 0``; the count is dropped).
                                     occupation and husband's occupation become text categories; 10% MCAR
                                     missing values (seed 0) in age, yrs_married, educ, occupation
anes96          binary, AUC     944  statsmodels ``anes96``: voted Dole (1) or Clinton (0) in 1996. Party id
                                     and education become text categories (their survey labels);
                                     ``logpopul`` (= log of popul) is dropped; 5% MCAR missing values
                                     (seed 0) in TVnews, income, educ, selfLR
star98          reg, R²         303  statsmodels ``star98``: share of a California district's pupils above
                                     the national maths median, NABOVE / (NABOVE + NBELOW); both counts dropped
grunfeld        reg, R²         220  statsmodels ``grunfeld``: gross investment of 11 US firms, 1935-54; firm
                                     is a text category (its own data)
randhie         reg, R²       20190  statsmodels ``randhie``: RAND health insurance experiment, target
                                     log1p(doctor visits); the three health dummies become one text category
                                     (excellent / good / fair / poor); 5% MCAR missing in lpi, fmde, disea
==============  ============  =====  ====================================================================

Two generated tables (``gen_clf_20k``, ``gen_reg_5k``) remain available with ``--datasets``; they are not in the
suite.

Protocol, per dataset × seed: Workbench's split (60/20/20, stratified for classification, seed = run seed) fixes
the test rows; every tool is scored on them with
``engine.evaluate.metrics.compute_metrics``: ROC-AUC for binary, macro-F1
for multiclass, R² for regression, and every tool optimises that metric.

- ``workbench``: the Train page's one-click AutoML (``tune_candidates`` with the CLI's AutoML settings: TPE
  over linear, random forest, extra trees, gradient boosting, k-NN with 3-fold CV on the train rows, median
  pruner, voting ensemble; budget = the whole call), then the candidate best on the validation rows, fitted on
  the train rows (60 %), as the Train page keeps it.
- ``workbench-cli``: ``python -m engine train --time-budget B`` done in-process on the train + valid rows
  (80 %): the CLI's own 80/20 inner split, 60 % of the budget to choose, the rest to refit the winner on all
  80 %. Opt-in (``--tools``) because it costs another budget per run.
- ``flaml``: ``flaml.AutoML`` on the train + valid rows (it validates internally), default estimators,
  ``time_budget`` = B, ``n_jobs`` = threads.
- ``histgbm``: default ``HistGradientBoostingClassifier/Regressor`` (``random_state`` = seed, text columns as
  pandas categories so its native categorical support handles them, NaN handled natively) on the train + valid
  rows.

Each run is its own process with the same thread limits (OMP/BLAS/loky at ``--threads``). Wall time is the whole
tool call. Scores per dataset are the mean over seeds. The normalised score of a tool on a dataset is
(score − worst) / (best − worst) over the three tools workbench, flaml and histgbm (1 = best of the three, 0 =
worst; 1 for all when they tie); ``workbench-cli`` is put on the same scale, clipped to [0, 1]. "Matches or
beats" means a mean score >= the other tool's; a tool whose runs all failed on a dataset (an error, no model) loses
there and scores 0. Results go to ``--out`` (default bench/out/automl.json), rewritten
after every run so a stopped benchmark keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import os
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
SKLEARN = ["breast_cancer", "wine", "digits", "diabetes"]
STATSMODELS = ["affairs", "anes96", "star98", "grunfeld", "randhie"]
REAL = [*SKLEARN, *STATSMODELS]
GENERATED = ["gen_clf_20k", "gen_reg_5k"]
TOOLS = ("workbench", "workbench-cli", "flaml", "histgbm")
DEFAULT_TOOLS = ("workbench", "flaml", "histgbm")
TRIO = ("workbench", "flaml", "histgbm")  # the normalisation's reference set
FLAML_METRIC = {"roc_auc": "roc_auc", "f1_macro": "macro_f1", "r2": "r2"}
PID = ["strong_democrat", "weak_democrat", "independent_democrat", "independent", "independent_republican",
       "weak_republican", "strong_republican"]
EDUC = ["grade_school", "some_high_school", "high_school", "some_college", "associate", "bachelor", "graduate"]


def _mcar(frame: pd.DataFrame, columns: list[str], rate: float, seed: int = 0) -> pd.DataFrame:
    """Blank ``rate`` of the cells of ``columns``, completely at random (fixed ``seed``)."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    for column in columns:
        out.loc[rng.random(len(out)) < rate, column] = None
    return out


def _statsmodels(name: str) -> pd.DataFrame:
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data.copy()


def _real(name: str) -> tuple[pd.DataFrame, str, str]:
    if name == "affairs":
        frame = _statsmodels("fair")
        frame["target"] = (frame.pop("affairs") > 0).astype(int)
        for column in ("occupation", "occupation_husb"):
            frame[column] = "occ" + frame[column].astype(int).astype(str)
        return _mcar(frame, ["age", "yrs_married", "educ", "occupation"], 0.10), "classification", "roc_auc"
    if name == "anes96":
        frame = _statsmodels("anes96").drop(columns=["logpopul"])
        frame["PID"] = [PID[int(v)] for v in frame["PID"]]
        frame["educ"] = [EDUC[int(v) - 1] for v in frame["educ"]]
        frame["target"] = frame.pop("vote").astype(int)
        return _mcar(frame, ["TVnews", "income", "educ", "selfLR"], 0.05), "classification", "roc_auc"
    if name == "star98":
        frame = _statsmodels("star98")
        above, below = frame.pop("NABOVE"), frame.pop("NBELOW")
        frame["target"] = above / (above + below)
        return frame, "regression", "r2"
    if name == "grunfeld":
        frame = _statsmodels("grunfeld")
        frame["firm"] = frame["firm"].astype(str)
        frame["target"] = frame.pop("invest")
        return frame, "regression", "r2"
    if name == "randhie":
        frame = _statsmodels("randhie")
        health = np.select([frame["hlthg"] == 1, frame["hlthf"] == 1, frame["hlthp"] == 1],
                           ["good", "fair", "poor"], "excellent")
        frame = frame.drop(columns=["hlthg", "hlthf", "hlthp"]).assign(health=health)
        frame["target"] = np.log1p(frame.pop("mdvis"))
        return _mcar(frame, ["lpi", "fmde", "disea"], 0.05), "regression", "r2"
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    frame = bunch.frame.rename(columns={c: str(c).replace(" ", "_") for c in bunch.frame.columns})
    if name == "diabetes":
        return frame, "regression", "r2"
    return frame, "classification", "roc_auc" if frame["target"].nunique() == 2 else "f1_macro"


def _categories(values: np.ndarray, levels: int) -> np.ndarray:
    """Bin a numeric column into ``levels`` text categories ("c0", "c1", ...) by quantile."""
    codes = pd.qcut(values, levels, labels=False, duplicates="drop")
    return np.char.add("c", np.asarray(codes).astype(str))


def _generated(name: str) -> tuple[pd.DataFrame, str, str]:
    from sklearn import datasets

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
    X, y = datasets.make_friedman1(n_samples=5_000, n_features=10, noise=1.0, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(10)])
    shift = {"a": 0.0, "b": 2.0, "c": -3.0, "d": 5.0}
    frame["group"] = np.array(list(shift))[rng.integers(0, len(shift), len(frame))]
    frame["target"] = y + frame["group"].map(shift).to_numpy()
    return frame, "regression", "r2"


def dataset(name: str) -> tuple[pd.DataFrame, str, str]:
    """(frame with a 'target' column, task, metric) of a packaged or generated dataset."""
    if name in REAL:
        return _real(name)
    if name in GENERATED:
        return _generated(name)
    raise SystemExit(f"Unknown dataset '{name}'; choose from {REAL + GENERATED}.")


def describe(name: str) -> dict:
    frame, task, metric = dataset(name)
    X = frame.drop(columns=["target"])
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    return {"dataset": name, "task": task, "metric": metric, "rows": len(frame), "features": X.shape[1],
            "text_columns": len(text), "missing_cells": round(float(X.isna().to_numpy().mean()), 4)}


def _split(frame: pd.DataFrame, task: str, metric: str, seed: int):
    from engine import Problem, prepare_target, split_rows, validate_recipe

    problem = Problem("target", task, metric)
    strategy = "stratified" if task == "classification" else "random"
    recipe = validate_recipe({"split": {"train": 0.6, "valid": 0.2, "test": 0.2, "strategy": strategy,
                                        "seed": seed}})
    rows, y = prepare_target(frame, problem)
    return problem, recipe, rows, y, split_rows(y, task, recipe["split"], rows)


def _trial_counts(storage, name: str) -> dict:
    """Trials of study ``name`` per family and state, and the errors of failed ones."""
    import optuna

    from engine.train.tuning import family_errors

    study = optuna.load_study(study_name=name, storage=storage)
    counts: dict = {}
    for trial in study.get_trials(deepcopy=False):
        family = trial.user_attrs.get("family", trial.params.get("family", "?"))
        state = trial.state.name.lower()
        counts.setdefault(family, {}).setdefault(state, 0)
        counts[family][state] += 1
    return {"trials": sum(sum(c.values()) for c in counts.values()), "by_family": counts,
            "errors": family_errors(study)}


def _candidates(candidates, metric: str) -> dict:
    return {c.model: {"status": c.status, "valid": c.valid_metrics.get(metric), "error": c.error,
                      "seconds": round(c.fit_seconds, 2)} for c in candidates}


def run_workbench(frame, task, metric, seed, budget, workdir: Path) -> dict:
    """The Train page's AutoML: tune_candidates under the budget; the validation winner, fitted on train rows."""
    from engine import infer_schema
    from engine.train.automl import tune_candidates
    from engine.train.policy import AUTOML_SEARCH
    from engine.train.training import best_candidate, evaluate
    from engine.train.tuning import open_storage

    problem, recipe, rows, y, split = _split(frame, task, metric, seed)
    data_path = workdir / "data.parquet"
    frame.to_parquet(data_path)
    settings = {**AUTOML_SEARCH, "models": FAMILIES, "cv_folds": 3, "seed": seed, "time_budget": budget}
    storage = open_storage(f"sqlite:///{workdir}/studies.db")
    started = time.perf_counter()
    candidates = tune_candidates(frame, infer_schema(frame), problem, recipe, settings, split, storage=storage,
                                 study_name="bench", data_path=str(data_path))
    seconds = time.perf_counter() - started
    best = best_candidate(candidates, metric)
    X = rows.drop(columns=["target"])
    test, _ = evaluate(best.pipeline, X.iloc[split.test], y.iloc[split.test], task)
    return {"score": test[metric], "test": test, "seconds": seconds, "best": best.model,
            **_trial_counts(storage, "bench-automl"), "candidates": _candidates(candidates, metric)}


def run_workbench_cli(frame, task, metric, seed, budget, workdir: Path) -> dict:
    """``python -m engine train --time-budget`` on the train + valid rows (its steps, in-process, metric forced)."""
    from engine import Problem, infer_schema, split_rows, validate_recipe
    from engine.train.policy import AUTOML_SEARCH, selection_budget
    from engine.train.training import TimeBudgetExceeded, best_candidate, evaluate, refit, training_data
    from engine.train.tuning import open_storage
    from usecases import cli

    problem, _, rows, y, split = _split(frame, task, metric, seed)
    dev = rows.iloc[np.concatenate([split.train, split.valid])].reset_index(drop=True)
    started = time.monotonic()
    schema = infer_schema(dev)
    problem = Problem("target", task, metric)
    recipe = validate_recipe({"split": {**cli._CLI_SPLIT, "seed": seed}})
    settings = {**AUTOML_SEARCH, "models": FAMILIES, "cv_folds": 3, "seed": seed,
                "time_budget": selection_budget(budget, time.monotonic() - started)}
    data = training_data(dev, schema, problem, recipe)
    inner = split_rows(data.y, task, recipe["split"], data.rows)
    data_path = workdir / "data.parquet"
    dev.to_parquet(data_path)
    storage = open_storage(f"sqlite:///{workdir}/studies.db")
    from engine.train.automl import tune_candidates

    candidates = tune_candidates(dev, schema, problem, recipe, settings, inner, storage=storage,
                                 study_name="cli", data_path=str(data_path))
    best = best_candidate(candidates, metric)
    pipeline, refitted = best.pipeline, True
    try:
        pipeline = refit(best.pipeline, data.X, data.y, started + budget * 0.9, data.fitter)
    except TimeBudgetExceeded:
        refitted = False
    seconds = time.monotonic() - started
    X = rows.drop(columns=["target"])
    test, _ = evaluate(pipeline, X.iloc[split.test], y.iloc[split.test], task)
    return {"score": test[metric], "test": test, "seconds": seconds, "best": best.model, "refitted": refitted,
            **_trial_counts(storage, "cli-automl"), "candidates": _candidates(candidates, metric)}


def _dev_and_test(frame, task, metric, seed):
    """Train + valid rows and test rows, text columns as pandas categories (for FLAML and HistGBM)."""
    _, _, rows, y, split = _split(frame, task, metric, seed)
    X = rows.drop(columns=["target"])
    X = X.astype({c: "category" for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])})
    dev = np.concatenate([split.train, split.valid])
    return X.iloc[dev], y.iloc[dev], X.iloc[split.test], y.iloc[split.test]


def _score(task, model, X_test, y_test) -> dict:
    from engine.evaluate.metrics import compute_metrics

    proba = model.predict_proba(X_test) if task == "classification" else None
    classes = list(model.classes_) if task == "classification" else None
    return compute_metrics(task, y_test, model.predict(X_test), proba, classes)


def run_flaml(frame, task, metric, seed, budget, threads: int) -> dict:
    from flaml import AutoML

    X_dev, y_dev, X_test, y_test = _dev_and_test(frame, task, metric, seed)
    automl = AutoML()
    started = time.perf_counter()
    automl.fit(X_dev, y_dev, task=task, time_budget=budget, metric=FLAML_METRIC[metric], seed=seed,
               n_jobs=threads, verbose=0)
    seconds = time.perf_counter() - started
    test = _score(task, automl, X_test, y_test)
    return {"score": test[metric], "test": test, "seconds": seconds, "best": automl.best_estimator,
            "trials": len(automl.config_history)}


def run_histgbm(frame, task, metric, seed) -> dict:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    X_dev, y_dev, X_test, y_test = _dev_and_test(frame, task, metric, seed)
    cls = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
    model = cls(categorical_features="from_dtype", random_state=seed)
    started = time.perf_counter()
    model.fit(X_dev, y_dev)
    seconds = time.perf_counter() - started
    test = _score(task, model, X_test, y_test)
    return {"score": test[metric], "test": test, "seconds": seconds, "best": "default", "trials": 1}


def child(tool: str, name: str, seed: int, budget: float, threads: int) -> None:
    """One run, in this process; prints its result as one JSON line."""
    import warnings

    import optuna

    warnings.filterwarnings("ignore")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    frame, task, metric = dataset(name)
    with tempfile.TemporaryDirectory() as tmp:
        if tool == "workbench":
            result = run_workbench(frame, task, metric, seed, budget, Path(tmp))
        elif tool == "workbench-cli":
            result = run_workbench_cli(frame, task, metric, seed, budget, Path(tmp))
        elif tool == "flaml":
            result = run_flaml(frame, task, metric, seed, budget, threads)
        else:
            result = run_histgbm(frame, task, metric, seed)
    print(json.dumps({"tool": tool, "dataset": name, "metric": metric, "seed": seed, "budget": budget, **result,
                      "engine_digest": engine_digest()}, default=str))


def engine_digest() -> str:
    """A short hash of the product code a run used (engine/ and usecases/), to tell runs on edited trees apart."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted([*ROOT.glob("engine/*.py"), *ROOT.glob("usecases/*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def measure(tool: str, name: str, seed: int, budget: float, threads: int) -> dict:
    """One run in a fresh process with the thread limits set; a crash or hang is recorded with its output."""
    limits = {k: str(threads) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                        "NUMEXPR_NUM_THREADS", "LOKY_MAX_CPU_COUNT")}
    started = time.perf_counter()
    command = [sys.executable, "-m", "bench.bench_automl", "--child", tool, name, str(seed), str(budget),
               str(threads)]
    try:
        out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **limits},
                             timeout=4 * budget + 300)
    except subprocess.TimeoutExpired as exc:
        return {"tool": tool, "dataset": name, "seed": seed, "budget": budget,
                "error": f"timed out after {exc.timeout:.0f} s", "process_seconds": time.perf_counter() - started}
    process = time.perf_counter() - started
    load = round(os.getloadavg()[0], 2)  # 1-min load average at the end: others share these 2 cores
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"tool": tool, "dataset": name, "seed": seed, "budget": budget, "error": out.stderr[-4000:],
                "process_seconds": process, "load": load}
    return {**json.loads(lines[-1]), "process_seconds": process, "load": load}


def _mean(runs: list[dict], key: str) -> float:
    values = [r[key] for r in runs if "error" not in r]
    return float(np.mean(values)) if values else float("nan")


def summarise(results: list[dict]) -> list[dict]:
    """One row per dataset × budget: mean score and wall seconds per tool over seeds, and normalised scores."""
    rows = []
    for name, budget in dict.fromkeys((r["dataset"], r["budget"]) for r in results):
        runs = [r for r in results if (r["dataset"], r["budget"]) == (name, budget)]
        tools = [t for t in TOOLS if any(r["tool"] == t for r in runs)]
        score = {t: _mean([r for r in runs if r["tool"] == t], "score") for t in tools}
        seconds = {t: _mean([r for r in runs if r["tool"] == t], "seconds") for t in tools}
        trio = [score[t] for t in TRIO if t in score and not np.isnan(score[t])]
        low, high = (min(trio), max(trio)) if trio else (np.nan, np.nan)
        normalised = {t: (0.0 if np.isnan(s) else 1.0 if high == low else min(1.0, max(0.0, (s - low) / (high - low))))
                      for t, s in score.items()}  # a tool whose every run failed scores 0
        rows.append({"dataset": name, "budget": budget, "metric": next((r["metric"] for r in runs if "metric" in r),
                                                                       "?"),
                     "seeds": sorted({r["seed"] for r in runs}), "score": score, "seconds": seconds,
                     "normalised": normalised, "errors": {t: sum("error" in r for r in runs if r["tool"] == t)
                                                          for t in tools}})
    return rows


def verdict(rows: list[dict], ours: str, other: str) -> str:
    # A failed run (NaN score) loses to any score; NaN >= x and NaN > x are False below.
    pairs = [(r["score"][ours], -np.inf if np.isnan(r["score"][other]) else r["score"][other],
              r["normalised"][ours], r["normalised"][other])
             for r in rows if ours in r["score"] and other in r["score"]]
    if not pairs:
        return f"{ours} vs {other}: no dataset with both"
    at_least = sum(a >= b for a, b, _, _ in pairs)
    strict = sum(a > b for a, b, _, _ in pairs)
    mean_ours, mean_other = np.mean([p[2] for p in pairs]), np.mean([p[3] for p in pairs])
    majority = at_least > len(pairs) / 2
    return (f"{ours} vs {other}: matches or beats on {at_least}/{len(pairs)} (strict wins {strict}), "
            f"mean normalised {mean_ours:.3f} vs {mean_other:.3f} -> "
            f"{'PASS' if majority and mean_ours >= mean_other else 'FAIL'}")


def print_table(rows: list[dict]) -> None:
    tools = [t for t in TOOLS if any(t in r["score"] for r in rows)]
    head = "".join(f"{t:>15}" for t in tools) + "".join(f"{t + ' s':>17}" for t in tools)
    print(f"{'dataset':<14}{'budget':>7} {'metric':<9}{head}   best")
    for r in rows:
        scores = "".join(f"{r['score'].get(t, np.nan):>15.4f}" for t in tools)
        secs = "".join(f"{r['seconds'].get(t, np.nan):>17.1f}" for t in tools)
        best = max((t for t in tools if not np.isnan(r["score"].get(t, np.nan))), key=lambda t: r["score"][t],
                   default="?")
        errors = {t: n for t, n in r["errors"].items() if n}
        print(f"{r['dataset']:<14}{r['budget']:>6.0f}s {r['metric']:<9}{scores}{secs}   {best}"
              + (f"   failed runs: {errors}" if errors else ""))
    means = "".join(f"{np.nanmean([r['normalised'].get(t, np.nan) for r in rows]):>15.3f}" for t in tools)
    print(f"{'mean normalised':<31}{means}")


def print_diagnostics(results: list[dict]) -> None:
    """Per Workbench run: trials per family (complete/pruned/fail), candidates, errors."""
    print("\nWorkbench runs: trials per family (complete/pruned/fail), candidate statuses")
    for r in results:
        if not r["tool"].startswith("workbench") or "error" in r:
            continue
        fams = " ".join(f"{f}:{c.get('complete', 0)}/{c.get('pruned', 0)}/{c.get('fail', 0)}"
                        for f, c in sorted(r.get("by_family", {}).items()))
        cands = " ".join(f"{m}={c['status']}" + (f"({c['valid']:.4f})" if c["valid"] is not None else "")
                         for m, c in r.get("candidates", {}).items())
        print(f"  {r['dataset']:<14} seed {r['seed']} {r['tool']:<14} best {r['best']:<18} trials {r['trials']:>4}: "
              f"{fams}\n  {'':<14}        {'':<14} {cands}")
        for family, error in r.get("errors", {}).items():
            print(f"  {'':<14}        {'':<14} last failed trial of {family}: {error[:200]}")
        by_error: dict[str, list[str]] = {}
        for model, c in r.get("candidates", {}).items():
            if c["status"] != "ok" and c["error"]:
                by_error.setdefault(f"{c['status']}: {c['error'][:160]}", []).append(model)
        for error, models in by_error.items():
            print(f"  {'':<14}        {'':<14} {', '.join(models)} {error}")


def report(results: list[dict], note: str) -> list[dict]:
    rows = summarise(results)
    print(f"\n{note}")
    print_table(rows)
    print_diagnostics(results)
    print()
    for other in ("flaml", "histgbm"):
        print("VERDICT " + verdict(rows, "workbench", other))
    if any("workbench-cli" in r["score"] for r in rows):
        for other in ("flaml", "histgbm"):
            print("VERDICT " + verdict(rows, "workbench-cli", other))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="AutoML benchmark: Workbench against FLAML and a default HistGBM")
    parser.add_argument("--child", nargs=5, metavar=("TOOL", "DATASET", "SEED", "BUDGET", "THREADS"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="seed 0, 15 s budgets, the four sklearn sets")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds to run (default: 0)")
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--datasets", nargs="+", default=REAL, choices=REAL + GENERATED)
    parser.add_argument("--tools", nargs="+", default=list(DEFAULT_TOOLS), choices=TOOLS)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--report", type=Path, nargs="+", help="only summarise these result files together")
    args = parser.parse_args()
    if args.child:
        tool, name, seed, budget, threads = args.child
        return child(tool, name, int(seed), float(budget), int(threads))
    if args.report:
        results = [r for path in args.report for r in json.loads(path.read_text())["runs"]]
        report(results, f"runs from {', '.join(str(p) for p in args.report)}; mean over seeds")
        return None
    if args.quick:
        args.seeds, args.budget = [0], 15.0
        args.datasets = [d for d in args.datasets if d in SKLEARN]
        if args.out == OUT:
            args.out = OUT.with_name("automl_quick.json")
    print(f"{'dataset':<14}{'task':<16}{'metric':<10}{'rows':>7}{'features':>9}{'text cols':>10}{'missing':>9}")
    for name in args.datasets:
        d = describe(name)
        print(f"{name:<14}{d['task']:<16}{d['metric']:<10}{d['rows']:>7}{d['features']:>9}{d['text_columns']:>10}"
              f"{d['missing_cells']:>9.1%}")
    started = time.perf_counter()
    results: list[dict] = []
    for seed in args.seeds:
        for name in args.datasets:
            for tool in args.tools:
                result = measure(tool, name, seed, args.budget, args.threads)
                results.append(result)
                status = (f"error: {result['error'].strip().splitlines()[-1][:150] if result['error'].strip() else '?'}"
                          if "error" in result else
                          f"{result['score']:.4f} in {result['seconds']:.1f} s, best {result['best']}, "
                          f"{result.get('trials', '?')} trials, load {result['load']}")
                print(f"  {name:<14} {args.budget:>4.0f}s seed {seed} {tool:<14} {status}", flush=True)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps({"settings": vars(args) | {"families": FAMILIES}, "runs": results,
                                                "total_seconds": time.perf_counter() - started},
                                               indent=1, default=str))
    total = time.perf_counter() - started
    rows = report(results, f"mean over seed(s) {args.seeds}, {args.threads} threads per run; test rows scored alike; "
                           f"higher is better for every metric here; benchmark took {total / 60:.1f} min")
    args.out.write_text(json.dumps({"settings": vars(args) | {"families": FAMILIES}, "summary": rows,
                                    "runs": results, "total_seconds": total}, indent=1, default=str))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
