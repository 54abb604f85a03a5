"""Helpers for talking to a simulator from tests, demos and scripts.

:class:`SigningAuth` (from :mod:`gateway.testing.signing`) signs every httpx request the way
the platforms expect, so a test can call a simulator with a plain ``httpx.Client`` instead of
the gateway's retrying client.
:func:`echo_platform` is the smallest platform with the whole dialect, for testing clients.
"""

from __future__ import annotations

import orjson
from fastapi import Request

from gateway.http.signing import SignatureAlgorithm
from gateway.testing.signing import SigningAuth, signed_client
from simulators.kit.app import PlatformApp, PlatformKit, create_platform_app
from simulators.kit.auth import DEFAULT_WINDOW_SECONDS, SignatureVerifier
from simulators.kit.envelope import JSONBytes, ok
from simulators.kit.faults import FaultInjector, FaultSettings

__all__ = ["SigningAuth", "echo_platform", "signed_client"]


def echo_platform(
    app_key: str,
    secret: bytes,
    algorithm: SignatureAlgorithm = SignatureAlgorithm.HMAC_SHA256,
    faults: FaultSettings | None = None,
    *,
    window_seconds: float = DEFAULT_WINDOW_SECONDS,
) -> PlatformApp:
    """A minimal platform with the full dialect and one route, ``/api/echo`` (GET and POST),
    that answers what it received: for testing clients, retry policies and the kit itself."""
    verifier = SignatureVerifier({app_key: secret}, algorithm, window_seconds=window_seconds)
    app = create_platform_app(
        title="echo platform",
        version="1",
        description="Answers what it received.",
        kit=PlatformKit(verifier, FaultInjector(faults)),
    )

    async def echo(request: Request) -> JSONBytes:
        body = await request.body()
        return ok(
            {
                "method": request.method,
                "query": sorted(request.query_params.multi_items()),
                "body": orjson.loads(body) if body else None,
            }
        )

    for method in ("GET", "POST"):
        app.add_api_route(
            "/api/echo",
            echo,
            methods=[method],
            response_class=JSONBytes,
            operation_id=f"echo_{method.lower()}",
        )
    return app
