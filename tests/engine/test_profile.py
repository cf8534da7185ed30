"""Profiles and charts: the data behind each chart is asserted; figures are only checked for wiring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import ColumnInfo, infer_schema, plots
from engine.profile import column_distribution, summarize


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "n": [1.0, 2.0, 2.0, 4.0, np.nan],
        "c": ["a", "b", "a", None, "a"],
        "d": ["2024-01-05", "2024-01-20", "2024-02-01", None, "2024-03-03"],
        "k": [5.0] * 5,
        "b": [0, 1, 0, 1, 1],
    })


def test_summary_rows(frame):
    table = summarize(frame, infer_schema(frame)).set_index("column")
    assert table.loc["n", ["kind", "missing", "missing_%", "distinct"]].tolist() == ["numeric", 1, 20.0, 3]
    assert table.loc["n", ["mean", "min", "median", "max"]].tolist() == [2.25, 1.0, 2.0, 4.0]
    assert table.loc["c", ["top", "top_count"]].tolist() == ["a", 3]
    assert np.isnan(table.loc["c", "mean"])
    assert table.loc["b", "mean"] == pytest.approx(0.6)
    assert table.loc["k", "std"] == 0.0


def test_numeric_distribution_bins(frame):
    dist = column_distribution(frame, ColumnInfo("n", "numeric", "float64", 1, 3), bins=3)
    assert dist.counts == [1, 2, 1]
    assert dist.bin_edges == [1.0, 2.0, 3.0, 4.0]
    assert dist.labels == ["1 – 2", "2 – 3", "3 – 4"]
    assert (dist.n_missing, dist.n_other) == (1, 0)


def test_constant_numeric_column_is_shown_as_one_bar(frame):
    dist = column_distribution(frame, ColumnInfo("k", "numeric", "float64", 0, 1))
    assert (dist.kind, dist.labels, dist.counts) == ("categorical", ["5.0"], [5])


def test_datetime_distribution_counts_per_month(frame):
    dist = column_distribution(frame, ColumnInfo("d", "datetime", "str", 1, 4))
    assert (dist.labels, dist.counts, dist.n_missing) == (["2024-01", "2024-02", "2024-03"], [2, 1, 1], 1)


def test_categories_beyond_the_top_thirty_are_counted_as_other():
    frame = pd.DataFrame({"c": [f"v{i % 40}" for i in range(100)]})
    dist = column_distribution(frame, ColumnInfo("c", "categorical", "str", 0, 40))
    assert len(dist.labels) == 30
    assert sum(dist.counts) + dist.n_other == 100
    assert dist.n_other == 20


def test_distribution_figure_title_says_what_is_hidden(frame):
    dist = column_distribution(frame, ColumnInfo("n", "numeric", "float64", 1, 3), bins=3)
    figure = plots.distribution_figure(dist)
    assert figure.layout.title.text == "n (1 missing)"
    assert list(figure.data[0].y) == [1, 2, 1]


def test_confusion_figure_rows_are_actual_classes():
    figure = plots.confusion_figure(["a", "b", "a"], ["a", "a", "a"], ["a", "b"])
    assert figure.data[0].z.tolist() == [[2, 0], [1, 0]]


def test_residual_and_score_figures():
    residuals = plots.residual_figure([1, 2, 3], [1.5, 2, 2])
    assert list(residuals.data[1].x) == [1.0, 3.0]
    table = pd.DataFrame({"model": ["baseline", "linear"], "validation": [0.5, 0.9], "cv_std": [np.nan, 0.1]})
    scores = plots.scores_figure(table, "Accuracy")
    assert list(scores.data[0].error_y.array) == [0.0, 0.1]
    assert scores.layout.title.text == "Validation Accuracy per model (bars: ± CV std)"
