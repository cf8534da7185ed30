"""Reading tables from files and uploads, with clear errors for bad input.

>>> from engine.io import read_table
>>> table = read_table(b"a,b\\n1,x\\n2,y\\n", name="tiny.csv")
>>> table.frame.shape
(2, 2)
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from engine.errors import (
    ColumnError,
    EmptyDataError,
    EncodingError,
    FileTooLargeError,
    MalformedFileError,
)

__all__ = ["LoadedTable", "SUPPORTED_EXTENSIONS", "max_upload_bytes", "read_table"]

SUPPORTED_EXTENSIONS = ("csv", "tsv", "txt", "parquet", "xlsx", "xls", "json", "jsonl")
_FALLBACK_ENCODINGS = ("cp1252", "latin-1")


class LoadedTable(NamedTuple):
    """A parsed table plus what the reader had to decide or repair on the way."""

    frame: pd.DataFrame
    format: str
    notes: list[str]


def max_upload_bytes() -> int:
    """The upload limit, from ``WORKBENCH_MAX_UPLOAD_MB`` (default 1024 MB)."""
    return int(float(os.environ.get("WORKBENCH_MAX_UPLOAD_MB", "1024")) * 1024 * 1024)


def read_table(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    encoding: str | None = None,
    max_bytes: int | None = None,
) -> LoadedTable:
    """Read a CSV / TSV / Parquet / Excel / JSON table from a path or raw bytes."""
    data, name = _read_bytes(source, name)
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    if len(data) > limit:
        raise FileTooLargeError(
            f"'{name}' is {len(data) / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB limit; "
            "split the file or raise WORKBENCH_MAX_UPLOAD_MB."
        )
    if not data.strip():
        raise EmptyDataError(f"'{name}' is empty; choose a file that contains a table.")
    ext = Path(name).suffix.lower().lstrip(".") or "csv"
    if ext not in SUPPORTED_EXTENSIONS:
        raise MalformedFileError(
            f"'{name}' has an unsupported extension '.{ext}'; "
            f"use one of: {', '.join('.' + e for e in SUPPORTED_EXTENSIONS)}."
        )
    notes: list[str] = []
    if ext in ("csv", "tsv", "txt"):
        frame = _read_text_table(data, name, encoding, notes)
        fmt = "csv"
    else:
        frame = _read_binary_table(data, name, ext)
        fmt = ext
    frame = _clean_column_names(frame, notes)
    if frame.shape[1] == 0:
        raise EmptyDataError(f"'{name}' has no columns.")
    if frame.shape[0] == 0:
        raise EmptyDataError(f"'{name}' has a header but no data rows; add rows and upload again.")
    return LoadedTable(frame, fmt, notes)


def _read_bytes(source: str | Path | bytes, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, name or "upload.csv"
    path = Path(source)
    if not path.is_file():
        raise MalformedFileError(f"File '{path}' does not exist.")
    return path.read_bytes(), name or path.name


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return control > len(head) * 0.05


def _decode(data: bytes, name: str, encoding: str | None, notes: list[str]) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise EncodingError(
                f"'{name}' cannot be read as {encoding}: {exc}; pick another encoding."
            ) from None
    if _looks_binary(data):
        raise MalformedFileError(
            f"'{name}' does not look like a text table (it contains binary data); "
            "upload a CSV, Excel, Parquet or JSON file."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for candidate in _FALLBACK_ENCODINGS:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        notes.append(f"'{name}' is not UTF-8; it was read as {candidate}.")
        return text
    raise EncodingError(f"'{name}' is not in a supported text encoding; save it as UTF-8.")


def _sniff_delimiter(text: str, name: str) -> str:
    if name.lower().endswith(".tsv"):
        return "\t"
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _read_text_table(data: bytes, name: str, encoding: str | None, notes: list[str]) -> pd.DataFrame:
    text = _decode(data, name, encoding, notes)
    sep = _sniff_delimiter(text, name)
    if sep != ",":
        notes.append(f"Columns are separated by {sep!r}.")
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, low_memory=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise EmptyDataError(f"'{name}' has no columns; it looks empty.") from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1]
        raise MalformedFileError(
            f"'{name}' is not a well-formed table: {detail}. "
            "Check that every row has the same number of fields."
        ) from None


def _read_binary_table(data: bytes, name: str, ext: str) -> pd.DataFrame:
    buffer = io.BytesIO(data)
    try:
        if ext == "parquet":
            return pd.read_parquet(buffer)
        if ext in ("xlsx", "xls"):
            return pd.read_excel(buffer)
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
        base = label.split(".")[0] if _is_pandas_dup(label, seen) else label
        if base in seen or label in seen:
            suffix = 2
            while f"{base}_{suffix}" in seen:
                suffix += 1
            notes.append(f"Column name '{base}' appears more than once; copy renamed '{base}_{suffix}'.")
            label = f"{base}_{suffix}"
        seen.add(label)
        names.append(label)
    if len(set(names)) != len(names):  # pragma: no cover - guarded above
        raise ColumnError("Column names are not unique after cleaning.")
    frame.columns = names
    return frame


def _is_pandas_dup(label: str, seen: set[str]) -> bool:
    """pandas renames a repeated header 'a' to 'a.1'; recognise that form."""
    head, _, tail = label.rpartition(".")
    return bool(head) and tail.isdigit() and head in seen
