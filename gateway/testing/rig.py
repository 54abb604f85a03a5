"""One HTTP stream against its simulator, as the contract checks see a platform.

The simulator is the caller's: a factory ``build_app(settings)`` answering an ASGI app (what an
adapter package registers in the ``gateway.simulators`` entry-point group). It is served on
127.0.0.1 (a free port) behind a :class:`~gateway.testing.gate.FaultGate`.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from gateway.adapter import Adapter, OutgoingRecord, PullStream, PushStream, StreamContext
from gateway.errors import ConfigError
from gateway.http.signing import SignatureAlgorithm
from gateway.http.streams import IncrementalPullStream
from gateway.testing.context import TEST_APP_KEY, platform_config, stream_context
from gateway.testing.gate import Fault, FaultGate, Served
from gateway.testing.serving import RunningServer, run_in_thread
from gateway.testing.signing import signed_client

__all__ = [
    "HELD_FOR",
    "READ_TIMEOUT",
    "SHORT_READ_TIMEOUT",
    "HttpRig",
    "Payload",
    "SimulatedPlatform",
    "unknown_shape",
]

# A context's read timeout: long, so a loaded machine times nothing out by accident; short
# where a check meets a timeout on purpose, the gate holding that request past it.
READ_TIMEOUT = 5.0
SHORT_READ_TIMEOUT = 0.2
HELD_FOR = 0.5

# What a push stream sends: from the records its platform lists (``SimulatedPlatform.known``)
# and the record's number, one payload as the push mapping would shape it.
Payload = Callable[[list[dict[str, Any]], int], dict[str, Any]]


def unknown_shape(known: list[dict[str, Any]], n: int) -> dict[str, Any]:
    """A record of no known shape, which a platform rejects one by one."""
    return {"contractRecord": n}


@dataclass(frozen=True)
class SimulatedPlatform:
    """How an adapter's simulator is started for the contract checks: small, quick to start.

    ``app``: the simulator factory, given ``settings`` plus ``app_key``, ``secret`` and
    ``algorithm``; ``setup``: called once it serves, with a client signing like the gateway
    (to fill what pushes refer to); ``known``: per push stream, a list route and a page size
    whose items the stream's payloads name."""

    app: Callable[[Mapping[str, Any]], Any]
    settings: Mapping[str, Any] = field(default_factory=dict)
    signature: str = "hmac-sha256"
    setup: Callable[[httpx.Client], None] | None = None
    known: Mapping[str, tuple[str, int]] = field(default_factory=dict)


@dataclass
class HttpRig:
    """One stream against its own simulator (pushes change what a platform serves)."""

    adapter: Adapter
    stream: PullStream | PushStream
    platform: SimulatedPlatform
    base_dir: Path
    payload: Payload = unknown_shape
    # The key of a record a pull read, when the stream is no IncrementalPullStream.
    key_of: Callable[[Mapping[str, Any]], str] | None = None
    label: str = ""
    _server: RunningServer | None = None
    _gate: FaultGate | None = None
    known: list[dict[str, Any]] = field(default_factory=list)
    _sent: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.label = f"{self.adapter.name}.{self.stream.name}"

    @property
    def secret(self) -> str:
        return f"contract-secret-{self.adapter.name}"

    def start(self) -> RunningServer:
        """Serve the simulator; the caller stops the server it answers."""
        assert self._server is None
        app = self.platform.app(
            {
                **self.platform.settings,
                "app_key": TEST_APP_KEY,
                "secret": self.secret,
                "algorithm": self.platform.signature,
            }
        )
        self._gate = FaultGate(app, delay=HELD_FOR)
        self._server = server = run_in_thread(self._gate)
        try:
            self._fill()
        except BaseException:
            server.stop()
            raise
        return server

    def _fill(self) -> None:
        if self.platform.setup is not None:
            with self.client() as client:
                self.platform.setup(client)
        known = self.platform.known.get(self.stream.name)
        if known is not None:
            path, size = known
            with self.client() as client:
                response = client.get(path, params={"page_size": size})
            self.known = response.raise_for_status().json()["data"]["items"]

    def client(self) -> httpx.Client:
        assert self._server is not None
        algorithm = SignatureAlgorithm(self.platform.signature)
        return signed_client(self._server.url, TEST_APP_KEY, self.secret.encode(), algorithm)

    def context(self, *, timing_out: bool = False, **options: Any) -> StreamContext:
        assert self._server is not None
        read = SHORT_READ_TIMEOUT if timing_out else READ_TIMEOUT
        config = platform_config(
            self.adapter.name, self._server.url, signature=self.platform.signature,
            read_timeout=read,
        )  # fmt: skip
        return stream_context(
            self.adapter.name, platform=config, options=options, secret=self.secret,
            job=f"contract-{self.label}", base_dir=str(self.base_dir),
        )  # fmt: skip

    def prepare(self) -> None:
        """A simulator's pull lists do not change while the checks read them."""

    def record_key(self, raw: Mapping[str, Any]) -> str:
        if self.key_of is not None:
            return self.key_of(raw)
        if isinstance(self.stream, IncrementalPullStream):
            return str(self.stream.record_key(raw))
        raise AssertionError(f"{self.label}: say how a record's key is read (key_of)")

    def platform_keys(self) -> list[str] | None:
        """The list route in one page as large as the platform allows, by a plain client."""
        stream = self.stream
        if not isinstance(stream, IncrementalPullStream):
            return None
        with self.client() as client:
            response = client.get(stream.path, params={"page_size": stream.max_page_size})
        data = response.raise_for_status().json()["data"]
        if data.get("has_more"):
            # Checked whatever the interpreter's flags: a short list would read as keys skipped.
            raise ConfigError(
                "the simulated population outgrew one page: give the simulator fewer records",
                stream=self.label, page_size=stream.max_page_size,
            )  # fmt: skip
        return [str(item[stream.key_field]) for item in data["items"]]

    def outgoing(self, count: int) -> list[OutgoingRecord]:
        batch = []
        for _ in range(count):
            n = next(self._sent)
            key = f"{self.label}-{n}-{uuid.uuid4().hex[:8]}"
            batch.append(OutgoingRecord(f"key-{n}", key, self.payload(self.known, n)))
        return batch

    def served(self) -> list[Served]:
        assert self._gate is not None
        return self._gate.served()

    def script(self, *faults: Fault) -> None:
        assert self._gate is not None
        self._gate.script(*faults)
