"""Which gradient-boosting learner (issue 15 item 6): HistGBM, LightGBM, XGBoost (CatBoost) on the AutoML tables.

    .venv/bin/python -m bench.bench_learners                               # all 20 tables, every configuration
    .venv/bin/python -m bench.bench_learners --tables anes96 nass_cds      # a subset
    .venv/bin/python -m bench.bench_learners --configs hgb_default lgb_default --tables wine
    .venv/bin/python -m bench.bench_learners --configs cat_default cat_lr05 --tables anes96   # needs catboost
    .venv/bin/python -m bench.bench_learners --report bench/results/learners-*.csv          # tables, no fit

The tables, the train / test split (20 % test rows, stratified, seed 0) and each table's metric are those of
``bench/bench_automl.py``; the training and test rows are read as the benchmark's peers read them
(``bench_automl_peers.read_xy``: text columns as pandas categories with the training file's levels), so every
learner uses its own native categorical and missing-value handling and nothing else is done to the columns.

Configurations (``CONFIGS``): each library's default, and a few settings that the field's AutoML tools start
from. AutoGluon fits LightGBM at learning rate 0.05 with up to 10,000 rounds and early stopping on held-out rows,
a second "large" LightGBM at learning rate 0.03 with 128 leaves, 90 % of the features per tree and 3 rows a leaf,
an extremely-randomised LightGBM (``extra_trees``), and XGBoost at learning rate 0.1 with up to 10,000 rounds
and early stopping; its CatBoost at learning rate 0.05 with early stopping (CatBoost is not a benchmark
requirement: its two configurations run only when named). FLAML starts LightGBM and XGBoost from tiny models
(4 leaves); ``hgb_small`` / ``lgb_small`` stand for that end of the space (8 leaves, learning rate 0.05, early
stopping). ``hgb_default``, ``hgb_small_lr10``, ``hgb_lr05`` and ``hgb_large`` are the AutoML portfolio's boosting
points (``engine.train.families``); ``hgb_lr05_p50`` is ``hgb_lr05`` with LightGBM's patience. Early
stopping holds out 10 % of the training rows (stratified for classes, the seed's split), as HistGBM's own
``early_stopping`` does, with a patience of 50 rounds for LightGBM and XGBoost (HistGBM: its ``n_iter_no_change``).

Per table x configuration: the test score, fit and predict seconds, the peak resident memory above the process's
size before the fit (``bench.rss.PeakAbove``), and the 95 % paired bootstrap (1,000 resamples of the test rows,
the same for every configuration) of the score difference against the default HistGBM: ``win`` / ``loss`` when
the interval excludes 0, else ``tie``. One process, one thread per learner (``--threads``), configurations run
one after another on each table; the 1-minute load average is recorded with each row. Results go to
``bench/results/learners-<time>.csv`` (git-ignored). Exit code 0: this benchmark informs a decision, it has no
target. ``--report`` prints the per-table scores, the summary and a sign count of each library against the
HistGBM setting of the same intent from earlier result files, as Markdown (bench/README.md's tables).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from bench.bench_automl import OUT, Scored, bootstrap_weights, compare, paired_interval, split_files
from bench.bench_automl_peers import predictions, read_xy
from bench.bench_automl_tables import TABLES
from bench.rss import PeakAbove

EARLY_STOP_SHARE = 0.1
PATIENCE = 50
MAX_ROUNDS = 10_000
BASELINE = "hgb_default"


class Config(NamedTuple):
    library: str  # "hgb", "lgb" or "xgb"
    params: dict[str, Any]
    early_stopping: bool  # LightGBM / XGBoost: hold out EARLY_STOP_SHARE and stop after PATIENCE rounds
    note: str


CONFIGS: dict[str, Config] = {
    "hgb_default": Config("hgb", {}, False, "HistGradientBoosting*() (portfolio point 1)"),
    "hgb_lr05": Config("hgb", {"learning_rate": 0.05, "max_iter": 1000, "early_stopping": True}, False,
                       "lr 0.05, up to 1,000 iterations, early stopping (portfolio)"),
    "hgb_lr05_p50": Config("hgb", {"learning_rate": 0.05, "max_iter": 1000, "early_stopping": True,
                                   "n_iter_no_change": PATIENCE}, False,
                           "as hgb_lr05 with LightGBM's patience of 50"),
    "hgb_large": Config("hgb", {"learning_rate": 0.05, "max_leaf_nodes": 127, "min_samples_leaf": 40,
                                "l2_regularization": 1.0, "max_iter": 1000, "early_stopping": True}, False,
                        "127 leaves, 40 rows a leaf, l2 1 (portfolio, 10,000+ rows)"),
    "hgb_small": Config("hgb", {"learning_rate": 0.05, "max_leaf_nodes": 8, "min_samples_leaf": 20,
                                "l2_regularization": 1.0, "max_iter": 1000, "early_stopping": True}, False,
                        "8 leaves, l2 1, lr 0.05, early stopping: near-additive, for small tables"),
    "hgb_small_lr10": Config("hgb", {"learning_rate": 0.1, "max_leaf_nodes": 8, "min_samples_leaf": 20,
                                     "l2_regularization": 1.0, "max_iter": 300, "early_stopping": True}, False,
                             "as hgb_small at lr 0.1 and at most 300 iterations: its cost near the default's"),
    "lgb_default": Config("lgb", {}, False, "LGBM*() (100 rounds, lr 0.1, 31 leaves)"),
    "lgb_lr05": Config("lgb", {"learning_rate": 0.05, "n_estimators": MAX_ROUNDS}, True,
                       "lr 0.05, early stopping (AutoGluon's default)"),
    "lgb_large": Config("lgb", {"learning_rate": 0.03, "n_estimators": MAX_ROUNDS, "num_leaves": 128,
                                "colsample_bytree": 0.9, "min_child_samples": 3}, True,
                        "lr 0.03, 128 leaves, 90 % features, 3 rows a leaf (AutoGluon's large)"),
    "lgb_xt": Config("lgb", {"learning_rate": 0.05, "n_estimators": MAX_ROUNDS, "extra_trees": True}, True,
                     "extremely randomised splits, lr 0.05 (AutoGluon's XT)"),
    "lgb_small": Config("lgb", {"learning_rate": 0.05, "n_estimators": MAX_ROUNDS, "num_leaves": 8,
                                "reg_lambda": 1.0}, True, "as hgb_small"),
    "xgb_default": Config("xgb", {}, False, "XGB*() (100 rounds, lr 0.3, depth 6)"),
    "xgb_lr10": Config("xgb", {"learning_rate": 0.1, "n_estimators": MAX_ROUNDS}, True,
                       "lr 0.1, depth 6, early stopping (AutoGluon's default)"),
    # CatBoost is not in bench/requirements.txt: these run only where ``catboost`` imports (an extra install).
    "cat_default": Config("cat", {}, False, "CatBoost*() (1,000 rounds, its automatic learning rate, depth 6)"),
    "cat_lr05": Config("cat", {"learning_rate": 0.05, "iterations": MAX_ROUNDS}, True,
                       "lr 0.05, early stopping (AutoGluon's default)"),
}
OPTIONAL = {"cat"}  # libraries whose configurations run only when named with --configs


# -- fitting one configuration -----------------------------------------------------------------------------------

def _holdout(X: pd.DataFrame, y: pd.Series, task: str, seed: int):
    from sklearn.model_selection import train_test_split

    return train_test_split(X, y, test_size=EARLY_STOP_SHARE, random_state=seed,
                            stratify=y if task != "regression" else None)


class _Encoded:
    """XGBoost's classifiers want labels 0..k-1: fit on codes, answer with the labels (``classes_``)."""

    def __init__(self, model, classes: list[str]):
        self.model, self.classes_ = model, np.array(classes)

    def predict_proba(self, X):
        return self.model.predict_proba(X)


