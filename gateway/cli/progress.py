"""A sync's live progress: a bar with percentage and ETA when the platform says how many
records there are, the count, rate and elapsed time otherwise.

On a terminal it is one live line that fits 80 columns (the counts that matter: read and
rejected). Anywhere else (a pipe, a CI log, a file) a plain line is printed every few seconds,
since a live display there shows nothing until the run ends.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

PLAIN_EVERY_SECONDS = 5.0


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d}"


def plain_line(job: str, counts: Mapping[str, int], elapsed: float) -> str:
    """``persons: 12,000 of 50,000 read (24%), 30 rejected, 1,200/s, 0:00:10, ETA 0:00:32``."""
    read = counts.get("read", 0)
    total = counts.get("total")
    rate = read / elapsed if elapsed > 0 else 0.0
    parts = [f"{read:,} read" if total is None else f"{read:,} of {total:,} read"]
    if total:
        parts[0] += f" ({min(100.0, 100 * read / total):.0f}%)"
    parts.append(f"{counts.get('rejected', 0):,} rejected")
    parts.append(f"{rate:,.0f}/s")
    parts.append(_clock(elapsed))
    if total and rate > 0 and read < total:
        parts.append(f"ETA {_clock((total - read) / rate)}")
    return f"{job}: " + ", ".join(parts)


class RunProgress:
    """Use as a context manager; call :meth:`update` with the run's live counts."""

    def __init__(self, console: Console, job: str, *, disable: bool = False) -> None:
        self.console = console
        self.job = job
        self.disable = disable
        self.live = console.is_terminal and not disable
        self._started = time.monotonic()
        self._printed = self._started
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=16),
            TaskProgressColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not self.live,
        )
        self._task = self._progress.add_task(job, counts="", total=None)

    def __enter__(self) -> RunProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.__exit__(kind, value, traceback)

    def update(self, counts: Mapping[str, int]) -> None:
        read = counts.get("read", 0)
        text = f"{read:,} read, {counts.get('rejected', 0):,} rejected"
        self._progress.update(self._task, completed=read, total=counts.get("total"), counts=text)
        if self.live or self.disable:
            return
        now = time.monotonic()
        if now - self._printed >= PLAIN_EVERY_SECONDS:
            self._printed = now
            self.console.print(plain_line(self.job, counts, now - self._started), highlight=False)
