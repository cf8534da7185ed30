"""The benchmarks' own measurements: a figure that cannot fail, or compares unlike work, is a bug."""

import pytest

from bench.bench_data import measure
from bench.bench_serving import _checks
from bench.bench_tuning_overhead import first_difference
from bench.generate import mixed_frame


@pytest.mark.slow
def test_a_readers_peak_memory_is_its_own_not_its_parents(tmp_path):
    # ru_maxrss survives exec: a reader started from this (large) test process reported a peak of +0 MB.
    path = tmp_path / "mixed.csv"
    mixed_frame(20_000).to_csv(path, index=False)
    result = measure(path, "engine")
    assert result["size_mb"] > 1
    assert result["peak_mb"] >= result["size_mb"]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_the_bare_tuning_loop_runs_the_engines_trials():
    # The engine queues one start point per family; a bare loop without them ran TPE's first point instead.
    from bench.bench_tuning_overhead import measure as measure_loops
    from bench.bench_tuning_overhead import setup
    from engine.train.tuning import make_objective

    spec, frame = setup(["linear"], 0)
    run = measure_loops(spec, frame, make_objective(spec, frame), 2, "memory", engine_first=True)
    assert run["difference"] is None
    assert run["same_trials"]


def test_first_difference_names_the_first_trial_that_differs():
    same = [({"C": 1.0}, "COMPLETE", [0.9])]
    assert first_difference(same, same) is None
    assert first_difference(same, [({"C": 2.0}, "COMPLETE", [0.9])]) == (
        "trial 0: engine ({'C': 1.0}, 'COMPLETE', [0.9]) vs bare ({'C': 2.0}, 'COMPLETE', [0.9])")
    assert first_difference(same, same * 2) == "engine ran 1 trials, bare 2"


def test_serving_targets_are_ratios_to_the_bare_service_in_the_same_run():
    inprocess = {"bare": 10.0, "scikit-learn": 12.5}
    http = {"bare": {"median_ms": 10.0, "p99_ms": 20.0, "rps": 100.0, "errors": 0},
            "onnx": {"median_ms": 4.0, "p99_ms": 15.0, "rps": 250.0, "errors": 0}}
    checks = _checks(inprocess, http, clients=50, seconds=30)
    assert [(what, figure, ok) for what, figure, _, ok in checks] == [
        ("in-process one row, Workbench scikit-learn / hand-built", "1.25x", False),
        ("onnx: HTTP median / bare service's", "0.40x", True),
        ("onnx: p99 / own median", "3.75x", False),
        ("onnx: errors under 50 clients for 30 s", "0", True),
        ("onnx: throughput / bare service's", "2.50x", True)]


def test_the_scoring_baseline_boosts_as_many_rounds_as_the_workbench_model():
    import numpy as np
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline

    from bench.bench_scoring import _same_rounds

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 3)), rng.integers(0, 2, 200)
    boosting = HistGradientBoostingClassifier(max_iter=7, early_stopping=False, random_state=0)
    workbench = CalibratedClassifierCV(boosting, ensemble=False).fit(X, y)
    bare = Pipeline([("model", CalibratedClassifierCV(HistGradientBoostingClassifier(early_stopping=True)))])

    _same_rounds(bare, workbench)

    assert workbench.calibrated_classifiers_[0].estimator.n_iter_ == 7
    assert bare.get_params()["model__estimator__max_iter"] == 7
    assert bare.get_params()["model__estimator__early_stopping"] is False


def test_the_scoring_benchmark_keeps_each_scorers_fastest_run_and_highest_peak():
    from bench.bench_scoring import _fastest

    runs = [{"seconds": 9.0, "cpu_s": 8.0, "peak_mb": 300.0}, {"seconds": 7.0, "cpu_s": 7.5, "peak_mb": 280.0}]
    assert _fastest(runs) == {"seconds": 7.0, "cpu_s": 7.5, "peak_mb": 300.0}
