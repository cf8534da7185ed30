"""Column kinds: inference on a hand-built frame, overrides, and conversion to pipeline dtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import KINDS, ColumnError, ColumnInfo, apply_kinds, infer_schema, schema_from_dicts
from engine.data.io import read_table
from engine.data.schema import convert_series

N = 20


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [f"C{i:03d}" for i in range(N)],
        "row_id": list(range(100, 100 + N)),
        "age": [20 + i for i in range(N)],
        "score": [0.5 * i for i in range(N)],
        "flag01": [i % 2 for i in range(N)],
        "answer": ["yes", "no"] * 10,
        "Answer_caps": ["Yes", "NO"] * 10,
        "active": [True, False] * 10,
        "signup": [f"2024-01-{i + 1:02d}" for i in range(N)],
        "stamp": pd.date_range("2024-01-01", periods=N, freq="D"),
        "plan": ["basic", "standard", "premium", "basic"] * 5,
        "amount_text": ["1", "2", "3", "n/a"] * 5,
        "amount_object": pd.Series([1, 2.5, "three", 4] * 5, dtype=object),
        "empty": [np.nan] * N,
        "comment": [f"customer {i} wrote a long comment about the service" for i in range(N)],
        "gappy": [1.5, np.nan] * 10,
    })


EXPECTED = {
    "customer_id": ("identifier", "a different value on every row"),
    "row_id": ("identifier", "unique integer per row with an ID-like name"),
    "age": ("numeric", ""),
    "score": ("numeric", ""),
    "flag01": ("boolean", "two values 0 / 1"),
    "answer": ("boolean", "two yes/no values"),
    "Answer_caps": ("boolean", "two yes/no values"),
    "active": ("boolean", ""),
    "signup": ("datetime", "text that parses as dates"),
    "stamp": ("datetime", ""),
    "plan": ("categorical", ""),
    "empty": ("categorical", "all values are missing"),
    "comment": ("text", "long free text"),
    "gappy": ("numeric", ""),
}


@pytest.mark.parametrize("column", sorted(EXPECTED))
def test_inferred_kind_and_note(frame, column):
    info = {c.name: c for c in infer_schema(frame)}[column]
    assert (info.kind, info.note) == EXPECTED[column]


@pytest.mark.parametrize(
    ("column", "share", "example"),
    [("amount_text", "75%", "'n/a'"), ("amount_object", "75%", "'three'")],
    ids=["str-dtype", "object-dtype"],
)
def test_mixed_types_stay_categorical_with_a_note(frame, column, share, example):
    info = {c.name: c for c in infer_schema(frame)}[column]
    assert info.kind == "categorical"
    assert info.note == (
        f"mixes numbers and text ({share} numeric; e.g. {example}); "
        "kept as categorical - set it to numeric to turn the text into missing values"
    )


def test_counts_and_dtype_are_recorded(frame):
    info = {c.name: c for c in infer_schema(frame)}
    assert (info["gappy"].n_missing, info["gappy"].n_unique, info["gappy"].dtype) == (10, 1, "float64")
    assert (info["plan"].n_missing, info["plan"].n_unique) == (0, 3)
    assert info["age"].dtype == "int64"


def test_schema_keeps_column_order(frame):
    assert [c.name for c in infer_schema(frame)] == list(frame.columns)


@pytest.mark.parametrize(
    ("name", "values", "kind"),
    [
        pytest.param("id", list(range(19)), "numeric", id="unique-but-under-20-rows"),
        pytest.param("paid", list(range(20)), "numeric", id="name-ends-in-id-but-is-not-an-id"),
        pytest.param("count", list(range(20)), "numeric", id="unique-ints-without-id-name"),
        pytest.param("user_key", list(range(20)), "identifier", id="key-suffix"),
        pytest.param("ID", list(range(20)), "identifier", id="upper-case-id"),
        pytest.param("code", [f"x{i % 5}" for i in range(20)], "categorical", id="repeating-codes"),
        pytest.param("ratio", ["0.5", "1.5", "2.5", "3.5"] * 5, "categorical", id="numeric-text"),
        pytest.param("tf", ["t", "f", None, "t"] * 5, "boolean", id="t-f-with-gaps"),
        pytest.param("when", ["01/02/2024", "03/04/2024"] * 10, "datetime", id="slash-dates"),
    ],
)
def test_inference_edge_cases(name, values, kind):
    (info,) = infer_schema(pd.DataFrame({name: values}))
    assert info.kind == kind


def test_overrides_win_and_say_so(frame):
    info = {c.name: c for c in infer_schema(frame, {"age": "categorical", "plan": "categorical"})}
    assert (info["age"].kind, info["age"].note) == ("categorical", "set to categorical by you (inferred numeric)")
    assert (info["plan"].kind, info["plan"].note) == ("categorical", "")


def test_override_of_an_unknown_column_is_refused(frame):
    with pytest.raises(ColumnError, match=r"Type overrides name columns that do not exist: \['nope'\]\."):
        infer_schema(frame, {"nope": "numeric"})


def test_override_with_an_unknown_kind_is_refused(frame):
    with pytest.raises(ColumnError, match=r"Unknown column kinds \{'age': 'money'\}; use one of \["):
        infer_schema(frame, {"age": "money"})


def test_schema_round_trips_through_dicts(frame):
    schema = infer_schema(frame)
    assert schema_from_dicts([c.to_dict() for c in schema]) == schema
    assert set(schema[0].to_dict()) == {"name", "kind", "dtype", "n_missing", "n_unique", "note"}


def test_kinds_are_the_documented_six():
    assert KINDS == ("numeric", "boolean", "categorical", "datetime", "text", "identifier")


# -- conversion -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "kind", "expected"),
    [
        pytest.param(["1", "2", "three", None], "numeric", [1.0, 2.0, np.nan, np.nan], id="text-to-numeric-nan"),
        pytest.param([True, False], "numeric", [1.0, 0.0], id="bool-to-numeric"),
        pytest.param(["yes", "No", " TRUE ", "f", "maybe", None], "boolean", [1.0, 0.0, 1.0, 0.0, np.nan, np.nan],
                     id="words-to-bool"),
        pytest.param([1, 0, 1], "boolean", [1.0, 0.0, 1.0], id="ints-to-bool"),
        pytest.param(["a", None, np.nan, "b"], "categorical", ["a", np.nan, np.nan, "b"], id="labels-keep-nan"),
        pytest.param([1.0, np.nan, 2.5], "categorical", ["1", np.nan, "2.5"], id="integral-floats-as-ints"),
        pytest.param([1, 2], "text", ["1", "2"], id="ints-as-text"),
    ],
)
def test_convert_series(values, kind, expected):
    out = convert_series(pd.Series(values), kind)
    assert [None if pd.isna(v) else v for v in out] == [None if pd.isna(v) else v for v in expected]


def test_label_kinds_give_object_dtype_with_real_nan():
    out = convert_series(pd.Series(["a", None], dtype="str"), "categorical")
    assert out.dtype == object
    assert out.iloc[1] is not None and np.isnan(out.iloc[1])
    assert convert_series(pd.Series([np.nan, np.nan]), "categorical").dtype == object


def test_same_codes_match_with_and_without_gaps():
    with_gap = convert_series(pd.Series([10, np.nan, 20]), "categorical")
    without = convert_series(pd.Series([10, 20]), "categorical")
    assert set(with_gap.dropna()) == set(without) == {"10", "20"}


def test_datetime_conversion_turns_junk_into_nat():
    out = convert_series(pd.Series(["2024-01-31", "not a date", None]), "datetime")
    assert out.iloc[0] == pd.Timestamp("2024-01-31")
    assert out.iloc[1:].isna().all()


def test_apply_kinds_converts_and_adds_missing_columns():
    schema = [ColumnInfo("n", "numeric", "str", 0, 2), ColumnInfo("gone", "categorical", "str", 0, 1)]
    out = apply_kinds(pd.DataFrame({"n": ["1", "x"], "extra": [1, 2]}), schema)
    assert list(out.columns) == ["n", "gone"]
    assert out["n"].tolist()[0] == 1.0 and np.isnan(out["n"].iloc[1])
    assert out["gone"].isna().all()


def test_kinds_of_a_wide_table_read_from_a_file():
    # numbers of one dtype share a block in the read frame: kinds must still come out column by column
    header = ",".join(f"c{c}" for c in range(2_000))
    cells = ("{r}.5", "{r}", "{odd}", "{colour}", "2024-02-{day:02d}")
    rows = [",".join(cells[c % 5].format(r=r * c, odd=(r + c) % 2, colour=("red", "blue")[r % 2], day=r % 28 + 1)
                     for c in range(2_000)) for r in range(N)]
    frame = read_table(("\n".join([header, *rows]) + "\n").encode(), name="wide.csv").frame
    schema = infer_schema(frame)
    assert len(schema) == 2_000
    expected = ["numeric", "numeric", "boolean", "categorical", "datetime"]
    assert [c.kind for c in schema] == expected * 400
    assert [c.n_unique for c in schema[1995:]] == [N, N, 2, 2, N]
