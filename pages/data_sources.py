"""Data page widget groups: upload with reading options or a sheet picker, appending rows, dataset versions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine import WorkbenchError
from engine.io import DELIMITERS, ENCODINGS, SUPPORTED_EXTENSIONS, TEXT_EXTENSIONS, CsvOptions, excel_sheets, sniff_csv
from pages import ui
from storage import Workspace
from usecases import projects

TYPES = list(SUPPORTED_EXTENSIONS)
DECIMALS = {".": "point (.)", ",": "comma (,)"}


def upload_section(ws: Workspace, pid: int) -> None:
    """The uploader; a new file is imported at once, then it can be read again with other choices."""
    upload = st.file_uploader("Upload a table (CSV, TSV, Excel, Parquet, JSON)", type=TYPES, key=f"data_upload_{pid}",
                              help="Also JSON Lines and Feather. For text files the delimiter, encoding, decimal "
                                   "separator and header row are guessed; change them under Reading options.")
    if upload is None:
        return
    data, seen = upload.getvalue(), (pid, upload.file_id)
    if st.session_state.get("data_imported") != seen:
        _import(ws, pid, upload.name, data, seen)
    choices = read_choices(upload.name, data, upload.file_id)
    if choices is not None:
        _import(ws, pid, upload.name, data, seen, **choices)


def _import(ws: Workspace, pid: int, name: str, data: bytes, seen: tuple, **choices) -> None:
    with ui.user_errors(), st.spinner(f"Reading {name}…"):
        projects.import_file(ws, pid, data, name, **choices)
        st.session_state["data_imported"] = seen
        st.rerun()


def read_choices(name: str, data: bytes, file_id: str) -> dict | None:
    """Reading options (text) or a sheet picker (Excel); the user's choices once they ask to read again."""
    ext = name.rsplit(".", 1)[-1].lower()
    try:
        if ext in ("xlsx", "xls"):
            return _sheet_picker(excel_sheets(data, name), file_id)
        if ext in TEXT_EXTENSIONS:
            return _reading_options(sniff_csv(data, name), file_id)
    except WorkbenchError:
        return None  # the import above has already shown why
    return None


def _sheet_picker(sheets: list[str], file_id: str) -> dict | None:
    if len(sheets) < 2:
        return None
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    sheet = left.selectbox(f"Sheet ({len(sheets)} in this workbook)", sheets, key=f"data_sheet_{file_id}")
    if right.button("Read this sheet", key=f"data_read_sheet_{file_id}"):
        return {"sheet": sheet}
    return None


def _reading_options(sniffed: CsvOptions, file_id: str) -> dict | None:
    with st.expander("Reading options"):
        st.caption(f"Guessed from the file: {DELIMITERS[sniffed.delimiter]} between columns, "
                   f"{ENCODINGS.get(sniffed.encoding, sniffed.encoding)}, decimal {DECIMALS[sniffed.decimal]}, "
                   f"{'a header row' if sniffed.header else 'no header row'}. Change any and read the file again.")
        c1, c2, c3 = st.columns(3)
        delimiter = c1.selectbox("Delimiter", list(DELIMITERS), index=list(DELIMITERS).index(sniffed.delimiter),
                                 format_func=DELIMITERS.get, key=f"data_delimiter_{file_id}")
        encodings = list(ENCODINGS)
        encoding = c2.selectbox("Encoding", encodings, index=encodings.index(sniffed.encoding),
                                format_func=ENCODINGS.get, key=f"data_encoding_{file_id}")
        decimal = c3.selectbox("Decimal separator", list(DECIMALS), index=list(DECIMALS).index(sniffed.decimal),
                               format_func=DECIMALS.get, key=f"data_decimal_{file_id}")
        header = st.checkbox("The first row holds the column names", value=sniffed.header,
                             key=f"data_header_{file_id}")
        if st.button("Read again with these options", key=f"data_reread_{file_id}"):
            return {"options": CsvOptions(delimiter, encoding, decimal, header)}
    return None


def append_section(ws: Workspace, pid: int, dataset: dict) -> None:
    """Upload new rows with the same columns; they become a new active version of the data."""
    with st.expander("Append rows (new data with the same columns)"):
        st.caption(f"The rows are added below **{dataset['name']}** ({dataset['n_rows']:,} rows) as a new "
                   "version; the current version is kept.")
        upload = st.file_uploader("File with new rows", type=TYPES, key=f"data_append_{pid}_{dataset['id']}")
        if upload is None or st.session_state.get("data_appended") == (pid, upload.file_id):
            return
        with ui.user_errors(), st.spinner(f"Adding the rows of {upload.name}…"):
            added = projects.append_file(ws, pid, upload.getvalue(), upload.name)
            st.session_state["data_appended"] = (pid, upload.file_id)
            st.toast(f"{added['n_rows'] - dataset['n_rows']:,} rows added; now {added['n_rows']:,} rows")
            st.rerun()


def versions_section(ws: Workspace, pid: int) -> None:
    """Every stored version of the project's data; the active one is marked and can be switched."""
    datasets = projects.project_datasets(ws, pid)
    active = next(d["id"] for d in datasets if d["active"])
    with st.expander(f"Dataset versions ({len(datasets)})"):
        st.dataframe(pd.DataFrame([{
            "active": "✓" if d["active"] else "", "version": d["id"], "name": d["name"], "rows": d["n_rows"],
            "columns": d["n_cols"], "added": str(d["created_at"])[:19].replace("T", " "),
        } for d in datasets]), hide_index=True, width="stretch")
        if len(datasets) < 2:
            return
        labels = {d["id"]: f"#{d['id']} {d['name']} ({d['n_rows']:,} rows)" for d in datasets}
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        chosen = left.selectbox("Work on version", list(labels), index=list(labels).index(active),
                                format_func=labels.get, key=f"data_version_{pid}_{active}")
        if right.button("Use this version", key="data_use_version", disabled=chosen == active):
            with ui.user_errors():
                projects.set_active_dataset(ws, pid, chosen)
                st.rerun()
