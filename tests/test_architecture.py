"""The layers stay clean: engine and storage are headless, pages are thin, dependencies are pinned."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Which top-level packages each layer may import. engine/__main__.py is the CLI shell and may
# reach the use-case layer; nothing else in engine may.
ALLOWED = {
    "engine": {"engine"},
    "storage": {"storage"},
    "usecases": {"engine", "storage", "usecases"},
    "pages": {"engine", "storage", "usecases", "pages", "streamlit"},
}
OWN = {"engine", "storage", "usecases", "pages", "streamlit"}
EXEMPT = {ROOT / "engine" / "__main__.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _files(layer: str) -> list[Path]:
    return sorted(p for p in (ROOT / layer).rglob("*.py") if p not in EXEMPT)


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer):
    offenders = {
        str(path.relative_to(ROOT)): sorted((_imports(path) & OWN) - ALLOWED[layer]) for path in _files(layer)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


STAGES = ["data", "explore", "prepare", "train", "evaluate", "deploy", "monitor"]


@pytest.mark.parametrize("package", ["engine", "storage", "usecases", *(f"engine.{s}" for s in STAGES)])
def test_public_names_resolve(package):
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []
    assert sorted(module.__all__) == sorted(set(module.__all__))


def test_pages_stay_thin():
    sizes = {p.name: len(p.read_text().splitlines()) for p in (ROOT / "pages").glob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 150} == {}


def test_requirements_are_pinned():
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    packages = [line for line in lines if line and not line.startswith(("#", "-"))]
    assert packages and all("==" in line for line in packages)
    names = {line.split("==")[0].lower() for line in packages}
    assert {"streamlit", "pandas", "plotly", "scikit-learn", "optuna", "joblib", "sqlite-utils"} <= names


def test_engine_is_in_stage_packages():
    """Only shared modules (errors, versions, old paths, lazy exports) stay at the top of engine/."""
    top = {p.name for p in (ROOT / "engine").glob("*.py")}
    assert top == {"__init__.py", "__main__.py", "errors.py", "versions.py", "legacy.py", "_exports.py"}
    assert {p.name for p in (ROOT / "engine").iterdir() if p.is_dir() and p.name != "__pycache__"} == set(STAGES)


def test_nothing_imports_an_old_module_path():
    from engine.legacy import MOVED_MODULES

    offenders = {}
    for layer in ("engine", "storage", "usecases", "pages", "tests", "bench"):
        for path in (ROOT / layer).rglob("*.py"):
            tree = ast.parse(path.read_text())
            names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
            if names & set(MOVED_MODULES):
                offenders[str(path.relative_to(ROOT))] = sorted(names & set(MOVED_MODULES))
    assert offenders == {}
