"""The form that adds or edits one preparation step: widgets generated from the step catalogue."""

from __future__ import annotations

import streamlit as st

from engine import STEP_TYPES
from engine.prepare.steps import KIND_LABELS, SELECTOR_KINDS


def step_form(key: str, step_type: str, columns: list[str], numeric: list[str], current: dict | None = None):
    """Widgets for one step of ``step_type``; returns the step dict when submitted, else None."""
    spec = STEP_TYPES[step_type]
    current = current or {}
    params = current.get("params", {})
    with st.form(key, border=False):
        chosen_columns = _columns_widget(key, spec, columns, current.get("columns") or {})
        values = {}
        for name, param in spec.params.items():
            values[name] = _param_widget(f"{key}_{name}", name, param, params.get(name, param.default), numeric)
        submitted = st.form_submit_button("Save step" if current else "Add step", type="primary")
    if not submitted:
        return None
    return {"type": step_type, "columns": chosen_columns, "params": values, "enabled": current.get("enabled", True)}


def _columns_widget(key: str, spec, columns: list[str], current: dict) -> dict:
    if not spec.kinds:
        return {}
    kinds = [k for k in spec.kinds if k in SELECTOR_KINDS]
    options = [f"kind:{k}" for k in kinds] + ["chosen"]
    default = f"kind:{current['kind']}" if "kind" in current else ("chosen" if "names" in current else options[0])
    which = st.radio("Apply to", options, index=options.index(default), key=f"{key}_which", horizontal=True,
                     format_func=lambda o: KIND_LABELS.get(o[5:], o) if o.startswith("kind:") else "chosen columns")
    names = st.multiselect("Chosen columns", columns, default=[c for c in current.get("names", []) if c in columns],
                           key=f"{key}_names", help="Used when 'Apply to' is 'chosen columns'.")
    if which == "chosen":
        return {"names": names}
    return {"kind": which[5:]}


def _param_widget(key: str, name: str, param, value, numeric: list[str]):
    label = param.label
    if name in ("left", "right"):
        options = ([None] if param.optional else []) + numeric
        index = options.index(value) if value in options else 0
        return st.selectbox(label, options, index=index, key=key, format_func=lambda v: "—" if v is None else v)
    if param.choices and isinstance(param.default, list):
        return st.multiselect(label, param.choices, default=value, key=key, format_func=param.choice_label)
    if param.choices:
        return st.selectbox(label, param.choices, index=param.choices.index(value), key=key,
                            format_func=param.choice_label)
    if param.type is bool:
        return st.checkbox(label, value=bool(value), key=key)
    if param.optional or name == "fill_value":
        text = st.text_input(label, value="" if value is None else str(value), key=key)
        return _parse(text, param)
    if param.type is int:
        return int(st.number_input(label, int(param.low), int(param.high), int(value), key=key))
    return float(st.number_input(label, float(param.low), float(param.high), float(value), key=key))


def _parse(text: str, param):
    """Blank → None; numbers where the parameter takes them; otherwise the text itself."""
    text = text.strip()
    if not text:
        return None
    types = param.type if isinstance(param.type, tuple) else (param.type,)
    for kind in (int, float):
        if kind in types:
            try:
                return kind(text)
            except ValueError:
                continue
    return text
