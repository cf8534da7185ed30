"""Reading tables: good files parse with notes, bad files raise a typed error with a clear message."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pyarrow_csv
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
from engine.data.io import CsvOptions, excel_sheets, format_bytes, max_upload_bytes, sniff_csv


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
    table = read_table(b"x\ty,z\n1\tb,c\n", name="t.tsv")
    assert table.frame.to_dict("list") == {"x": [1], "y,z": ["b,c"]}


def test_latin1_file_is_read_with_a_note(data_dir):
    table = read_table(data_dir / "latin1.csv")
    assert table.frame["name"].tolist() == ["José", "Ana", "Renée"]
    assert table.frame["city"].tolist() == ["München", "Köln", "Zürich"]
    assert table.notes == ["'latin1.csv' is not UTF-8; it was read as cp1252."]


def test_explicit_encoding_is_used():
    table = read_table("ville\nQuébec\n".encode("latin-1"), name="v.csv", encoding="latin-1")
    assert table.frame["ville"].tolist() == ["Québec"]
    assert table.notes == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "no-such-codec"], ids=["wrong", "utf-16-no-bom", "unknown"])
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
    message = r"'big.csv' is 4,004 bytes, over the 4,003-byte limit; split the file or raise"
    with pytest.raises(FileTooLargeError, match=message):
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


# -- sniffing and reading options ------------------------------------------------------------
def test_semicolon_with_decimal_comma_is_sniffed_and_noted():
    table = read_table(b"name;price\nA;1,5\nB;2,25\n", name="prices.csv")
    assert table.frame.to_dict("list") == {"name": ["A", "B"], "price": [1.5, 2.25]}
    assert table.options == CsvOptions(";", "utf-8", ",", True)
    assert table.notes == ["Columns are separated by ';'.", "Numbers use ',' as the decimal separator."]


def test_options_override_what_is_sniffed():
    data = b"name;price\nA;1,5\nB;2,25\n"
    table = read_table(data, name="prices.csv", options=CsvOptions(";", "utf-8", ".", True))
    assert table.frame["price"].tolist() == ["1,5", "2,25"]
    assert table.notes == []
    table = read_table(data, name="prices.csv", options=CsvOptions(",", "utf-8", ".", True))
    assert list(table.frame.columns) == ["name;price"]


def test_sniff_csv_reports_every_choice():
    assert sniff_csv(b"a,b\n1,2\n") == CsvOptions(",", "utf-8", ".", True)
    assert sniff_csv("a\tb\n1,5\t2\n".encode("utf-16"), "t.tsv") == CsvOptions("\t", "utf-16", ",", True)
    assert sniff_csv("\ufeffa;b\n1;2\n".encode()) == CsvOptions(";", "utf-8-sig", ".", True)
    assert sniff_csv("ville\nQuébec\n".encode("cp1252")).encoding == "cp1252"


def test_a_first_row_of_numbers_is_not_a_header():
    table = read_table(b"1,2.5\n3,4.5\n", name="n.csv")
    assert table.frame.to_dict("list") == {"column_1": [1, 3], "column_2": [2.5, 4.5]}
    assert table.options.header is False
    assert table.notes == ["The first row holds values, not names; columns were named column_1, column_2, ..."]


def test_header_can_be_switched_off_by_the_user():
    options = CsvOptions(",", "utf-8", ".", False)
    table = read_table(b"x,y\n1,2\n", name="t.csv", options=options)
    assert table.frame.to_dict("list") == {"column_1": ["x", "1"], "column_2": ["y", "2"]}


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        pytest.param("utf-16", "utf-16", id="utf-16-bom"),
        pytest.param("utf-8-sig", "utf-8-sig", id="utf-8-bom"),
        pytest.param("cp1252", "cp1252", id="cp1252"),
    ],
)
def test_encodings_are_detected(encoding, expected):
    table = read_table("ville,n\nQuébec,1\nMünchen,2\n".encode(encoding), name="v.csv")
    assert table.frame.to_dict("list") == {"ville": ["Québec", "München"], "n": [1, 2]}
    assert table.options.encoding == expected


def test_utf16_chosen_for_a_file_without_a_byte_order_mark_reads_it_little_endian():
    data = "a,b\nQuébec,2\n".encode("utf-16-le")
    table = read_table(data, name="u.csv", options=CsvOptions(",", "utf-16", ".", True))
    assert table.frame.to_dict("list") == {"a": ["Québec"], "b": [2]}


def test_latin1_option_reads_a_byte_cp1252_lacks():
    data = "a\nx\x81y\n".encode("latin-1")
    table = read_table(data, name="l.csv", options=CsvOptions(",", "latin-1", ".", True))
    assert table.frame["a"].tolist() == ["x\x81y"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(CsvOptions(",", "utf-8", ",", True), "both ','", id="same-separators"),
        pytest.param(CsvOptions("#", "utf-8", ".", True), "delimiter='#'", id="unknown-delimiter"),
    ],
)
def test_impossible_options_are_refused(options, message):
    with pytest.raises(MalformedFileError, match=message):
        read_table(b"a;b\n1;2\n", name="t.csv", options=options)


def test_fast_path_keeps_dates_as_text_like_the_c_engine():
    table = read_table(b"day,n\n2024-01-03,1\n2024-02-04,2\n", name="d.csv")
    assert table.frame["day"].tolist() == ["2024-01-03", "2024-02-04"]
    assert pd.api.types.is_string_dtype(table.frame["day"])


def test_fast_path_falls_back_for_an_unterminated_quote_and_ragged_rows():
    with pytest.raises(MalformedFileError, match="Expected 2 fields in line 3, saw 3"):
        read_table(b"a,b\n1,2\n3,4,5\n", name="r.csv")


# -- bad input -----------------------------------------------------------------------------------
def test_a_real_column_named_like_a_pandas_copy_is_kept():
    table = read_table(b"a,a.1,b\n1,2,3\n", name="t.csv")
    assert list(table.frame.columns) == ["a", "a.1", "b"]
    assert table.notes == []


def test_a_repeated_name_next_to_a_dotted_one_is_still_renamed():
    table = read_table(b"a,a.1,a\n1,2,3\n", name="t.csv")
    assert list(table.frame.columns) == ["a", "a.1", "a_2"]
    assert table.notes == ["Column name 'a' appears more than once; copy renamed 'a_2'."]


def test_ten_thousand_columns_load():
    header = ",".join(f"c{i}" for i in range(10_000))
    row = ",".join(str(i % 7) for i in range(10_000))
    table = read_table(f"{header}\n{row}\n{row}\n".encode(), name="wide.csv")
    assert table.frame.shape == (2, 10_000)
    assert table.frame["c9999"].tolist() == [9999 % 7] * 2



def _wide_csv(columns: int, rows: int) -> bytes:
    """Columns cycle through five kinds: float with a gap, int, 0/1, label, date."""
    cells = {0: lambda r, c: "" if r == 3 else f"{r + c / 1000:.3f}", 1: lambda r, c: str(r * c),
             2: lambda r, c: str((r + c) % 2), 3: lambda r, c: ("red", "blue")[r % 2],
             4: lambda r, c: f"2024-01-{r % 28 + 1:02d}"}
    lines = [",".join(f"c{c}" for c in range(columns))]
    lines += [",".join(cells[c % 5](r, c) for c in range(columns)) for r in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_a_wide_file_keeps_every_column_with_its_values_and_dtype():
    # 3,000 columns of ~5 bytes: a row is ~15 KB, so pyarrow's default 1 MiB blocks would hold ~70 rows
    frame = read_table(_wide_csv(3_000, 200), name="wide.csv").frame
    assert frame.shape == (200, 3_000)
    assert list(frame.columns[:3]) == ["c0", "c1", "c2"] and frame.columns[-1] == "c2999"
    assert frame["c2995"].dtype == float and frame["c2995"].isna().tolist() == [r == 3 for r in range(200)]
    assert frame["c2995"].iloc[199] == pytest.approx(201.995)
    assert frame["c2996"].dtype == "int64" and frame["c2996"].iloc[150] == 150 * 2996
    assert frame["c2997"].tolist() == [(r + 2997) % 2 for r in range(200)]
    assert pd.api.types.is_string_dtype(frame["c2998"]) and frame["c2998"].iloc[1] == "blue"
    assert pd.api.types.is_string_dtype(frame["c2999"]) and frame["c2999"].iloc[30] == "2024-01-03"

@pytest.mark.parametrize(
    ("limit", "size", "message"),
    [
        pytest.param(0, 10, "'t.csv' is 10 bytes, over the 0 bytes limit", id="zero"),
        pytest.param(1024, 4096, "'t.csv' is 4.0 KB, over the 1.0 KB limit", id="kilobytes"),
        pytest.param(1024 * 1024, 3 * 1024 * 1024, "'t.csv' is 3.0 MB, over the 1.0 MB limit", id="megabytes"),
    ],
)
def test_size_limit_message_uses_sensible_units(limit, size, message):
    with pytest.raises(FileTooLargeError, match=message):
        read_table(b"a\n" + b"1" * (size - 2), name="t.csv", max_bytes=limit)


def test_format_bytes():
    assert [format_bytes(n) for n in (0, 1023, 1536, 5 * 1024**2, 3 * 1024**3)] == [
        "0 bytes", "1023 bytes", "1.5 KB", "5.0 MB", "3.0 GB"]


def test_utf16_header_only_is_still_header_only():
    with pytest.raises(EmptyDataError, match="no data rows"):
        read_table("a,b\n".encode("utf-16"), name="h.csv")


# -- Excel, Feather, JSON --------------------------------------------------------------------------
@pytest.fixture
def workbook() -> bytes:
    """Two sheets: 'people' (name, age) and 'cities' (city, a duplicated header)."""
    book = openpyxl.Workbook()
    people = book.active
    people.title = "people"
    for row in (("name", "age"), ("Ana", 31), ("Bo", 45)):
        people.append(row)
    cities = book.create_sheet("cities")
    for row in (("city", "city", "city.1"), ("Oslo", "Rome", "Lima")):
        cities.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_excel_sheets_are_listed_and_the_first_is_read(workbook):
    assert excel_sheets(workbook) == ["people", "cities"]
    table = read_table(workbook, name="book.xlsx")
    assert (table.format, table.sheet) == ("xlsx", "people")
    assert table.frame.to_dict("list") == {"name": ["Ana", "Bo"], "age": [31, 45]}


def test_excel_sheet_can_be_picked_and_its_names_cleaned(workbook):
    table = read_table(workbook, name="book.xlsx", sheet="cities")
    assert table.frame.to_dict("list") == {"city": ["Oslo"], "city_2": ["Rome"], "city.1": ["Lima"]}
    assert table.notes == ["Column name 'city' appears more than once; copy renamed 'city_2'."]


def test_wrong_sheet_name_lists_the_sheets(workbook):
    with pytest.raises(DataError) as caught:
        read_table(workbook, name="book.xlsx", sheet="Sheet1")
    assert str(caught.value) == "'book.xlsx' has no sheet 'Sheet1'; its sheets are: 'people', 'cities'."


def test_feather_and_json_records(tmp_path):
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    frame.to_feather(tmp_path / "t.feather")
    table = read_table(tmp_path / "t.feather")
    assert (table.format, table.frame.to_dict("list")) == ("feather", {"a": [1, 2], "b": ["x", "y"]})
    records = frame.to_json(orient="records").encode()
    assert read_table(records, name="t.json").frame.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}


def test_junk_named_feather_is_malformed():
    with pytest.raises(MalformedFileError, match=r"'junk.feather' cannot be read as .feather: "):
        read_table(b"not arrow", name="junk.feather")


# -- a file longer than the head: pyarrow reads the file itself ------------------------------------------
def _long_csv(last_row: bytes = b"40000,0.5,c,2024-01-01,") -> bytes:
    """A UTF-8 comma CSV of ~1.3 MB, longer than the 1 MiB head that ``read_table`` sniffs, then ``last_row``.

    In the head, ``note`` is empty in every row and ``day`` holds only dates."""
    rows = b"".join(b"%d,%s,%s,2024-01-%02d,\n" % (i, str(i / 8).encode(), b"abc"[i % 3: i % 3 + 1], i % 28 + 1)
                    for i in range(40_000))
    return b"id,score,label,day,note\n" + rows + last_row + b"\n"


def test_a_long_path_and_its_bytes_read_the_same(tmp_path):
    data = _long_csv()
    assert len(data) > 1 << 20
    (tmp_path / "long.csv").write_bytes(data)
    from_path, from_bytes = read_table(tmp_path / "long.csv"), read_table(data, name="long.csv")
    pd.testing.assert_frame_equal(from_path.frame, from_bytes.frame)
    assert (from_path.notes, from_path.options) == (from_bytes.notes, from_bytes.options) == ([], CsvOptions())
    frame = from_path.frame
    assert frame.shape == (40_001, 5)
    assert frame["id"].dtype == "int64" and frame["id"].iloc[-1] == 40_000
    assert frame["score"].dtype == float and frame["score"].iloc[3] == 0.375
    assert frame["label"].tolist()[:4] == ["a", "b", "c", "a"]
    assert pd.api.types.is_string_dtype(frame["day"]) and frame["day"].iloc[27] == "2024-01-28"
    assert frame["note"].isna().all()


def test_a_long_plain_csv_is_parsed_once_with_the_types_of_its_head(tmp_path, monkeypatch):
    # Inferring types, pyarrow keeps every parsed block until the end (a 1M x 20 file peaked at 2.8x its frame)
    (tmp_path / "long.csv").write_bytes(_long_csv())
    calls = []

    def read_csv(source, **kwargs):
        calls.append(kwargs["convert_options"].column_types)
        return original(source, **kwargs)

    original = pyarrow_csv.read_csv
    monkeypatch.setattr(pyarrow_csv, "read_csv", read_csv)
    read_table(tmp_path / "long.csv")
    head_types, whole_types = calls  # the head (1 MiB), then the whole file
    assert head_types == {}
    assert whole_types == {"id": pa.int64(), "score": pa.float64(), "label": pa.large_string(), "day": pa.date32(),
                           "note": pa.null()}


def test_the_head_types_give_the_frame_that_inferring_every_row_gives(tmp_path, monkeypatch):
    (tmp_path / "long.csv").write_bytes(_long_csv())
    typed = read_table(tmp_path / "long.csv").frame
    monkeypatch.setattr("engine.data.io._MIN_HEAD_ROWS", 10**9)  # no head is long enough: pyarrow infers
    pd.testing.assert_frame_equal(typed, read_table(tmp_path / "long.csv").frame)


def test_a_plain_csv_path_is_read_by_pyarrow_not_loaded_whole(tmp_path, monkeypatch):
    (tmp_path / "long.csv").write_bytes(_long_csv())
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self.name} was read whole"))
    assert read_table(tmp_path / "long.csv").frame.shape == (40_001, 5)


def test_the_size_limit_applies_to_a_path_without_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as file:
        file.write(b"a,b\n1,2\n")
        file.truncate(3 * 1024**3)  # sparse: 3 GB on paper, nothing on disk
    monkeypatch.delenv("WORKBENCH_MAX_UPLOAD_MB", raising=False)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self.name} was read whole"))
    with pytest.raises(FileTooLargeError, match=r"'huge.csv' is 3.0 GB, over the 1.0 GB limit"):
        read_table(path)


@pytest.mark.parametrize("as_path", [True, False], ids=["path", "bytes"])
def test_a_latin1_byte_past_the_head_still_reads_as_cp1252(tmp_path, as_path):
    data = _long_csv("40000,0.5,Zürich,2024-01-01,".encode("latin-1"))
    (tmp_path / "long.csv").write_bytes(data)
    table = read_table(tmp_path / "long.csv") if as_path else read_table(data, name="long.csv")
    assert table.frame["label"].iloc[-1] == "Zürich"
    assert table.options.encoding == "cp1252"
    assert table.notes == ["'long.csv' is not UTF-8; it was read as cp1252."]


def test_a_latin1_or_semicolon_path_is_parsed_as_it_is_decoded_not_loaded_whole(tmp_path, monkeypatch):
    # Decoded whole into a StringIO, a 1M-row Latin-1 file peaked at 6.3x its frame (2.5x read from its path)
    (tmp_path / "latin1.csv").write_bytes(_long_csv("40000,0.5,Zürich,2024-01-01,".encode("latin-1")))
    (tmp_path / "semicolon.csv").write_bytes(_long_csv().replace(b",", b";"))
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self.name} was read whole"))
    latin1 = read_table(tmp_path / "latin1.csv")
    assert (latin1.options.encoding, latin1.frame["label"].iloc[-1]) == ("cp1252", "Zürich")
    semicolon = read_table(tmp_path / "semicolon.csv")
    assert semicolon.options.delimiter == ";" and semicolon.frame.shape == (40_001, 5)
    assert list(semicolon.frame.columns) == ["id", "score", "label", "day", "note"]


def test_utf8_options_on_a_file_not_utf8_past_the_head_raise_encoding_error(tmp_path):
    (tmp_path / "long.csv").write_bytes(_long_csv("40000,0.5,Zürich,2024-01-01,".encode("latin-1")))
    with pytest.raises(EncodingError, match=r"'long.csv' cannot be read as utf-8: .* byte 0xfc in position 1110045"):
        read_table(tmp_path / "long.csv", options=CsvOptions())


@pytest.mark.parametrize("as_path", [True, False], ids=["path", "bytes"])
def test_columns_whose_type_changes_past_the_head_take_the_type_of_the_whole_file(tmp_path, as_path):
    data = _long_csv(b"40000,many,c,not a date,late text")
    (tmp_path / "long.csv").write_bytes(data)
    frame = (read_table(tmp_path / "long.csv") if as_path else read_table(data, name="long.csv")).frame
    assert frame["id"].dtype == "int64"
    assert pd.api.types.is_string_dtype(frame["score"]) and frame["score"].tolist()[3:5] == ["0.375", "0.5"]
    assert frame["score"].iloc[-1] == "many"
    assert frame["day"].tolist()[-2:] == ["2024-01-16", "not a date"]
    assert frame["note"].iloc[-1] == "late text" and int(frame["note"].isna().sum()) == 40_000


def test_a_ragged_row_past_the_head_is_still_explained(tmp_path):
    (tmp_path / "long.csv").write_bytes(_long_csv(b"40000,0.5,c,2024-01-01,,extra"))
    with pytest.raises(MalformedFileError, match="Expected 5 fields in line 40002, saw 6"):
        read_table(tmp_path / "long.csv")


def test_a_long_file_with_a_repeated_name_keeps_both_columns(tmp_path):
    (tmp_path / "long.csv").write_bytes(_long_csv().replace(b",note\n", b",id\n", 1))
    table = read_table(tmp_path / "long.csv")
    assert list(table.frame.columns) == ["id", "score", "label", "day", "id_2"]
    assert table.frame["id"].iloc[-1] == 40_000 and table.frame["id_2"].isna().all()
    assert table.notes == ["Column name 'id' appears more than once; copy renamed 'id_2'."]
