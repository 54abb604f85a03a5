"""Why a platform could not be reached, in words an operator acts on.

``ConnectError`` says nothing to the person on call; "connection refused" (nothing listens:
is the platform up, is the port right?) and "name not resolved" (DNS, a typo in the host) say
what to check. The cause is read from the exception chain httpx keeps (socket and TLS errors).
"""

from __future__ import annotations

import errno
import socket
import ssl

import httpx

# (cause in words, what to check)
REFUSED = ("connection refused", "is the platform running and is the port in base_url right?")
UNRESOLVED = ("name not resolved", "is the host name in base_url right, and does DNS answer?")
TLS = ("TLS handshake failed", "check the platform's certificate and the CA bundle")
CONNECT_TIMEOUT = ("connect timed out", "is the host reachable from here (firewall, route)?")
READ_TIMEOUT = ("no answer in time", "the platform is slow or stuck; check it or raise timeout")
RESET = ("connection reset or closed by the platform", "check the platform and any proxy")
UNREACHABLE = ("network unreachable", "check the network route to the platform")
OTHER = ("transport error", "check the platform and the network")

_ERRNO = {
    errno.ECONNREFUSED: REFUSED,
    errno.ECONNRESET: RESET,
    errno.ENETUNREACH: UNREACHABLE,
    errno.EHOSTUNREACH: UNREACHABLE,
    errno.ETIMEDOUT: CONNECT_TIMEOUT,
}


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in found:
        found.append(cause)
        cause = cause.__cause__ or cause.__context__
    return found


def transport_reason(exc: BaseException) -> tuple[str, str]:
    """(the cause in words, what to check) for an httpx transport error."""
    chain = _chain(exc)
    for cause in chain:
        if isinstance(cause, ssl.SSLError | ssl.CertificateError):
            return TLS
        if isinstance(cause, socket.gaierror):
            return UNRESOLVED
        if isinstance(cause, OSError) and cause.errno in _ERRNO:
            return _ERRNO[cause.errno]
    if isinstance(exc, httpx.ConnectTimeout):
        return CONNECT_TIMEOUT
    if isinstance(exc, httpx.TimeoutException):
        return READ_TIMEOUT
    text = " ".join(str(cause) for cause in chain).lower()
    if "connection refused" in text:
        return REFUSED
    if "name or service not known" in text or "name resolution" in text or "nodename" in text:
        return UNRESOLVED
    if "ssl" in text or "certificate" in text:
        return TLS
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return RESET
    return OTHER


def transport_cause(exc: BaseException) -> str:
    return transport_reason(exc)[0]
