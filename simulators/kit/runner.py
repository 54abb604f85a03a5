"""Running a simulator: in a background thread (tests, demo; :mod:`gateway.testing.serving`,
which adapter packages' tests use too) or as the main program."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from gateway.testing.serving import UVICORN_OPTIONS, RunningServer, bind, run_in_thread, url_of

__all__ = ["RunningServer", "bind", "run_in_thread", "serve", "url_of"]


def serve(app: Any, sock: socket.socket, on_ready: Callable[[str], None]) -> None:
    """Serve ``app`` on ``sock`` in this (main) thread until SIGINT or SIGTERM.

    ``on_ready`` receives the URL once the server accepts connections.
    """
    server = uvicorn.Server(uvicorn.Config(app, **UVICORN_OPTIONS))

    async def main() -> None:
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.005)
        if server.started:
            on_ready(url_of(sock))
        await serving

    asyncio.run(main())
