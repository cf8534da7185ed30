"""Browser-test helpers: a Streamlit server process and a page driver that waits for reruns reliably.

The waiting logic follows ../shared/UI_TESTING.md (and its ui_probe.py), copied here so a fresh clone runs alone:
after an action, wait for the rerun request the browser sends on Streamlit's websocket (BackMsg
``rerun_script``), then for the ForwardMsg ``script_finished`` that ends it, then for the DOM to settle
(``stApp`` notRunning + CONNECTED, nothing stale, plotly charts drawn, 300 ms without DOM changes).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # closed network: no calls home
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
TARGET = "churned"  # the target of the churn sample the scenarios upload
_FINISHED_EARLY_FOR_RERUN = 2  # ForwardMsg.script_finished value: another run follows at once

# Counts flips of stApp's data-test-script-state and the time of the last structural DOM change.
INIT_JS = r"""
(() => {
  if (window.__wb) return;
  const p = window.__wb = {state: null, changedAt: performance.now(), lastMut: performance.now()};
  new MutationObserver((muts) => {
    for (const m of muts) {
      const s = m.target.getAttribute('data-test-script-state');
      if (s !== p.state) { p.state = s; p.changedAt = performance.now(); }
    }
  }).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
  new MutationObserver(() => { p.lastMut = performance.now(); })
    .observe(document, {childList: true, subtree: true, characterData: true});
})();
"""

IDLE_JS = r"""
(quietMs) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  const s = app.getAttribute('data-test-script-state');
  if (s !== 'notRunning' || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (document.querySelector('[data-stale="true"], [data-testid="stAppSkeleton"], [data-testid="stSkeleton"]'))
    return false;
  const p = window.__wb;
  if (p && p.state !== s) { p.state = s; p.changedAt = performance.now(); }
  return !p || performance.now() - p.changedAt >= quietMs;
}
"""

PLOTLY_DRAWN_JS = r"""
() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every((c) => {
  const r = c.getBoundingClientRect();
  return r.width === 0 || r.height === 0 || c.querySelector('svg.main-svg');
})
"""

CONTENT_HEIGHT_JS = r"""
() => {
  let h = document.documentElement.scrollHeight;
  for (const sel of ['[data-testid="stMain"]', '[data-testid="stSidebarContent"]']) {
    const e = document.querySelector(sel);
    if (e) h = Math.max(h, e.scrollHeight + Math.max(0, e.getBoundingClientRect().top));
  }
  return Math.ceil(h);
}
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """``python -m streamlit run app.py`` in its own process group, on a free port; stopped by that PID."""

    def __init__(self, home: Path, log_path: Path, start_timeout: float = 60.0):
        self.home, self.log_path, self.start_timeout = Path(home), Path(log_path), start_timeout
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> AppServer:
        self.port = free_port()
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats",
               "false", "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
        env = {**os.environ, "WORKBENCH_HOME": str(self.home), "PYTHONUNBUFFERED": "1"}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"$ WORKBENCH_HOME={self.home} {' '.join(cmd)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url + "_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy in {self.start_timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM the server's process group (pgid == the PID we started), SIGKILL if it lingers."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""


class StreamlitPage:
    """A Playwright page on the app, with actions that return once Streamlit has finished reacting."""

    def __init__(self, page, base_url: str, shots: Path, timeout: float = 30.0):
        self.page, self.base_url, self.shots, self.timeout = page, base_url.rstrip("/") + "/", shots, timeout
        self.ws = {"sent": 0, "last_sent": 0.0, "last_finished": 0.0, "closed": False}
        self.reruns: list[str] = []  # the fragment id of each rerun the browser asked for ("" for the whole page)
        self.page_errors: list[str] = []
        page.set_default_timeout(timeout * 1000)
        page.add_init_script(INIT_JS)
        page.on("websocket", self._on_websocket)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))

    # ---- waiting
    def _on_websocket(self, ws) -> None:
        if "/_stcore/stream" not in ws.url:
            return
        self.ws["closed"] = False

        def sent(payload):
            try:
                msg = BackMsg.FromString(payload if isinstance(payload, bytes) else payload.encode())
            except Exception:  # noqa: BLE001 - not a protobuf frame
                return
            if msg.WhichOneof("type") == "rerun_script":
                self.reruns.append(msg.rerun_script.fragment_id)
                self.ws["sent"] += 1
                self.ws["last_sent"] = time.monotonic()

        def received(payload):
            try:
                msg = ForwardMsg.FromString(payload if isinstance(payload, bytes) else payload.encode())
            except Exception:  # noqa: BLE001
                return
            if msg.WhichOneof("type") == "script_finished" and msg.script_finished != _FINISHED_EARLY_FOR_RERUN:
                self.ws["last_finished"] = time.monotonic()

        ws.on("framesent", sent)
        ws.on("framereceived", received)
        ws.on("close", lambda *_: self.ws.update(closed=True))

    def wait_idle(self, sent_before: int | None = None, timeout: float | None = None, grace: float = 1.5) -> None:
        """Wait until the app is idle; with ``sent_before``, first give the action ``grace`` s to ask for a rerun."""
        page = self.page
        deadline = time.monotonic() + (timeout or self.timeout)
        if sent_before is not None:
            grace_end = time.monotonic() + grace
            while self.ws["sent"] <= sent_before and time.monotonic() < grace_end:
                page.wait_for_timeout(25)  # also pumps Playwright's event callbacks
        while self.ws["sent"] and self.ws["last_finished"] < self.ws["last_sent"]:
            assert not self.ws["closed"], "Streamlit's websocket closed (did the server die?)"
            assert time.monotonic() < deadline, f"the app was still running after {timeout or self.timeout}s"
            page.wait_for_timeout(25)
        left_ms = max(1.0, deadline - time.monotonic()) * 1000
        page.wait_for_function(IDLE_JS, arg=150, timeout=left_ms, polling=50)
        page.wait_for_function(PLOTLY_DRAWN_JS, timeout=min(left_ms, 15_000), polling=100)
        try:  # lazy parts (st.dataframe's grid) mount after the run; spinners may never go quiet
            page.wait_for_function("() => performance.now() - window.__wb.lastMut > 300", timeout=8000, polling=50)
        except PlaywrightTimeoutError:
            pass

    def act(self, action, timeout: float | None = None, grace: float = 1.5):
        """Run ``action()`` (a click, a fill...), then wait for the rerun it causes to finish."""
        sent = self.ws["sent"]
        result = action()
        self.wait_idle(sent, timeout=timeout, grace=grace)
        return result

    # ---- locating
    @property
    def main(self):
        return self.page.locator('[data-testid="stMain"]')

    @property
    def sidebar(self):
        return self.page.locator('[data-testid="stSidebar"]')

    def widget(self, testid: str, label: str | re.Pattern, scope=None):
        """The widget container ``[data-testid=testid]`` whose label is ``label`` (a regex: its start)."""
        text = self.page.get_by_text(label, exact=True) if isinstance(label, str) else self.page.get_by_text(label)
        box = (scope or self.page).locator(f'[data-testid="{testid}"]').filter(
            has=self.page.locator('[data-testid="stWidgetLabel"]').filter(has=text))
        box.first.wait_for()
        assert box.count() == 1, f"{box.count()} {testid} widgets labelled {label!r}"
        return box

    # ---- actions
    def goto(self, path: str = "") -> None:
        self.page.goto(self.base_url + path.lstrip("/"))
        self.page.wait_for_selector('[data-testid="stApp"]')
        self.wait_idle()

    def nav(self, title: str) -> None:
        """Click the sidebar navigation link to the page ``title``."""
        link = self.page.locator('[data-testid="stSidebarNavLink"]').filter(
            has=self.page.get_by_text(title, exact=True))
        old = self.page.url
        self.act(link.click)
        self.page.wait_for_url(lambda url: url != old, timeout=10_000)
        self.main.locator("h1").filter(has_text=title).wait_for()

    def select(self, label: str, option: str, scope=None) -> None:
        """Pick ``option`` in the st.selectbox labelled ``label``."""
        combo = self.widget("stSelectbox", label, scope).get_by_role("combobox")
        choice = self.page.get_by_role("option", name=option, exact=True)
        for _attempt in range(3):  # a lazily mounting grid can close the fresh popup: open it again
            combo.click()
            try:
                choice.wait_for(timeout=3000)
                break
            except PlaywrightTimeoutError:
                self.page.keyboard.press("Escape")
                self.wait_idle()
        self.act(choice.click)
        assert combo.input_value() == option

    def upload(self, label: str | re.Pattern, path: Path) -> None:
        """Give ``path`` to the st.file_uploader labelled ``label``; wait for its chip and the reruns."""
        box = self.widget("stFileUploader", label)
        sent = self.ws["sent"]
        box.locator('input[type="file"]').set_input_files(str(path))
        chip = box.locator('[data-testid="stFileChip"]').filter(has_text=path.name)
        chip.wait_for()
        chip.locator('[data-testid="stFileChipIconSpinner"]').wait_for(state="detached")
        assert chip.locator('[data-testid="stFileChipIconError"]').count() == 0, chip.inner_text()
        self.wait_idle(sent)

    def click(self, name: str, scope=None, timeout: float | None = None) -> None:
        button = (scope or self.page).get_by_role("button", name=name, exact=True)
        self.act(button.click, timeout=timeout)

    # ---- checks and pictures
    def assert_no_exception(self, where: str) -> None:
        boxes = self.page.locator('[data-testid="stException"]')
        assert boxes.count() == 0, f"{where}: exception shown:\n" + "\n---\n".join(boxes.all_inner_texts())
        assert not self.page_errors, f"{where}: JavaScript errors: {self.page_errors}"

    def screenshot(self, name: str, path: Path | None = None, until=None) -> Path:
        """A PNG of the whole page, or (``until``, a locator) of the page down to just below that element.

        The content scrolls inside stMain, so Playwright's full_page shot would stop at the viewport: grow the
        viewport to the content's height first.
        """
        path = path or self.shots / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page, viewport = self.page, self.page.viewport_size
        height = min(int(page.evaluate(CONTENT_HEIGHT_JS)), 10_000)
        grown = height > viewport["height"] + 2
        try:
            if grown:
                page.set_viewport_size({"width": viewport["width"], "height": height})
                page.wait_for_timeout(300)
                page.wait_for_function(PLOTLY_DRAWN_JS, timeout=5000, polling=100)
            clip = None
            if until is not None:
                box = until.bounding_box()
                bottom = min(height, box["y"] + box["height"] + 24)
                clip = {"x": 0, "y": 0, "width": viewport["width"], "height": bottom}
            page.screenshot(path=str(path), animations="disabled", clip=clip)
        finally:
            if grown:
                page.set_viewport_size(viewport)
        return path


