"""Local REST servers started from the Deploy page: one ``python -m engine serve`` process per model, recorded
in the workspace so any page (or a restarted app) sees which are running and can stop them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from engine.errors import ModelError, ServingError
from storage import Workspace, now

__all__ = ["api_token", "curl_example", "refresh_servers", "server_alive", "server_url", "start_server", "stop_server"]

ROOT = Path(__file__).resolve().parent.parent
_START_SECONDS = 60
_CHILDREN: dict[int, subprocess.Popen] = {}  # kept so stopped servers are reaped, not left as zombies


def server_url(server: dict) -> str:
    return f"http://{server['host']}:{server['port']}"


def start_server(ws: Workspace, project_id: int, model_id: int | None, port: int | None = None,
                 host: str = "127.0.0.1") -> dict:
    """Start serving ``model_id`` on ``host:port`` (a free port when None) and wait until it answers.

    ``model_id`` None serves the project's champion, whichever model that is: after a promotion or a
    rollback the same server answers with the new one (``python -m engine serve --project``); its record
    has no model id."""
    if model_id is None:
        project = ws.get_project(project_id)
        if project["champion_model_id"] is None:
            raise ModelError("This project has no champion yet; choose one on Evaluate, then serve it.")
        target = ["--project", project["name"]]
    else:
        model = ws.get_model(model_id)
        if model["project_id"] != project_id or model["status"] != "ok":
            raise ModelError(f"Model {model_id} is not a trained model of this project.")
        target = ["--model-id", str(model_id)]
    for server in refresh_servers(ws, project_id):
        if server["model_id"] == model_id:
            return server  # already running: one server per model
    port = port or _free_port(host)
    if not _port_free(host, port):
        raise ServingError(f"Port {port} is already in use on {host}; choose another port or stop what uses it.")
    log_path = ws.home / "servers" / f"{'champion' if model_id is None else f'model{model_id}'}-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}  # one row at a time: threads cost more than they give
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "engine", "serve", "--workspace", str(ws.home), *target, "--host", host,
             "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    _CHILDREN[process.pid] = process
    server = ws.add_server(project_id, model_id, host=host, port=port, pid=process.pid)
    deadline = time.monotonic() + _START_SECONDS
    while not _healthy(server):
        if process.poll() is not None or time.monotonic() > deadline:
            _terminate(process.pid)
            ws.update_server(server["id"], status="failed", stopped_at=now())
            tail = log_path.read_text(errors="replace")[-600:] if log_path.exists() else ""
            what = "the champion" if model_id is None else f"model {model_id}"
            raise ServingError(f"The server for {what} did not start on port {port}. Its log ends: {tail}")
        time.sleep(0.2)
    return server


def stop_server(ws: Workspace, server: dict) -> dict:
    """Stop a server process (it writes its queued request log first)."""
    if server_alive(server):
        _terminate(server["pid"])
    return ws.update_server(server["id"], status="stopped", stopped_at=now())


def refresh_servers(ws: Workspace, project_id: int) -> list[dict]:
    """The project's running servers, after marking those whose process is gone as stopped."""
    running = []
    for server in ws.list_servers(project_id, status="running"):
        if server_alive(server):
            running.append(server)
        else:
            ws.update_server(server["id"], status="stopped", stopped_at=now())
    return running


def server_alive(server: dict) -> bool:
    """True when the recorded process is still this server (guards against PID reuse)."""
    process = _CHILDREN.get(server["pid"])
    if process is not None:  # started by this app process: ask it (an exited child is reaped here)
        return process.poll() is None
    try:
        cmdline = Path(f"/proc/{server['pid']}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"serve" in cmdline and str(server["port"]).encode() in cmdline


def curl_example(server: dict, features: list[dict]) -> str:
    """A ready-to-paste curl command scoring one row (every column null: filled as in training), with the bearer
    token when the servers require one (``WORKBENCH_API_TOKEN``, which the servers started here inherit)."""
    from engine.deploy.serving import curl_command  # here: FastAPI is 14 MB that training and scoring never need

    return curl_command(server_url(server), features, api_token())


def api_token() -> str | None:
    """The token servers started from the workbench require (``WORKBENCH_API_TOKEN``), or None: their API is open."""
    return os.environ.get("WORKBENCH_API_TOKEN") or None


def _healthy(server: dict) -> bool:
    try:
        with urllib.request.urlopen(f"{server_url(server)}/health", timeout=1) as response:
            return json.loads(response.read()).get("status") == "ok"
    except (OSError, ValueError):
        return False


def _terminate(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    process = _CHILDREN.pop(pid, None)
    if process is not None:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True
