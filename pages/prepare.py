"""Prepare: the preprocessing recipe (imputation, encoding, scaling) and the train / validation / test split."""

from __future__ import annotations

import streamlit as st

from engine.recipe import CHOICES
from pages import ui
from usecases import preparation, projects

st.title("Prepare")
project = ui.require_project(need_problem=True)
ws = ui.workspace()
pid = project["id"]
recipe = projects.project_recipe(ws, pid)
problem = projects.project_problem(ws, pid)
schema = projects.project_schema(ws, pid)
candidates = [c.name for c in schema if c.name != problem.target]

with st.form("prepare_recipe"):
    st.subheader("Columns")
    drop = st.multiselect("Leave out these columns", candidates,
                          default=[c for c in recipe["drop_columns"] if c in candidates],
                          help="Identifier columns are always left out; set a column's type on the Data page.")
    num, cat = st.columns(2)
    with num:
        st.markdown("**Numeric columns**")
        num_impute = st.selectbox("Fill missing numbers with", CHOICES[("numeric", "impute")],
                                  index=CHOICES[("numeric", "impute")].index(recipe["numeric"]["impute"]))
        scale = st.selectbox("Scaling", CHOICES[("numeric", "scale")],
                             index=CHOICES[("numeric", "scale")].index(recipe["numeric"]["scale"]),
                             help="Matters for linear models; trees ignore it.")
    with cat:
        st.markdown("**Categorical columns**")
        cat_impute = st.selectbox("Fill missing categories with", CHOICES[("categorical", "impute")],
                                  index=CHOICES[("categorical", "impute")].index(recipe["categorical"]["impute"]),
                                  help="constant = a separate '(missing)' category")
        encode = st.selectbox("Encoding", CHOICES[("categorical", "encode")],
                              index=CHOICES[("categorical", "encode")].index(recipe["categorical"]["encode"]))
        max_cat = st.number_input("Most categories kept per column (rarer ones are grouped)", 2, 1000,
                                  recipe["categorical"]["max_categories"])
    st.subheader("Split")
    split = recipe["split"]
    a, b, c, d = st.columns(4)
    train = a.number_input("Train %", 30, 90, int(round(split["train"] * 100)))
    valid = b.number_input("Validation %", 5, 50, int(round(split["valid"] * 100)))
    test = c.number_input("Test %", 0, 50, int(round(split["test"] * 100)))
    seed = d.number_input("Seed", 0, 2**31 - 1, split["seed"])
    stratified = st.checkbox("Stratify by the target (keeps class shares equal across splits)",
                             value=split["strategy"] == "stratified", disabled=problem.task != "classification")
    saved = st.form_submit_button("Save recipe", type="primary")

if saved:
    new = {"drop_columns": drop, "numeric": {"impute": num_impute, "scale": scale},
           "categorical": {"impute": cat_impute, "encode": encode, "max_categories": int(max_cat)},
           "split": {"train": train / 100, "valid": valid / 100, "test": test / 100,
                     "strategy": "stratified" if stratified else "random", "seed": int(seed)}}
    with ui.user_errors():
        recipe = projects.save_recipe(ws, pid, new)
        st.toast("Recipe saved")

with ui.user_errors():
    preview = preparation.preview(ws, pid)
    st.subheader("Split sizes")
    st.dataframe(preview.split_table, hide_index=True)
    ui.show_notes(preview.notes)
    st.subheader("Training data after preparation")
    st.caption(f"{preview.shape_before[1]} raw columns → {preview.shape_after[1]} model inputs; fitted on the "
               f"training split only ({preview.fitted_rows:,} rows{', a sample' if preview.sampled else ''}).")
    st.dataframe(preview.transformed, width="stretch", height=240)
