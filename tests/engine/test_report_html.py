"""The standalone project report: self-contained, escaped, with leaderboard, evaluation and model card."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from engine import infer_schema
from engine.deploy.export import model_card_markdown
from engine.deploy.project_report import (
    Champion,
    ProjectReport,
    eda_figures,
    evaluation_figures,
    markdown_html,
    project_html,
)
from engine.explore.profile import profile

EVIL = "<script>alert(1)</script>"


@pytest.fixture
def report() -> ProjectReport:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({EVIL: rng.normal(size=24).round(2), "plan": ["basic", EVIL, "pro"] * 8,
                          "churned": ["yes", "no"] * 12})
    card = {"estimator": "LogisticRegression", "target": "churned", "task": "classification", "family": "linear",
            "features": [{"name": EVIL, "kind": "numeric", "dtype": "float64"},
                         {"name": "plan", "kind": "categorical", "dtype": "str"}],
            "params": {"C": 1.0}, "metrics": {"validation": {"accuracy": 0.75}}, "sha256": "ab" * 32}
    predictions = pd.DataFrame({"y_true": ["yes", "no", "yes", "no"], "y_pred": ["yes", "no", "no", "no"],
                                "proba_no": [0.2, 0.7, 0.6, 0.9], "proba_yes": [0.8, 0.3, 0.4, 0.1]})
    champion = Champion(2, "#2 Logistic", True, card, model_card_markdown(card), predictions, ["no", "yes"], 0.71)
    board = pd.DataFrame({"model #": [2, 1], "model": ["Logistic", "Baseline"], "validation accuracy": [0.75, 0.5],
                          "champion": ["yes", ""]})
    return ProjectReport(f"Churn {EVIL}", "churn.csv", "churned", "classification", "accuracy",
                         profile(frame, infer_schema(frame), "churned", "classification"), board, champion,
                         "2026-03-01 12:00 UTC")


def test_report_is_self_contained_and_escaped(report):
    page = project_html(report)
    assert EVIL not in page  # column, category and project names are escaped everywhere
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"<script[^>]+src\s*=", page, re.I) and not re.search(r"<link[^>]+href\s*=\s*.http", page)
    assert page.count("* plotly.js v") == 1  # the library inline, once
    assert page.count("Plotly.newPlot") == 6  # 3 data charts + 3 evaluation charts, all drawn by it


def test_report_holds_leaderboard_evaluation_and_card(report):
    page = project_html(report)
    assert "<h2>Leaderboard</h2>" in page and "Baseline" in page and "0.75" in page
    assert "Evaluation of the champion: #2 Logistic" in page and "Final test accuracy: <b>0.7100</b>" in page
    assert "<h1>Model card: LogisticRegression for &#x27;churned&#x27;</h1>" in page
    assert "<td>C</td><td>1.0</td>" in page


def test_figures_reuse_the_app_charts(report):
    titles = [f.layout.title.text for f in eda_figures(report.profile)]
    assert titles[0] == "churned" and titles[1].startswith("Top 2 associations with the target")
    assert "Cramér" in titles[2]
    assert [f.layout.title.text.split(" (")[0] for f in evaluation_figures(report.champion, "classification")] == [
        "Confusion matrix", "ROC curve", "Precision-recall curve"]


def test_a_project_without_models_or_data(report):
    page = project_html(report._replace(profile=None, champion=None, leaderboard=pd.DataFrame()))
    assert "No trained models yet." in page and "<script" not in page


def test_markdown_table_with_escaped_pipes_and_html():
    assert markdown_html("| a | b |\n|---|---|\n| x\\|y | <i> |") == (
        "<table><tr><th>a</th><th>b</th></tr><tr><td>x|y</td><td>&lt;i&gt;</td></tr></table>")
    assert markdown_html("1. one\n2. two\n\ntext") == "<ol><li>one</li><li>two</li></ol><p>text</p>"
