"""Reading tables from files and uploads, with clear errors for bad input.

Text files are sniffed (encoding, delimiter, decimal separator, header row); every choice can be
overridden with a ``CsvOptions``. Excel workbooks are read one sheet at a time.

>>> from engine.data.io import read_table
>>> table = read_table(b"a,b\\n1,x\\n2,y\\n", name="tiny.csv")
>>> table.frame.shape
(2, 2)
>>> read_table(b"x;y\\n1,5;2\\n", name="t.csv", options=CsvOptions(";", "utf-8", ",", True)).frame["x"].tolist()
[1.5]
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pyarrow_compute
import pyarrow.csv as pyarrow_csv

from engine.errors import (
    ColumnError,
    DataError,
    EmptyDataError,
    EncodingError,
    FileTooLargeError,
    MalformedFileError,
)

__all__ = [
    "DELIMITERS",
    "ENCODINGS",
    "SUPPORTED_EXTENSIONS",
    "TEXT_EXTENSIONS",
    "CsvOptions",
    "LoadedTable",
    "ReadAgain",
    "TableChunk",
    "TableStream",
    "excel_sheets",
    "format_bytes",
    "max_upload_bytes",
    "read_table",
    "sniff_csv",
    "stream_table",
]

TEXT_EXTENSIONS = ("csv", "tsv", "txt")
SUPPORTED_EXTENSIONS = (*TEXT_EXTENSIONS, "parquet", "xlsx", "xls", "json", "jsonl", "feather")
ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16", "cp1252": "Windows-1252",
             "latin-1": "Latin-1"}
DELIMITERS = {",": "comma (,)", ";": "semicolon (;)", "\t": "tab", "|": "pipe (|)"}
_FALLBACK_ENCODINGS = ("cp1252", "latin-1")
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")


class CsvOptions(NamedTuple):
    """How a text table is read: field delimiter, encoding, decimal separator, whether row 1 holds names."""

    delimiter: str = ","
    encoding: str = "utf-8"
    decimal: str = "."
    header: bool = True


class LoadedTable(NamedTuple):
    """A parsed table plus what the reader had to decide or repair on the way."""

    frame: pd.DataFrame
    format: str
    notes: list[str]
    options: CsvOptions | None = None
    sheet: str | None = None


def max_upload_bytes() -> int:
    """The upload limit, from ``WORKBENCH_MAX_UPLOAD_MB`` (default 1024 MB)."""
    return int(float(os.environ.get("WORKBENCH_MAX_UPLOAD_MB", "1024")) * 1024 * 1024)


def format_bytes(n: int) -> str:
    """A size in the unit that reads best: ``format_bytes(1536) == '1.5 KB'``."""
    if n < 1024:
        return f"{n} bytes"
    for unit in ("KB", "MB", "GB"):
        n /= 1024
        if n < 1024 or unit == "GB":
            return f"{n:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def read_table(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    encoding: str | None = None,
    max_bytes: int | None = None,
    options: CsvOptions | None = None,
    sheet: str | None = None,
) -> LoadedTable:
    """Read a CSV / TSV / Parquet / Excel / JSON / Feather table from a path or raw bytes.

    ``options`` overrides what is sniffed from a text file; ``encoding`` alone overrides just the encoding.
    ``sheet`` picks an Excel sheet (default: the first).
    """
    name, size, head = _open(source, name)
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    if size > limit:
        size_text, most = format_bytes(size), format_bytes(limit)
        if size_text == most:
            size_text, most = f"{size:,} bytes", f"{limit:,}-byte"
        raise FileTooLargeError(
            f"'{name}' is {size_text}, over the {most} limit; "
            "split the file or raise WORKBENCH_MAX_UPLOAD_MB."
        )
    if _is_blank(head) and _is_blank(_whole(source)):
        raise EmptyDataError(f"'{name}' is empty; choose a file that contains a table.")
    ext = _extension(name)
    notes: list[str] = []
    used: CsvOptions | None = None
    if ext in TEXT_EXTENSIONS:
        frame, used = _read_text(source, head, name, encoding, options, notes)
    elif ext in ("xlsx", "xls"):
        data = _whole(source)
        sheet = sheet or _first_sheet(data, name, ext)
        frame = _read_excel(data, name, ext, sheet)
    else:
        frame = _read_binary_table(_whole(source), name, ext)
    if frame.shape[1] == 0:
        raise EmptyDataError(f"'{name}' has no columns.")
    frame = _clean_column_names(frame, notes)
    if frame.shape[0] == 0:
        raise EmptyDataError(f"'{name}' has a header but no data rows; add rows and upload again.")
    return LoadedTable(frame, "csv" if ext in TEXT_EXTENSIONS else ext, notes, used, sheet)


def sniff_csv(data: bytes, name: str = "upload.csv") -> CsvOptions:
    """Guess how a text table is written (what ``read_table`` uses unless told otherwise)."""
    return _sniff(data, name, None, [])


def excel_sheets(data: bytes, name: str = "upload.xlsx") -> list[str]:
    """The sheet names of an Excel workbook, in order."""
    try:
        return list(pd.ExcelFile(io.BytesIO(data)).sheet_names)
    except Exception as exc:  # noqa: BLE001 - readers raise library-specific types for junk
        raise MalformedFileError(f"'{name}' cannot be read as .{_extension(name)}: {exc}") from None


def _extension(name: str) -> str:
    ext = Path(name).suffix.lower().lstrip(".") or "csv"
    if ext not in SUPPORTED_EXTENSIONS:
        raise MalformedFileError(
            f"'{name}' has an unsupported extension '.{ext}'; "
            f"use one of: {', '.join('.' + e for e in SUPPORTED_EXTENSIONS)}."
        )
    return ext


# What is sniffed of a file before pyarrow reads it (pyarrow's default block, so the block size is judged from it).
_HEAD_BYTES = 1 << 20


def _open(source: str | Path | bytes, name: str | None) -> tuple[str, int, bytes]:
    """The table's name, its size in bytes and its first ``_HEAD_BYTES``, without reading a file whole."""
    if isinstance(source, bytes):
        return name or "upload.csv", len(source), source[:_HEAD_BYTES]
    path = Path(source)
    if not path.is_file():
        raise MalformedFileError(f"File '{path}' does not exist.")
    with open(path, "rb") as file:
        return name or path.name, os.fstat(file.fileno()).st_size, file.read(_HEAD_BYTES)


