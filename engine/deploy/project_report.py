"""A project's read-only report (data summary, key charts, leaderboard, the champion's evaluation, model card)
as plain data, as figures, and as one standalone HTML page.

The same ``ProjectReport`` feeds the shared view in the app and the downloaded file, so they cannot drift.
Compute, then render: ``usecases.sharing.report_data`` builds the report; the functions here only draw it,
reusing ``engine.explore.plots`` and ``engine.evaluate.plots``. Every user string (project, column and category
names) is escaped in the HTML; plotly escapes ``</`` in its JSON, so a name cannot close a script.

A report is read by people who are not the project's users, so it shows no raw value that could single a row out:
``shows_value`` decides (never a value of an identifier or free-text column, nor of a column with many distinct
values, nor one held by fewer than ``SHOWN_MIN_ROWS`` rows). Numbers are summarised by their median.

>>> markdown_html("# Card for '<b>'\\n\\n- **Task**: `x|y`")
'<h1>Card for &#x27;&lt;b&gt;&#x27;</h1><ul><li><b>Task</b>: <code>x|y</code></li></ul>'
"""

from __future__ import annotations

import html
import re
from typing import NamedTuple

import pandas as pd
import plotly.graph_objects as go

from engine.evaluate import plots as ep
from engine.explore import plots
from engine.explore.profile import Profile
from engine.explore.report import _STYLE, _table

__all__ = ["SHOWN_DISTINCT", "SHOWN_MIN_ROWS", "Champion", "ProjectReport", "column_summary", "eda_figures",
           "evaluation_figures", "facts_table", "markdown_html", "project_html", "shows_value"]

_TOP_ASSOCIATIONS = 10
#: A value of a non-numeric column is shown only when at least this many rows hold it ...
SHOWN_MIN_ROWS = 5
#: ... and its column has at most this many distinct values (more: names, e-mails, free text, IDs).
SHOWN_DISTINCT = 50
_NEVER_SHOWN = {"identifier": "identifier", "text": "free text"}


def shows_value(kind: str, distinct: int, rows_with_value: int) -> bool:
    """True when a shared view may show a raw value of a column: one of a low-cardinality categorical, boolean or
    datetime column held by at least ``SHOWN_MIN_ROWS`` rows; never one of an identifier or free-text column.

    >>> shows_value("categorical", 3, 12), shows_value("identifier", 3, 12), shows_value("categorical", 80, 12)
    (True, False, False)
    """
    return kind not in _NEVER_SHOWN and distinct <= SHOWN_DISTINCT and rows_with_value >= SHOWN_MIN_ROWS


class Champion(NamedTuple):
    """The model the report presents: the project's champion, else the best on validation."""

    model_id: int
    label: str
    chosen: bool  # True: the owner chose it as champion; False: only the best validation score
    card: dict
    card_markdown: str
    predictions: pd.DataFrame  # validation rows: y_true, y_pred and proba_<class>
    classes: list[str] | None
    test_score: float | None  # the final test score, if the owner ran it


class ProjectReport(NamedTuple):
    """Everything a stakeholder sees of one project."""

    project: str
    dataset: str | None
    target: str | None
    task: str | None
    metric: str | None  # the metric's label, e.g. "ROC AUC"
    profile: Profile | None  # None while the project has no data
    leaderboard: pd.DataFrame  # display-ready columns
    champion: Champion | None
    generated_at: str


def facts_table(profile: Profile) -> pd.DataFrame:
    """Rows, columns, duplicate rows, missing cells and the kinds of columns, as a two-column table."""
    view = profile.overview
    kinds = ", ".join(f"{n} {kind}" for kind, n in view.kinds.items())
    return pd.DataFrame({"": ["rows", "columns", "duplicate rows", "missing cells", "column kinds"],
                         "value": [f"{view.n_rows:,}", f"{view.n_columns:,}", f"{view.n_duplicate_rows:,}",
                                   f"{view.n_missing_cells:,}", kinds]})


def column_summary(profile: Profile) -> pd.DataFrame:
    """One row per column: kind, missing (count and %), distinct, and the median of a numeric column or the most
    frequent value of any other, in one column so that no cell is left empty. A value ``shows_value`` refuses
    (an e-mail, an ID, a rare category) reads "not shown (...)"."""
    stats = profile.stats.reindex(columns=["column", "kind", "missing", "missing_%", "distinct", "median", "top",
                                           "top_count"])
    numeric = stats["kind"].eq("numeric") & stats["median"].notna()
    typical = stats["median"].where(numeric, stats["top"]).map(_cell_text)
    for i, row in stats.iterrows():
        if not numeric[i] and pd.notna(row["top"]) and not shows_value(
                row["kind"], int(row["distinct"]), int(0 if pd.isna(row["top_count"]) else row["top_count"])):
            typical[i] = f"not shown ({_NEVER_SHOWN.get(row['kind'], 'rare or many values')})"
    return pd.DataFrame({"column": stats["column"], "kind": stats["kind"], "missing": stats["missing"],
                         "missing %": stats["missing_%"], "distinct": stats["distinct"],
                         "median or most frequent": typical})


