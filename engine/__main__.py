"""``python -m engine``: the command line. A thin shell over the use-case layer (see usecases/cli.py).

This entry point is the one place in engine/ allowed to reach the layers above it: the
library itself stays headless and storage-free.
"""

import sys

from usecases.cli import main

sys.exit(main())
