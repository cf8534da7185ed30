"""The recipe's step list: explain, switch on / off, reorder, edit, remove and add steps."""

from __future__ import annotations

import hashlib
import json

import streamlit as st

from engine import STEP_TYPES, describe_step, validate_step
from pages.sections.prepare_forms import step_form
from usecases import USER_ERRORS, preparation

_ERROR_KEY = "prepare_step_error"


def render(ws, pid: int, recipe: dict, schema, target: str) -> None:
    """Every step in order with its controls, then the form that adds a new one."""
    if st.session_state.get(_ERROR_KEY):
        st.error(st.session_state.pop(_ERROR_KEY), icon=":material/error:")
    columns = [c.name for c in schema if c.name != target]
    numeric = [c.name for c in schema if c.name != target and c.kind in ("numeric", "boolean")]
    revision = hashlib.sha1(json.dumps(recipe["steps"], sort_keys=True).encode()).hexdigest()[:8]
    steps = recipe["steps"]
    if not steps:
        st.info("The recipe has no steps: raw numbers go straight to the model. Add steps below.")
    for i, step in enumerate(steps):
        _step_row(ws, pid, i, len(steps), step, revision, columns, numeric)
    st.markdown("**Add a step**")
    kind = st.selectbox("Step", list(STEP_TYPES), format_func=lambda k: _title(k), key="new_step_type")
    st.caption(_explain_type(kind))
    new = step_form(f"new_step_{kind}_{revision}", kind, columns, numeric)
    if new is not None:
        _do(preparation.add_step, ws, pid, new)
        st.rerun()


def _step_row(ws, pid: int, i: int, count: int, step: dict, revision: str, columns, numeric) -> None:
    key = f"{revision}_{i}"
    with st.container(border=True):
        text, on, up, down, remove = st.columns([8, 2, 2, 2.3, 2.7], vertical_alignment="center")
        state = "" if step["enabled"] else " · *off*"
        text.markdown(f"**{i + 1}. {_title(step['type'])}**{state}  \n{describe_step(step)}")
        on.toggle("On", value=step["enabled"], key=f"on_{key}", on_change=_do,
                  args=(preparation.toggle_step, ws, pid, i))
        up.button("Up", key=f"up_{key}", disabled=i == 0, on_click=_do,
                  args=(preparation.move_step, ws, pid, i, -1), icon=":material/arrow_upward:")
        down.button("Down", key=f"down_{key}", disabled=i == count - 1, on_click=_do,
                    args=(preparation.move_step, ws, pid, i, 1), icon=":material/arrow_downward:")
        remove.button("Remove", key=f"rm_{key}", on_click=_do, args=(preparation.remove_step, ws, pid, i),
                      icon=":material/delete:")
        if STEP_TYPES[step["type"]].params or STEP_TYPES[step["type"]].kinds:
            with st.expander("Edit"):
                edited = step_form(f"edit_{key}", step["type"], columns, numeric, current=step)
                if edited is not None:
                    _do(preparation.replace_step, ws, pid, i, edited)
                    st.rerun()


def _title(step_type: str) -> str:
    spec = STEP_TYPES[step_type]
    return spec.label + (" (training rows only)" if spec.stage == "rows" else "")


def _explain_type(step_type: str) -> str:
    params = {"left": "column A", "right": "column B"} if step_type == "derive" else {}
    return describe_step(validate_step({"type": step_type, "params": params}))


def _do(action, *args) -> None:
    """Run one recipe edit; keep its error for the next run instead of breaking the page."""
    try:
        action(*args)
    except USER_ERRORS as exc:
        st.session_state[_ERROR_KEY] = str(exc)
