"""The inspection adapter's client streams against its simulator: outcomes, receipts, cursors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from adapters.inspection import InspectionAdapter, adapter
from gateway.adapter import (
    CURSOR_VERSION,
    Direction,
    ExchangeRecorder,
    OutgoingRecord,
    PushStatus,
    StreamContext,
)
from gateway.config import PlatformConfig
from gateway.errors import StoreError
from simulators.inspection.simulator import build_app
from simulators.kit import run_in_thread, signed_client
from tests.helpers.inspection_platform import (
    APP_KEY,
    SECRET,
    fill_directories,
    inspectors,
    settings,
    subjects,
)

SECRET_ENV = "INSPECTION_TEST_SECRET"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh simulator; the gateway reads its secret from the environment, as configured."""
    monkeypatch.setenv(SECRET_ENV, SECRET)
    with run_in_thread(build_app(settings())) as running:
        yield running.url


def context(url: str, **options: Any) -> StreamContext:
    platform = PlatformConfig.model_validate(
        {
            "adapter": "inspection",
            "base_url": url,
            "app_key": APP_KEY,
            "app_secret": f"env:{SECRET_ENV}",
            "retry": {"max_attempts": 2, "initial_backoff": 0},
        }
    )
    return StreamContext(
        job="test",
        run_id="run-1",
        platform_name="inspection",
        platform=platform,
        options=options,
        exchanges=ExchangeRecorder(),
    )


def outgoing(records: list[dict[str, Any]], key_field: str) -> list[OutgoingRecord]:
    return [OutgoingRecord(r[key_field], f"k{n}", r) for n, r in enumerate(records)]


def test_adapter_declares_its_streams() -> None:
    """Four push streams and the tasks pull; unknown names are a configuration error."""
    assert isinstance(adapter, InspectionAdapter)
    assert set(adapter.push_streams()) == {"check_items", "subjects", "inspectors", "results"}
    assert set(adapter.pull_streams()) == {"tasks"}
    assert adapter.stream("tasks", Direction.PULL).name == "tasks"
    assert "inspection" in adapter.reports()


def test_push_answers_each_record(server: str) -> None:
    """Accepted records carry a receipt, a rejected one the platform's code and reason."""
    ctx = context(server)
    stream = adapter.push_streams()["subjects"]
    records = subjects(3)
    records[2]["uscc"] = records[2]["uscc"][:17] + ("0" if records[2]["uscc"][17] != "0" else "1")
    batch = outgoing(records, "uscc")
    try:
        outcomes = {o.idempotency_key: o for o in stream.send(ctx, batch)}
    finally:
        stream.close(ctx)
    assert [outcomes[r.idempotency_key].status for r in batch] == [
        PushStatus.ACCEPTED, PushStatus.ACCEPTED, PushStatus.REJECTED,
    ]  # fmt: skip
    assert all(outcomes[r.idempotency_key].receipt for r in batch[:2])
    assert outcomes["k2"].code == "INVALID_USCC"
    (exchange,) = ctx.exchanges.drain()
    assert exchange.operation == "subjects.submit"
    assert exchange.record_keys == [r.key for r in batch]


def test_lookup_asks_in_chunks_and_repeats_the_answers(server: str) -> None:
    """150 earlier sends are looked up in two calls; the answers equal those of the send."""
    ctx = context(server)
    stream = adapter.push_streams()["inspectors"]
    people = inspectors(150)
    batch = outgoing(people, "certNo")
    try:
        sent = stream.send(ctx, batch)
        ctx.exchanges.drain()
        found = stream.lookup(ctx, [r.idempotency_key for r in batch] + ["never-sent"])
    finally:
        stream.close(ctx)
    assert found is not None
    assert sorted(found, key=lambda o: o.idempotency_key) == sorted(
        sent, key=lambda o: o.idempotency_key
    )
    assert [e.operation for e in ctx.exchanges.drain()] == ["inspectors.receipts"] * 2


def test_tasks_pull_pages_and_resumes_from_its_cursor(server: str) -> None:
    """Pages of two, a versioned cursor after each, and nothing new when resumed at the end."""
    with signed_client(server, APP_KEY, SECRET.encode()) as client:
        fill_directories(client)
    stream = adapter.pull_streams()["tasks"]
    pages = list(stream.read(context(server, page_size=2), None))
    assert [len(p.records) for p in pages] == [2, 1]
    last = pages[-1].records[-1]
    assert pages[-1].cursor == {
        "v": CURSOR_VERSION,
        "updated_since": last["updatedAt"],
        "after_key": last["taskId"],
    }
    assert all(p.exchange is not None and p.exchange.operation == "tasks.list" for p in pages)
    resumed = list(stream.read(context(server, page_size=2), pages[-1].cursor))
    assert [p.records for p in resumed] == [[]]
    assert resumed[0].cursor == pages[-1].cursor
    with pytest.raises(StoreError, match="unknown format version"):
        list(stream.read(context(server), {"v": 99}))


def test_tasks_pull_survives_repeated_records(server: str) -> None:
    """When the platform repeats the record before each page, every task still arrives once."""
    with signed_client(server, APP_KEY, SECRET.encode()) as client:
        fill_directories(client)
    httpx.post(f"{server}/_sim/faults", json={"duplicate_rate": 1.0}).raise_for_status()
    pages = list(adapter.pull_streams()["tasks"].read(context(server, page_size=1), None))
    ids = [r["taskId"] for p in pages for r in p.records]
    assert len(pages) == 3
    assert len(ids) == 5  # every page after the first repeats one task
    assert len(set(ids)) == 3
