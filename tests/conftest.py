"""Shared fixtures: every test gets its own workspace folder; nothing touches ./workspace."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHROMIUM = Path(os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Point WORKBENCH_HOME at a fresh folder for every test."""
    home = tmp_path / "workspace"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    return home


@pytest.fixture
def ws(_isolated_home):
    """A fresh, empty workspace."""
    from storage import Workspace

    return Workspace(_isolated_home)


@pytest.fixture
def data_dir() -> Path:
    return ROOT / "tests" / "data"


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's chromium; with WORKBENCH_REQUIRE_BROWSER=1 its absence is a failure."""
    if CHROMIUM.exists():
        return
    if os.environ.get("WORKBENCH_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"WORKBENCH_REQUIRE_BROWSER=1 but {CHROMIUM} does not exist; install Debian chromium.")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (set WORKBENCH_REQUIRE_BROWSER=1 to fail instead)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
