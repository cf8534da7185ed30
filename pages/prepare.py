"""Prepare: the recipe of preparation steps, the split, the leakage audit, a preview, and the recipe as a file."""

from __future__ import annotations

import json

import streamlit as st

from engine.prepare.plots import scree_figure
from engine.prepare.recipe import BALANCE
from pages import ui
from pages.sections import prepare_advice, prepare_steps
from usecases import advice, preparation, projects

_BALANCE_LABELS = {"none": "Leave classes as they are", "class_weight": "Weight classes (models that support it)",
                   "oversample": "Over-sample rarer classes (training rows only)",
                   "undersample": "Under-sample the majority (training rows only)"}

st.title("Prepare")
project = ui.require_project(need_problem=True)
ws = ui.workspace()
pid = project["id"]


def _remember_proposal(reasons: list[str]) -> None:
    """Keep why the steps were proposed with the steps they explain, to show them while they still apply."""
    if reasons:
        st.session_state[f"proposal_{pid}"] = {"reasons": reasons,
                                               "steps": projects.project_recipe(ws, pid)["steps"]}


with ui.user_errors():
    _remember_proposal(advice.ensure_recipe(ws, pid))
recipe = projects.project_recipe(ws, pid)
problem = projects.project_problem(ws, pid)
schema = projects.project_schema(ws, pid)

proposal = st.session_state.get(f"proposal_{pid}")
if proposal and proposal["steps"] != recipe["steps"]:  # edited since: the reasons would describe steps now gone
    del st.session_state[f"proposal_{pid}"]
elif proposal:
    with st.expander("Steps proposed from your data", expanded=True, icon=":material/auto_awesome:"):
        for reason in proposal["reasons"]:
            st.markdown(f"- {reason}")
for warning in preparation.warnings(ws, pid):
    st.warning(warning, icon=":material/warning:")

steps_tab, split_tab, leak_tab, preview_tab, file_tab = st.tabs(
    ["Steps", "Split", "Leakage audit", "Preview", "Recipe file"])

with steps_tab:
    dropped = st.multiselect("Leave out these columns", [c.name for c in schema if c.name != problem.target],
                             default=recipe["drop_columns"], key=f"drop_{pid}",
                             help="Identifier columns are always left out; set a column's type on the Data page.")
    if dropped != recipe["drop_columns"]:
        with ui.user_errors():
            recipe = projects.save_recipe(ws, pid, {**recipe, "drop_columns": dropped})
    prepare_steps.render(ws, pid, recipe, schema, problem.target)
    if problem.task == "classification":
        balance = st.selectbox("Class imbalance", BALANCE, index=BALANCE.index(recipe["balance"]),
                               format_func=_BALANCE_LABELS.get, key=f"balance_{pid}")
        if balance != recipe["balance"]:
            with ui.user_errors():
                recipe = projects.save_recipe(ws, pid, {**recipe, "balance": balance})
    if st.button("Propose steps from the data again", icon=":material/auto_awesome:",
                 help="Replaces the steps above by the ones the workbench proposes for this data."):
        with ui.user_errors():
            _remember_proposal(advice.propose(ws, pid))
            st.rerun()

@st.cache_data(max_entries=16, show_spinner="Fitting the preparation on the training rows…")
def _preview(project_id: int, dataset_id: int, kinds: str, problem: str, recipe_json: str):
    """Recomputed only when the data, the column types, the problem or the recipe change."""
    return preparation.preview(ui.workspace(), project_id)


preview = None
with preview_tab, ui.user_errors():
    preview = _preview(*ui.data_key(project), json.dumps(recipe, sort_keys=True))
    for note in preview.notes:
        st.info(note, icon=":material/info:")
    for line in preview.row_log:
        st.caption(f":material/filter_alt: {line}")
    st.markdown(f"**{preview.shape_before[1]} raw columns → {preview.shape_after[1]} model inputs**, fitted on "
                f"{preview.fitted_rows:,} training rows{' (a sample)' if preview.sampled else ''} only.")
    st.markdown("**Before** (first training rows, raw)")
    st.dataframe(preview.before, width="stretch", height=200)
    st.markdown("**After** (what the model receives)")
    st.dataframe(preview.transformed, width="stretch", height=240)
    st.markdown("**Step by step**")
    st.dataframe(preview.stages, hide_index=True, width="stretch")
    if preview.pca_variance:
        st.plotly_chart(scree_figure(preview.pca_variance), width="stretch")

with split_tab:
    prepare_advice.split_section(ws, project, recipe, schema, problem, preview.split_table if preview else None)

with leak_tab:
    prepare_advice.leakage_section(ws, project, recipe, schema, problem)

with file_tab:
    ui.download_button(st, "Download the recipe (JSON)", preparation.export_recipe(ws, pid),
                       file_name=f"{project['name']}-recipe.json", mime="application/json",
                       icon=":material/download:")
    uploaded = st.file_uploader("Import a recipe exported from another project", type=["json"], key=f"recipe_{pid}")
    if uploaded is not None and st.button("Replace this project's recipe", type="primary"):
        with ui.user_errors():
            ui.show_notes(preparation.import_recipe(ws, pid, uploaded.getvalue()))
            st.success("Recipe imported.")
    with st.expander("The recipe as data"):
        st.json(recipe)
