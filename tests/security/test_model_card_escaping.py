"""A model card is Markdown that other tools render (GitHub, editors, the shared view's ``st.markdown``): names the
user chose (columns, target, dataset, fill values in step descriptions) are escaped so they render as the text
they are, never as HTML, a link, an image or a line of their own."""

from __future__ import annotations

import re

from engine import validate_recipe
from engine.deploy.export import model_card_markdown
from engine.deploy.project_report import markdown_html

IMG = "<img src=x onerror=alert(1)>"
LINK = "[x](javascript:alert(1))"
BARE = "see https://evil.example and www.evil.example or me@evil.example"


def _card() -> dict:
    recipe = validate_recipe({"steps": [{"type": "impute", "columns": {"names": [IMG, LINK]},
                                         "params": {"strategy": "constant", "fill_value": "<b>"}}]})
    return {"estimator": "LogisticRegression", "target": f"{IMG} & {LINK}", "task": "classification",
            "metric": "accuracy", "sha256": "ab" * 32, "family": "linear",
            "dataset": {"name": f"{LINK}.csv", "rows": 3, "sha256": "cd" * 32},
            "features": [{"name": IMG, "kind": "numeric", "dtype": "float64"},
                         {"name": LINK, "kind": "categorical", "dtype": "str"},
                         {"name": BARE, "kind": "text", "dtype": "str"},
                         {"name": "two\nlines | # heading", "kind": "numeric", "dtype": "float64"}],
            "recipe": recipe, "params": {"C": 1.0}, "metrics": {"validation": {"accuracy": 0.5}}}


def _markup(markdown: str) -> str:
    """What a CommonMark renderer reads as markup: the text without its backslash-escaped characters."""
    return re.sub(r"\\[!-/:-@\[-`{-~]", "", markdown)


def test_user_text_in_the_card_is_escaped_markdown():
    text = model_card_markdown(_card())
    markup = _markup(text)
    assert "<img" not in markup and "<b>" not in markup  # no raw HTML
    assert "](" not in markup and "[x]" not in markup  # no link or image
    assert "javascript:" not in markup and "https:" not in markup and "www." not in markup and "@" not in markup
    assert "\\<img src=x onerror=alert(1)\\> \\& \\[x\\](javascript\\:alert(1))" in text  # the target, in the title
    # a name cannot end its table row or start a line: the feature table keeps one row per feature
    rows = [line for line in text.splitlines() if line.startswith("| ") and line.endswith((" | float64 |", " | str |"))]
    assert rows[-1] == "| two lines \\| \\# heading | numeric | float64 |"
    assert len(rows) == 4


def test_the_rendered_card_shows_the_names_as_written_and_holds_no_tag_or_link():
    page = markdown_html(model_card_markdown(_card()))
    assert "<img" not in page and "<b>&lt;" not in page and "href" not in page and "\\" not in page
    assert "<td>&lt;img src=x onerror=alert(1)&gt;</td>" in page
    assert "<td>[x](javascript:alert(1))</td>" in page
    assert "<td>two lines | # heading</td>" in page
    assert f"<td>{BARE}</td>" in page
    assert "<li>Fill missing values in columns &lt;img src=x onerror=alert(1)&gt;, [x](javascript:alert(1)) with a " \
           "constant: &#x27;&lt;b&gt;&#x27;.</li>" in page
    assert "<h1>Model card: LogisticRegression for &#x27;&lt;img src=x onerror=alert(1)&gt; &amp; " \
           "[x](javascript:alert(1))&#x27;</h1>" in page
