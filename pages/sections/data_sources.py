"""Data page widget groups: upload with reading options or a sheet picker, appending rows, dataset versions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine import WorkbenchError
from engine.data.io import (
    DELIMITERS,
    ENCODINGS,
    SUPPORTED_EXTENSIONS,
    TEXT_EXTENSIONS,
    CsvOptions,
    excel_sheets,
    sniff_csv,
)
from pages import ui
from usecases import projects

TYPES = list(SUPPORTED_EXTENSIONS)
DECIMALS = {".": "point (.)", ",": "comma (,)"}


def upload_section(ws, pid: int) -> None:
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


def _import(ws, pid: int, name: str, data: bytes, seen: tuple, **choices) -> None:
    with ui.user_errors(), st.spinner(f"Reading {name}…"):
        projects.import_file(ws, pid, data, name, **choices)
        st.session_state["data_imported"] = seen
        st.rerun()


def read_choices(name: str, data: bytes, file_id: str, prefix: str = "data") -> dict | None:
    """Reading options (text) or a sheet picker (Excel); the user's choices once they ask to read again.

    Widget keys are ``<prefix>_<what>_<file_id>``, so several uploaders can each have their own.
    """
    ext = name.rsplit(".", 1)[-1].lower()
    try:
        if ext in ("xlsx", "xls"):
            return _sheet_picker(excel_sheets(data, name), f"{prefix}_{{}}_{file_id}")
        if ext in TEXT_EXTENSIONS:
            return _reading_options(sniff_csv(data, name), f"{prefix}_{{}}_{file_id}")
    except WorkbenchError:
        return None  # the import above has already shown why
    return None


def _sheet_picker(sheets: list[str], key: str) -> dict | None:
    if len(sheets) < 2:
        return None
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    sheet = left.selectbox(f"Sheet ({len(sheets)} in this workbook)", sheets, key=key.format("sheet"))
    if right.button("Read this sheet", key=key.format("read_sheet")):
        return {"sheet": sheet}
    return None


def _reading_options(sniffed: CsvOptions, key: str) -> dict | None:
    with st.expander("Reading options"):
        st.caption(f"Guessed from the file: {DELIMITERS[sniffed.delimiter]} between columns, "
                   f"{ENCODINGS.get(sniffed.encoding, sniffed.encoding)}, decimal {DECIMALS[sniffed.decimal]}, "
                   f"{'a header row' if sniffed.header else 'no header row'}. Change any and read the file again.")
        c1, c2, c3 = st.columns(3)
        delimiter = c1.selectbox("Delimiter", list(DELIMITERS), index=list(DELIMITERS).index(sniffed.delimiter),
                                 format_func=DELIMITERS.get, key=key.format("delimiter"))
        encodings = list(ENCODINGS)
        encoding = c2.selectbox("Encoding", encodings, index=encodings.index(sniffed.encoding),
                                format_func=ENCODINGS.get, key=key.format("encoding"))
        decimal = c3.selectbox("Decimal separator", list(DECIMALS), index=list(DECIMALS).index(sniffed.decimal),
                               format_func=DECIMALS.get, key=key.format("decimal"))
        header = st.checkbox("The first row holds the column names", value=sniffed.header,
                             key=key.format("header"))
        if st.button("Read again with these options", key=key.format("reread")):
            return {"options": CsvOptions(delimiter, encoding, decimal, header)}
    return None


def append_section(ws, pid: int, dataset: dict) -> None:
    """Upload new rows with the same columns; they become a new active version of the data.

    The file is added at once with guessed reading options; read again with other options (or another sheet),
    its rows replace that addition: they go below the same version again.
    """
    last = st.session_state.get("data_appended")  # (project, version added to, version made, upload, key)
    if last and last[0] == pid and last[2] == dataset["id"]:  # just appended: keep the file and its options
        onto, key = last[1], last[4]
    else:  # a fresh uploader, also when coming back to a version a file was added to
        onto, key = dataset["id"], f"data_append_{pid}_{dataset['id']}_{last[2] if last else 0}"
    with st.expander("Append rows (new data with the same columns)", expanded=onto != dataset["id"]):
        st.caption(f"The rows are added below **{dataset['name']}** ({dataset['n_rows']:,} rows) as a new "
                   "version; the current version is kept. With a champion model, they also reach its **Monitor** "
                   "as new data." if onto == dataset["id"] else
                   f"Added below version #{onto} as version #{dataset['id']}; reading the file again below "
                   f"adds its rows to version #{onto} again.")
        upload = st.file_uploader("File with new rows", type=TYPES, key=key)
        if upload is None:
            return
        if last != (pid, onto, dataset["id"], upload.file_id, key):  # a new file goes below the active version
            _append(ws, pid, dataset["id"], upload, key)
        choices = read_choices(upload.name, upload.getvalue(), upload.file_id, prefix="data_append")
        if choices is not None:
            _append(ws, pid, onto, upload, key, **choices)


def _append(ws, pid: int, onto: int, upload, key: str, **choices) -> None:
    with ui.user_errors(), st.spinner(f"Adding the rows of {upload.name}…"):
        added = projects.append_file(ws, pid, upload.getvalue(), upload.name, onto=onto, **choices)
        st.session_state["data_appended"] = (pid, onto, added["id"], upload.file_id, key)
        st.toast(f"Rows of {upload.name} added to version #{onto}; now {added['n_rows']:,} rows")
        st.rerun()


def versions_section(ws, pid: int) -> None:
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
