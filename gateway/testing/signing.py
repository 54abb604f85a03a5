"""A plain ``httpx.Client`` that signs like the gateway, for calling a platform or its
simulator from tests and scripts without the retrying client."""

from __future__ import annotations

from collections.abc import Generator

import httpx

from gateway.http.signing import SignatureAlgorithm, sign_headers

__all__ = ["SigningAuth", "signed_client"]


class SigningAuth(httpx.Auth):
    """httpx authentication that adds the four signing headers to each request."""

    requires_request_body = True

    def __init__(
        self,
        app_key: str,
        secret: bytes,
        algorithm: SignatureAlgorithm = SignatureAlgorithm.HMAC_SHA256,
    ) -> None:
        self.app_key = app_key
        self.secret = secret
        self.algorithm = algorithm

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(
            sign_headers(
                self.algorithm,
                self.app_key,
                self.secret,
                request.method,
                request.url.path,
                request.url.params.multi_items(),
                request.content,
            )
        )
        yield request


def signed_client(
    base_url: str,
    app_key: str,
    secret: bytes,
    algorithm: SignatureAlgorithm = SignatureAlgorithm.HMAC_SHA256,
    *,
    timeout: float = 10.0,
) -> httpx.Client:
    """An ``httpx.Client`` for ``base_url`` that signs every request."""
    return httpx.Client(
        base_url=base_url, auth=SigningAuth(app_key, secret, algorithm), timeout=timeout
    )
