"""A profile as a JSON-ready dict or as one standalone HTML page (plotly.js embedded once, no network)."""

from __future__ import annotations

import html
import json
import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from engine.explore import plots
from engine.explore.profile import Profile, top_pairs

__all__ = ["KEY_STATISTICS", "html_report", "profile_dict", "profile_json", "statistics_tables"]

#: The statistics a reader looks at first, one narrow table that fits a page; the others follow in a second table.
KEY_STATISTICS = ("column", "kind", "missing", "missing_%", "distinct", "mean", "std", "min", "median", "max", "top")
_MAX_COLUMN_CHARTS = 40
_MAX_COLUMN_ROWS = 200  # rows of the per-column statistics table in HTML; the JSON report has every column
_STYLE = """body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#262730}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1.5rem}th,td{border:1px solid #ddd;padding:.25rem .5rem;
text-align:right}th{background:#f5f6f8}.scroll{overflow-x:auto;max-width:100%}td:first-child,th:first-child{text-align:left}.warn{color:#a15c00}
h2{border-bottom:1px solid #ddd;padding-bottom:.3rem;margin-top:2.5rem}.note{color:#666;font-size:.85rem}"""


def _clean(value):
    """A JSON-safe value: NaN becomes null, numpy scalars plain numbers, timestamps text."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def _records(table: pd.DataFrame | None) -> list[dict] | None:
    return None if table is None else _clean(table.to_dict("records"))


def profile_dict(result: Profile) -> dict:
    """Overview, per-column statistics, warnings, correlations and target association as plain data."""
    return _clean({
        "overview": result.overview._asdict(),
        "target": result.target,
        "task": result.task,
        "warnings": [w._asdict() for w in result.warnings],
        "columns": _records(result.stats),
        "missing": _records(result.missing),
        "correlations": {method: {"rows_used": a.n_rows, "rows_total": a.n_total, "columns_used": len(a.matrix),
                                  "columns_total": len(a.matrix) if a.n_columns_total is None else a.n_columns_total,
                                  "note": a.note,
                                  "matrix": a.matrix.round(6).to_dict(orient="index"),
                                  "top_pairs": _records(top_pairs(a))}
                         for method, a in result.correlations.items()},
        "target_association": _records(result.target_association),
    })


def profile_json(result: Profile) -> str:
    """``profile_dict`` as indented JSON text."""
    return json.dumps(profile_dict(result), indent=2, allow_nan=False)


def statistics_tables(stats: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``Profile.stats`` as two narrower tables, each led by the column name: the ``KEY_STATISTICS``, and the rest
    (quantiles, shape, top values). One table of all 23 statistics is wider than a page."""
    key = [c for c in KEY_STATISTICS if c in stats.columns]
    return stats[key], stats[["column", *[c for c in stats.columns if c not in key]]]


def _table(frame: pd.DataFrame) -> str:
    """An HTML table in its own box: a table wider than the page scrolls inside the box, not off the page."""
    table = frame.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4g}", border=0)
    return f"<div class='scroll'>{table}</div>"


def html_report(result: Profile, title: str = "Data profile") -> str:
    """One self-contained HTML page: plotly.js is embedded once, so it opens without a network."""
    view = result.overview
    figures = [plots.kinds_figure(view.kinds), plots.missing_figure(result.missing),
               plots.association_figure(result.correlations["mixed"])]
    if result.target_association is not None and len(result.target_association):
        figures.append(plots.target_association_figure(result.target_association, result.target))
    charts = [f.to_html(full_html=False, include_plotlyjs=i == 0) for i, f in enumerate(figures)]
    columns = [plots.distribution_figure(d) for d in list(result.distributions.values())[:_MAX_COLUMN_CHARTS]]
    column_charts = [f.to_html(full_html=False, include_plotlyjs=False) for f in columns]
    facts = pd.DataFrame({"": ["rows", "columns", "memory", "duplicate rows", "missing cells"],
                          "value": [f"{view.n_rows:,}", f"{view.n_columns:,}", f"{view.memory_bytes / 1e6:,.1f} MB",
                                    f"{view.n_duplicate_rows:,}", f"{view.n_missing_cells:,}"]})
    warnings = "".join(f"<li class='warn'><b>{html.escape(w.check)}</b>: {html.escape(w.message)}</li>"
                       for w in result.warnings) or "<li>No warnings.</li>"
    shown = result.stats.head(_MAX_COLUMN_ROWS)
    key_stats, more_stats = statistics_tables(shown)
    hidden = (f"<p class='note'>The first {len(shown):,} of {len(result.stats):,} columns; the JSON report has "
              "them all.</p>" if len(shown) < len(result.stats) else "")
    note = f"<p class='note'>{html.escape(result.correlations['mixed'].note)}</p>"
    target = f" · target <b>{html.escape(result.target)}</b> ({result.task})" if result.target else ""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        f"<h1>{html.escape(title)}</h1><p class='note'>Generated {stamp}{target}</p>",
        "<h2>Overview</h2>", _table(facts), charts[0], "<h2>Warnings</h2><ul>", warnings, "</ul>",
        "<h2>Columns</h2>", hidden, _table(key_stats), "<h3>More statistics</h3>", _table(more_stats),
        *column_charts,
        "<h2>Missing values</h2>", charts[1],
        "<h2>Correlations</h2>", note, charts[2], _table(top_pairs(result.correlations["mixed"])), *charts[3:],
    ]
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{''.join(sections)}</body></html>")