def fit(config: Config, task: str, X: pd.DataFrame, y: pd.Series, seed: int, threads: int):
    """The fitted model of ``config`` (``predict`` / ``predict_proba`` / ``classes_``) and its rounds used."""
    classify = task != "regression"
    if config.library == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        cls = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        model = cls(categorical_features="from_dtype", random_state=seed, **config.params).fit(X, y)
        return model, int(model.n_iter_)
    X_fit, X_stop, y_fit, y_stop = _holdout(X, y, task, seed) if config.early_stopping else (X, None, y, None)
    if config.library == "lgb":
        import lightgbm

        cls = lightgbm.LGBMClassifier if classify else lightgbm.LGBMRegressor
        model = cls(random_state=seed, n_jobs=threads, verbose=-1, **config.params)
        # eval_set, not 4.7's eval_X / eval_y: those skip the label encoding of text classes
        extra = {} if X_stop is None else {"eval_set": [(X_stop, y_stop)],
                                           "callbacks": [lightgbm.early_stopping(PATIENCE, verbose=False)]}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # LGBMDeprecationWarning on eval_set
            model.fit(X_fit, y_fit, **extra)
        return model, int(model.best_iteration_ or model.n_estimators)
    if config.library == "xgb":
        import xgboost

        cls = xgboost.XGBClassifier if classify else xgboost.XGBRegressor
        stop = {"early_stopping_rounds": PATIENCE} if X_stop is not None else {}
        model = cls(tree_method="hist", enable_categorical=True, random_state=seed, n_jobs=threads,
                    **stop, **config.params)
        classes = sorted(y.unique()) if classify else None
        codes = (lambda v: v.map({c: i for i, c in enumerate(classes)})) if classify else (lambda v: v)
        extra = {} if X_stop is None else {"eval_set": [(X_stop, codes(y_stop))], "verbose": False}
        model.fit(X_fit, codes(y_fit), **extra)
        rounds = int(model.best_iteration + 1) if X_stop is not None else int(model.n_estimators or 100)
        return (_Encoded(model, classes) if classify else model), rounds
    if config.library == "cat":
        import catboost

        # CatBoost takes categories as text with no missing value: the missing level becomes its own text.
        text = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]

        def as_text(frame):
            if frame is None:
                return None
            return frame.assign(**{c: frame[c].to_numpy(dtype=object) for c in text}).fillna(
                {c: "<missing>" for c in text})
        cls = catboost.CatBoostClassifier if classify else catboost.CatBoostRegressor
        stop = {"early_stopping_rounds": PATIENCE} if X_stop is not None else {}
        model = cls(random_seed=seed, thread_count=threads, verbose=0, allow_writing_files=False,
                    cat_features=text, **stop, **config.params)
        extra = {} if X_stop is None else {"eval_set": (as_text(X_stop), y_stop)}
        model.fit(as_text(X_fit), y_fit, **extra)
        return _Texts(model, as_text), int(model.tree_count_)
    raise ValueError(f"Unknown library {config.library!r}; use hgb, lgb, xgb or cat.")