def dataframe_rows(grid) -> list[list[str]]:
    """The texts of an st.dataframe's cells, row by row (from the grid's hidden accessible table)."""
    rows = [[t.strip() for t in row.locator('[role="gridcell"]').all_inner_texts()]
            for row in grid.locator('[role="row"]').all()]
    return [row for row in rows if row]


# ---- scenario steps shared by the tests


def create_project(st: StreamlitPage, name: str) -> int:
    """Create a project in the sidebar and return its id (from the ``?project=`` query parameter)."""
    box = st.sidebar.get_by_label("Project name", exact=True)
    if not box.is_visible():  # the expander starts collapsed once any project exists
        st.act(lambda: st.sidebar.get_by_text("New project", exact=True).click(), grace=0.3)
        box.wait_for(state="visible")
    box.fill(name)
    box.press("Tab")  # inside a form, Enter would submit it too; commit the value and click like a user
    st.click("Create project", scope=st.sidebar)
    st.page.wait_for_url(re.compile(r"[?&]project=\d+"))
    expect(st.widget("stSelectbox", "Project", scope=st.sidebar).get_by_role("combobox")).to_have_value(name)
    return int(parse_qs(urlparse(st.page.url).query)["project"][0])


def load_data_and_pick_target(st: StreamlitPage, csv: Path, n_rows: int) -> None:
    """On the Data page: upload ``csv`` (``n_rows`` rows) and choose the target column."""
    st.upload("Upload a table (CSV, TSV, Excel, Parquet, JSON)", csv)
    st.main.get_by_role("heading", name=csv.name).wait_for()
    st.main.locator('[data-testid="stMetricValue"]').filter(has_text=f"{n_rows:,}").wait_for()
    st.select("Target column (what to predict)", TARGET)
    st.main.locator('[data-testid="stAlertContentSuccess"]').filter(has_text=f"Predict {TARGET}").wait_for()


