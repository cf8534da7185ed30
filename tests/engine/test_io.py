"""Reading tables: good files parse with notes, bad files raise a typed error with a clear message."""

from __future__ import annotations

import pandas as pd
import pytest

from engine import (
    ColumnError,
    DataError,
    EmptyDataError,
    EncodingError,
    FileTooLargeError,
    MalformedFileError,
    WorkbenchError,
    read_table,
)
from engine.io import max_upload_bytes


def test_reads_a_small_csv_with_typed_columns():
    table = read_table(b"age,city\n31,Oslo\n45,Rome\n", name="people.csv")
    assert table.format == "csv"
    assert table.notes == []
    assert table.frame["age"].tolist() == [31, 45]
    assert pd.api.types.is_integer_dtype(table.frame["age"])
    assert table.frame["city"].tolist() == ["Oslo", "Rome"]


def test_reads_a_path(data_dir):
    table = read_table(data_dir / "tiny_churn.csv")
    assert table.frame.shape == (30, 6)
    assert list(table.frame.columns) == ["customer_id", "age", "plan", "visits", "signup", "churned"]
    assert int(table.frame["age"].isna().sum()) == 2


def test_utf8_byte_order_mark_is_not_part_of_the_first_name():
    table = read_table("\ufeffa,b\n1,2\n".encode(), name="bom.csv")
    assert list(table.frame.columns) == ["a", "b"]
    assert table.notes == []


@pytest.mark.parametrize(
    ("text", "note"),
    [
        pytest.param(b"x;y\n1;2\n3;4\n", "Columns are separated by ';'.", id="semicolon"),
        pytest.param(b"x\ty\n1\t2\n3\t4\n", "Columns are separated by '\\t'.", id="tab-in-csv"),
        pytest.param(b"x|y\n1|2\n3|4\n", "Columns are separated by '|'.", id="pipe"),
    ],
)
def test_other_delimiters_are_sniffed_and_noted(text, note):
    table = read_table(text, name="t.csv")
    assert table.frame.to_dict("list") == {"x": [1, 3], "y": [2, 4]}
    assert table.notes == [note]


def test_semicolon_file(data_dir):
    table = read_table(data_dir / "semicolon.csv")
    assert table.frame.to_dict("list") == {"x": [1, 3], "y": [2, 4]}
    assert table.notes == ["Columns are separated by ';'."]


def test_tsv_extension_means_tab():
    table = read_table(b"x\ty,z\n1\t2,3\n", name="t.tsv")
    assert table.frame.to_dict("list") == {"x": [1], "y,z": ["2,3"]}


def test_latin1_file_is_read_with_a_note(data_dir):
    table = read_table(data_dir / "latin1.csv")
    assert table.frame["name"].tolist() == ["José", "Ana", "Renée"]
    assert table.frame["city"].tolist() == ["München", "Köln", "Zürich"]
    assert table.notes == ["'latin1.csv' is not UTF-8; it was read as cp1252."]


def test_explicit_encoding_is_used():
    table = read_table("ville\nQuébec\n".encode("latin-1"), name="v.csv", encoding="latin-1")
    assert table.frame["ville"].tolist() == ["Québec"]
    assert table.notes == []


@pytest.mark.parametrize("encoding", ["utf-8", "no-such-codec"], ids=["wrong", "unknown"])
def test_explicit_encoding_that_does_not_fit_raises_encoding_error(encoding):
    with pytest.raises(EncodingError, match=rf"'v.csv' cannot be read as {encoding}: .*; pick another encoding"):
        read_table("ville\nQuébec\n".encode("latin-1"), name="v.csv", encoding=encoding)


@pytest.mark.parametrize(
    ("filename", "error", "message"),
    [
        pytest.param("empty.csv", EmptyDataError, "'empty.csv' is empty; choose a file that contains a table.",
                     id="empty"),
        pytest.param("header_only.csv", EmptyDataError,
                     "'header_only.csv' has a header but no data rows; add rows and upload again.", id="header-only"),
        pytest.param("ragged.csv", MalformedFileError,
                     "'ragged.csv' is not a well-formed table: Error tokenizing data. C error: Expected 3 fields in "
                     "line 3, saw 4. Check that every row has the same number of fields.", id="ragged"),
        pytest.param("binary_junk.csv", MalformedFileError,
                     "'binary_junk.csv' does not look like a text table (it contains binary data); "
                     "upload a CSV, Excel, Parquet or JSON file.", id="binary-junk"),
    ],
)
def test_bad_files_raise_a_typed_error_with_a_clear_message(data_dir, filename, error, message):
    with pytest.raises(error) as caught:
        read_table(data_dir / filename)
    assert str(caught.value) == message
    assert isinstance(caught.value, DataError)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"   \n\n\t\n", id="whitespace"),
        pytest.param(b"\n", id="one-newline"),
    ],
)
def test_blank_content_is_empty(data):
    with pytest.raises(EmptyDataError, match="is empty"):
        read_table(data, name="blank.csv")


