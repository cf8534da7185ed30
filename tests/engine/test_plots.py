"""Figures of the Explore page and the HTML / JSON report: wiring and the notes titles carry."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engine import infer_schema, plots
from engine.explore import profile as prof
from engine.explore.report import html_report, profile_dict, profile_json


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    return pd.DataFrame({"x": x, "y": 2 * x + rng.normal(size=300), "g": rng.choice(["a", "b"], 300),
                         "when": pd.date_range("2024-01-01", periods=300, freq="D").astype(str),
                         "label": rng.choice(["yes", "no"], 300)})


def test_scatter_figure_says_it_is_sampled_and_draws_the_trend(frame):
    info = prof.scatter_info(frame, "x", "y", "g", max_points=100)
    figure = plots.scatter_figure(info)
    assert figure.layout.title.text == "y vs x (100 of 300 rows sampled)"
    assert [t.name for t in figure.data][:2] == ["a", "b"]
    assert figure.data[-1].name.startswith("trend: y = ")
    assert sum(len(t.x) for t in figure.data[:-1]) == 100


def test_association_figure_is_signed_for_pearson_and_unsigned_for_mixed(frame):
    schema = infer_schema(frame)
    pearson = plots.association_figure(prof.association_matrix(frame, schema, "pearson", max_rows=200))
    assert pearson.layout.title.text == "Pearson (200 of 300 rows sampled)"
    assert pearson.data[0].zmin == -1
    mixed = plots.association_figure(prof.association_matrix(frame, schema, "mixed"))
    assert mixed.data[0].zmin == 0 and "g" in mixed.data[0].x


def test_missing_and_box_figures():
    frame = pd.DataFrame({"a": [1.0, None, 3.0, 100.0], "b": ["x", None, None, "y"]})
    bars = plots.missing_figure(prof.missing_table(frame))
    assert list(bars.data[0].x) == ["b", "a"] and list(bars.data[0].y) == [50.0, 25.0]
    pattern = plots.missing_pattern_figure(prof.missing_pattern(frame))
    assert [list(row) for row in pattern.data[0].z] == [[0, 0], [1, 1], [0, 1], [0, 0]]
    box = plots.box_figure(prof.box_stats(frame, "a"))
    assert box.data[0].median == (3.0,)


def test_target_view_figures(frame):
    schema = {c.name: c for c in infer_schema(frame)}
    box = plots.target_view_figure(prof.target_view(frame, schema["x"], "label", "classification"))
    assert box.layout.title.text == "x per class of label" and list(box.data[0].x) == ["no", "yes"]
    rate = plots.target_view_figure(prof.target_view(frame, schema["g"], "label", "classification"))
    assert rate.layout.barmode == "stack" and len(rate.data) == 2
    mean = plots.target_view_figure(prof.target_view(frame, schema["x"], "y", "regression"))
    assert mean.layout.title.text == "Mean y by x" and len(mean.data[0].x) == 10


def test_scatter_matrix_and_association_bars(frame):
    rows = prof.sample_rows(frame, ["x", "y", "label"], max_rows=50)
    figure = plots.scatter_matrix_figure(rows, len(frame), "label")
    assert figure.layout.title.text == "Scatter matrix coloured by label (50 of 300 rows sampled)"
    assert [d.label for d in figure.data[0].dimensions] == ["x", "y"]
    table = prof.target_association(frame, infer_schema(frame), "label", "classification")
    bars = plots.target_association_figure(table, "label")
    assert set(bars.data[0].y) == {"x", "y", "g"}


def test_html_report_is_standalone_with_plotly_embedded_once(frame):
    result = prof.profile(frame, infer_schema(frame), "label", "classification")
    page = html_report(result, "Demo")
    assert page.startswith("<!DOCTYPE html>") and "<h1>Demo</h1>" in page
    assert page.count("* plotly.js v") == 1  # the library, embedded once
    assert page.count("Plotly.newPlot(") == 4 + len(frame.columns)  # overview charts + one per column
    assert '<script src="http' not in page and 'src="https://cdn' not in page
    assert "Association with the target" in page and "Warnings" in page


def test_profile_dict_is_json_ready(frame):
    result = prof.profile(frame, infer_schema(frame), "label", "classification")
    data = json.loads(profile_json(result))
    assert data["overview"]["n_rows"] == 300
    assert {c["column"] for c in data["columns"]} == set(frame.columns)
    assert data["correlations"]["pearson"]["matrix"]["x"]["x"] == pytest.approx(1.0)
    assert data["correlations"]["mixed"]["rows_used"] == 300
    assert data["target_association"][0]["feature"] in {"x", "y", "g"}
    assert profile_dict(result)["target"] == "label"


# -- evaluation figures ---------------------------------------------------------------------------

from engine import evaluation_plots as ep  # noqa: E402
from engine.evaluate.metrics import threshold_table  # noqa: E402


def test_confusion_matrix_counts_and_shares():
    y, pred = ["a", "a", "a", "b"], ["a", "a", "b", "b"]
    counts = ep.confusion_matrix_figure(y, pred, ["a", "b"])
    assert [list(r) for r in counts.data[0].z] == [[2, 1], [0, 1]]
    shares = ep.confusion_matrix_figure(y, pred, ["a", "b"], normalize=True)
    assert [list(r) for r in shares.data[0].z] == [[pytest.approx(2 / 3), pytest.approx(1 / 3)], [0, 1]]
    assert "share of each actual class" in shares.layout.title.text


def test_binary_curves_show_auc_and_one_curve():
    y = np.array(["n", "n", "y", "y"])
    proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.2, 0.8]])
    roc = ep.roc_figure(y, proba, ["n", "y"])
    assert [t.name for t in roc.data] == ["chance", "y (AUC 1.000)"]
    pr = ep.pr_figure(y, proba, ["n", "y"])
    assert pr.data[0].name == "y (AP 1.000)"
    calibration = ep.calibration_figure(y, proba, ["n", "y"])
    assert [t.name for t in calibration.data] == ["perfectly calibrated", "y", "y: rows per bin"]
    gain = ep.gain_lift_figure(y, proba[:, 1], "y")
    assert list(gain.data[0].y) == [0.5, 1.0, 1.0, 1.0] and list(gain.data[2].y) == [2.0, 2.0, 4 / 3, 1.0]
    lift = gain.layout.yaxis2  # round steps up to a round top, read as "1.5×" (not ticks like 0.073, 0.337)
    assert (list(lift.range), lift.tick0, lift.dtick, lift.ticksuffix) == ([0, 2.0], 0, 0.25, "×")


@pytest.mark.parametrize(("positive_share", "top", "step"), [(0.5, 2.0, 0.25), (0.2, 5.0, 1), (0.01, 100.0, 20)],
                         ids=["half", "a fifth", "rare"])
def test_lift_axis_has_round_steps_up_to_the_largest_lift(positive_share, top, step):
    n = 100
    y = np.where(np.arange(n) < n * positive_share, "y", "n")  # a perfect ranking: the largest lift is 1 / share
    figure = ep.gain_lift_figure(y, np.linspace(1, 0, n), "y")
    assert (figure.layout.yaxis2.range[1], figure.layout.yaxis2.dtick) == (top, step)


def test_multiclass_roc_has_a_curve_per_class():
    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.6, 0.3], [0.1, 0.1, 0.8]])
    roc = ep.roc_figure(["a", "b", "c", "c"], proba, ["a", "b", "c"])
    assert [t.name.split(" ")[0] for t in roc.data[1:]] == ["a", "b", "c"]
    assert "one-vs-rest" in roc.layout.title.text


def test_regression_figures_sample_to_5000_points():
    rng = np.random.default_rng(0)
    y = rng.normal(size=12_000)
    pred = y + rng.normal(size=12_000)
    scatter = ep.predicted_actual_figure(y, pred)
    assert len(scatter.data[0].x) == 5_000 and "(5,000 of 12,000 rows sampled)" in scatter.layout.title.text
    assert len(ep.residuals_figure(y, pred).data[0].x) == 5_000
    assert sum(ep.residual_histogram_figure(y, pred).data[0].y) == 12_000
    big = ep.roc_figure(np.where(y > 0, "y", "n"), np.c_[1 - 1 / (1 + np.exp(-pred)), 1 / (1 + np.exp(-pred))],
                        ["n", "y"])
    assert len(big.data[1].x) <= 5_000


def test_threshold_and_cv_figures():
    table = threshold_table(["n", "y", "y"], [0.2, 0.6, 0.9], "y")
    figure = ep.threshold_figure(table, 0.4)
    assert [t.name for t in figure.data] == ["precision", "recall", "f1", "accuracy"]
    assert figure.layout.shapes[0].x0 == 0.4
    folds = pd.DataFrame({"model": ["a", "a", "b", "b"], "score": [0.7, 0.8, 0.6, 0.65]})
    box = ep.cv_scores_figure(folds, "Accuracy")
    assert [t.name for t in box.data] == ["a", "b"] and list(box.data[1].y) == [0.6, 0.65]


def test_per_column_charts_of_a_wide_table_show_their_top_hundred_bars_and_say_so():
    table = pd.DataFrame({"column": [f"c{i}" for i in range(300)], "missing": np.arange(300, 0, -1),
                          "missing_%": np.arange(300, 0, -1) / 3})
    missing = plots.missing_figure(table)
    assert list(missing.data[0].x) == [f"c{i}" for i in range(100)]
    assert missing.layout.title.text == "Missing values per column (100 of 300 columns, most missing first)"
    ranked = pd.DataFrame({"feature": [f"c{i}" for i in range(300)], "measure": "|pearson|",
                           "association": np.linspace(1.0, 0.0, 300)})
    assert list(plots.target_association_figure(ranked, "y").data[0].y)[-1] == "c0"
    assert len(plots.target_association_figure(ranked, "y").data[0].y) == 100