def train_and_wait(st: StreamlitPage, folds: int, timeout_ms: int = 180_000) -> None:
    """On the Train page: set the cross-validation folds, start training, wait for the job to succeed."""
    box = st.main.get_by_label("Cross-validation folds (0 = off)", exact=True)
    box.fill(str(folds))
    box.press("Tab")
    st.click("Start training")
    st.main.get_by_text("See the results on Evaluate").wait_for(timeout=timeout_ms)
    st.wait_idle()
    assert st.main.get_by_text(re.compile(r"Job \d+: succeeded")).count() == 1
    st.assert_no_exception("train")


def open_sample(st: StreamlitPage, label: str, target: str, n_rows: int) -> None:
    """On the Data page: open the bundled sample ``label`` and check its rows and proposed target."""
    st.page.get_by_role("tab", name="Open a sample dataset").click()
    st.select("Sample dataset", label)
    st.click("Open sample")
    st.main.locator('[data-testid="stMetricValue"]').filter(has_text=f"{n_rows:,}").wait_for()
    combo = st.widget("stSelectbox", "Target column (what to predict)").get_by_role("combobox")
    if combo.input_value() != target:
        st.select("Target column (what to predict)", target)
    st.main.locator('[data-testid="stAlertContentSuccess"]').filter(has_text=f"Predict {target}").wait_for()


