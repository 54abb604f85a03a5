"""Signature verification of the simulator kit: in memory, and over a real socket."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import orjson
import pytest

from gateway.http.signing import (
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    SignatureAlgorithm,
    hmac_hex,
    sign_headers,
    string_to_sign,
)
from simulators.kit import (
    Code,
    NonceMemory,
    RunningServer,
    SignatureVerifier,
    echo_platform,
    run_in_thread,
)

KEY = "bureau"
SECRET = b"test-secret-value"
SM3_KEY = "bureau-sm3"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    """An echo platform signing with HMAC-SHA256, on a real socket."""
    with run_in_thread(echo_platform(KEY, SECRET)) as running:
        yield running


@pytest.fixture(scope="module")
def sm3_server() -> Iterator[RunningServer]:
    """An echo platform signing with HMAC-SM3, on a real socket."""
    with run_in_thread(echo_platform(SM3_KEY, SECRET, SignatureAlgorithm.HMAC_SM3)) as running:
        yield running


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One client for the module: building an httpx client (and its TLS context) is slow."""
    with httpx.Client(timeout=5) as client:
        yield client


def _send(
    http: httpx.Client,
    base: str,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    body: bytes,
    headers: dict[str, str],
) -> httpx.Response:
    return http.request(
        method, base + path, params=tuple(query), content=body or None, headers=headers
    )


def _signed(
    algorithm: SignatureAlgorithm,
    key: str,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    body: bytes = b"",
) -> dict[str, str]:
    return sign_headers(algorithm, key, SECRET, method, path, query, body)


def _code(response: httpx.Response) -> str:
    return str(orjson.loads(response.content)["code"])


def test_signed_get_with_query_is_accepted(http: httpx.Client, server: RunningServer) -> None:
    """A correctly signed GET with a query (spaces, commas, non-ASCII) is answered with code 0."""
    query = [("updated_since", "2025-01-01 00:00:00"), ("keys", "a,b"), ("name", "张三")]
    headers = _signed(SignatureAlgorithm.HMAC_SHA256, KEY, "GET", "/api/echo", query)
    response = _send(http, server.url, "GET", "/api/echo", query, b"", headers)
    assert response.status_code == 200
    envelope = response.json()
    assert envelope["code"] == "0"
    assert envelope["msg"] == "ok"
    assert envelope["requestId"]
    assert envelope["data"]["query"] == sorted([list(pair) for pair in query])


def test_signed_post_body_is_accepted(http: httpx.Client, server: RunningServer) -> None:
    """A signed POST reaches the route with its body intact."""
    body = orjson.dumps({"items": [1, 2, 3]})
    headers = _signed(SignatureAlgorithm.HMAC_SHA256, KEY, "POST", "/api/echo", [], body)
    response = _send(http, server.url, "POST", "/api/echo", [], body, headers)
    assert response.status_code == 200
    assert response.json()["data"]["body"] == {"items": [1, 2, 3]}


def test_bad_signature_is_refused(http: httpx.Client, server: RunningServer) -> None:
    """A signature over different content is answered 401 AUTH_FAILED."""
    body = orjson.dumps({"items": [1]})
    headers = _signed(SignatureAlgorithm.HMAC_SHA256, KEY, "POST", "/api/echo", [], body)
    response = _send(
        http, server.url, "POST", "/api/echo", [], orjson.dumps({"items": [2]}), headers
    )
    assert response.status_code == 401
    assert _code(response) == Code.AUTH_FAILED
    assert response.json()["data"] is None


def test_unknown_app_key_is_refused(http: httpx.Client, server: RunningServer) -> None:
    """An app key the platform did not issue is answered 401 AUTH_FAILED."""
    headers = _signed(SignatureAlgorithm.HMAC_SHA256, "stranger", "GET", "/api/echo", [])
    response = _send(http, server.url, "GET", "/api/echo", [], b"", headers)
    assert (response.status_code, _code(response)) == (401, Code.AUTH_FAILED)


def test_missing_headers_are_refused(http: httpx.Client, server: RunningServer) -> None:
    """A request without signing headers is answered 401 AUTH_FAILED."""
    response = http.get(server.url + "/api/echo")
    assert (response.status_code, _code(response)) == (401, Code.AUTH_FAILED)


