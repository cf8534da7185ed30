"""Entry point of a background job process: ``python -m usecases.worker HOME JOB_ID``."""

from __future__ import annotations

import sys

import optuna

from usecases import open_workspace
from usecases.scoring import run_scoring_job
from usecases.training import run_training_job

_KINDS = {"train": run_training_job, "extend": run_training_job, "score": run_scoring_job}


def main(argv: list[str]) -> int:
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the job log gets one line per trial instead
    home, job_id = argv[0], int(argv[1])
    ws = open_workspace(home)
    job = ws.get_job(job_id)
    _KINDS[job["kind"]](ws, job_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
