"""Profiles and charts: the data behind each chart is asserted; figures are only checked for wiring."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engine import ColumnInfo, infer_schema, plots, profile
from engine.explore.profile import column_distribution, summarize
from engine.explore.report import KEY_STATISTICS, html_report, profile_json, statistics_tables


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


def test_statistics_split_into_a_key_table_and_a_details_table(frame):
    stats = profile.profile(frame, infer_schema(frame)).stats
    key, more = statistics_tables(stats)
    assert tuple(key.columns) == KEY_STATISTICS  # name, kind, missing, distinct, mean, std, min–max, top: one page
    assert key.set_index("column").loc["n", ["mean", "min", "max"]].tolist() == [2.25, 1.0, 4.0]
    assert more.columns[0] == "column" and {"p5", "p95", "skew", "top_values"} <= set(more.columns)
    assert set(key.columns) | set(more.columns) == set(stats.columns)
    assert set(key.columns) & set(more.columns) == {"column"}
    page = html_report(profile.profile(frame, infer_schema(frame)))
    columns = page[page.index("<h2>Columns</h2>"):page.index("<h2>Missing values</h2>")]
    # two tables, each in a box that scrolls on its own rather than pushing the page wider
    assert columns.count("<div class='scroll'><table") == 2 and ".scroll{overflow-x:auto" in page
    assert columns.index("<th>mean</th>") < columns.index("More statistics") < columns.index("<th>p5</th>")


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


# --- the full EDA ----------------------------------------------------------------------------------


def _info(name: str, kind: str) -> ColumnInfo:
    return ColumnInfo(name, kind, "", 0, 0)


def test_cramers_v_of_identical_columns_is_one_and_of_independent_ones_zero():
    a = pd.Series(["x", "x", "y", "y", "z", "z"])
    assert profile.cramers_v(a, a) == pytest.approx(1.0)
    assert profile.cramers_v(pd.Series(["x", "x", "y", "y"]), pd.Series(["p", "q", "p", "q"])) == pytest.approx(0.0)
    assert np.isnan(profile.cramers_v(a, pd.Series(["k"] * 6)))


def test_correlation_ratio_is_one_when_categories_explain_all_variance():
    groups = pd.Series(["a", "a", "b", "b"])
    assert profile.correlation_ratio(groups, pd.Series([1.0, 1.0, 5.0, 5.0])) == pytest.approx(1.0)
    assert profile.correlation_ratio(groups, pd.Series([1.0, 5.0, 1.0, 5.0])) == pytest.approx(0.0)


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_pearson_and_spearman_of_a_linear_relation_are_one(method):
    x = np.arange(1.0, 11.0)
    frame = pd.DataFrame({"x": x, "y": 2 * x, "z": -(x**3)})
    schema = [_info("x", "numeric"), _info("y", "numeric"), _info("z", "numeric")]
    assoc = profile.association_matrix(frame, schema, method)
    assert assoc.matrix.loc["x", "y"] == pytest.approx(1.0)
    if method == "spearman":
        assert assoc.matrix.loc["x", "z"] == pytest.approx(-1.0)
    assert (assoc.n_rows, assoc.n_total) == (10, 10)


def test_mixed_associations_combine_cramers_v_eta_and_abs_pearson():
    frame = pd.DataFrame({"n": [1.0, 1.0, 5.0, 5.0], "m": [-1.0, -1.0, -5.0, -5.0],
                          "c": ["a", "a", "b", "b"], "d": ["p", "p", "q", "q"]})
    schema = [_info("n", "numeric"), _info("m", "numeric"), _info("c", "categorical"), _info("d", "categorical")]
    matrix = profile.association_matrix(frame, schema, "mixed").matrix
    assert matrix.loc["n", "m"] == pytest.approx(1.0)  # |r| of a negative relation
    assert matrix.loc["c", "d"] == pytest.approx(1.0)  # Cramér's V
    assert matrix.loc["n", "c"] == matrix.loc["c", "n"] == pytest.approx(1.0)  # eta
    pairs = profile.top_pairs(profile.Associations("mixed", matrix, 4, 4), n=2)
    assert len(pairs) == 2 and pairs["mixed"].tolist() == pytest.approx([1.0, 1.0])


def test_associations_use_a_sample_and_say_so():
    frame = pd.DataFrame({"x": np.arange(100.0), "y": np.arange(100.0)})
    assoc = profile.association_matrix(frame, [_info("x", "numeric"), _info("y", "numeric")], max_rows=40)
    assert (assoc.n_rows, assoc.n_total) == (40, 100)


def test_unknown_association_method_is_rejected():
    with pytest.raises(ValueError, match="must be one of"):
        profile.association_matrix(pd.DataFrame({"x": [1.0]}), [], "kendall")


def test_overview_counts_duplicates_missing_cells_and_kinds():
    frame = pd.DataFrame({"a": [1, 1, 2, 1], "b": ["x", "x", None, "x"]})
    view = profile.overview(frame, [_info("a", "numeric"), _info("b", "categorical")])
    assert (view.n_rows, view.n_columns, view.n_duplicate_rows, view.n_missing_cells) == (4, 2, 2, 1)
    assert view.kinds == {"numeric": 1, "categorical": 1}
    assert view.memory_bytes > 0


def test_column_stats_moments_quantiles_and_top_values():
    values = pd.Series(np.arange(1.0, 101.0))
    frame = pd.DataFrame({"n": values, "c": ["a"] * 60 + ["b"] * 30 + ["c"] * 10})
    stats = profile.column_stats(frame, [_info("n", "numeric"), _info("c", "categorical")]).set_index("column")
    row = stats.loc["n"]
    assert row[["mean", "median", "min", "max", "p5", "p25", "p75", "p95"]].tolist() == pytest.approx(
        [50.5, 50.5, 1.0, 100.0, 5.95, 25.75, 75.25, 95.05])
    assert row["variance"] == pytest.approx(values.var())
    assert row["skew"] == pytest.approx(0.0)
    assert row["kurtosis"] == pytest.approx(-1.2)
    assert stats.loc["c", ["top", "top_count", "top_%", "distinct"]].tolist() == ["a", 60, 60.0, 3]
    assert stats.loc["c", "top_values"] == "a (60%), b (30%), c (10%)"


def _warnings(frame, schema, target=None, task=None):
    return {(w.check, w.column) for w in profile.profile(frame, schema, target, task).warnings}


def test_quality_warnings_with_evidence():
    n = 40
    frame = pd.DataFrame({
        "key": [f"k{i}" for i in range(n)],
        "constant": ["same"] * n,
        "rare": ["a"] * 39 + ["b"],
        "skewed": [1.0] * 38 + [500.0, 1000.0],
        "zeros": [0.0] * 30 + list(range(1, 11)),
        "y": ["no"] * 37 + ["yes"] * 3,
    })
    schema = infer_schema(frame)
    found = _warnings(frame, schema, "y", "classification")
    assert {("id-like", "key"), ("constant", "constant"), ("near-constant", "rare"), ("skewed", "skewed"),
            ("zeros", "zeros"), ("class imbalance", "y")} <= found
    assert ("constant", "y") not in found


def test_high_cardinality_duplicates_mixed_types_and_leaks_are_warned():
    n = 200
    frame = pd.DataFrame({"city": [f"c{i % 80}" for i in range(n)], "y": ["a", "b"] * (n // 2)})
    frame["leak"] = frame["y"].map({"a": "A", "b": "B"})
    frame["mixed"] = ["1", "2", "3", "x"] * (n // 4)
    schema = infer_schema(frame)
    found = profile.profile(frame, schema, "y", "classification").warnings
    checks = {(w.check, w.column) for w in found}
    assert {("high cardinality", "city"), ("target leak", "leak"), ("mixed types", "mixed"),
            ("duplicates", "")} <= checks
    leak = next(w for w in found if w.check == "target leak")
    assert "cramér's v 1.000" in leak.message


def test_target_association_ranks_features():
    frame = pd.DataFrame({"x": np.arange(20.0), "noise": [1.0, 2.0] * 10})
    frame["y"] = 3 * frame["x"]
    table = profile.target_association(frame, [_info("x", "numeric"), _info("noise", "numeric"),
                                               _info("y", "numeric")], "y", "regression")
    assert table["feature"].tolist() == ["x", "noise"]
    assert table.loc[0, "association"] == pytest.approx(1.0)


def test_missing_table_and_pattern():
    frame = pd.DataFrame({"a": [1.0, None, None, 4.0], "b": ["x", "y", None, "z"]})
    table = profile.missing_table(frame)
    assert table[["column", "missing", "missing_%"]].values.tolist() == [["a", 2, 50.0], ["b", 1, 25.0]]
    pattern = profile.missing_pattern(frame)
    assert pattern.is_missing == [[0, 0], [1, 0], [1, 1], [0, 0]]
    big = pd.DataFrame(np.zeros((10_000, 10)))
    small = profile.missing_pattern(big, max_cells=5_000)
    assert len(small.rows) * 10 <= 5_000 and small.n_total == 10_000


def test_scatter_trend_line_and_sampling():
    x = np.arange(100.0)
    frame = pd.DataFrame({"x": x, "y": 2 * x + 1, "c": ["a", "b"] * 50})
    info = profile.scatter_info(frame, "x", "y", "c", max_points=10)
    assert (info.slope, info.intercept) == (pytest.approx(2.0), pytest.approx(1.0))
    assert (info.n_rows, info.n_shown, len(info.xs), len(info.colors)) == (100, 10, 10, 10)
    assert all(y == 2 * x + 1 for x, y in zip(info.xs, info.ys, strict=True))


def test_target_views():
    frame = pd.DataFrame({"n": [1.0, 2.0, 3.0, 10.0, 11.0, 12.0], "c": ["p", "p", "q", "q", "q", "q"],
                          "y": ["a", "a", "a", "b", "b", "b"], "t": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    box = profile.target_view(frame, _info("n", "numeric"), "y", "classification")
    assert (box.mode, box.labels, box.series["median"], box.counts) == ("box", ["a", "b"], [2.0, 11.0], [3, 3])
    rate = profile.target_view(frame, _info("c", "categorical"), "y", "classification")
    assert (rate.labels, rate.series["a"], rate.series["b"]) == (["q", "p"], [0.25, 1.0], [0.75, 0.0])
    mean = profile.target_view(frame, _info("n", "numeric"), "t", "regression", bins=2)
    assert (mean.mode, mean.series["mean"], mean.counts) == ("mean", [2.0, 5.0], [3, 3])


def test_box_stats_whiskers_stop_at_one_and_a_half_iqr():
    box = profile.box_stats(pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0, 5.0, 100.0]}), "v")
    assert (box.q1, box.median, box.q3, box.low, box.high, box.n_outliers) == (2.25, 3.5, 4.75, 1.0, 5.0, 1)


def test_unique_dates_are_not_id_like_and_a_skewed_target_is_an_imbalance_not_near_constant():
    frame = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=40, freq="D").astype(str),
                          "y": ["no"] * 39 + ["yes"]})
    found = _warnings(frame, infer_schema(frame), "y", "classification")
    assert found == {("class imbalance", "y")}


def _wide_frame(n: int = 30) -> pd.DataFrame:
    """300 columns: 100 constant, 100 mostly missing, 100 skewed, plus 3 zero-heavy and a row number."""
    columns = {"row": list(range(n))}
    for j in range(100):
        columns[f"const{j}"] = ["same"] * n
        columns[f"gap{j}"] = [float(i + j) for i in range(12)] + [np.nan] * (n - 12)
        columns[f"skew{j}"] = [1.0] * (n - 2) + [500.0 + j, 1000.0]
    for j in range(3):
        columns[f"zero{j}"] = [0.0] * 20 + [float(i % 3 + 1) for i in range(n - 20)]
    return pd.DataFrame(columns)


def test_many_warnings_of_one_kind_are_grouped_with_every_column_kept():
    frame = _wide_frame()
    found = profile.profile(frame, infer_schema(frame)).warnings
    by_check = {}
    for w in found:
        by_check.setdefault(w.check, []).append(w)
    [constant] = by_check["constant"]
    assert constant.column == ""
    assert constant.message == ("100 columns have a single value on every filled row: 'const0', 'const1', "
                                "'const2' and 97 more.")
    assert constant.columns == tuple(f"const{j}" for j in range(100))
    assert constant.details[5] == "'const5' has a single value (same) on every filled row."
    [missing] = by_check["missing"]
    assert len(missing.columns) == 100 and missing.message.startswith("100 columns are missing on at least half")
    [skewed] = by_check["skewed"]
    assert skewed.columns == tuple(f"skew{j}" for j in range(100))
    assert [(w.column, w.columns) for w in by_check["zeros"]] == [("zero0", ()), ("zero1", ()), ("zero2", ())]
    assert len(found) == 6


def test_group_findings_keeps_order_and_leaves_small_groups_alone():
    few = [profile.Finding("zeros", c, f"'{c}' is 0.") for c in "ab"]
    many = [profile.Finding("skewed", c, f"'{c}' is skewed.") for c in "cdefghi"]
    table = profile.Finding("duplicates", "", "3 duplicate rows.")
    grouped = profile.group_findings([table, few[0], *many, few[1]])
    assert [(f.check, f.column) for f in grouped] == [("duplicates", ""), ("zeros", "a"), ("skewed", ""),
                                                       ("zeros", "b")]
    assert grouped[2].details == tuple(f.message for f in many)
    assert profile.group_findings(many, over=7) == many


def _wide(n_numbers: int, n_categories: int, rows: int = 12) -> pd.DataFrame:
    """Numbers whose variance grows with their index (n0 the flattest) and categories with 2 to 5 levels."""
    rng = np.random.default_rng(0)
    base = np.linspace(-1.0, 1.0, rows)
    columns = {f"n{i}": rng.permutation(base) * (i + 1) for i in range(n_numbers)}
    columns |= {f"c{i}": rng.choice(list("abcde")[:2 + i % 4], size=rows) for i in range(n_categories)}
    return pd.DataFrame(columns)


def test_association_matrices_of_a_wide_table_keep_the_most_variable_columns_and_say_so():
    frame = _wide(300, 100)
    result = profile.profile(frame, infer_schema(frame))
    pearson, mixed = result.correlations["pearson"], result.correlations["mixed"]
    assert pearson.matrix.shape == (50, 50) and pearson.n_columns_total == 300
    assert list(pearson.matrix.columns) == [f"n{i}" for i in range(250, 300)]  # the largest variances
    assert pearson.note == "Associations computed for the 50 most variable of 300 columns."
    assert mixed.matrix.shape == (50, 50) and mixed.n_columns_total == 400
    assert sum(c.startswith("n") for c in mixed.matrix.columns) == 38  # 3 of every 4 places: 300 of 400 columns
    assert len(profile.top_pairs(mixed)) == 10
    small = profile.association_matrix(frame, infer_schema(frame)[:3], "pearson")
    assert small.note == "" and small.n_columns_total == 3


def test_association_matrices_of_a_wide_table_with_a_target_keep_the_features_most_associated_with_it():
    frame = _wide(200, 0)
    frame["y"] = frame["n7"]  # n7 is one of the flattest columns, so only the target can bring it in
    result = profile.profile(frame, infer_schema(frame), target="y", task="regression")
    mixed = result.correlations["mixed"]
    strongest = set(result.target_association["feature"].head(49))
    assert "n7" in strongest and set(mixed.matrix.columns) == strongest | {"y"}
    assert mixed.note == "Associations computed for the target and the 49 features most associated with it, " \
                         "of 201 columns."
    assert len(result.target_association) == 200  # one row per feature: linear, so kept whole


def test_the_report_of_a_wide_table_stays_small():
    frame = _wide(1_500, 500)
    result = profile.profile(frame, infer_schema(frame))
    report = json.loads(profile_json(result))
    assert {len(m["matrix"]) for m in report["correlations"].values()} == {50}
    assert report["correlations"]["mixed"]["columns_total"] == 2_000
    assert report["correlations"]["mixed"]["note"] == "Associations computed for the 50 most variable of 2,000 " \
                                                      "columns."
    assert len(profile_json(result)) < 3_000_000  # 2,000 columns: linear, about 1 KB per column
    page = html_report(result)
    assert "The first 200 of 2,000 columns" in page and len(page) < 8_000_000


def test_association_columns_rank_by_the_variability_given():
    frame = _wide(3, 1)
    schema = infer_schema(frame)
    assert [c.name for c in profile.association_columns(frame, schema, 2)] == ["n1", "n2"]  # the largest variances
    # the profile scores every column once and hands the scores to each method: the scores decide
    scores = pd.Series({"n0": 9.0, "n1": 1.0, "n2": 0.5, "c0": 0.1})
    assert [c.name for c in profile.association_columns(frame, schema, 2, variability=scores)] == ["n0", "n1"]
    matrix = profile.association_matrix(frame, schema, "pearson", max_columns=2, variability=scores).matrix
    assert list(matrix.columns) == ["n0", "n1"]


def test_counts_of_number_columns_of_several_dtypes_and_their_text_neighbours():
    frame = pd.DataFrame({"i": [3, 3, 1, 2], "f": [0.5, np.nan, 0.5, 0.25], "s": ["x", "y", "y", None],
                          "j": [7, 8, 8, 8]})
    stats = profile.column_stats(frame, infer_schema(frame)).set_index("column")
    assert stats.loc[["i", "f", "s", "j"], "top"].tolist() == ["3", "0.5", "y", "8"]
    assert stats.loc[["i", "f", "s", "j"], "top_count"].tolist() == [2, 2, 2, 3]
    assert stats.loc[["i", "f", "s", "j"], "distinct"].tolist() == [3, 2, 2, 2]


def test_category_charts_of_text_columns_in_a_profile_match_column_distribution():
    frame = _wide(2, 40, rows=30)
    frame.loc[3, "c5"] = None
    schema = infer_schema(frame)
    result = profile.profile(frame, schema)
    for info in schema:
        assert result.distributions[info.name] == column_distribution(frame, info), info.name
    assert result.distributions["c5"].n_missing == 1 and sum(result.distributions["c5"].counts) == 29


def test_infinite_numbers_are_a_data_quality_warning():
    """±inf counts as missing in training and scoring; Explore says so before the analyst trains."""
    from engine import infer_schema
    from engine.explore.profile import profile

    frame = pd.DataFrame({"x": [1.0, 2.0, np.inf, 4.0, -np.inf] * 4, "y": list("abcde") * 4})
    found = [f for f in profile(frame, infer_schema(frame)).warnings if f.check == "infinite"]
    assert [f.column for f in found] == ["x"]
    assert found[0].message == ("'x' holds infinite values (from -inf to inf); training and scoring read them as "
                                "missing.")
