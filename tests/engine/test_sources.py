"""Appending rows: the new rows must have the same columns and values that fit each column's kind."""

from __future__ import annotations

import pandas as pd
import pytest

from engine import ColumnError, infer_schema
from engine.data.append import append_rows, check_new_rows

CURRENT = pd.DataFrame({
    "age": [31, 45, 22], "plan": ["basic", "pro", "basic"], "paid": ["yes", "no", "yes"],
    "signup": ["2024-01-03", "2024-02-04", "2024-03-05"],
})


def test_new_rows_are_stacked_in_the_current_column_order():
    new = pd.DataFrame({"plan": ["pro"], "signup": ["2024-04-06"], "age": [50.0], "paid": ["no"]})
    combined = append_rows(CURRENT, new, infer_schema(CURRENT))
    assert list(combined.columns) == ["age", "plan", "paid", "signup"]
    assert combined["age"].tolist() == [31, 45, 22, 50]
    assert combined["plan"].tolist() == ["basic", "pro", "basic", "pro"]
    assert len(CURRENT) == 3


def test_numbers_in_a_text_column_become_text():
    current = pd.DataFrame({"code": ["A1", "B2"]})
    combined = append_rows(current, pd.DataFrame({"code": [7, None]}), infer_schema(current))
    assert combined["code"].tolist()[:3] == ["A1", "B2", "7"]
    assert combined["code"].isna().tolist() == [False, False, False, True]


def test_missing_and_extra_columns_are_named():
    new = pd.DataFrame({"age": [1], "plan": ["x"], "paid": ["no"], "city": ["Oslo"]})
    with pytest.raises(ColumnError) as caught:
        check_new_rows(CURRENT, new, infer_schema(CURRENT))
    assert str(caught.value) == (
        "The new rows do not have the same columns as the data: missing columns ['signup']; extra columns "
        "['city']. Rename or remove columns in the file and upload it again.")


def test_values_of_the_wrong_kind_are_counted_with_examples():
    new = pd.DataFrame({"age": ["50", "old", "n/a", "old"], "plan": ["x"] * 4, "paid": ["yes", "maybe", "no", "no"],
                        "signup": ["2024-05-01", "soon", "2024-05-03", "2024-05-04"]})
    with pytest.raises(ColumnError) as caught:
        check_new_rows(CURRENT, new, infer_schema(CURRENT))
    assert str(caught.value) == (
        "Some new values do not fit their column: 'age' expects numbers but 3 of 4 new values are not "
        "(e.g. 'old', 'n/a'); 'paid' expects one of ['no', 'yes'] but 1 of 4 new values are not (e.g. 'maybe'); "
        "'signup' expects dates but 1 of 4 new values are not (e.g. 'soon'). Fix them in the file, or change "
        "the column's type, and upload again.")


def test_missing_values_always_fit():
    new = pd.DataFrame({"age": [None], "plan": [None], "paid": [None], "signup": [None]})
    assert len(append_rows(CURRENT, new, infer_schema(CURRENT))) == 4
