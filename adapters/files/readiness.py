"""When an inbox file is complete enough to read.

Desk staff copy files onto a share; a job that wakes up during the copy must not read half a
file. Three rules, chosen per job (``ready:``):

- ``settle`` (default): a file's size and modification time have not changed for
  ``settle_seconds`` and it can be opened. Windows copies keep the source's modification time,
  so the size is watched too. Observations are remembered between runs of the same process; a
  run that sees a file for the first time waits the settle time once and looks again.
- ``marker``: a companion ``NAME.done`` (or another of ``markers``) exists beside the file.
- ``rename``: any visible file is complete (writers write under a hidden name, then rename).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import structlog

from adapters.files.options import ReadOptions

log = structlog.get_logger(__name__)
Observation = tuple[int, int]  # (size, mtime_ns)


def _observe(path: Path) -> Observation | None:
    try:
        stat = path.stat()
        with path.open("rb"):
            pass
    except OSError:
        return None  # gone, or held open by its writer (a sharing violation on a share)
    return stat.st_size, stat.st_mtime_ns


def marker_of(path: Path, markers: tuple[str, ...]) -> Path | None:
    for suffix in markers:
        marker = path.with_name(path.name + suffix)
        if marker.exists():
            return marker
    return None


class Settling:
    """Remembers when each file was first seen as it is now; answers which ones settled."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: dict[Path, tuple[Observation, float]] = {}
        self._lock = threading.Lock()

    def _settled(self, paths: list[Path], seconds: float) -> tuple[list[Path], float]:
        """Files settled now, and how long until the first of the others could be."""
        now = self._clock()
        ready: list[Path] = []
        wait = 0.0
        for path in paths:
            seen = _observe(path)
            if seen is None:
                self._seen.pop(path, None)
                continue
            known = self._seen.get(path)
            if known is None or known[0] != seen:
                self._seen[path] = (seen, now)
                known = (seen, now)
            remaining = seconds - (now - known[1])
            if remaining <= 0:
                ready.append(path)
            else:
                wait = max(wait, remaining)
        return ready, wait

    def ready(self, paths: list[Path], seconds: float, stop: threading.Event) -> list[Path]:
        with self._lock:
            ready, wait = self._settled(paths, seconds)
            if wait and not stop.wait(wait):
                ready, _ = self._settled(paths, seconds)
            for path in set(paths) - set(ready):
                log.info("files.not_settled", file=path.name)
            return ready


def ready_paths(
    paths: list[Path], options: ReadOptions, settling: Settling, stop: threading.Event
) -> list[Path]:
    if options.ready == "rename":
        return paths
    if options.ready == "marker":
        return [path for path in paths if marker_of(path, options.markers) is not None]
    return settling.ready(paths, options.settle_seconds, stop)