def test_unterminated_quote_is_malformed():
    with pytest.raises(MalformedFileError, match="EOF inside string"):
        read_table(b'a,b\n"1,2\n3,4\n', name="q.csv")


def test_binary_without_nul_bytes_is_still_caught():
    junk = bytes(range(1, 32)) * 40
    with pytest.raises(MalformedFileError, match="binary data"):
        read_table(junk, name="junk.csv")


def test_missing_path_is_reported(tmp_path):
    with pytest.raises(MalformedFileError, match=r"File '.*nope\.csv' does not exist\."):
        read_table(tmp_path / "nope.csv")


def test_unsupported_extension():
    with pytest.raises(MalformedFileError, match=r"'model.exe' has an unsupported extension '\.exe'; use one of: "):
        read_table(b"a,b\n1,2\n", name="model.exe")


@pytest.mark.parametrize("ext", ["parquet", "xlsx", "json"])
def test_junk_in_a_binary_format_is_malformed(ext):
    with pytest.raises(MalformedFileError, match=rf"'junk.{ext}' cannot be read as .{ext}: "):
        read_table(b"certainly not a table", name=f"junk.{ext}")


def test_upload_over_the_limit_raises_file_too_large():
    data = b"a,b\n" + b"1,2\n" * 1000
    with pytest.raises(FileTooLargeError, match="'big.csv' is .* MB, over the .* MB limit; split the file or raise"):
        read_table(data, name="big.csv", max_bytes=len(data) - 1)
    assert read_table(data, name="big.csv", max_bytes=len(data)).frame.shape == (1000, 2)


def test_the_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", "0.5")
    assert max_upload_bytes() == 512 * 1024
    with pytest.raises(FileTooLargeError):
        read_table(b"a\n" + b"1\n" * 300_000, name="big.csv")


def test_default_limit_is_one_gigabyte(monkeypatch):
    monkeypatch.delenv("WORKBENCH_MAX_UPLOAD_MB", raising=False)
    assert max_upload_bytes() == 1024 * 1024 * 1024


def test_duplicate_and_empty_names_are_renamed_with_notes(data_dir):
    table = read_table(data_dir / "duplicate_names.csv")
    assert list(table.frame.columns) == ["id", "id_2", "column_3", "score"]
    assert table.frame.iloc[0].tolist() == [1, 2, 3, 4]
    assert table.notes == [
        "Column name 'id' appears more than once; copy renamed 'id_2'.",
        "Column 3 has no name; it was named 'column_3'.",
    ]


def test_three_copies_of_a_name_get_numbered_suffixes():
    table = read_table(b"a,a,a\n1,2,3\n", name="t.csv")
    assert list(table.frame.columns) == ["a", "a_2", "a_3"]
    assert len(table.notes) == 2


def test_names_are_stripped_and_blank_headers_named():
    table = read_table(b" x , ,y\n1,2,3\n", name="t.csv")
    assert list(table.frame.columns) == ["x", "column_2", "y"]
    assert table.notes == ["Column 2 has no name; it was named 'column_2'."]


def test_mixed_column_is_read_as_text(data_dir):
    table = read_table(data_dir / "mixed_types.csv")
    amount = table.frame["amount"]
    assert pd.api.types.is_string_dtype(amount) or pd.api.types.is_object_dtype(amount)
    assert amount.tolist() == ["1", "2", "3", "three", "5", "6"]


def test_json_lines_and_parquet_round_trip(tmp_path):
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    lines = frame.to_json(orient="records", lines=True).encode()
    assert read_table(lines, name="t.jsonl").frame.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}
    frame.to_parquet(tmp_path / "t.parquet")
    table = read_table(tmp_path / "t.parquet")
    assert table.format == "parquet"
    assert table.frame.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}


def test_every_data_error_is_a_workbench_error():
    for error in (EmptyDataError, MalformedFileError, EncodingError, FileTooLargeError, ColumnError):
        assert issubclass(error, DataError)
        assert issubclass(error, WorkbenchError)
