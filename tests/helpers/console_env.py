"""A demo directory with two console accounts and the console served on a free loopback port,
shared by the console tests (one demo per test session)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from stdnum.iso7064 import mod_11_2

from gateway.config import GatewayConfig, load_config
from gateway.store import Store
from gateway.store.keyring import data_sealer
from gateway.store.records import iter_payloads
from simulators.demo.config import free_port
from tests.helpers.gateway_cli import gateway_env as _environment
from tests.helpers.leaks import ID_RE
from tests.helpers.leaks import gateway_in as _gateway

DEMO_SIZE = 2000
USERS = {"alice": ("auditor", "alice-password-1"), "bob": ("operator", "bob-password-1")}


@dataclass
class ConsoleDemo:
    directory: Path
    config: GatewayConfig
    store: Store
    url: str
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, user: str | None = None) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=60)
        self.clients.append(client)
        if user is not None:
            answer = client.post(
                "/login", data={"user": user, "password": USERS[user][1]}, follow_redirects=False
            )
            assert answer.status_code == 303, answer.text
        return client


@contextmanager
def stop_when_done(server: Any) -> Iterator[None]:
    """A uvicorn server on a thread while the block runs."""
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def console_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleDemo]:
    """`gateway demo`, then `gateway users add` for an auditor and an operator (password on
    standard input), then the console on 127.0.0.1."""
    base = tmp_path_factory.mktemp("console")
    directory = base / "demo"
    demo = _gateway(["demo", "--dir", str(directory), "--size", str(DEMO_SIZE)], base,
                    _environment())  # fmt: skip
    assert demo.returncode == 0, demo.stderr[-2000:]
    env = _environment(directory / "gateway.yaml")
    for name, (role, password) in USERS.items():
        added = _gateway(["users", "add", name, "--role", role], directory, env, password + "\n")
        assert added.returncode == 0, added.stderr
    config = load_config(directory / "gateway.yaml")
    store = Store(config.store_url, sealer=data_sealer(config))
    from gateway.console.server import server_for

    port = free_port()
    try:
        with stop_when_done(server_for(config, store, "127.0.0.1", port)):
            yield ConsoleDemo(directory, config, store, f"http://127.0.0.1:{port}")
    finally:
        store.close()


@pytest.fixture
def console_demo(console_session: ConsoleDemo) -> Iterator[ConsoleDemo]:
    """The session's console; the HTTP clients a test opened are closed after it."""
    yield console_session
    while console_session.clients:
        console_session.clients.pop().close()


def demo_people(demo: ConsoleDemo) -> list[str]:
    """The demo's stored persons' ID numbers (valid ones only), to trace."""
    with demo.store.connect() as conn:
        keys = [key for key, _payload in iter_payloads(conn, "person")]
    return sorted(k for k in keys if ID_RE.fullmatch(k) and mod_11_2.is_valid(k.upper()))