def test_stale_timestamp_is_refused(http: httpx.Client, server: RunningServer) -> None:
    """A correctly signed request with a timestamp 10 minutes old is STALE_TIMESTAMP."""
    stamp = str(int((time.time() - 600) * 1000))
    nonce = "stale-nonce-1"
    signature = hmac_hex(
        SignatureAlgorithm.HMAC_SHA256,
        SECRET,
        string_to_sign("GET", "/api/echo", [], stamp, nonce, b""),
    )
    headers = {
        "X-App-Key": KEY,
        HEADER_TIMESTAMP: stamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature,
    }
    response = _send(http, server.url, "GET", "/api/echo", [], b"", headers)
    assert (response.status_code, _code(response)) == (401, Code.STALE_TIMESTAMP)


def test_future_timestamp_is_refused(http: httpx.Client, server: RunningServer) -> None:
    """A timestamp 10 minutes ahead of the server's clock is STALE_TIMESTAMP too."""
    stamp = str(int((time.time() + 600) * 1000))
    signature = hmac_hex(
        SignatureAlgorithm.HMAC_SHA256,
        SECRET,
        string_to_sign("GET", "/api/echo", [], stamp, "future-nonce", b""),
    )
    headers = {
        "X-App-Key": KEY,
        HEADER_TIMESTAMP: stamp,
        HEADER_NONCE: "future-nonce",
        HEADER_SIGNATURE: signature,
    }
    response = _send(http, server.url, "GET", "/api/echo", [], b"", headers)
    assert (response.status_code, _code(response)) == (401, Code.STALE_TIMESTAMP)


def test_reused_nonce_is_refused(http: httpx.Client, server: RunningServer) -> None:
    """The same signed request sent twice: the second is NONCE_REUSED."""
    headers = _signed(SignatureAlgorithm.HMAC_SHA256, KEY, "GET", "/api/echo", [])
    first = _send(http, server.url, "GET", "/api/echo", [], b"", headers)
    second = _send(http, server.url, "GET", "/api/echo", [], b"", headers)
    assert first.status_code == 200
    assert (second.status_code, _code(second)) == (401, Code.NONCE_REUSED)


def test_sm3_platform_accepts_sm3_and_refuses_sha256(
    http: httpx.Client, sm3_server: RunningServer
) -> None:
    """A platform configured for HMAC-SM3 accepts SM3 signatures only."""
    good = _signed(SignatureAlgorithm.HMAC_SM3, SM3_KEY, "GET", "/api/echo", [])
    wrong = _signed(SignatureAlgorithm.HMAC_SHA256, SM3_KEY, "GET", "/api/echo", [])
    assert _send(http, sm3_server.url, "GET", "/api/echo", [], b"", good).status_code == 200
    refused = _send(http, sm3_server.url, "GET", "/api/echo", [], b"", wrong)
    assert (refused.status_code, _code(refused)) == (401, Code.AUTH_FAILED)


def test_harness_routes_need_no_signature(http: httpx.Client, server: RunningServer) -> None:
    """/_sim/ routes and the OpenAPI document answer without signing headers."""
    assert http.get(server.url + "/_sim/stats").status_code == 200
    assert http.get(server.url + "/_sim/faults").status_code == 200
    assert http.get(server.url + "/openapi.json").status_code == 200


def test_refusals_are_counted(http: httpx.Client, server: RunningServer) -> None:
    """Refused requests appear in /_sim/stats by their code."""
    before = http.get(server.url + "/_sim/stats").json()
    http.get(server.url + "/api/echo")
    after = http.get(server.url + "/_sim/stats").json()
    assert after["refused_auth_failed"] == before.get("refused_auth_failed", 0) + 1
    assert after["requests"] == before["requests"] + 1