def _whole(source: str | Path | bytes) -> bytes:
    """All of a table's bytes: the Excel, Parquet, Feather and JSON readers need them, and so does a blank head."""
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return control > len(head) * 0.05


def _sniff(data: bytes, name: str, encoding: str | None, notes: list[str],
           source: str | Path | bytes | None = None) -> CsvOptions:
    """How a text table is written, from its first bytes ``data``; the encoding from all of ``source`` (by default
    ``data`` is all there is), read piece by piece."""
    encoding = encoding or _sniff_encoding(data, name, notes, data if source is None else source)
    sample = _decode(data[:65536], name, encoding)
    delimiter = _sniff_delimiter(sample, name)
    if delimiter != ",":
        notes.append(f"Columns are separated by {delimiter!r}.")
    rows = _sample_rows(sample, delimiter)
    decimal = _sniff_decimal(rows, delimiter)
    if decimal == ",":
        notes.append("Numbers use ',' as the decimal separator.")
    header = not (len(rows) > 1 and all(_is_number(v, decimal) for v in rows[0]))
    if not header:
        notes.append("The first row holds values, not names; columns were named column_1, column_2, ...")
    return CsvOptions(delimiter, encoding, decimal, header)


_BLANK = b"\xff\xfe\xef\xbb\xbf\x00\r\n\t\x0b\x0c "


def _is_blank(data: bytes) -> bool:
    """Only whitespace and byte-order marks; checks a prefix first to avoid copying a big file."""
    return not data[:4096].strip(_BLANK) and not data.strip(_BLANK)


