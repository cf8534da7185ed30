"""Plotly figures for the Prepare stage, built from plain data (a preview's numbers)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

__all__ = ["scree_figure", "scree_table"]

_LAYOUT = {"template": "plotly_white", "margin": {"l": 40, "r": 20, "t": 50, "b": 40}, "height": 380}


def scree_table(explained: list[float]) -> pd.DataFrame:
    """One row per PCA component: its share of the variance and the running total.

    >>> scree_table([0.5, 0.3]).to_dict("list")
    {'component': [1, 2], 'explained variance': [0.5, 0.3], 'cumulative': [0.5, 0.8]}
    """
    table = pd.DataFrame({"component": range(1, len(explained) + 1), "explained variance": explained})
    table["cumulative"] = table["explained variance"].cumsum().round(12)
    return table


def scree_figure(explained: list[float]) -> go.Figure:
    """The PCA scree plot: each component's share of the variance and the cumulative share, by component."""
    table = scree_table(explained)
    figure = go.Figure([go.Scatter(x=table["component"], y=table[name], mode="lines+markers", name=name)
                        for name in ("explained variance", "cumulative")])
    figure.update_layout(title="PCA scree plot", xaxis_title="component", yaxis_title="share of variance", **_LAYOUT)
    figure.update_xaxes(tickmode="linear", tick0=1, dtick=1)  # components are whole: no "1.5" between 1 and 2
    return figure
