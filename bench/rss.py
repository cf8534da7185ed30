"""A process's own peak resident memory over a stretch of its code, measured from inside it.

Used by the short scripts the benchmarks run in fresh processes (``python -c``, working directory the
repository root, so ``bench`` imports)::

    from bench.rss import PeakAbove
    with PeakAbove() as peak:
        work()
    peak.baseline_mb, peak.above_mb

``ru_maxrss`` cannot serve: a child started by ``subprocess`` inherits its parent's high-water mark across
``exec``. Instead the high-water mark is reset to the current resident size (``5`` into
``/proc/self/clear_refs``) and read back as ``VmHWM``; where the reset is refused, a thread samples ``VmRSS``
every millisecond.
"""

from __future__ import annotations

import threading


def status_kb(field: str) -> int:
    """A field of ``/proc/self/status`` in kB, e.g. ``status_kb("VmRSS")``."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


class PeakAbove:
    """The resident size on entry (``baseline_mb``) and the peak's rise above it while inside (``above_mb``)."""

    def __enter__(self) -> PeakAbove:
        self._sampler: threading.Thread | None = None
        self._peak_kb = 0
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")  # resets VmHWM to the current VmRSS
        except OSError:
            self._done = threading.Event()
            self._sampler = threading.Thread(target=self._sample, daemon=True)
            self._sampler.start()
        self.baseline_kb = status_kb("VmRSS")
        return self

    def _sample(self) -> None:
        while not self._done.is_set():
            self._peak_kb = max(self._peak_kb, status_kb("VmRSS"))
            self._done.wait(0.001)

    def __exit__(self, *exc) -> None:
        if self._sampler is None:
            high = status_kb("VmHWM")
        else:
            self._done.set()
            self._sampler.join()
            high = max(self._peak_kb, status_kb("VmRSS"))
        self.baseline_mb = self.baseline_kb / 1024
        self.above_mb = (high - self.baseline_kb) / 1024
