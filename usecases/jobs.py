"""Background jobs: each runs in its own process, recorded in SQLite; pages only poll.

A job's process writes its status, progress, log and heartbeat to the ``jobs`` table. A job
whose process has died (server restart, crash, kill) is marked ``interrupted`` the next time
anyone looks at it, so nothing shows as running forever.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from storage import Workspace, now

__all__ = ["ACTIVE", "TRAINING_KINDS", "cancel_job", "is_worker_alive", "refresh_job", "spawn_worker"]

ACTIVE = ("queued", "running", "cancelling")
TRAINING_KINDS = ("train", "extend")  # the Train page's jobs; "score" jobs belong to the Deploy page
ROOT = Path(__file__).resolve().parent.parent
_QUEUE_GRACE_SECONDS = 60
_CHILDREN: list[subprocess.Popen] = []  # kept so finished workers are reaped, not left as zombies


def _reap() -> None:
    _CHILDREN[:] = [child for child in _CHILDREN if child.poll() is None]


def spawn_worker(ws: Workspace, job_id: int) -> int:
    """Start ``python -m usecases.worker HOME JOB`` detached from this process; return its PID."""
    log_dir = ws.home / "jobs"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    # OpenMP threads that spin while waiting starve each other when the cores are busy: measured at load 22 on two
    # cores, a 1,000-row histogram boosting fit took 32-38 s with spinning threads and 2 s with passive ones (0.7 s
    # with one thread), enough for a 60 s AutoML to finish no trial. Read once, when the worker loads OpenMP.
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    with open(log_dir / f"{job_id}.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "usecases.worker", str(ws.home), str(job_id)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    _reap()
    _CHILDREN.append(process)
    ws.update_job(job_id, pid=process.pid)
    return process.pid


def is_worker_alive(pid: int | None, job_id: int) -> bool:
    """True when ``pid`` is a live worker process for ``job_id`` (guards against PID reuse)."""
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"usecases.worker" in cmdline and str(job_id).encode() in cmdline


def refresh_job(ws: Workspace, job_id: int) -> dict:
    """The job's record, after marking it interrupted if its process is gone."""
    _reap()
    job = ws.get_job(job_id)
    if job["status"] not in ACTIVE:
        return job
    if job["status"] == "queued" and not job["pid"]:
        age = _seconds_since(job["created_at"])
        if age < _QUEUE_GRACE_SECONDS:
            return job
    if is_worker_alive(job["pid"], job_id):
        return job
    job = ws.get_job(job_id)  # the worker may have finished between the two reads
    if job["status"] not in ACTIVE:
        return job
    if job["status"] == "cancelling":  # the cancel stopped the process before it could record it
        return ws.update_job(job_id, status="cancelled", finished_at=now(),
                             message="Cancelled; finished models are kept.")
    return ws.update_job(job_id, status="interrupted", finished_at=now(),
                         message="Interrupted: its process stopped (server restart or crash). Start it again.")


def cancel_job(ws: Workspace, job_id: int) -> dict:
    """Ask a running job to stop; results finished so far are kept."""
    job = refresh_job(ws, job_id)
    if job["status"] not in ACTIVE:
        return job
    ws.update_job(job_id, status="cancelling", message="Cancelling…")
    if is_worker_alive(job["pid"], job_id):
        os.kill(job["pid"], signal.SIGTERM)
    return ws.get_job(job_id)


def _seconds_since(stamp: str) -> float:
    return (datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds()
