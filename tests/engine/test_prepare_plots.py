"""The Prepare stage's figures: the data behind them, and the figure's traces."""

from __future__ import annotations

from engine.prepare.plots import scree_figure, scree_table


def test_scree_table_accumulates_the_shares():
    table = scree_table([0.6, 0.25, 0.1])
    assert table["component"].tolist() == [1, 2, 3]
    assert table["cumulative"].tolist() == [0.6, 0.85, 0.95]


def test_scree_figure_draws_both_lines():
    figure = scree_figure([0.6, 0.4])
    assert [trace.name for trace in figure.data] == ["explained variance", "cumulative"]
    assert list(figure.data[1].y) == [0.6, 1.0]
    assert figure.layout.title.text == "PCA scree plot"


def test_scree_figure_ticks_whole_components_only():
    """Issue 17 item 13: the x axis read "1, 1.5, 2, 2.5, 3" for three components; a component is a whole number."""
    figure = scree_figure([0.15, 0.14, 0.12])
    assert (figure.layout.xaxis.tickmode, figure.layout.xaxis.dtick, figure.layout.xaxis.tick0) == ("linear", 1, 1)
