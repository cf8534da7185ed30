"""``python -m engine``: the command line. A thin shell over the use-case layer (see usecases/cli.py).

This entry point is the one place in engine/ allowed to reach the layers above it: the
library itself stays headless and storage-free.
"""

import time

STARTED = time.monotonic()  # before the heavy imports: --time-budget covers them too

import sys  # noqa: E402

from usecases.cli import main  # noqa: E402

sys.exit(main(started=STARTED))
