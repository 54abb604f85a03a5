"""/metrics as Prometheus reads it: run-duration buckets from 0.05 s to 1 h, an HTTP latency
histogram per platform and operation, the instance label that does not collide with
Prometheus's own, the breaker of the current base URL; checked by the client's parser and,
where installed, by ``promtool check metrics``. Every log line carries its logger's name."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families

from gateway.adapter import Direction, Exchange
from gateway.http.breaker import breaker_key
from gateway.logging import configure_logging
from gateway.service import ServiceMetrics
from gateway.service.health import HealthServer
from gateway.store import Store, schema

URL = "http://127.0.0.1:9"


def _scrape(tmp_path: Path) -> str:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    metrics = ServiceMetrics(
        store, ["persons"], ["labor_force"], "host-a:1", base_urls={"labor_force": URL}
    )
    metrics.observe_exchange(
        Exchange("labor_force", Direction.PULL, "persons.list", "GET /", http_status=200,
                 duration_ms=30.0)
    )  # fmt: skip
    metrics.duration.labels("persons").observe(0.07)
    with store.transaction() as conn:
        for key, state in (("labor_force", "closed"), (breaker_key("labor_force", URL), "open")):
            conn.execute(
                schema.breakers.insert().values(
                    platform=key, state=state, failures=5, updated_at="2026-01-01T00:00:00Z"
                )
            )
    server = HealthServer(
        "127.0.0.1", 0, registry=metrics.registry, alive=lambda: (True, ""),
        ready=lambda: (True, ""),
    )  # fmt: skip
    server.start()
    try:
        host, port = server.address
        text = httpx.get(f"http://{host}:{port}/metrics", timeout=10).text
    finally:
        server.stop()
        store.close()
    return text


def test_new_families_and_bucket_bounds(tmp_path: Path) -> None:
    """The parser finds the HTTP histogram with platform and operation, run-duration buckets
    0.05 … 3600, gateway_instance_info{gateway_instance=…}, and the URL-keyed breaker open."""
    families = {f.name: f for f in text_string_to_metric_families(_scrape(tmp_path))}
    http = families["gateway_http_request_duration_seconds"]
    assert http.type == "histogram"
    count = [s for s in http.samples if s.name.endswith("_count")]
    assert count[0].labels == {"platform": "labor_force", "operation": "persons.list"}
    assert count[0].value == 1
    runs = families["gateway_run_duration_seconds"]
    assert runs.type == "histogram"
    bounds = [float(s.labels["le"]) for s in runs.samples if s.name.endswith("_bucket")]
    assert bounds[0] == 0.05
    assert bounds[-2:] == [3600.0, float("inf")]
    first = next(s for s in runs.samples if s.name.endswith("_bucket"))
    assert first.value == 0  # 0.07 s lands above the smallest bound, not in a 1 s catch-all
    second = [s for s in runs.samples if s.name.endswith("_bucket")][1]
    assert second.value == 1
    info = families["gateway_instance_info"]
    (sample,) = info.samples
    assert sample.labels["gateway_instance"] == "host-a:1"
    assert "instance" not in sample.labels
    breaker = {s.labels["state"]: s.value for s in families["gateway_breaker_state"].samples}
    assert breaker["open"] == 1


def test_run_duration_buckets_span_50ms_to_an_hour() -> None:
    """Bucket bounds as declared: the smallest 0.05 s, the largest finite one 1 h."""
    from gateway.service.metrics import DURATION_BUCKETS

    assert DURATION_BUCKETS[0] == 0.05
    assert DURATION_BUCKETS[-1] == 3600


def test_promtool_finds_nothing_to_complain_about(tmp_path: Path) -> None:
    """``promtool check metrics`` on the page: no problems (CI installs promtool)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is required in CI (Debian package prometheus)")
        pytest.skip("promtool is not installed")
    done = subprocess.run(
        [promtool, "check", "metrics"], input=_scrape(tmp_path), capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""
    assert done.stderr.strip() == ""


def test_every_log_line_names_its_logger(tmp_path: Path) -> None:
    """structlog lines and standard-library lines (uvicorn, a simulator) carry ``logger``."""
    file = tmp_path / "log.jsonl"
    configure_logging("INFO", "json", file)
    try:
        structlog.get_logger("gateway.pipeline").info("run started")
        logging.getLogger("uvicorn.error").warning("listening")
        logging.getLogger("simulators.labor_force.simulator").warning("fault on")
    finally:
        for handler in list(logging.getLogger().handlers):
            logging.getLogger().removeHandler(handler)
            handler.close()
        structlog.reset_defaults()
    lines = [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()]
    assert [line["logger"] for line in lines] == [
        "gateway.pipeline", "uvicorn.error", "simulators.labor_force.simulator",
    ]  # fmt: skip
