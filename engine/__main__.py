"""``python -m engine``: the command line. A thin shell over the use-case layer (see usecases/cli.py).

This entry point is the one place in engine/ allowed to reach the layers above it: the
library itself stays headless and storage-free.
"""

import time

STARTED = time.monotonic()  # before the heavy imports: --time-budget covers them too

import os  # noqa: E402

# Arrow's default allocator (mimalloc) commits about 12 MB of arenas on the first CSV read and keeps them; the
# command line reads one table, for which the system allocator is as fast. Set before pandas loads pyarrow.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

import sys  # noqa: E402

from engine.train.training import abandoned_fits  # noqa: E402
from usecases.cli import main  # noqa: E402

code = main(started=STARTED)
if abandoned_fits():  # the time budget gave up on a fit: its result is not wanted, so the process does not wait
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
sys.exit(code)
