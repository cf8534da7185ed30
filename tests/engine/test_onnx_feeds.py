"""ONNX inputs straight from JSON records are exactly the DataFrame path's, for every kind and every odd value."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from engine.deploy.onnx_converters import STRING_KINDS as CONVERTER_STRING_KINDS
from engine.deploy.onnx_feeds import STRING_KINDS, onnx_inputs, record_inputs

VALUES = {
    "numeric": [3, 2.5, None, 0, -1e300, True, False, "4.5", "abc", "", math.nan, 2**40],
    "boolean": [True, False, None, 1, 0, 2.0, "yes", "No", "t", "maybe", "", math.nan],
    "categorical": ["basic", "unseen-plan", 3, 3.0, 3.5, True, None, "", math.nan, " padded ", "3"],
    "text": ["some words", "", None, 12, 1.0, False, math.nan, "ünïcödé"],
    "datetime": ["2026-01-31", "1970-01-02 06:00", "2026-01-31T10:00:00+02:00", None, "not a date", "",
                 "31/01/2026", 1_700_000_000],
}


def _same(records: list[dict], features: list[dict]) -> None:
    names = [f["name"] for f in features]
    expected = onnx_inputs(pd.DataFrame.from_records(records, columns=names), features)
    got = record_inputs(records, features)
    assert list(got) == list(expected)
    for name in names:
        assert got[name].shape == expected[name].shape == (len(records), 1)
        assert got[name].dtype == expected[name].dtype, name
        if got[name].dtype == object:
            assert got[name].ravel().tolist() == expected[name].ravel().tolist(), name
        else:
            np.testing.assert_array_equal(got[name], expected[name], err_msg=name)


@pytest.mark.parametrize("kind", list(VALUES))
def test_each_value_alone_matches_the_dataframe_path(kind):
    """The REST API's single row: every value of every kind, gaps, unseen categories and junk included."""
    for value in VALUES[kind]:
        _same([{"x": value}], [{"name": "x", "kind": kind}])


@pytest.mark.parametrize("kind", list(VALUES))
def test_whole_columns_match_the_dataframe_path(kind):
    """Batches: mixed columns (e.g. 'yes' among numbers) take the column rule, so they match too."""
    for values in ([v for v in VALUES[kind] if not isinstance(v, str)], VALUES[kind][:3], [None, None]):
        if kind == "datetime":  # one column holds naive or time-zone aware dates, not both (see below)
            values = [v for v in values if not isinstance(v, str) or "+" not in v]
        _same([{"x": v} for v in values], [{"name": "x", "kind": kind}])


@pytest.mark.parametrize("values", [
    ["2026-01-31", "1970-01-02 06:00", None, "not a date", "", "31/01/2026", "2026-01-31 23:59:59.123456"],
    ["2026-01-31T10:00:00+02:00", "2026-02-01T00:30:00+02:00", None, "junk"],
    ["2024-02-30", "13/13/2026", None],
], ids=["naive-and-junk", "one-offset", "impossible-dates"])
def test_date_strings_parse_as_the_column_rule_parses_them(values):
    _same([{"d": v} for v in values], [{"name": "d", "kind": "datetime"}])


def test_a_row_of_every_kind_and_absent_keys_match():
    features = [{"name": k, "kind": k} for k in VALUES]
    values = {**VALUES, "datetime": [v for v in VALUES["datetime"] if not isinstance(v, str) or "+" not in v]}
    rows = [{k: v[i % len(v)] for k, v in values.items()} for i in range(12)]
    rows.append({})  # every key absent: all gaps, as DataFrame.from_records reads it
    _same(rows, features)


def test_gaps_read_as_nan_and_empty_string():
    features = [{"name": "n", "kind": "numeric"}, {"name": "c", "kind": "categorical"},
                {"name": "d", "kind": "datetime"}, {"name": "b", "kind": "boolean"}]
    feeds = record_inputs([{"n": None, "c": None, "d": None, "b": None}], features)
    assert np.isnan(feeds["n"][0, 0]) and feeds["c"][0, 0] == "" and np.isnan(feeds["d"][0, 0])
    assert np.isnan(feeds["b"][0, 0])
    dates = record_inputs([{"d": "1970-01-02 06:00"}, {"d": "2026-01-31T10:00:00+02:00"}][:1], features[2:3])
    assert dates["d"].tolist() == [[30 * 3600.0]]


def test_mixed_time_zones_fail_the_same_way():
    records = [{"d": "2026-01-31T10:00:00+02:00"}, {"d": "2026-01-31T10:00:00-05:00"}]
    features = [{"name": "d", "kind": "datetime"}]
    with pytest.raises(ValueError, match="[Mm]ixed"):
        onnx_inputs(pd.DataFrame.from_records(records), features)
    with pytest.raises(ValueError, match="[Mm]ixed"):
        record_inputs(records, features)


def test_string_kinds_agree_with_the_converters():
    assert STRING_KINDS == CONVERTER_STRING_KINDS
