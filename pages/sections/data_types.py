"""Data page: the column types table (editable grid) and a one-column type change that needs no grid."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine import KINDS
from pages import ui
from usecases import projects


def types_section(ws, pid: int, dataset: dict) -> None:
    """Each column's inferred or chosen type; change them in the grid, or one at a time with selectboxes."""
    st.subheader("Column types")
    st.caption("Inferred from the values; change a type and save to use it everywhere (identifiers are not used "
               "as features).")
    schema = projects.project_schema(ws, pid)
    kinds = {c.name: c.kind for c in schema}
    types = pd.DataFrame([{"column": c.name, "type": c.kind, "missing": c.n_missing, "distinct": c.n_unique,
                           "note": c.note} for c in schema])
    edited = st.data_editor(
        types, hide_index=True, width="stretch", key=f"data_types_{dataset['id']}",
        disabled=["column", "missing", "distinct", "note"],
        column_config={"type": st.column_config.SelectboxColumn("type", options=list(KINDS), required=True)},
    )
    if st.button("Save column types", key="data_save_types"):
        _save(ws, pid, dict(zip(edited["column"], edited["type"], strict=True)), "Column types saved")
    st.markdown("**Change a column's type**")
    left, mid, right = st.columns([3, 2, 1], vertical_alignment="bottom")
    column = left.selectbox("Column to change", list(kinds), key=f"data_type_column_{dataset['id']}")
    kind = mid.selectbox("New type", KINDS, index=KINDS.index(kinds[column]), key=f"data_type_kind_{column}")
    if right.button("Apply", key="data_type_apply", disabled=kind == kinds[column]):
        _save(ws, pid, {**kinds, column: kind}, f"'{column}' is now {kind}")


def _save(ws, pid: int, kinds: dict[str, str], message: str) -> None:
    with ui.user_errors():
        projects.set_column_kinds(ws, pid, kinds)
        st.toast(message)
        st.rerun()