def _sniff_encoding(data: bytes, name: str, notes: list[str], source: str | Path | bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if _looks_binary(data):
        raise MalformedFileError(
            f"'{name}' does not look like a text table (it contains binary data); "
            "upload a CSV, Excel, Parquet or JSON file."
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if _decodes(source, "utf-8"):
        return "utf-8"
    for candidate in _FALLBACK_ENCODINGS:
        if _decodes(source, candidate):
            notes.append(f"'{name}' is not UTF-8; it was read as {candidate}.")
            return candidate
    raise EncodingError(f"'{name}' is not in a supported text encoding; save it as UTF-8.")  # pragma: no cover


def _decodes(source: str | Path | bytes, encoding: str) -> bool:
    """Whether all of ``source`` is text in ``encoding``."""
    return _decode_error(source, encoding) is None


def _decode_error(source: str | Path | bytes, encoding: str) -> str | None:
    """Where ``source`` first stops being text in ``encoding`` (an ASCII superset), as Python says it, with the
    position in the whole file; None when it is all text. Checked a MiB at a time: a file is never in memory whole,
    nor is its text, and ASCII pieces (most of a table) need no decoding."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0  # of the piece in the file
    for piece in itertools.chain(_pieces(source), [b""]):  # b"": the end, where a cut character shows
        pending = decoder.getstate()[0]  # the start of a character cut in two by the pieces
        try:
            if not piece or not (piece.isascii() and pending == b""):
                decoder.decode(piece, final=not piece)
        except UnicodeDecodeError as exc:
            return (f"'{encoding}' codec can't decode byte 0x{exc.object[exc.start]:02x} in position "
                    f"{offset - len(pending) + exc.start}: {exc.reason}")
        except UnicodeError as exc:  # "UTF-16 stream does not start with BOM"
            return str(exc)
        offset += len(piece)
    return None


def _pieces(source: str | Path | bytes) -> Iterator[bytes]:
    if isinstance(source, bytes):
        yield from (source[start:start + _HEAD_BYTES] for start in range(0, len(source), _HEAD_BYTES))
        return
    with open(source, "rb") as file:
        while piece := file.read(_HEAD_BYTES):
            yield piece


def _decode(head: bytes, name: str, encoding: str) -> str:
    """The text of a file's head (which may end inside a character), for sniffing and the header row."""
    try:
        return head.decode(encoding, errors="ignore").lstrip("\ufeff")
    except LookupError as exc:
        raise EncodingError(f"'{name}' cannot be read as {encoding}: {exc}; pick another encoding.") from None


def _sniff_delimiter(text: str, name: str) -> str:
    if name.lower().endswith(".tsv"):
        return "\t"
    try:
        return csv.Sniffer().sniff(text[:65536], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _sample_rows(text: str, delimiter: str) -> list[list[str]]:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:  # pragma: no cover - the sniffer sample is cut mid-field
        return []


def _sniff_decimal(rows: list[list[str]], delimiter: str) -> str:
    if delimiter == ",":
        return "."
    return "," if any(_DECIMAL_COMMA.match(v) for row in rows[1:] for v in row) else "."


def _is_number(value: str, decimal: str) -> bool:
    try:
        float(value.strip().replace(decimal, "."))
    except ValueError:
        return False
    return True


def _read_text(source: str | Path | bytes, head: bytes, name: str, encoding: str | None,
               options: CsvOptions | None, notes: list[str]) -> tuple[pd.DataFrame, CsvOptions]:
    """A text table and the options it was read with.

    A UTF-8 comma CSV with a header goes from the file, or the bytes, straight to pyarrow: Python reads only its
    head and checks its encoding a piece at a time. Anything else, or a file pyarrow refuses, is read whole and
    parsed by pandas' C engine.
    """
    if options is None:
        options = _sniff(head, name, encoding, notes, source)
    if options == CsvOptions() and not _looks_binary(head):
        frame = _read_fast(source, head)
        if frame is not None:
            return _name_columns(frame, head.decode("utf-8", "ignore"), options), options
    return _read_text_table(source, head, name, options), options


def _read_text_table(source: str | Path | bytes, head: bytes, name: str, options: CsvOptions) -> pd.DataFrame:
    """Any text table, parsed by pandas' C engine as it decodes it (never a whole copy of the file or its text: a
    1M-row Latin-1 file peaked at 6.3x its frame decoded whole into a ``StringIO``, 2.5x read from its path)."""
    if options.delimiter not in DELIMITERS or options.decimal not in (".", ","):
        raise MalformedFileError(
            f"Reading options delimiter={options.delimiter!r}, decimal={options.decimal!r} are not supported; "
            f"use a delimiter from {list(DELIMITERS)} and '.' or ','."
        )
    if options.delimiter == options.decimal:
        raise MalformedFileError(f"The delimiter and the decimal separator are both {options.delimiter!r}; "
                                 "pick different ones.")
    frame = _read_with_c_engine(source, head, name, options)
    return _name_columns(frame, _decode(head, name, options.encoding), options)


def _name_columns(frame: pd.DataFrame, text: str, options: CsvOptions) -> pd.DataFrame:
    """The names as written in the first row (the readers rename repeats), or column_1, column_2, ..."""
    if options.header:
        header = _raw_header(text, options)
        if len(header) == frame.shape[1]:
            frame.columns = header
    else:
        frame.columns = [f"column_{i}" for i in range(1, frame.shape[1] + 1)]
    return frame


# Empty cells and NA markers are missing in text columns too, as with pandas' C engine.
_ARROW_CONVERT = pyarrow_csv.ConvertOptions(strings_can_be_null=True)


# pyarrow parses a CSV in blocks and keeps one chunk per block in every column. Its 1 MiB default holds
# ~15 rows of a 10,000-column file: 70 chunks a column, 700,000 arrays, 600 MB of overhead for 70 MB of
# cells. Blocks of at least this many rows keep the chunk count (and the overhead) linear in cells.
_ROWS_PER_BLOCK = 10_000
_MIN_BLOCK = 1 << 20  # pyarrow's default
_MAX_BLOCK = 1 << 30  # pyarrow's block size is a 32-bit int
_CONVERSION_ERROR = re.compile(r"In CSV column #(\d+): (?:Row #\d+: )?CSV conversion error")  # one thread names the row


def _arrow_read_options(head: bytes) -> pyarrow_csv.ReadOptions:
    """Blocks big enough for ``_ROWS_PER_BLOCK`` rows, judged from the line length of the file's first MiB."""
    head = head[:_MIN_BLOCK]
    row_bytes = len(head) / max(head.count(b"\n"), 1)
    block = int(min(max(row_bytes * _ROWS_PER_BLOCK, _MIN_BLOCK), _MAX_BLOCK))
    return pyarrow_csv.ReadOptions(block_size=block)


def _read_fast(source: str | Path | bytes, head: bytes) -> pd.DataFrame | None:
    """UTF-8 comma CSV through pyarrow; None when it cannot parse it (the C engine then explains why).

    pyarrow infers dates; they are cast back to text inside Arrow (cheap), so both paths give the same frame and
    the column kinds decide what a date is.
    """
    try:
        table = _read_arrow(source, head)
    except (pa.ArrowInvalid, ValueError):  # ragged rows, bad UTF-8, ...
        return None
    if any(pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type) for f in table.schema):
        return None  # pyarrow keeps text that is not valid UTF-8 as bytes: let the decoder explain
    frame = _arrow_frame(_dates_as_text(table, pa.large_string()))
    del table
    # Arrow's allocator keeps freed parse buffers for reuse by Arrow only; hand them back for pandas' work.
    pa.default_memory_pool().release_unused()
    return frame


def _read_arrow(source: str | Path | bytes, head: bytes) -> pa.Table:
    """The table as pyarrow infers it, read with the types of its head when they fit every row.

    Inferring types, pyarrow keeps every parsed block to the end in case a later block changes a column's type
    (1M rows × 20 columns: 190 MB more than the 157 MB table, and twice the time); with types given it converts
    each block as it comes. The head's types are the ones pyarrow infers for the whole file whenever every row
    fits them (inference takes the first type, in a fixed order, that all values fit). When a row does not fit,
    the file is read again inferring, as before.

    pyarrow reads a file itself, block by block (not memory-mapped: mapped pages would count as resident), and
    bytes through a zero-copy buffer: no second copy of the file is ever in memory.
    """
    read_options = _arrow_read_options(head)
    types = _head_types(head, read_options)
    if types is not None:
        try:
            return _arrow_csv(source, read_options, pyarrow_csv.ConvertOptions(strings_can_be_null=True,
                                                                               column_types=types))
        except pa.ArrowInvalid as exc:
            if _CONVERSION_ERROR.search(str(exc)) is None:
                raise  # ragged rows, an unterminated quote: inferring cannot help
    return _arrow_csv(source, read_options, _ARROW_CONVERT)


# A head of fewer rows (rows over 1 KB: a wide table) says little of a column's type and costs as much to infer as
# the whole file: there pyarrow's work is per column and block, not per row (10,000 columns: 1 s for 15 rows).
_MIN_HEAD_ROWS = 1_000


def _head_types(head: bytes, read_options: pyarrow_csv.ReadOptions) -> dict[str, pa.DataType] | None:
    """The column types pyarrow infers from the head's whole lines; None when the head is the whole file (its read is
    the whole read), holds fewer than ``_MIN_HEAD_ROWS`` rows, or names a column twice (types go by name)."""
    if len(head) < _HEAD_BYTES or head.count(b"\n") <= _MIN_HEAD_ROWS:
        return None
    try:
        schema = pyarrow_csv.read_csv(pa.py_buffer(head[: head.rfind(b"\n") + 1]), read_options=read_options,
                                      convert_options=_ARROW_CONVERT).schema
    except (pa.ArrowInvalid, ValueError):  # a quoted field cut by the head, a row longer than the head
        return None
    # pandas holds text as large_string (it would cast every text column): read text so, no copy is made later
    types = {field.name: pa.large_string() if field.type == pa.string() else field.type for field in schema}
    return types if len(types) == len(schema) else None


def _arrow_csv(source: str | Path | bytes, read_options: pyarrow_csv.ReadOptions,
               convert_options: pyarrow_csv.ConvertOptions) -> pa.Table:
    stream = pa.BufferReader(source) if isinstance(source, bytes) else pa.OSFile(str(source))
    with stream:
        return pyarrow_csv.read_csv(stream, read_options=read_options, convert_options=convert_options)


def _dates_as_text(table: pa.Table | pa.RecordBatch, text: pa.DataType = pa.string()) -> pa.Table | pa.RecordBatch:
    """Dates and times pyarrow inferred, back to ``text`` (the column kinds decide what a date is)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_date(field.type) or pa.types.is_timestamp(field.type) or pa.types.is_time(field.type):
            table = table.set_column(i, field.name, pyarrow_compute.cast(table.column(i), text))
    return table


def _arrow_frame(table: pa.Table | pa.RecordBatch) -> pd.DataFrame:
    """The DataFrame of a parsed text table: text as pandas' ``str`` dtype, as the C engine path gives it."""
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    # self_destruct frees each Arrow column once converted: peak memory stays near one copy. Columns of one
    # dtype share a block, as pandas' own reader gives them: whole-frame operations on a wide table then
    # run once per dtype instead of once per column.
    options = {"self_destruct": True} if isinstance(table, pa.Table) else {}
    return table.to_pandas(types_mapper={pa.string(): text, pa.large_string(): text}.get, **options)


def _read_with_c_engine(source: str | Path | bytes, head: bytes, name: str, options: CsvOptions) -> pd.DataFrame:
    # pandas refuses UTF-16 without a byte-order mark; Python's decoder reads it little-endian, as this reader did
    no_mark = options.encoding == "utf-16" and not head.startswith((b"\xff\xfe", b"\xfe\xff"))
    encoding = "utf-16-le" if no_mark else options.encoding
    try:
        return pd.read_csv(io.BytesIO(source) if isinstance(source, bytes) else source, encoding=encoding,
                           sep=options.delimiter, decimal=options.decimal, header=0 if options.header else None,
                           low_memory=False, skipinitialspace=True)
    except (UnicodeError, LookupError) as exc:  # UnicodeError: "UTF-16 stream does not start with BOM"
        detail = (_decode_error(source, encoding) if isinstance(exc, UnicodeError) else None) or exc
        raise EncodingError(f"'{name}' cannot be read as {options.encoding}: {detail}; "
                            "pick another encoding.") from None
    except pd.errors.EmptyDataError:
        raise EmptyDataError(f"'{name}' has no columns; it looks empty.") from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1]
        raise MalformedFileError(
            f"'{name}' is not a well-formed table: {detail}. "
            "Check that every row has the same number of fields."
        ) from None


def _raw_header(text: str, options: CsvOptions) -> list[str]:
    """The first row's names as written (pandas renames a repeated 'a' to 'a.1')."""
    lines = (line for line in io.StringIO(text) if line.strip())
    try:
        return next(csv.reader(lines, delimiter=options.delimiter, skipinitialspace=True), [])
    except csv.Error:  # pragma: no cover - an unterminated quote in the header
        return []


def _first_sheet(data: bytes, name: str, ext: str) -> str:
    sheets = excel_sheets(data, name)
    if not sheets:  # pragma: no cover - openpyxl refuses workbooks without sheets
        raise EmptyDataError(f"'{name}' has no sheets.")
    return sheets[0]


def _read_excel(data: bytes, name: str, ext: str, sheet: str) -> pd.DataFrame:
    sheets = excel_sheets(data, name)
    if sheet not in sheets:
        raise DataError(f"'{name}' has no sheet '{sheet}'; its sheets are: {', '.join(repr(s) for s in sheets)}.")
    try:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=sheet)
        header = pd.read_excel(io.BytesIO(data), sheet_name=sheet, header=None, nrows=1)
    except Exception as exc:  # noqa: BLE001 - readers raise library-specific types for junk
        raise MalformedFileError(f"'{name}' cannot be read as .{ext}: {exc}") from None
    raw = ["" if pd.isna(v) else str(v) for v in header.iloc[0]] if len(header) else []
    if len(raw) == frame.shape[1]:
        frame.columns = raw
    return frame


