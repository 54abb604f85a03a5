"""The service network's client side: SM3 signing, fault-tolerant case pulls, batched pushes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from sqlalchemy import func, select

from adapters.service_network import ServiceNetworkAdapter
from adapters.service_network.streams import CasesStream, ItemsStream
from gateway.adapter import (
    ExchangeRecorder,
    OutgoingRecord,
    PushStatus,
    StreamContext,
    discover_adapters,
)
from gateway.config import PlatformConfig
from gateway.errors import AuthError, StoreError
from gateway.http.signing import SignatureAlgorithm, hmac_hex
from gateway.store import schema
from simulators.kit import RunningServer, run_in_thread
from simulators.service_network.simulator import build_app
from tests.helpers.service_network_env import service_network_env

SECRET_ENV = "SN_STREAMS_TEST_SECRET"
SECRET = "streams-test-secret"
FAST_RETRIES = {"initial_backoff": 0.01, "max_backoff": 0.05, "jitter": 0.01}


@pytest.fixture
def server() -> Iterator[RunningServer]:
    """A small simulator that expects HMAC-SM3 from app key 'bureau-test'."""
    app = build_app({"app_key": "bureau-test", "secret": SECRET, "cases": 30, "seed": 5})
    with run_in_thread(app) as running:
        yield running


def context(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch, signature: str = "hmac-sm3"
) -> StreamContext:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    platform = PlatformConfig.model_validate(
        {
            "adapter": "service_network",
            "base_url": server.url,
            "app_key": "bureau-test",
            "app_secret": f"env:{SECRET_ENV}",
            "signature": signature,
            "retry": FAST_RETRIES,
        }
    )
    return StreamContext("test", "run-1", "service_network", platform, {}, ExchangeRecorder())


def test_the_adapter_is_installed_under_its_entry_point() -> None:
    """The gateway.adapters entry point 'service_network' is this adapter, with its report; the
    demo's handling stand-in is an adapter of its own."""
    installed = discover_adapters()
    found = installed.get("service_network")
    assert isinstance(found, ServiceNetworkAdapter)
    assert set(found.reports()) == {"cases", "catalogue"}
    assert set(found.pull_streams()) == {"cases"}
    assert set(found.push_streams()) == {"items", "case_events", "justice_notice"}
    assert set(installed["bureau_handling"].pull_streams()) == {"handling"}


def test_sm3_matches_the_gb_t_32905_example() -> None:
    """SM3("abc") is the standard's example digest."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"abc")
    assert digest.finalize().hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


def test_hmac_sm3_matches_the_gm_t_0042_example() -> None:
    """HMAC-SM3 as the signing code computes it equals GM/T 0042-2015 appendix D.3, case 1."""
    message = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq" * 2
    key = bytes(range(1, 33))
    assert hmac_hex(SignatureAlgorithm.HMAC_SM3, key, message) == (
        "ca05e144ed05d1857840d1f318a4a8669e559fc8391f414485bfdf7bb408963a"
    )


def test_a_gateway_signing_with_sha256_is_refused_once(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A platform misconfigured as hmac-sha256 fails with AuthError, without retrying."""
    ctx = context(server, monkeypatch, signature="hmac-sha256")
    with pytest.raises(AuthError):
        next(iter(CasesStream().read(ctx, None)))
    assert [e.http_status for e in ctx.exchanges.drain()] == [401]


def test_an_unknown_cursor_version_is_refused(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cursor written by another format version is not guessed at."""
    with pytest.raises(StoreError, match="format version"):
        next(iter(CasesStream().read(context(server, monkeypatch), {"v": 99})))


def test_a_push_over_the_platform_limit_is_split(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """600 catalogue entries go out as 500 + 100, each answered; lookup finds them afterwards."""
    ctx = context(server, monkeypatch)
    batch = [
        OutgoingRecord(
            f"GG{n:08d}",
            f"key-{n}",
            {
                "itemCode": f"GG{n:08d}",
                "itemName": f"事项{n}",
                "itemType": "GG",
                "implementer": "州社会保险事业局",
                "legalBasis": "《中华人民共和国社会保险法》",
                "statutoryLimit": "15",
                "promisedLimit": "0.5",
                "onlineDepth": "4",
                "crossProvince": "0",
            },
        )
        for n in range(600)
    ]
    stream = ItemsStream()
    try:
        outcomes = stream.send(ctx, batch)
        found = stream.lookup(ctx, ["key-0", "key-599", "key-unknown"])
    finally:
        stream.close(ctx)
    assert len(outcomes) == 600
    assert all(o.status is PushStatus.ACCEPTED and o.receipt for o in outcomes)
    assert [e.record_count for e in ctx.exchanges.drain() if e.operation == "items.submit"] == [
        500,
        100,
    ]
    assert found is not None
    assert sorted(o.idempotency_key for o in found) == ["key-0", "key-599"]


def test_cases_pull_through_faults_stores_each_case_once(tmp_path: Path) -> None:
    """Through 500s, busy, 429s, cut bodies and repeats every case is stored exactly once."""
    faults: dict[str, Any] = {
        "seed": 3,
        "error_rate": 0.15,
        "busy_rate": 0.15,
        "rate_429_every": 5,
        "retry_after_seconds": 0,
        "truncated_rate": 0.15,
        "duplicate_rate": 0.5,
    }
    with service_network_env(
        tmp_path,
        platform={"retry": {**FAST_RETRIES, "max_attempts": 20}},
        jobs={"sn-cases": {"batch_size": 40}},
        cases=300,
        faults=faults,
    ) as env:
        summary = env.run("sn-cases")
        with env.store.connect() as conn:
            stored = conn.execute(
                select(func.count())
                .select_from(schema.records)
                .where(schema.records.c.entity == "service_case")
            ).scalar_one()
    assert summary.status == "succeeded"
    assert (summary.inserted, summary.rejected, stored) == (300, 0, 300)
    assert summary.retried > 0
    assert summary.unchanged > 0
