"""The web console beside the scheduler, when ``gateway run`` can serve it.

The console is optional: without the ``console`` extra, with ``console.enabled: false`` or with
its port taken (another instance on this host serves it), the service says so in one line and
runs the jobs all the same.
"""

from __future__ import annotations

from typing import Protocol

from gateway.config import GatewayConfig
from gateway.console import missing_extra
from gateway.errors import ConfigError
from gateway.logging import get_logger
from gateway.store import Store

log = get_logger("gateway.service")


class Served(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


def console_for(config: GatewayConfig, store: Store) -> Served | None:
    if not config.console.enabled:
        return None
    missing = missing_extra()
    if missing is not None:
        log.warning(f"{missing}: gateway run serves no console")
        return None
    from gateway.console.server import ConsoleThread

    try:
        return ConsoleThread(config, store)
    except ConfigError as exc:
        log.warning(f"no web console: {exc}")
        return None
