"""Which conditions are open and when each was last sent, in a small file shared by processes.

``gateway sync`` runs are separate processes and the scheduler is another: the file (locked
while read and rewritten, replaced atomically) is what makes "at most once per interval" and
"one resolved message" hold across them. It holds condition keys (job and platform names,
years) and times, nothing else.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

STATE_VERSION = 1


@contextmanager
def locked_state(path: Path) -> Iterator[dict[str, Any]]:
    """The open conditions, ``{key: {"since": t, "sent": t}}``; saved when the block ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            saved = orjson.loads(path.read_bytes()) if path.exists() else {}
        except orjson.JSONDecodeError:
            saved = {}
        conditions: dict[str, Any] = (
            saved.get("conditions", {}) if saved.get("v") == STATE_VERSION else {}
        )
        yield conditions
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(orjson.dumps({"v": STATE_VERSION, "conditions": conditions}))
        os.replace(temporary, path)