def set_toggle(st: StreamlitPage, label: str | re.Pattern, on: bool, scope=None) -> None:
    """Switch the st.toggle / st.checkbox labelled ``label`` on or off (a click on its label, like a user)."""
    box = st.widget("stCheckbox", label, scope)
    switch = box.locator("input")
    if switch.is_checked() != on:
        st.act(lambda: box.locator("label").first.click(), grace=0.5)  # no rerun inside a form
    expect(switch).to_be_checked(checked=on)


def fill_number(st: StreamlitPage, label: str, value: int | float, scope=None) -> None:
    """Type ``value`` into the st.number_input labelled ``label`` and leave it with Tab (safe inside forms)."""
    box = (scope or st.main).get_by_label(label, exact=True)
    box.fill(str(value))
    st.act(lambda: box.press("Tab"), grace=0.5)
    expect(box).to_have_value(str(value))


def set_multiselect(st: StreamlitPage, label: str, options: list[str], scope=None) -> None:
    """Make ``options`` exactly the chosen values of the st.multiselect labelled ``label`` (safe inside forms)."""
    box = st.widget("stMultiSelect", label, scope)
    chosen = box.locator('[role="group"][aria-label="Selected values"] [data-tag]')
    for name in [n for n in dict.fromkeys(chosen.evaluate_all("els => els.map(e => e.ariaLabel)")) if n not in options]:
        st.act(lambda name=name: box.get_by_role("button", name=f"Remove {name}", exact=True).first.click(), grace=0.5)
    for name in options:
        tag = box.locator(f'[data-tag][aria-label="{name}"]')
        if tag.count():
            continue
        # One choice at a time, each confirmed before the next menu opens: a click on the combobox while the
        # previous menu is still closing reopened nothing, and the option clicked then belonged to the closing
        # menu, so the choice was silently lost (seen in CI as a missing tag). The name is typed first, so the
        # menu lists only its matches: a click on the last option of a long menu landed while the menu was still
        # scrolling it into view and chose nothing (seen in CI: the option highlighted, no tag).
        combobox = box.get_by_role("combobox")
        combobox.click()
        combobox.fill(name)
        option = st.page.get_by_role("option", name=name, exact=True)
        expect(option).to_be_visible()
        st.act(lambda option=option: option.click(), grace=0.5)
        expect(tag.first).to_be_visible()
        st.page.keyboard.press("Escape")
        expect(st.page.get_by_role("option")).to_have_count(0)
    for name in options:
        expect(box.locator(f'[data-tag][aria-label="{name}"]').first).to_be_visible()
    assert set(chosen.evaluate_all("els => els.map(e => e.ariaLabel)")) == set(options)


def act_live(st: StreamlitPage, action, timeout: float = 30.0) -> None:
    """Run ``action()`` and wait for the script run it asks for to finish, on a page that never goes quiet.

    A page with an ``st.fragment(run_every=...)`` (a running job's live view) reruns its fragment every second,
    so ``StreamlitPage.wait_idle`` may never see the app idle; this waits on the websocket only.
    """
    sent = st.ws["sent"]
    action()
    deadline = time.monotonic() + timeout
    while st.ws["sent"] <= sent:
        assert time.monotonic() < deadline, f"no rerun was asked for within {timeout}s"
        st.page.wait_for_timeout(25)
    asked = st.ws["last_sent"]
    while st.ws["last_finished"] < asked:
        assert not st.ws["closed"], "Streamlit's websocket closed (did the server die?)"
        assert time.monotonic() < deadline, f"the app was still running after {timeout}s"
        st.page.wait_for_timeout(25)


def nav_live(st: StreamlitPage, title: str, timeout: float = 30.0) -> None:
    """``StreamlitPage.nav`` to a page that may be polling a running job (see ``act_live``)."""
    link = st.page.locator('[data-testid="stSidebarNavLink"]').filter(has=st.page.get_by_text(title, exact=True))
    old = st.page.url
    act_live(st, link.click, timeout)
    st.page.wait_for_url(lambda url: url != old, timeout=10_000)
    st.main.locator("h1").filter(has_text=title).wait_for()
