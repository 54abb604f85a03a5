"""The files adapter: any stream name is a stream, since the job's options say which files."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from adapters.files.pull import FilesPullStream
from adapters.files.push import FilesPushStream
from gateway.adapter import Adapter, Direction, PullStream, PushStream

_S = TypeVar("_S", PullStream, PushStream)


class StreamsByName(Mapping[str, _S]):
    """Creates a stream the first time a name is looked up and keeps it for later runs.

    Iteration lists the streams created so far: the set of valid names is unbounded.
    """

    def __init__(self, factory: Callable[[str], _S]) -> None:
        self._factory: Callable[[str], _S] = factory
        self._streams: dict[str, _S] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> _S:
        if not isinstance(name, str) or not name:
            raise KeyError(name)
        with self._lock:
            if name not in self._streams:
                self._streams[name] = self._factory(name)
            return self._streams[name]

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._streams))

    def __len__(self) -> int:
        return len(self._streams)


class FilesAdapter(Adapter):
    """CSV, JSONL and XLSX files: the inbox the bureau's systems drop into, the outbox they read."""

    name = "files"
    any_stream = frozenset(Direction)
    description = "CSV, JSONL and XLSX files in an inbox (pull) and an outbox (push)"

    def __init__(self) -> None:
        self._pull: StreamsByName[PullStream] = StreamsByName(FilesPullStream)
        self._push: StreamsByName[PushStream] = StreamsByName(FilesPushStream)

    def pull_streams(self) -> Mapping[str, PullStream]:
        return self._pull

    def push_streams(self) -> Mapping[str, PushStream]:
        return self._push

    def commands(self) -> Any:
        from adapters.files.commands import app  # imported only when the CLI mounts it

        return app
