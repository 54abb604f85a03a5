"""``/healthz``, ``/readyz`` and ``/metrics`` over HTTP, on ``service.host:metrics_port``.

The host is loopback unless configured otherwise: the endpoints need no credentials, so they
are exposed to a scraper on purpose (a reverse proxy, or a host firewall rule), never by default.

- ``/healthz`` (liveness): the process answers and its scheduler thread runs; 200 also while a
  graceful stop is under way, so nothing kills the process before its last batch commits.
- ``/readyz`` (readiness): the store answers, its schema is at this release's version, and the
  service is not stopping; 503 with the reason otherwise.
- ``/metrics``: the Prometheus text format of the service's own registry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from gateway.errors import ConfigError
from gateway.logging import get_logger

log = get_logger("gateway.service.health")

# A check answers (ok, reason); the reason is shown to whoever asks, so it names no secret.
Check = Callable[[], tuple[bool, str]]


class HealthServer:
    """A small threaded HTTP server for probes and the Prometheus scraper."""

    def __init__(
        self, host: str, port: int, *, registry: CollectorRegistry, alive: Check, ready: Check
    ) -> None:
        self.registry = registry
        self.alive = alive
        self.ready = ready
        try:
            self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        except OSError as exc:
            raise ConfigError(
                "cannot listen for health and metrics (service.host, service.metrics_port)",
                address=f"{host}:{port}",
                reason=exc.strerror,
            ) from None
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health-http", daemon=True
        )
        self._thread.start()
        host, port = self.address
        log.info("health and metrics endpoints listening", url=f"http://{host}:{port}/metrics")

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() waits for a serve loop, so only if one runs
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def respond(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of ``path``."""
        route = path.split("?", 1)[0]
        if route == "/metrics":
            return HTTPStatus.OK, CONTENT_TYPE_LATEST, generate_latest(self.registry)
        checks = {"/healthz": self.alive, "/readyz": self.ready}
        if route not in checks:
            return HTTPStatus.NOT_FOUND, "application/json", b'{"status":"not found"}'
        ok, reason = checks[route]()
        body = orjson.dumps({"status": "ok" if ok else "unavailable", "detail": reason})
        return (HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE), "application/json", body


def _handler_for(server: HealthServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the name http.server dispatches GET requests to
            try:
                status, content_type, body = server.respond(self.path)
            except Exception as exc:
                # A probe or a scrape gets an answer even when building it failed.
                log.exception("health endpoint failed", path=self.path.split("?", 1)[0])
                status, content_type = HTTPStatus.INTERNAL_SERVER_ERROR, "application/json"
                body = orjson.dumps({"status": "error", "detail": type(exc).__name__})
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            # Scrapes every few seconds would drown the log; errors still go through log_error.
            return

        def log_error(self, format: str, *args: Any) -> None:
            log.warning("health endpoint error", detail=format % args)

    return Handler
