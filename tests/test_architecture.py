"""The layers stay clean: engine and storage are headless, pages only draw, dependencies are pinned."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Which top-level packages each layer may import: pages -> usecases -> (engine, storage). Pages reach storage only
# through a use case (they may use the engine's plot functions and constants). engine/__main__.py is the CLI shell
# and may reach the use-case layer; nothing else in engine may.
ALLOWED = {
    "engine": {"engine"},
    "storage": {"storage"},
    "usecases": {"engine", "storage", "usecases"},
    "pages": {"engine", "usecases", "pages", "streamlit"},
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


# What a page file must not do itself: it reads widgets, calls one use case, and draws what comes back.
_PAGE_MODULES_NOT_TO_IMPORT = {"plotly", "sqlite3", "sqlite_utils", "sqlalchemy", "psycopg", "pickle", "joblib",
                               "shutil", "tempfile"}  # figures come from engine plot functions; records and files
_PAGE_CALLS_NOT_TO_MAKE = {"open", "execute", "executemany", "read_sql", "write_text", "write_bytes", "mkdir",
                           "unlink", "rmtree", "touch", "to_parquet", "to_excel", "Figure"}  # from use cases


def _page_offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = sorted(_imports(path) & _PAGE_MODULES_NOT_TO_IMPORT)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name == "Workspace":
                found.append("Workspace")
        if isinstance(node, ast.Call):
            function = node.func
            name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
            if name in _PAGE_CALLS_NOT_TO_MAKE or (name == "to_csv" and node.args):  # to_csv(path) writes a file
                found.append(f"{name}()")
    return found


def test_pages_only_draw():
    """No page file touches storage, SQL, files or figure building; the CLI entry is the only exemption anywhere."""
    offenders = {str(p.relative_to(ROOT)): _page_offences(p) for p in _files("pages")}
    offenders[str((ROOT / "app.py").relative_to(ROOT))] = _page_offences(ROOT / "app.py")
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_page_rules_catch_what_they_forbid(tmp_path):
    page = tmp_path / "page.py"
    page.write_text("import plotly.graph_objects as go\nfrom storage import Workspace\n"
                    "ws = Workspace('w')\nws.db.execute('DELETE FROM models')\nopen('x', 'w').write('y')\n"
                    "frame.to_csv('out.csv')\nfigure = go.Figure()\n")
    assert sorted(set(_page_offences(page))) == ["Figure()", "Workspace", "execute()", "open()", "plotly",
                                                 "to_csv()"]


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