def test_verifier_checks_in_order_with_a_fixed_clock() -> None:
    """Signature first, then timestamp window, then nonce; the window is configurable."""
    clock = [1_700_000_000.0 - 3_600]  # started an hour ago
    verifier = SignatureVerifier({KEY: SECRET}, window_seconds=60, clock=lambda: clock[0])
    now = clock[0] = 1_700_000_000.0

    def headers(stamp_ms: int, nonce: str, secret: bytes = SECRET) -> dict[str, str]:
        message = string_to_sign("GET", "/api/x", [], str(stamp_ms), nonce, b"")
        return {
            "x-app-key": KEY,
            "x-timestamp": str(stamp_ms),
            "x-nonce": nonce,
            "x-signature": hmac_hex(SignatureAlgorithm.HMAC_SHA256, secret, message),
        }

    fresh = int(now * 1000) - 59_000
    assert verifier.check("GET", "/api/x", [], headers(fresh, "n1"), b"") is None
    stale = verifier.check("GET", "/api/x", [], headers(fresh - 2_000, "n2"), b"")
    assert stale is not None
    assert stale.code == Code.STALE_TIMESTAMP
    forged = verifier.check("GET", "/api/x", [], headers(fresh - 2_000, "n3", b"x"), b"")
    assert forged is not None
    assert forged.code == Code.AUTH_FAILED
    reused = verifier.check("GET", "/api/x", [], headers(fresh, "n1"), b"")
    assert reused is not None
    assert reused.code == Code.NONCE_REUSED


def test_nonce_memory_forgets_after_the_window() -> None:
    """A nonce is refused within the window and accepted again after it."""
    memory = NonceMemory(window_seconds=10, capacity=100)
    assert memory.remember("a", now=0.0)
    assert not memory.remember("a", now=9.0)
    assert memory.remember("a", now=10.5)


def test_nonce_memory_is_bounded() -> None:
    """The memory never holds more than its capacity; the oldest nonce goes first."""
    memory = NonceMemory(window_seconds=1_000, capacity=3)
    for n in range(10):
        assert memory.remember(f"n{n}", now=float(n))
    assert len(memory) == 3
    assert not memory.remember("n9", now=10.0)
    assert memory.remember("n0", now=10.0)


def _signed_at(stamp_ms: int, nonce: str, signature: str | None = None) -> dict[str, str]:
    message = string_to_sign("GET", "/api/x", [], str(stamp_ms), nonce, b"")
    return {
        "x-app-key": KEY,
        "x-timestamp": str(stamp_ms),
        "x-nonce": nonce,
        "x-signature": signature or hmac_hex(SignatureAlgorithm.HMAC_SHA256, SECRET, message),
    }


@pytest.mark.parametrize(
    "signature",
    [
        "é" * 64,  # not ASCII (an ASGI server hands headers over as Latin-1 text)
        "ab" * 31,  # 62 digits: the wrong length
        "zz" * 32,  # 64 characters, not hex
        "",  # missing
    ],
)
def test_contract_a_malformed_signature_is_401_auth_failed(
    http: httpx.Client, server: RunningServer, signature: str
) -> None:
    """Contract: a signature header of the wrong shape is 401 AUTH_FAILED, never a 500."""
    stamp = int(time.time() * 1000)
    headers = _signed_at(stamp, f"bad-{len(signature)}-{signature[:1]}", signature or None)
    if not signature:
        del headers["x-signature"]
    raw = {k: v.encode("latin-1") for k, v in headers.items()}
    answer = http.get(server.url + "/api/echo", headers=raw)
    assert answer.status_code == 401
    assert answer.json()["code"] == Code.AUTH_FAILED


def test_contract_a_request_signed_before_a_restart_is_stale() -> None:
    """Contract: nonces are not kept across a restart, so the window starts at the start.

    A request captured and replayed within the window after the platform restarted is
    refused STALE_TIMESTAMP (its nonce would otherwise pass: the new process never saw it);
    the same request signed after the start passes once, then its replay is NONCE_REUSED.
    """
    before_restart = 1_700_000_000.0
    clock = [before_restart + 30]  # restarted 30 s after the request was signed
    restarted = SignatureVerifier({KEY: SECRET}, window_seconds=300, clock=lambda: clock[0])
    clock[0] += 10
    captured = _signed_at(int(before_restart * 1000), "captured")
    replay = restarted.check("GET", "/api/x", [], captured, b"")
    assert replay is not None
    assert (replay.status, replay.code) == (401, Code.STALE_TIMESTAMP)
    fresh = _signed_at(int(clock[0] * 1000), "fresh")
    assert restarted.check("GET", "/api/x", [], fresh, b"") is None
    again = restarted.check("GET", "/api/x", [], fresh, b"")
    assert again is not None
    assert (again.status, again.code) == (401, Code.NONCE_REUSED)
