"""Serving the console with uvicorn: in the foreground (``gateway console``) or on a thread
beside the scheduler (``gateway run``)."""

from __future__ import annotations

import socket
import threading

import uvicorn

from gateway.config import GatewayConfig
from gateway.console.app import build_app
from gateway.errors import ConfigError
from gateway.logging import get_logger
from gateway.store import Store

log = get_logger("gateway.console")


def server_for(
    config: GatewayConfig, store: Store, host: str | None = None, port: int | None = None
) -> uvicorn.Server:
    settings = config.console
    app = build_app(config, store)
    return uvicorn.Server(
        uvicorn.Config(
            app,
            host=host or settings.host,
            port=settings.port if port is None else port,
            # A request line never carries personal data (trace values are POSTed), but the
            # service's own log says what matters: sign-ins, refusals and traces.
            access_log=False,
            log_config=None,
            proxy_headers=True,
            forwarded_allow_ips=settings.trusted_proxies,
            server_header=False,
        )
    )


def _listening(server: uvicorn.Server) -> str:
    config = server.config
    return f"http://{config.host}:{config.port}/"


def check_port(host: str, port: int) -> None:
    """A port already taken is one line, before anything starts."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                "cannot listen for the web console (console.host, console.port)",
                address=f"{host}:{port}",
                reason=exc.strerror,
            ) from None


class ConsoleThread:
    """The console on a daemon thread, stopped with the service."""

    def __init__(self, config: GatewayConfig, store: Store) -> None:
        check_port(config.console.host, config.console.port)
        self.server = server_for(config, store)
        self._thread = threading.Thread(target=self.server.run, name="console-http", daemon=True)

    @property
    def url(self) -> str:
        return _listening(self.server)

    def start(self) -> None:
        self._thread.start()
        log.info("web console listening", url=self.url)

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=5)
