"""Built-in streams run end to end through the runner on ``httpx.MockTransport``: no server, no
socket. The labor-force ``persons`` pull (keyset pages, cursor resumed by the next run) and its
``verifications`` push (one outcome per record, nothing sent twice)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from adapters.labor_force.streams import PERSONS_PATH, RECEIPTS_PATH, VERIFICATIONS_PATH
from gateway.codes.idnumber import id_check_char
from gateway.config import GatewayConfig, parse_config
from gateway.errors import ConfigError
from gateway.http.signing import (
    HEADER_APP_KEY,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    SignatureAlgorithm,
    signature_matches,
)
from gateway.pipeline import JobRunner
from gateway.store import Store
from gateway.store.records import iter_payloads

PERSONS = 7
SECRET = "mock-secret"
UPDATED = "2026-03-01 08:00:00"


@pytest.fixture(autouse=True)
def no_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a test on MockTransport opened a socket")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def id_number(n: int) -> str:
    # Synthetic: a real region and a valid check character, nobody's number.
    first17 = f"52260119850315{n:03d}"
    return first17 + id_check_char(first17)


def person(n: int) -> dict[str, str]:
    return {
        "AAC002": id_number(n),
        "AAC003": f"测试{n}",
        "AAC004": "1" if n % 2 else "2",
        "AAC006": "19850315",
        "AAC008": "1",
        "HCZT": "0",
        "AAE036": UPDATED,
    }


def signed(request: httpx.Request) -> bool:
    h = request.headers
    return h[HEADER_APP_KEY] == "bureau-test" and signature_matches(
        SignatureAlgorithm.HMAC_SHA256, SECRET.encode(), h[HEADER_SIGNATURE], request.method,
        request.url.path, request.url.params.multi_items(), h[HEADER_TIMESTAMP], h[HEADER_NONCE],
        request.content,
    )  # fmt: skip


def answer(data: Any) -> httpx.Response:
    return httpx.Response(200, content=orjson.dumps({"code": "0", "msg": "ok", "data": data}))


class LaborPlatform:
    """The labor-force platform's persons list and verification routes, in memory."""

    def __init__(self) -> None:
        self.persons = [person(n) for n in range(1, PERSONS + 1)]
        self.list_queries: list[dict[str, str]] = []
        self.received: dict[str, dict[str, Any]] = {}
        self.submissions = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert signed(request), "every request is signed with the platform's secret"
        if request.method == "GET" and request.url.path == PERSONS_PATH:
            return self.list(dict(request.url.params))
        if request.method == "POST" and request.url.path == VERIFICATIONS_PATH:
            self.submissions += 1
            items = orjson.loads(request.content)["items"]
            for item in items:
                self.received[item["idempotencyKey"]] = item
            return answer({"results": [self.accepted(item["idempotencyKey"]) for item in items]})
        if request.method == "GET" and request.url.path == RECEIPTS_PATH:
            keys = request.url.params["keys"].split(",")
            return answer({"results": [self.accepted(k) for k in keys if k in self.received]})
        return httpx.Response(404, content=b'{"code": "NOT_FOUND", "msg": ""}')

    def list(self, query: dict[str, str]) -> httpx.Response:
        self.list_queries.append(query)
        size = int(query["page_size"])
        after = (query.get("updated_since", ""), query.get("after_key", ""))
        rest = [p for p in self.persons if (p["AAE036"], p["AAC002"]) > after]
        page = rest[:size]
        data: dict[str, Any] = {"items": page, "has_more": len(rest) > size, "total": len(rest)}
        if page:
            data["next"] = {"updated_since": page[-1]["AAE036"], "after_key": page[-1]["AAC002"]}
        return answer(data)

    @staticmethod
    def accepted(key: str) -> dict[str, str]:
        return {"idempotencyKey": key, "status": "accepted", "receiptNo": f"R-{key[:8]}"}


