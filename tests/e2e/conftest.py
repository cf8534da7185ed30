"""Fixtures for the browser tests: headless Debian Chromium, Streamlit servers, the sample CSV."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storage import Workspace
from tests.champion import confirm_champion
from tests.e2e.helpers import CHROMIUM, CHROMIUM_ARGS, ROOT, AppServer, StreamlitPage
from usecases import projects
from usecases.training import run_training_job

ARTIFACTS = ROOT / "test-artifacts" / "e2e"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/e2e/ (gitignored): screenshots, downloads and server logs; emptied once per run by the root
    conftest's pytest_configure, since pytest-xdist workers share it."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory, artifacts) -> Iterator[AppServer]:
    """One app server for the session, on a fresh WORKBENCH_HOME."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # each xdist worker starts its own server
    server = AppServer(tmp_path_factory.mktemp("e2e_home"), artifacts / f"streamlit-{worker}.log").start()
    yield server
    server.stop()


@pytest.fixture
def start_server(artifacts) -> Iterator[Callable[[Path, str], AppServer]]:
    """``start_server(home, log_name)``: a started app server on ``home``; every one still running is stopped after."""
    servers: list[AppServer] = []

    def start(home: Path, log_name: str) -> AppServer:
        servers.append(AppServer(home, artifacts / log_name))
        return servers[-1].start()

    yield start
    for server in servers:
        server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def open_page(request, browser, artifacts) -> Iterator[Callable[[str, str], StreamlitPage]]:
    """``open_page(base_url, shots_subdir)``: a page in a fresh browser context (1400x900, downloads on).

    When the test fails, every page it opened is saved as ``FAILED_<n>.png`` in its screenshot folder.
    """
    opened: list[tuple] = []

    def open_(base_url: str, shots: str) -> StreamlitPage:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        page = StreamlitPage(context.new_page(), base_url, artifacts / shots)
        opened.append((context, page))
        return page

    yield open_
    failed = getattr(request.node, "report_call", None) is not None and request.node.report_call.failed
    for n, (context, page) in enumerate(opened):
        if failed:
            try:
                page.screenshot(f"FAILED_{n}")
            except Exception:  # noqa: BLE001 - the page may be gone; the test's own error matters
                pass
        context.close()


@pytest.fixture(scope="session")
def churn_csv(tmp_path_factory) -> Path:
    """The generated churn sample as a CSV: categories, dates, gaps and an ID column; target ``churned``."""
    from engine.data.samples import load_sample

    path = tmp_path_factory.mktemp("e2e_data") / "churn.csv"
    load_sample("customer_churn").to_csv(path, index=False)
    return path


@pytest.fixture
def trained_churn(tmp_path):
    """A workspace with the churn sample (1,500 rows, a customer_id key) and one quickly trained model, made
    headlessly as a training job would (the training path has its own browser test) and confirmed as the champion
    as on Evaluate; returns (ws, project id)."""
    ws = Workspace(tmp_path / "home")
    project = ws.create_project("Churn")
    projects.import_sample(ws, project["id"], "customer_churn")
    projects.save_settings(ws, project["id"], {"models": ["linear"], "cv_folds": 0})
    previous = signal.getsignal(signal.SIGTERM)  # the job installs its own SIGTERM handler
    try:
        job = ws.create_job(project["id"], "train")
        run_training_job(ws, job["id"])
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert ws.get_job(job["id"])["status"] == "succeeded"
    confirm_champion(ws, project["id"])
    return ws, project["id"]
