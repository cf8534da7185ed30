"""Explore: overview and warnings, every column, missing values, correlations and relationships."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.explore import plots
from engine.explore import profile as prof
from engine.explore.report import html_report, statistics_tables
from pages import ui
from usecases import projects

st.title("Explore")
project = ui.require_project()
ws = ui.workspace()
frame = ui.project_data(project)
schema = projects.project_schema(ws, project["id"])
dataset = projects.active_dataset(ws, project["id"])
problem = projects.project_problem(ws, project["id"])
target, task = (problem.target, problem.task) if problem and problem.target in frame.columns else (None, None)
kinds = tuple((c.name, c.kind) for c in schema)
sha = dataset["sha256"]


@st.cache_data(max_entries=8, show_spinner="Profiling the data…")
def _profile(sha256: str, kinds: tuple, target: str | None, task: str | None, _frame: pd.DataFrame,
             _schema: list) -> prof.Profile:
    return prof.profile(_frame, _schema, target, task)


@st.cache_data(max_entries=4, show_spinner="Building the report…")
def _report(sha256: str, kinds: tuple, target: str | None, task: str | None, title: str, _result) -> str:
    return html_report(_result, title)


@st.cache_data(max_entries=32, show_spinner=False)
def _view(sha256: str, what: str, args: tuple, _frame: pd.DataFrame):
    """A chart's data (``engine.explore.profile.<what>``), cached so widget changes elsewhere do not recompute it."""
    return getattr(prof, what)(_frame, *args)


result = _profile(sha, kinds, target, task, frame, schema)
names = [c.name for c in schema]
by_name = {c.name: c for c in schema}
numbers = [c.name for c in schema if c.kind == "numeric"]
METHOD_NAMES = {"pearson": "Pearson", "spearman": "Spearman", "mixed": "All columns (Cramér's V, eta, |r|)"}
tabs = st.tabs(["Overview", "Columns", "Missing values", "Correlations", "Relationships"])

with tabs[0]:
    view = result.overview
    for col, (label, value) in zip(st.columns(5), [
        ("Rows", f"{view.n_rows:,}"), ("Columns", f"{view.n_columns:,}"),
        ("Memory", f"{view.memory_bytes / 1e6:,.1f} MB"), ("Duplicate rows", f"{view.n_duplicate_rows:,}"),
        ("Missing cells", f"{view.n_missing_cells:,}")], strict=True):
        col.metric(label, value)
    st.caption("Column kinds: " + " · ".join(f"{n} {kind}" for kind, n in view.kinds.items()))
    st.subheader("Data-quality warnings")
    for finding in result.warnings:
        st.warning(f"**{finding.check}** · {finding.message}", icon=":material/warning:")
        if finding.columns:
            with st.expander(f"All {len(finding.columns):,} columns: {finding.check}"):
                st.dataframe(pd.DataFrame({"column": finding.columns, "why": finding.details}), hide_index=True,
                             width="stretch", height=min(400, 38 + 35 * len(finding.columns)))
    if not result.warnings:
        st.success("No data-quality warnings.", icon=":material/check_circle:")
    ui.download_button(st, "Download the HTML report", _report(sha, kinds, target, task, project["name"], result),
                       file_name=f"{project['name']}-profile.html", mime="text/html", icon=":material/download:")

with tabs[1]:
    key_stats, more_stats = statistics_tables(result.stats)
    number = st.column_config.NumberColumn(format="%.4g")
    st.dataframe(key_stats, hide_index=True, width="stretch", column_config={
        "column": st.column_config.TextColumn("column", pinned=True),
        "missing_%": st.column_config.ProgressColumn("missing %", min_value=0, max_value=100, format="%.1f%%"),
        **{name: number for name in ("mean", "std", "min", "median", "max")}})
    with st.expander("More statistics: quantiles, shape, top values"):
        st.dataframe(more_stats, hide_index=True, width="stretch", column_config={
            "column": st.column_config.TextColumn("column", pinned=True),
            **{name: number for name in ("variance", "p5", "p25", "p75", "p95", "skew", "kurtosis")}})
    default = names.index(target) if target else 0
    column = st.selectbox("Column", names, index=default, key="explore_column")
    info = by_name[column]
    left, right = st.columns(2) if info.kind == "numeric" and frame[column].notna().any() else (st.container(), None)
    left.plotly_chart(plots.distribution_figure(result.distributions[column]), width="stretch")
    if right is not None:
        right.plotly_chart(plots.box_figure(_view(sha, "box_stats", (column,), frame)), width="stretch")
    row = result.stats.set_index("column").loc[column]
    st.caption(f"Type **{info.kind}** · {int(row['distinct']):,} distinct values · {int(row['missing']):,} missing"
               + (f" · {info.note}" if info.note else ""))

with tabs[2]:
    st.plotly_chart(plots.missing_figure(result.missing), width="stretch")
    st.plotly_chart(plots.missing_pattern_figure(_view(sha, "missing_pattern", (), frame)), width="stretch")

with tabs[3]:
    method = st.radio("Measure", list(METHOD_NAMES), format_func=METHOD_NAMES.get, horizontal=True,
                      key="explore_method")
    assoc = result.correlations[method]
    if len(assoc.matrix) < 2:
        st.info("This measure needs at least two columns of a suitable kind.")
    else:
        st.plotly_chart(plots.association_figure(assoc), width="stretch")
        if assoc.note:
            st.caption(assoc.note)
        st.caption(f"Computed on {assoc.n_rows:,} of {assoc.n_total:,} rows"
                   + (" (random sample)." if assoc.n_rows < assoc.n_total else "."))
        st.markdown("**Most associated pairs**")
        st.dataframe(prof.top_pairs(assoc), hide_index=True, width="stretch")
    if result.target_association is not None:
        st.plotly_chart(plots.target_association_figure(result.target_association, target), width="stretch")
    else:
        st.info("Choose the target on the **Data** page to rank features by their association with it.")

with tabs[4]:
    if len(numbers) >= 2:
        c1, c2, c3 = st.columns(3)
        x = c1.selectbox("X", numbers, key="explore_x")
        y = c2.selectbox("Y", numbers, index=1, key="explore_y")
        color = c3.selectbox("Colour", [None, *names], format_func=lambda c: "(none)" if c is None else c,
                             key="explore_color")
        st.plotly_chart(plots.scatter_figure(_view(sha, "scatter_info", (x, y, color), frame)), width="stretch")
        chosen = st.multiselect("Scatter matrix columns", numbers, default=numbers[:4], max_selections=6,
                                key="explore_matrix")
        hue = target if task == "classification" else None
        if len(chosen) >= 2:
            n_rows = max(200, prof.MAX_POINTS // (len(chosen) * (len(chosen) - 1) // 2))  # ~5,000 points in all
            rows = _view(sha, "sample_rows", (list(dict.fromkeys([*chosen, *([hue] if hue else [])])), n_rows), frame)
            st.plotly_chart(plots.scatter_matrix_figure(rows, len(frame), hue if hue not in chosen else None),
                            width="stretch")
    else:
        st.info("Scatter plots need at least two numeric columns.")
    if target:
        features = [c.name for c in schema if c.name != target and c.kind not in ("datetime", "identifier")]
        feature = st.selectbox("Feature against the target", features, key="explore_feature")
        if feature:
            view = _view(sha, "target_view", (by_name[feature], target, task), frame)
            st.plotly_chart(plots.target_view_figure(view), width="stretch")
    else:
        st.info("Choose the target on the **Data** page to see each feature against it.")
