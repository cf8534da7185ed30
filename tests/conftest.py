"""Shared fixtures: every test gets its own workspace folder; nothing touches ./workspace."""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHROMIUM = Path(os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium"))


def pytest_configure(config):
    """Empty test-artifacts/e2e/ once per run that includes browser tests, in the process that starts the run:
    pytest-xdist's workers (``config.workerinput``) share that folder, so none of them may empty it under the
    others. A run of other tests leaves the last browser run's screenshots alone."""
    e2e = ROOT / "tests" / "e2e"
    asked = [(config.invocation_params.dir / arg.split("::")[0]).resolve() for arg in config.args]
    if not hasattr(config, "workerinput") and any(e2e.is_relative_to(p) or p.is_relative_to(e2e) for p in asked):
        shutil.rmtree(ROOT / "test-artifacts" / "e2e", ignore_errors=True)


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
def orders_db(tmp_path):
    """``make(n, step)`` writes a SQLite file with table orders: id 1..n, city Oslo / Lima, amount id * step."""

    def make(n: int, step: float) -> Path:
        path = tmp_path / "shop.db"
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE orders (id INTEGER, city TEXT, amount REAL)")
            conn.executemany("INSERT INTO orders VALUES (?, ?, ?)",
                             [(i, "Oslo" if i % 2 else "Lima", i * step) for i in range(1, n + 1)])
        conn.close()
        return path

    return make


@pytest.fixture
def data_dir() -> Path:
    return ROOT / "tests" / "data"


def _postgres_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: from PATH, else Debian's newest /usr/lib/postgresql/<ver>/bin."""
    if found := shutil.which("initdb"):
        return Path(found).resolve().parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="session")
def postgres_url():
    """A throw-away PostgreSQL server for the session: ``postgresql+psycopg://workbench:PASSWORD@127.0.0.1:PORT/postgres``.

    Password auth over TCP (read the password with ``sqlalchemy.make_url(postgres_url).password``). Skipped when
    PostgreSQL is not installed, unless WORKBENCH_REQUIRE_POSTGRES=1 makes that a failure.
    """
    bin_dir = _postgres_bin()
    if bin_dir is None:
        if os.environ.get("WORKBENCH_REQUIRE_POSTGRES") == "1":
            pytest.fail("WORKBENCH_REQUIRE_POSTGRES=1 but initdb is neither on PATH nor in /usr/lib/postgresql/*/bin; "
                        "install Debian postgresql.")
        pytest.skip("PostgreSQL not installed (set WORKBENCH_REQUIRE_POSTGRES=1 to fail instead)")
    # PostgreSQL refuses to run as root: run it as an unprivileged user, in a folder that user owns (not under
    # tmp_path_factory, whose pytest-of-root parent only root may enter).
    base = Path(tempfile.mkdtemp(prefix="workbench-pg-"))
    password = secrets.token_hex(8)
    (base / "pw").write_text(password + "\n")
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = "postgres" if _has_user("postgres") else "nobody"
        as_user = ["runuser", "-u", user, "--"]
        for path in (base, base / "pw"):
            shutil.chown(path, user)
    run = lambda *args: subprocess.run([*as_user, *args], capture_output=True, text=True, check=False)  # noqa: E731
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = base / "data"
    steps = [[str(bin_dir / "initdb"), "-D", str(data), "-U", "workbench", f"--pwfile={base}/pw", "-E", "UTF8",
              "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync"],
             [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-t", "30", "-o",
              f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]]
    for step in steps:
        done = run(*step)
        if done.returncode:
            log = (base / "log").read_text() if (base / "log").exists() else ""
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "stop", "-m", "immediate")
            shutil.rmtree(base, ignore_errors=True)
            pytest.fail(f"{Path(step[0]).name} failed: {done.stdout}{done.stderr}{log}")
    try:
        yield f"postgresql+psycopg://workbench:{password}@127.0.0.1:{port}/postgres"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "stop", "-m", "immediate")
        shutil.rmtree(base, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        return bool(pwd.getpwnam(name))
    except KeyError:
        return False


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