def _read_binary_table(data: bytes, name: str, ext: str) -> pd.DataFrame:
    buffer = io.BytesIO(data)
    try:
        if ext == "parquet":
            return pd.read_parquet(buffer)
        if ext == "feather":
            return pd.read_feather(buffer)
        return pd.read_json(buffer, lines=ext == "jsonl")
    except Exception as exc:  # noqa: BLE001 - parsers raise library-specific types for junk
        raise MalformedFileError(f"'{name}' cannot be read as .{ext}: {exc}") from None


def _clean_column_names(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Name unnamed columns and de-duplicate names, saying what was changed."""
    names: list[str] = []
    seen: set[str] = set()
    for position, raw in enumerate(frame.columns, start=1):
        label = str(raw).strip()
        if not label or label.startswith("Unnamed: "):
            label = f"column_{position}"
            notes.append(f"Column {position} has no name; it was named '{label}'.")
        if label in seen:
            suffix = 2
            while f"{label}_{suffix}" in seen:
                suffix += 1
            notes.append(f"Column name '{label}' appears more than once; copy renamed '{label}_{suffix}'.")
            label = f"{label}_{suffix}"
        seen.add(label)
        names.append(label)
    if len(set(names)) != len(names):  # pragma: no cover - guarded above
        raise ColumnError("Column names are not unique after cleaning.")
    frame.columns = names
    return frame


# -- a file too big to read whole: chunks ---------------------------------------------------------------


class TableChunk(NamedTuple):
    """Rows of a file read in chunks: as ``read_table`` would give them (``frame``), the same rows as Arrow with
    the same column names for writing (``arrow``), and the share of the file read so far (``done``, 0-1)."""

    frame: pd.DataFrame
    arrow: pa.RecordBatch
    done: float


class TableStream(NamedTuple):
    """A file opened for reading in chunks: its cleaned column names, the reader's notes, and the chunks."""

    columns: list[str]
    notes: list[str]
    chunks: Iterator[TableChunk]


class ReadAgain(Exception):  # noqa: N818 - an instruction to the caller, not an error the user sees
    """A chunk showed that the file must be read differently: again in chunks with ``column_types`` (a column
    whose later values do not fit the type its first chunk gave it), or whole when ``column_types`` is None."""

    def __init__(self, column_types: dict | None):
        super().__init__(column_types)
        self.column_types = column_types


def stream_table(path: str | Path, *, chunk_rows: int = 25_000,
                 column_types: dict | None = None) -> TableStream | None:
    """Open a UTF-8 comma-separated text table with a header row, or a Parquet file, to read in chunks of about
    ``chunk_rows`` rows, each chunk as ``read_table`` reads those rows; None for any other file (read it whole).

    pyarrow fixes a CSV column's type from its first chunk, ``read_table`` from the whole file: when a later chunk
    does not fit, the chunks raise ``ReadAgain`` with the type of the whole column, and the caller starts over
    with those ``column_types``. Only chunks, never the whole file, are in memory (a type check reads one column).
    """
    path = Path(path)
    if not path.is_file():
        raise MalformedFileError(f"File '{path}' does not exist.")
    ext = _extension(path.name)
    if ext == "parquet":
        return _stream_parquet(path, chunk_rows)
    if ext not in TEXT_EXTENSIONS:
        return None
    with open(path, "rb") as file:
        head = file.read(_MIN_BLOCK)
    if _is_blank(head) and _is_blank(path.read_bytes()):
        raise EmptyDataError(f"'{path.name}' is empty; choose a file that contains a table.")
    whole_lines = head if len(head) < _MIN_BLOCK else head[: head.rfind(b"\n") + 1]
    notes: list[str] = []
    if _looks_binary(whole_lines) or _sniff(whole_lines, path.name, None, notes) != CsvOptions():
        return None
    lines = whole_lines.splitlines() or [b""]
    longest = max(len(line) for line in lines) + 2  # a row longer than a block cannot be parsed: read whole then
    block = int(min(max(len(whole_lines) / len(lines) * chunk_rows, 4 * longest), _MAX_BLOCK))
    read_options = pyarrow_csv.ReadOptions(block_size=block)
    convert = pyarrow_csv.ConvertOptions(strings_can_be_null=True, column_types=column_types or {})
    file = open(path, "rb")  # noqa: SIM115 - closed by the chunks generator
    try:
        reader = pyarrow_csv.open_csv(file, read_options=read_options, convert_options=convert)
    except (pa.ArrowInvalid, ValueError):
        file.close()
        return None  # read whole, where the C engine explains what is wrong
    header = _raw_header(whole_lines.decode("utf-8", "ignore"), CsvOptions())
    names = header if len(header) == len(reader.schema) else reader.schema.names
    columns = list(_clean_column_names(pd.DataFrame(columns=names), notes).columns)
    size = max(path.stat().st_size, 1)
    chunks = _csv_chunks(reader, file, path, read_options, columns, size, column_types or {})
    return TableStream(columns, notes, chunks)


def _csv_chunks(reader, file, path: Path, read_options, columns: list[str], size: int,
                column_types: dict) -> Iterator[TableChunk]:
    with file:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except pa.ArrowInvalid as exc:
                raise ReadAgain(_whole_column_type(exc, reader.schema, path, read_options, column_types)) from None
            if any(pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type) for f in batch.schema):
                raise ReadAgain(None)  # text that is not UTF-8: read whole, where the decoder explains
            batch = _dates_as_text(batch).rename_columns(columns)
            yield TableChunk(_arrow_frame(batch), batch, min(file.tell() / size, 1.0))