class _Texts:
    """A CatBoost model that turns the categories of the frames it predicts into text first, as it was fitted."""

    def __init__(self, model, as_text):
        self.model, self.as_text, self.classes_ = model, as_text, getattr(model, "classes_", None)

    def predict(self, X):
        return self.model.predict(self.as_text(X))

    def predict_proba(self, X):
        return self.model.predict_proba(self.as_text(X))


# -- one table ---------------------------------------------------------------------------------------------------

def run_table(name: str, configs: list[str], seed: int, threads: int) -> list[dict]:
    """Every configuration on one table's benchmark split: one row each, compared with ``BASELINE``."""
    from engine.evaluate.metrics import METRICS

    table = TABLES[name]
    with tempfile.TemporaryDirectory(prefix=f"bench-learners-{name}-") as tmp:
        files, test, classes = split_files(name, seed, Path(tmp))
        X_train, y_train, X_test = read_xy(str(files["train"]), str(files["test"]), table.target)
    if table.task != "regression":
        y_train = y_train.astype(str)
        y_true = test[table.target].astype(str).to_numpy()
    else:
        y_true = test[table.target].to_numpy(dtype=float)
    weights = bootstrap_weights(len(y_true), seed)
    better = METRICS[table.metric].greater_is_better
    scored, rows = {}, []
    for key in configs:
        config = CONFIGS[key]
        row = {"table": name, "task": table.task, "metric": table.metric, "config": key,
               "library": config.library, "train_rows": len(X_train)}
        try:
            with PeakAbove() as peak:
                started = time.perf_counter()
                model, rounds = fit(config, table.task, X_train, y_train, seed, threads)
                fitted = time.perf_counter()
                preds = predictions(model, X_test, table.task)
                done = time.perf_counter()
            scored[key] = Scored(table.metric, y_true, preds, classes)
            row.update(score=float(scored[key].scores(np.ones((1, len(y_true))))[0]), rounds=rounds,
                       fit_s=round(fitted - started, 2), predict_s=round(done - fitted, 3),
                       peak_mb=round(peak.above_mb, 1))
        except Exception as exc:  # a learner that fails is a result, not a crash of the benchmark
            row["error"] = f"{type(exc).__name__}: {exc}"
        row["load"] = round(os.getloadavg()[0], 2)
        rows.append(row)
        print(_line(row), flush=True)
    for row in rows:
        key = row["config"]
        if key == BASELINE or BASELINE not in scored:
            continue
        low = high = float("nan")
        if key in scored:
            low, high = paired_interval(scored[key], scored[BASELINE], weights, better)
        row.update(vs_hgb_low=low, vs_hgb_high=high, vs_hgb=compare(low, high, key not in scored, False))
    return rows


