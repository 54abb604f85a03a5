"""/healthz, /readyz and /metrics as a probe and a Prometheus scraper see them."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from gateway.adapter import Direction, Exchange
from gateway.cli.root import app
from gateway.config import GatewayConfig, parse_config
from gateway.errors import ConfigError
from gateway.mapping.result import FieldIssue
from gateway.service import LeaseManager, Service, ServiceMetrics
from gateway.service.health import HealthServer
from gateway.store import Store, schema
from gateway.store.dlq import DeadLetter, add_dead_letters


def config_for(tmp_path: Path, store: Store) -> GatewayConfig:
    return parse_config(
        {
            "store": {"url": store.url},
            "logging": {"file": None},
            "service": {"metrics_port": 0, "grace_seconds": 5},
            "platforms": {"labor_force": {"adapter": "labor_force"}, "inbox": {"adapter": "files"}},
            "jobs": {
                "persons": {"source": "labor_force.persons", "target": "store", "mapping": "m"},
                "loads": {"source": "inbox.things", "target": "store", "mapping": "m"},
            },
        },
        "test",
        tmp_path,
    )


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page, by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


class Outcome:
    status = "succeeded"
    seconds = 42.0
    inserted, updated, unchanged, rejected, retried = 7, 2, 5, 1, 3


def test_metrics_page_parses_and_counts(sqlite_store: Store, tmp_path: Path) -> None:
    """Counters from runs and HTTP calls, and store-wide gauges, in Prometheus' text format."""
    metrics = ServiceMetrics(
        sqlite_store, ["persons", "loads"], ["labor_force", "inbox"], "host-a:1"
    )
    meter = metrics.meter("persons")
    meter({"inserted": 5, "unchanged": 5, "retried": 1})  # a batch committed mid-run
    meter.finished(Outcome())
    for status in (200, 200, 503):
        metrics.observe_exchange(
            Exchange("labor_force", Direction.PULL, "persons.list", "GET /", http_status=status)
        )
    metrics.observe_exchange(
        Exchange("labor_force", Direction.PULL, "persons.list", "GET /", error="timeout")
    )
    run_id = sqlite_store.start_run("persons", "host-a:1", None)
    with sqlite_store.transaction() as conn:
        sqlite_store.finish_run(conn, run_id, "succeeded", None)
        letters = [
            DeadLetter("labor_force:persons", {"x": n}, [FieldIssue("AAC002", "check_digit")])
            for n in (1, 2)
        ]
        add_dead_letters(conn, "persons", run_id, "person", letters)
        conn.execute(
            schema.breakers.insert().values(
                platform="labor_force", state="open", failures=5, updated_at="2026-01-01T00:00:00Z"
            )
        )
    server = HealthServer(
        "127.0.0.1",
        0,
        registry=metrics.registry,
        alive=lambda: (True, ""),
        ready=lambda: (True, ""),
    )
    server.start()
    try:
        host, port = server.address
        response = httpx.get(f"http://{host}:{port}/metrics", timeout=10)
    finally:
        server.stop()
    assert response.status_code == 200
    found = samples(response.text)
    for outcome, count in (("inserted", 7), ("updated", 2), ("unchanged", 5), ("rejected", 1)):
        assert found[("gateway_records_total", (("job", "persons"), ("outcome", outcome)))] == count
    assert found[("gateway_retries_total", (("job", "persons"),))] == 3
    assert found[("gateway_runs_total", (("job", "persons"), ("status", "succeeded")))] == 1
    assert found[("gateway_run_duration_seconds_sum", (("job", "persons"),))] == 42.0
    http = (("platform", "labor_force"), ("status", "200"))
    assert found[("gateway_http_requests_total", http)] == 2
    http = (("platform", "labor_force"), ("status", "503"))
    assert found[("gateway_http_requests_total", http)] == 1
    http = (("platform", "labor_force"), ("status", "timeout"))
    assert found[("gateway_http_requests_total", http)] == 1
    assert found[("gateway_dead_letters_open", (("job", "persons"),))] == 2
    assert found[("gateway_dead_letters_open", (("job", "loads"),))] == 0
    assert found[("gateway_store_up", ())] == 1
    assert found[("gateway_last_success_timestamp_seconds", (("job", "persons"),))] > 0
    assert ("gateway_last_success_timestamp_seconds", (("job", "loads"),)) not in found
    breaker = {
        (platform, state): value
        for (name, labels), value in found.items()
        if name == "gateway_breaker_state"
        for platform, state in [(dict(labels)["platform"], dict(labels)["state"])]
    }
    assert breaker[("labor_force", "open")] == 1
    assert breaker[("labor_force", "closed")] == 0
    assert breaker[("inbox", "closed")] == 1


