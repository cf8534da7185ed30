"""The README's examples stay true: its recipe JSON validates as written."""

from __future__ import annotations

import json
from pathlib import Path

from engine import validate_recipe

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_recipe_example_is_a_valid_recipe():
    text = README.read_text(encoding="utf-8")
    start = text.index("```json") + len("```json")
    example = json.loads(text[start:text.index("```", start)])
    recipe = validate_recipe(example)
    assert recipe == validate_recipe(recipe)
    assert [s["type"] for s in recipe["steps"]] == ["drop_duplicates", "date_parts", "impute", "derive", "encode"]