def configuration(tmp_path: Path, **persons_job: Any) -> GatewayConfig:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    data = {
        "store": {"url": f"sqlite:///{tmp_path / 'store.db'}"},
        "audit": {"key": "env:LABOR_FORCE_MOCK_AUDIT_KEY"},
        "platforms": {
            "labor_force": {
                "adapter": "labor_force",
                "base_url": "http://labor-force.test",
                "app_key": "bureau-test",
                "app_secret": "env:LABOR_FORCE_MOCK_SECRET",
                "rate_limit": {"per_second": 10_000, "burst": 10_000},
                "retry": {"max_attempts": 2, "initial_backoff": 0},
            },
            "inbox": {"adapter": "files", "options": {"inbox": "inbox", "outbox": "outbox"}},
        },
        "jobs": {
            "labor-persons": {
                "source": "labor_force.persons",
                "target": "store",
                "mapping": "labor_force/persons.yaml",
                "batch_size": 3,
                **persons_job,
            },
            "verifications-load": {
                "source": "inbox.verifications",
                "target": "store",
                "mapping": "files/verifications.yaml",
                "options": {"pattern": "verifications*.csv", "settle_seconds": 0},
            },
            "labor-verifications-push": {
                "source": "store",
                "target": "labor_force.verifications",
                "mapping": "labor_force/verifications.push.yaml",
                "batch_size": 2,
            },
        },
    }
    return parse_config(data, "test", tmp_path)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[GatewayConfig, Store]]:
    monkeypatch.setenv("LABOR_FORCE_MOCK_SECRET", SECRET)
    monkeypatch.setenv("LABOR_FORCE_MOCK_AUDIT_KEY", "audit-key-for-mock-transport-tests")
    config = configuration(tmp_path)
    store = Store(config.store_url)
    yield config, store
    store.close()


def test_persons_pull_runs_through_the_runner_and_resumes_its_cursor(
    env: tuple[GatewayConfig, Store],
) -> None:
    """Seven persons in pages of three; the next run asks from the committed cursor and reads
    only the person added since."""
    config, store = env
    platform = LaborPlatform()
    runner = JobRunner(config, store, transport=httpx.MockTransport(platform))
    first = runner.run("labor-persons")
    assert (first.status, first.read, first.inserted, first.rejected) == ("succeeded", 7, 7, 0)
    assert [q.get("after_key") for q in platform.list_queries] == [
        None, id_number(3), id_number(6),
    ]  # fmt: skip
    assert {q["page_size"] for q in platform.list_queries} == {"3"}
    with store.connect() as conn:
        assert len(dict(iter_payloads(conn, "person"))) == 7
    platform.persons.append({**person(8), "AAE036": "2026-03-02 08:00:00"})
    platform.list_queries.clear()
    second = runner.run("labor-persons")
    assert (second.status, second.read, second.inserted) == ("succeeded", 1, 1)
    assert platform.list_queries[0]["after_key"] == id_number(7)


def test_verifications_push_answers_each_record_once(
    env: tuple[GatewayConfig, Store], tmp_path: Path
) -> None:
    """Three verification results loaded from the inbox are pushed in batches of two, each
    accepted once; a second push run sends nothing."""
    config, store = env
    rows = [
        f"{id_number(n)},已核查,已就业,贵州省凯里市,2025-11-0{n} 09:00:00,核查员0{n}"
        for n in (1, 2, 3)
    ]
    header = "身份证号,核查状态,就业状态,工作地点,核查时间,核查人"
    (tmp_path / "inbox" / "verifications-1.csv").write_text(
        "\r\n".join([header, *rows]) + "\r\n", encoding="utf-8"
    )
    platform = LaborPlatform()
    runner = JobRunner(config, store, transport=httpx.MockTransport(platform))
    loaded = runner.run("verifications-load")
    assert (loaded.status, loaded.inserted) == ("succeeded", 3), loaded.error
    pushed = runner.run("labor-verifications-push")
    assert pushed.status == "succeeded", pushed.error
    assert platform.submissions == 2
    assert sorted(item["AAC002"] for item in platform.received.values()) == [
        id_number(n) for n in (1, 2, 3)
    ]
    again = runner.run("labor-verifications-push")
    assert again.status == "succeeded"
    assert platform.submissions == 2


def test_a_bad_option_stops_the_job_before_its_run_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A typo in a job's options is one line naming the job and the key, and no run starts."""
    monkeypatch.setenv("LABOR_FORCE_MOCK_SECRET", SECRET)
    monkeypatch.setenv("LABOR_FORCE_MOCK_AUDIT_KEY", "audit-key-for-mock-transport-tests")
    config = configuration(tmp_path, options={"page_sise": 10})
    store = Store(config.store_url)
    try:
        runner = JobRunner(config, store, transport=httpx.MockTransport(LaborPlatform()))
        with pytest.raises(ConfigError) as caught:
            runner.run("labor-persons")
        assert str(caught.value) == (
            "job 'labor-persons': invalid option 'page_sise': not a known option"
        )
        assert store.last_runs(["labor-persons"]) == []
    finally:
        store.close()