def _cell_text(value) -> str:
    if pd.isna(value):
        return "–"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def eda_figures(profile: Profile) -> list[go.Figure]:
    """The target's distribution, the features most associated with it, and the association heatmap."""
    figures = []
    if profile.target in profile.distributions:
        figures.append(plots.distribution_figure(profile.distributions[profile.target]))
    association = profile.target_association
    if association is not None and len(association):
        top = association.dropna(subset=["association"]).head(_TOP_ASSOCIATIONS)
        figure = plots.target_association_figure(top, profile.target)
        figure.update_layout(title=f"Top {len(top)} associations with the target '{profile.target}'")
        figures.append(figure)
    if "mixed" in profile.correlations and len(profile.correlations["mixed"].matrix):
        figures.append(plots.association_figure(profile.correlations["mixed"]))
    return figures


def evaluation_figures(champion: Champion, task: str) -> list[go.Figure]:
    """The champion's validation plots, as on the Evaluate page."""
    frame, classes = champion.predictions, champion.classes
    y, pred = frame["y_true"], frame["y_pred"]
    if task == "regression":
        return [ep.predicted_actual_figure(y, pred), ep.residuals_figure(y, pred)]
    labels = classes or sorted(set(y.astype(str)) | set(pred.astype(str)))
    figures = [ep.confusion_matrix_figure(y, pred, labels)]
    if classes is not None:
        proba = frame[[f"proba_{c}" for c in classes]].to_numpy(dtype=float)
        figures += [ep.roc_figure(y, proba, classes), ep.pr_figure(y, proba, classes)]
    return figures


# -- Markdown (the subset model_card_markdown writes) to HTML, escaping everything first ---------------------------

_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # a backslash-escaped ASCII punctuation character, as in CommonMark


def _inline(text: str) -> str:
    # Escaped characters (user text in the card) are set aside first, so no markup pattern can read them.
    held: list[str] = []

    def hold(match: re.Match) -> str:
        held.append(match.group(1))
        return f"\x00{len(held) - 1}\x00"

    text = _ESCAPED.sub(hold, text.replace("\x00", ""))
    text = re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(text))
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub("\x00(\\d+)\x00", lambda m: html.escape(held[int(m.group(1))]), text)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def _table_html(lines: list[str]) -> str:
    head, *body = [_cells(line) for line in lines if not re.fullmatch(r"\|[\s\-|:]+\|", line.strip())]
    rows = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in body)
    return "<table><tr>" + "".join(f"<th>{_inline(c)}</th>" for c in head) + f"</tr>{rows}</table>"


def markdown_html(text: str) -> str:
    """HTML of simple Markdown (headings, bullet and numbered lists, pipe tables, **bold**, `code`); raw HTML in
    the text is escaped, never passed through."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("|"):
            j = i
            while j < len(lines) and lines[j].startswith("|"):
                j += 1
            out.append(_table_html(lines[i:j]))
            i = j
            continue
        for pattern, tag in ((r"- (.*)", "ul"), (r"\d+\. (.*)", "ol")):
            if re.fullmatch(pattern, line):
                items = []
                while i < len(lines) and (match := re.fullmatch(pattern, lines[i])):
                    items.append(f"<li>{_inline(match.group(1))}</li>")
                    i += 1
                out.append(f"<{tag}>{''.join(items)}</{tag}>")
                break
        else:
            heading = re.fullmatch(r"(#{1,6}) (.*)", line)
            if heading:
                level = len(heading.group(1))
                out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            elif line.strip():
                out.append(f"<p>{_inline(line)}</p>")
            i += 1
    return "".join(out)


def project_html(report: ProjectReport) -> str:
    """The report as one self-contained HTML page: plotly.js is embedded once, so it opens without a network."""
    esc = html.escape
    figures: list[tuple[str, go.Figure]] = []
    sections = [f"<h1>{esc(report.project)}</h1><p class='note'>Read-only report generated "
                f"{esc(report.generated_at)}"
                + (f" · target <b>{esc(report.target)}</b> ({esc(report.task or '')})" if report.target else "")
                + "</p>"]
    if report.profile is not None:
        sections += [f"<h2>Data: {esc(report.dataset or '')}</h2>", _table(facts_table(report.profile)),
                     _table(column_summary(report.profile))]
        figures = [("<h2>Key charts</h2>", f) if i == 0 else ("", f) for i, f in enumerate(eda_figures(report.profile))]
    board = ["<h2>Leaderboard</h2>", _table(report.leaderboard) if not report.leaderboard.empty
             else "<p>No trained models yet.</p>"]
    champion = report.champion
    evaluation: list[tuple[str, go.Figure]] = []
    card = ""
    if champion is not None:
        which = "champion" if champion.chosen else "best model on validation (no champion chosen yet)"
        test = (f" Final test {esc(report.metric or '')}: <b>{champion.test_score:.4f}</b>."
                if champion.test_score is not None else " The final test has not been run.")
        head = f"<h2>Evaluation of the {which}: {esc(champion.label)}</h2><p>{test.strip()}</p>"
        evaluation = [(head if i == 0 else "", f) for i, f in enumerate(evaluation_figures(champion, report.task))]
        card = f"<h2>Model card</h2><div class='card'>{markdown_html(champion.card_markdown)}</div>"
    charts = [text + fig.to_html(full_html=False, include_plotlyjs=(i == 0))
              for i, (text, fig) in enumerate(figures + evaluation)]
    body = "".join(sections + charts[:len(figures)] + board + charts[len(figures):]) + card
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(report.project)}: report</title>"
            f"<style>{_STYLE}.card h1{{font-size:1.3rem}}</style></head><body>{body}</body></html>")
