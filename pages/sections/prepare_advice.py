"""Prepare page sections: the split (with the split advisor) and the leakage audit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.prepare.recipe import SPLIT_STRATEGIES
from pages import ui
from usecases import advice, projects

_STRATEGY_LABELS = {"stratified": "Random, stratified by the target", "random": "Random",
                    "time": "Time-ordered (train on the past, test on the future)",
                    "group": "Grouped (all rows of an entity in one part)"}


def split_section(ws, project: dict, recipe: dict, schema, problem, split_table: pd.DataFrame | None) -> None:
    pid = project["id"]
    tips = _split_advice(*ui.data_key(project), str(recipe["split"]))
    if not tips:
        st.caption(f":material/lightbulb: **Split advisor** — {_no_advice(recipe['split'])}")
    for tip in tips:
        with st.container(border=True):
            st.markdown(f":material/lightbulb: **Split advisor** — {tip.message}")
            if st.button(f"Use a {tip.strategy} split by '{tip.column}'", key=f"advice_{tip.strategy}_{tip.column}"):
                with ui.user_errors():
                    advice.apply_split(ws, pid, tip.update)
                    st.rerun()
    split = recipe["split"]
    dates = [c.name for c in schema if c.kind == "datetime" and c.name != problem.target]
    others = [c.name for c in schema if c.name != problem.target]
    with st.form("prepare_split"):
        strategies = [s for s in SPLIT_STRATEGIES if s != "stratified" or problem.task == "classification"]
        current = split["strategy"] if split["strategy"] in strategies else strategies[0]
        strategy = st.radio("How rows are divided", strategies, index=strategies.index(current),
                            format_func=_STRATEGY_LABELS.get)
        left, right = st.columns(2)
        time_column = left.selectbox("Date column (time-ordered split)", dates or [None],
                                     index=_index(dates, split["time_column"]))
        group_column = right.selectbox("Group column (grouped split)", others,
                                       index=_index(others, split["group_column"]))
        a, b, c, d = st.columns(4)
        train = a.number_input("Train %", 30, 90, int(round(split["train"] * 100)))
        valid = b.number_input("Validation %", 5, 50, int(round(split["valid"] * 100)))
        test = c.number_input("Test %", 0, 50, int(round(split["test"] * 100)))
        seed = d.number_input("Seed", 0, 2**31 - 1, split["seed"], help="Same data + recipe + seed = same split.")
        if st.form_submit_button("Save split", type="primary"):
            new = {"strategy": strategy, "train": train / 100, "valid": valid / 100, "test": test / 100,
                   "seed": int(seed), "time_column": time_column if strategy == "time" else split["time_column"],
                   "group_column": group_column if strategy == "group" else split["group_column"]}
            with ui.user_errors():
                projects.save_recipe(ws, pid, {**recipe, "split": new})
                st.rerun()
    if split_table is not None:
        st.markdown("**Rows and class shares per part**")
        st.dataframe(split_table, hide_index=True)


def leakage_section(ws, project: dict, recipe: dict, schema, problem) -> None:
    pid = project["id"]
    st.caption("Each column alone is scored against the target on the training rows. A column that predicts the "
               "target almost perfectly on its own is usually a copy of it or recorded after the outcome: such "
               "columns are left out unless you keep them.")
    with ui.user_errors():
        result = _audit(*ui.data_key(project), str(recipe["split"]), str(recipe["drop_columns"]))
        newly = advice.apply_audit(ws, pid, result)
        if newly:
            st.rerun()
        leakage = recipe["leakage"]
        for finding in result.findings:
            kept = finding.column in leakage["kept"]
            with st.container(border=True):
                icon = ":material/check_circle:" if kept else ":material/block:"
                st.markdown(f"{icon} **{finding.column}** — {finding.message}  \n"
                            f"{'Kept as a feature by you.' if kept else 'Left out of the features.'}")
                if st.button("Exclude it again" if kept else "Keep it anyway", key=f"leak_{finding.column}"):
                    advice.set_leak_kept(ws, pid, finding.column, not kept)
                    st.rerun()
        if not result.findings:
            st.success("No column predicts the target suspiciously well on its own.", icon=":material/verified:")
        candidates = [c.name for c in schema if c.name != problem.target]
        after = st.multiselect("Columns recorded after the outcome (never used as features)", candidates,
                               default=[c for c in leakage["after_outcome"] if c in candidates],
                               help="E.g. a refund date when predicting churn: known only once the customer left.")
        if after != leakage["after_outcome"]:
            advice.mark_after_outcome(ws, pid, after)
        with st.expander("Single-column scores"):
            st.dataframe(result.scores, hide_index=True, width="stretch")


def _index(options: list, value) -> int:
    return options.index(value) if value in options else 0


@st.cache_data(max_entries=16, show_spinner="Looking for repeated identifiers and dates…")
def _no_advice(split: dict) -> str:
    """Say the advisor ran, and why it proposes nothing."""
    column = split.get(f"{split['strategy']}_column")
    if split["strategy"] in ("group", "time") and column:
        return (f"the split is already {'grouped' if split['strategy'] == 'group' else 'time-ordered'} by "
                f"'{column}'; no other repeated IDs or dates call for a change.")
    return ("it looked for IDs that repeat across rows (a customer, a patient) and for dates, and found none that "
            "call for a grouped or time-ordered split.")


def _split_advice(pid: int, dataset_id: int, kinds: str, problem: str, split: str):
    return advice.split_advice(ui.workspace(), pid)


@st.cache_data(max_entries=16, show_spinner="Auditing columns for leakage…")
def _audit(pid: int, dataset_id: int, kinds: str, problem: str, split: str, dropped: str):
    return advice.leakage_audit(ui.workspace(), pid)