def _line(row: dict) -> str:
    if "error" in row:
        return f"{row['table']:<14} {row['config']:<14} FAILED {row['error']}"
    return (f"{row['table']:<14} {row['config']:<14} {row['metric']:<9} {row['score']:>11.5f} rounds "
            f"{row['rounds']:>5} fit {row['fit_s']:>7.2f} s predict {row['predict_s']:>6.3f} s "
            f"peak +{row['peak_mb']:>6.1f} MB load {row['load']}")


# -- summary -----------------------------------------------------------------------------------------------------

def normalised(frame: pd.DataFrame) -> pd.Series:
    """Per table: (s - worst) / (best - worst) over the configurations, 1 best, oriented by the metric."""
    from engine.evaluate.metrics import METRICS

    def per_table(group: pd.DataFrame) -> pd.Series:
        sign = 1 if METRICS[group["metric"].iloc[0]].greater_is_better else -1
        s = sign * group["score"]
        span = s.max() - s.min()
        return (s - s.min()) / span if span > 0 else s * 0 + 1
    return frame.groupby("table", group_keys=False)[["metric", "score"]].apply(per_table)


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: mean normalised score, wins / ties / losses against the default HistGBM, median times."""
    ok = frame[frame["score"].notna()].copy()
    ok["normalised"] = normalised(ok)
    verdicts = frame.pivot_table(index="config", columns="vs_hgb", values="table", aggfunc="count", fill_value=0)
    out = ok.groupby("config").agg(tables=("table", "count"), mean_normalised=("normalised", "mean"),
                                   median_fit_s=("fit_s", "median"), total_fit_s=("fit_s", "sum"),
                                   median_predict_s=("predict_s", "median"), median_peak_mb=("peak_mb", "median"))
    out = out.join(verdicts).fillna(0)
    return out.reindex([c for c in CONFIGS if c in out.index])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", nargs="+", choices=list(TABLES), default=list(TABLES))
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS),
                        default=[k for k, c in CONFIGS.items() if c.library not in OPTIONAL])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="threads per learner (default 1)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--report", type=Path, nargs="+", metavar="CSV",
                        help="print the tables of earlier runs' result files (later rows win), fit nothing")
    return parser.parse_args(argv)


def report(paths: list[Path]) -> None:
    """The per-table scores and the summary of earlier result files, as Markdown."""
    frame = pd.concat([pd.read_csv(p) for p in paths]).drop_duplicates(["table", "config"], keep="last")
    frame = frame.reset_index(drop=True)
    configs = [c for c in CONFIGS if c in set(frame["config"])]
    scores = frame.pivot(index="table", columns="config", values="score")[configs]
    verdict = frame.pivot(index="table", columns="config", values="vs_hgb").reindex(columns=configs)
    mark = {"win": "+", "loss": "-", "tie": ""}
    print("| table | metric | " + " | ".join(configs) + " |")
    print("| --- | --- |" + " --- |" * len(configs))
    metrics = frame.groupby("table")["metric"].first()
    for table in [t for t in TABLES if t in scores.index]:
        cells = [f"{scores.at[table, c]:.4f}{mark.get(verdict.at[table, c], '')}" if pd.notna(scores.at[table, c])
                 else "" for c in configs]
        print(f"| {table} | {metrics[table]} | " + " | ".join(cells) + " |")
    print()
    print(summary(frame).round(3).to_markdown())
    print()
    print(pairs(frame).to_markdown(index=False))


#: Each library's configuration against the HistGBM one of the same intent (default, lr 0.05 with early stopping,
#: large trees, small trees).
PAIRS = [("lgb_default", "hgb_default"), ("lgb_lr05", "hgb_lr05"), ("lgb_large", "hgb_large"),
         ("lgb_small", "hgb_small"), ("xgb_default", "hgb_default"), ("xgb_lr10", "hgb_lr05"),
         ("cat_lr05", "hgb_lr05")]


def pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Per pair of configurations of the same intent: on how many tables each scored better (a sign test)."""
    from engine.evaluate.metrics import METRICS

    scores = frame.pivot(index="table", columns="config", values="score")
    sign = frame.groupby("table")["metric"].first().map(lambda m: 1 if METRICS[m].greater_is_better else -1)
    rows = []
    for ours, theirs in PAIRS:
        if ours not in scores or theirs not in scores:
            continue
        both = scores[[ours, theirs]].dropna()
        diff = (both[ours] - both[theirs]) * sign[both.index]
        rows.append({"pair": f"{ours} vs {theirs}", "tables": len(both), "better": int((diff > 0).sum()),
                     "equal": int((diff == 0).sum()), "worse": int((diff < 0).sum())})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report:
        report(args.report)
        return 0
    # Import the learners first: threadpoolctl limits only the OpenMP runtimes already loaded, and an HistGBM
    # left with every core on a loaded machine spins its threads (a 178-row fit took 55 s at load 15).
    import lightgbm  # noqa: F401
    import sklearn.ensemble  # noqa: F401
    import xgboost  # noqa: F401
    if any(CONFIGS[c].library == "cat" for c in args.configs):
        import catboost  # noqa: F401
    from threadpoolctl import threadpool_limits

    configs = [BASELINE, *[c for c in args.configs if c != BASELINE]]
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"learners-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    rows: list[dict] = []
    with threadpool_limits(args.threads):  # HistGBM's OpenMP threads; LightGBM / XGBoost take n_jobs
        for name in args.tables:
            rows.extend(run_table(name, configs, args.seed, args.threads))
            pd.DataFrame(rows).to_csv(stem.with_suffix(".csv"), index=False)
    frame = pd.DataFrame(rows)
    if "score" in frame:
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(summary(frame).round(3).to_string())
    print(f"results: {stem.with_suffix('.csv')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
