"""Serving an ASGI app (a simulator) on 127.0.0.1 in a background thread, for tests.

uvicorn comes with the gateway's ``[sim]`` extra; it is imported only when a server starts, so
the runtime never needs it. The socket is bound before uvicorn starts, so port 0 works and the
URL is known up front. Access logs stay off: request lines carry cursors, and a cursor holds
an ID number.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

from gateway.errors import ConfigError, GatewayError

if TYPE_CHECKING:
    import uvicorn

__all__ = ["UVICORN_OPTIONS", "RunningServer", "bind", "run_in_thread", "url_of"]

# uvicorn's lifespan, access log and graceful wait are not needed by a simulator; a request
# sleeping on a timeout fault must not hold up a test's teardown. uvicorn's own logging config
# would give its loggers private handlers and bypass the gateway's masking processors.
UVICORN_OPTIONS: dict[str, Any] = {
    "lifespan": "off",
    "access_log": False,
    "log_level": "warning",
    "timeout_graceful_shutdown": 1,
    "log_config": None,
}


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: without it an answer's second write waits for the
    # client's delayed ACK, 40 ms a request on a kept-alive connection.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(512)
    except OSError as exc:
        sock.close()
        raise GatewayError("cannot listen", host=host, port=port, error=exc.strerror) from exc
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _uvicorn() -> Any:
    try:
        import uvicorn
    except ImportError:
        raise ConfigError(
            "serving a simulator needs uvicorn: install the gateway's [sim] extra"
        ) from None
    return uvicorn


class RunningServer:
    """An app serving in a background thread; stop it, or use it as a context manager."""

    def __init__(self, server: uvicorn.Server, sock: socket.socket) -> None:
        self._server = server
        self._socket = sock
        self.url = url_of(sock)
        self.host: str = sock.getsockname()[0]
        self.port: int = sock.getsockname()[1]
        self._thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name=f"simulator:{self.port}",
            daemon=True,
        )

    def _start(self, timeout: float) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise GatewayError("simulator did not start", url=self.url)
            time.sleep(0.005)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and wait for the thread (forcing it after ``timeout`` seconds)."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_in_thread(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, startup_timeout: float = 10.0
) -> RunningServer:
    """Serve ``app`` in a daemon thread; returns once the server accepts connections."""
    uvicorn = _uvicorn()
    sock = bind(host, port)
    server = uvicorn.Server(uvicorn.Config(app, **UVICORN_OPTIONS))
    running = RunningServer(server, sock)
    running._start(startup_timeout)
    return running