def test_store_down_is_a_metric_not_an_error(tmp_path: Path) -> None:
    """A scrape while the store is unreachable reports gateway_store_up 0 and still answers."""
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    metrics = ServiceMetrics(store, ["persons"], [], "host-a:1")
    (tmp_path / "store.db").unlink()
    (tmp_path / "store.db").mkdir()  # a directory where the database file was: cannot open
    store.close()
    page = HealthServer(
        "127.0.0.1",
        0,
        registry=metrics.registry,
        alive=lambda: (True, ""),
        ready=lambda: (True, ""),
    )
    try:
        status, _type, body = page.respond("/metrics")
    finally:
        page.stop()
    assert status == 200
    assert samples(body.decode())[("gateway_store_up", ())] == 0


def _never(job: str, stop: threading.Event, progress: Any, observe: Any) -> Any:
    raise AssertionError("no job is due in this test")


def test_probes_follow_the_service_lifecycle(sqlite_store: Store, tmp_path: Path) -> None:
    """Ready while running; not ready (but alive) once stopping; an old schema is not ready."""
    config = config_for(tmp_path, sqlite_store)
    service = Service(config, sqlite_store, _never, instance="host-a:1")
    service.start()
    host, port = service.health.address
    base = f"http://{host}:{port}"
    try:
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        assert httpx.get(f"{base}/readyz", timeout=10).json() == {"status": "ok", "detail": "ready"}
        assert httpx.get(f"{base}/nowhere", timeout=10).status_code == 404
        service.request_stop()
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        stopping = httpx.get(f"{base}/readyz", timeout=10)
        assert (stopping.status_code, stopping.json()["detail"]) == (503, "stopping")
    finally:
        assert service.stop()
    fresh = Store(f"sqlite:///{tmp_path / 'fresh.db'}", migrate=False)
    unmigrated = Service(config, fresh, _never, instance="host-a:1")
    ok, reason = unmigrated._ready()
    unmigrated.health.stop()
    fresh.close()
    assert not ok
    assert "version 0" in reason


def test_port_in_use_is_a_configuration_error(sqlite_store: Store, tmp_path: Path) -> None:
    """A metrics port another process holds fails with a message naming the address."""
    first = HealthServer(
        "127.0.0.1", 0, registry=ServiceMetrics(sqlite_store, [], [], "a").registry,
        alive=lambda: (True, ""), ready=lambda: (True, ""),
    )  # fmt: skip
    _host, port = first.address
    try:
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port}"):
            HealthServer(
                "127.0.0.1", port, registry=first.registry,
                alive=lambda: (True, ""), ready=lambda: (True, ""),
            )  # fmt: skip
    finally:
        first.stop()


def test_leases_command_shows_holders(sqlite_store: Store, tmp_path: Path) -> None:
    """`gateway leases --json` names the instance holding each job, and free jobs as free."""
    config_path = tmp_path / "gateway.yaml"
    config_path.write_text(
        "store: {url: '" + sqlite_store.url + "'}\n"
        "logging: {file: null}\n"
        "platforms: {inbox: {adapter: files}}\n"
        "jobs:\n"
        "  loads: {source: inbox.things, target: store, mapping: m}\n"
        "  other: {source: inbox.more, target: store, mapping: m}\n",
        encoding="utf-8",
    )
    manager = LeaseManager(sqlite_store, "host-a:1", 60)
    assert manager.acquire("loads") is not None
    result = CliRunner().invoke(app, ["leases", "--config", str(config_path), "--json"])
    manager.close()
    assert result.exit_code == 0, result.output
    rows = {row["job"]: row for row in json.loads(result.output)}
    assert rows["loads"]["instance"] == "host-a:1"
    assert rows["loads"]["expires_at"].endswith("Z")
    assert rows["other"] == {"job": "other", "instance": None, "expires_at": None}
