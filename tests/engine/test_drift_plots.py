"""Drift figures draw exactly the numbers ``engine.monitor.drift`` computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.errors import DriftError
from engine.monitor.drift import drift_report
from engine.monitor.drift_plots import VERDICT_COLORS, distribution_figure, drift_bar_figure, heat_strip_figure
from engine.monitor.drift_reference import reference_profile
from engine.monitor.drift_windows import windowed_drift

FEATURES = [{"name": "x", "kind": "numeric"}, {"name": "plan", "kind": "categorical"}]


@pytest.fixture(scope="module")
def reference() -> dict:
    return reference_profile(pd.DataFrame({"x": np.arange(200.0), "plan": ["a", "b", "b", "c"] * 50}), FEATURES)


def test_distribution_figure_puts_reference_and_current_side_by_side(reference):
    current = pd.DataFrame({"x": np.r_[np.arange(100.0), [np.nan] * 100], "plan": ["a"] * 150 + ["z"] * 50})
    figure = distribution_figure(reference, current, "x")
    ref, cur = figure.data
    assert list(ref.x) == ["<= 19", "(19, 39]", "(39, 59]", "(59, 79]", "(79, 99]", "(99, 119]", "(119, 139]",
                           "(139, 159]", "(159, 179]", "> 179", "missing"]
    assert list(ref.y) == pytest.approx([0.1] * 10 + [0.0])
    assert list(cur.y) == pytest.approx([0.1] * 5 + [0.0] * 5 + [0.5])
    assert (ref.name, cur.name, figure.layout.title.text) == ("reference (training)", "current (200 rows)",
                                                              "x: reference vs current")
    plan = distribution_figure(reference, current, "plan")
    assert list(plan.data[0].x) == ["b", "a", "c", "other"]  # "missing" is empty on both sides: left out
    assert list(plan.data[1].y) == pytest.approx([0.0, 0.75, 0.0, 0.25])


def test_distribution_figure_of_an_unknown_feature(reference):
    with pytest.raises(DriftError, match="'nope' is not in the reference profile"):
        distribution_figure(reference, pd.DataFrame({"x": [1.0]}), "nope")


def test_drift_bar_figure_sorts_by_psi_and_colours_by_verdict(reference):
    current = pd.DataFrame({"x": np.arange(100.0, 300.0), "plan": ["a", "b", "b", "c"] * 50})
    report = drift_report(reference, current)
    figure = drift_bar_figure(report)
    bar = figure.data[0]
    assert list(bar.x) == ["x", "plan"]
    assert list(bar.y) == pytest.approx([report.features["psi"].iloc[0], 0.0])
    assert list(bar.marker.color) == [VERDICT_COLORS["alert"], VERDICT_COLORS["ok"]]
    assert [shape.y0 for shape in figure.layout.shapes] == [0.1, 0.25]
    assert figure.layout.title.text == "Drift per feature (PSI), overall: alert"


def test_heat_strip_is_features_by_windows(reference):
    current = pd.DataFrame({"x": np.r_[np.arange(200.0), np.arange(200.0) + 150], "plan": ["a", "b", "b", "c"] * 100})
    windows = windowed_drift(reference, current, freq="batch", batch=pd.Series([1] * 200 + [2] * 200))
    figure = heat_strip_figure(windows)
    heat = figure.data[0]
    assert list(heat.x) == ["1", "2"] and list(heat.y) == ["x", "plan"]
    z = np.asarray(heat.z, dtype=float)
    assert z.shape == (2, 2) and z[0, 0] == pytest.approx(0.0) and z[0, 1] > 1
    assert heat.customdata[0][1] == "alert"


def test_heat_strip_greys_out_windows_too_small_for_a_verdict(reference):
    """Issue 17 item 5: 4 rows give a large PSI by chance; that window is grey, not red, and says no verdict."""
    current = pd.DataFrame({"x": np.r_[np.arange(200.0), [0.0, 1.0, 2.0, 3.0]], "plan": ["a", "b", "b", "c"] * 51})
    windows = windowed_drift(reference, current, freq="batch", batch=pd.Series(["1 big"] * 200 + ["2 REST"] * 4))
    assert set(windows.loc[windows["window"] == "2 REST", "verdict"]) == {"too few rows"}
    coloured, grey = heat_strip_figure(windows).data
    z, flat = np.asarray(coloured.z, dtype=float), np.asarray(grey.z, dtype=float)
    assert np.isfinite(z[:, 0]).all() and np.isnan(z[:, 1]).all()  # no PSI colour on the small window
    assert np.isnan(flat[:, 0]).all() and (flat[:, 1] == 1).all()
    assert grey.colorscale[0][1] == VERDICT_COLORS["too few rows"] and not grey.showscale
    assert np.asarray(grey.customdata, dtype=float)[0, 1] > 0.2  # its PSI is still there on hover