def _whole_column_type(exc: Exception, schema: pa.Schema, path: Path, read_options, column_types: dict) -> dict | None:
    """``column_types`` with the type pyarrow gives the failing column over the whole file (reading that column
    alone); None when the error is not a type that changed (then the file is read whole)."""
    found = _CONVERSION_ERROR.search(str(exc))
    if found is None:
        return None
    name = schema.names[int(found.group(1))]
    if name in column_types or schema.names.count(name) > 1:
        return None
    try:
        column = pyarrow_csv.read_csv(path, read_options=read_options, convert_options=pyarrow_csv.ConvertOptions(
            strings_can_be_null=True, include_columns=[name]))
    except (pa.ArrowInvalid, ValueError):
        return None
    return {**column_types, name: column.schema.field(name).type}


def _stream_parquet(path: Path, chunk_rows: int) -> TableStream:
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - parsers raise library-specific types for junk
        raise MalformedFileError(f"'{path.name}' cannot be read as .parquet: {exc}") from None
    metadata = file.schema_arrow.pandas_metadata or {}
    hidden = {c for c in metadata.get("index_columns", []) if isinstance(c, str)}  # the stored pandas index
    kept = [name for name in file.schema_arrow.names if name not in hidden]
    notes: list[str] = []
    columns = list(_clean_column_names(pd.DataFrame(columns=kept), notes).columns)
    total = max(file.metadata.num_rows, 1)

    def chunks() -> Iterator[TableChunk]:
        done = 0
        with file:
            for batch in file.iter_batches(batch_size=chunk_rows):
                frame = batch.to_pandas()
                frame.columns = columns
                done += batch.num_rows
                yield TableChunk(frame, batch.select(kept).rename_columns(columns), done / total)

    return TableStream(columns, notes, chunks())
