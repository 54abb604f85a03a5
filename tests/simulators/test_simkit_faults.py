"""Fault injection of the simulator kit: the plan in memory, and each fault over a real socket."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest
from pydantic import ValidationError

from simulators.kit import (
    Code,
    FaultInjector,
    FaultSettings,
    RunningServer,
    echo_platform,
    run_in_thread,
    signed_client,
)

KEY = "bureau"
SECRET = b"fault-test-secret"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    """One echo platform for the module; each test sets its own faults."""
    with run_in_thread(echo_platform(KEY, SECRET)) as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> Iterator[httpx.Client]:
    """A signing client; faults are switched off again after each test."""
    with signed_client(server.url, KEY, SECRET, timeout=5) as signed:
        yield signed
        signed.post("/_sim/faults", json={})


def _faults(client: httpx.Client, **settings: object) -> None:
    response = client.post("/_sim/faults", json=settings)
    assert response.status_code == 200


def _statuses(client: httpx.Client, count: int) -> list[int]:
    return [client.get("/api/echo").status_code for _ in range(count)]


def _code(response: httpx.Response) -> str:
    return str(orjson.loads(response.content)["code"])


def test_no_faults_by_default(client: httpx.Client) -> None:
    """Without fault settings every signed request succeeds."""
    assert _statuses(client, 20) == [200] * 20


def test_error_rate_answers_500(client: httpx.Client) -> None:
    """error_rate 1 answers every API request HTTP 500 INTERNAL_ERROR."""
    _faults(client, error_rate=1.0)
    response = client.get("/api/echo")
    assert (response.status_code, _code(response)) == (500, Code.INTERNAL_ERROR)


def test_burst_503_every_nth_request(client: httpx.Client) -> None:
    """burst_503 4:2: the 4th and 5th, 8th and 9th, ... requests are 503."""
    _faults(client, burst_503="4:2")
    statuses = _statuses(client, 10)
    assert statuses == [200, 200, 200, 503, 503, 200, 200, 503, 503, 200]


def test_rate_429_with_retry_after(client: httpx.Client) -> None:
    """rate_429_every 3: every third request is 429 with Retry-After in seconds."""
    _faults(client, rate_429_every=3, retry_after_seconds=2)
    responses = [client.get("/api/echo") for _ in range(6)]
    assert [r.status_code for r in responses] == [200, 200, 429, 200, 200, 429]
    limited = responses[2]
    assert limited.headers["Retry-After"] == "2"
    assert _code(limited) == Code.RATE_LIMITED


def test_timeout_rate_answers_after_a_client_read_timeout(server: RunningServer) -> None:
    """timeout_rate 1 holds the answer for slow_seconds: a shorter read timeout fires."""
    with signed_client(server.url, KEY, SECRET, timeout=0.3) as impatient:
        impatient.post("/_sim/faults", json={"timeout_rate": 1.0, "slow_seconds": 1.0})
        try:
            with pytest.raises(httpx.ReadTimeout):
                impatient.get("/api/echo")
        finally:
            impatient.post("/_sim/faults", json={})


def test_slow_answer_still_arrives_for_a_patient_client(client: httpx.Client) -> None:
    """A client that waits longer than slow_seconds gets the normal answer."""
    _faults(client, timeout_rate=1.0, slow_seconds=0.2)
    response = client.get("/api/echo")
    assert (response.status_code, _code(response)) == (200, Code.OK)


def test_busy_rate_answers_system_busy_in_http_200(client: httpx.Client) -> None:
    """busy_rate 1 answers HTTP 200 with business code SYSTEM_BUSY and no data."""
    _faults(client, busy_rate=1.0)
    response = client.get("/api/echo")
    assert response.status_code == 200
    assert response.json() == {
        "code": "SYSTEM_BUSY",
        "msg": response.json()["msg"],
        "data": None,
        "requestId": response.json()["requestId"],
    }


def test_truncated_rate_cuts_the_body_mid_json(client: httpx.Client) -> None:
    """truncated_rate 1: HTTP 200, a consistent Content-Length, and a body that is not JSON."""
    whole = client.post("/api/echo", json={"items": list(range(200))}).content
    _faults(client, truncated_rate=1.0)
    response = client.post("/api/echo", json={"items": list(range(200))})
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    assert 0 < len(response.content) < len(whole)
    assert whole.startswith(response.content[:20])
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(response.content)


def test_down_answers_503_but_harness_still_works(client: httpx.Client) -> None:
    """down: every API request is 503 SERVICE_UNAVAILABLE; /_sim/ routes still answer."""
    _faults(client, down=True)
    response = client.get("/api/echo")
    assert (response.status_code, _code(response)) == (503, Code.SERVICE_UNAVAILABLE)
    assert client.get("/_sim/stats").status_code == 200
    assert client.get("/_sim/faults").json()["down"] is True


def test_faults_never_touch_harness_routes(client: httpx.Client) -> None:
    """With every fault at full rate, /_sim/ routes answer normally."""
    _faults(client, error_rate=1.0, busy_rate=1.0, truncated_rate=1.0, rate_429_every=1)
    for _ in range(5):
        response = client.get("/_sim/stats")
        assert response.status_code == 200
        assert "requests" in response.json()


def test_injected_faults_are_counted(client: httpx.Client) -> None:
    """/_sim/stats reports how many faults of each kind were injected since start."""
    before = client.get("/_sim/stats").json()["faults"].get("rate_429", 0)
    _faults(client, rate_429_every=2)
    _statuses(client, 6)
    assert client.get("/_sim/stats").json()["faults"]["rate_429"] == before + 3


def test_bad_fault_settings_are_refused(client: httpx.Client) -> None:
    """An out-of-range rate or an unknown setting is HTTP 400 INVALID_PARAM."""
    for settings in ({"error_rate": 1.5}, {"no_such_fault": 1}, {"burst_503": "x:y"}):
        response = client.post("/_sim/faults", json=settings)
        assert (response.status_code, _code(response)) == (400, Code.INVALID_PARAM)


def _kinds(injector: FaultInjector, count: int) -> list[str]:
    kinds = []
    for _ in range(count):
        plan = injector.plan()
        if plan.refusal is not None:
            kinds.append(str(plan.refusal.code))
        elif plan.truncate_at is not None:
            kinds.append("truncated")
        elif plan.delay:
            kinds.append("slow")
        else:
            kinds.append("ok")
    return kinds


def test_same_seed_gives_the_same_faults() -> None:
    """Two injectors with the same seed and rates plan the same faults in the same order."""
    settings = FaultSettings(
        seed=42, error_rate=0.1, busy_rate=0.1, timeout_rate=0.1, truncated_rate=0.1
    )
    first = _kinds(FaultInjector(settings), 500)
    second = _kinds(FaultInjector(settings), 500)
    other = _kinds(FaultInjector(settings.model_copy(update={"seed": 43})), 500)
    assert first == second
    assert first != other


def test_reconfiguring_restarts_the_sequence() -> None:
    """configure() with the same settings replays the same sequence from the start."""
    injector = FaultInjector(FaultSettings(seed=7, error_rate=0.3))
    first = _kinds(injector, 100)
    injector.configure(FaultSettings(seed=7, error_rate=0.3))
    assert _kinds(injector, 100) == first


def test_chance_faults_follow_their_rates() -> None:
    """Over 20,000 requests each chance fault lands within 1.5 points of its rate."""
    settings = FaultSettings(seed=1, error_rate=0.1, busy_rate=0.2)
    kinds = _kinds(FaultInjector(settings), 20_000)
    errors = kinds.count(Code.INTERNAL_ERROR) / len(kinds)
    busy = kinds.count(Code.SYSTEM_BUSY) / len(kinds)
    assert abs(errors - 0.1) < 0.015
    # busy is only drawn when no error was: 0.9 * 0.2
    assert abs(busy - 0.18) < 0.015


def test_one_rate_does_not_shift_another() -> None:
    """Turning truncation on leaves the pattern of HTTP 500s unchanged (fixed draws per request)."""
    plain = FaultInjector(FaultSettings(seed=5, error_rate=0.2))
    mixed = FaultInjector(FaultSettings(seed=5, error_rate=0.2, truncated_rate=0.5))
    errors = [k == Code.INTERNAL_ERROR for k in _kinds(plain, 300)]
    mixed_errors = [k == Code.INTERNAL_ERROR for k in _kinds(mixed, 300)]
    assert errors == mixed_errors


def test_duplicate_pages_follow_their_rate_deterministically() -> None:
    """duplicate_page() hits about duplicate_rate of pages, the same way for the same seed."""
    first = FaultInjector(FaultSettings(seed=3, duplicate_rate=0.25))
    second = FaultInjector(FaultSettings(seed=3, duplicate_rate=0.25))
    hits = [first.duplicate_page() for _ in range(4_000)]
    assert hits == [second.duplicate_page() for _ in range(4_000)]
    assert abs(sum(hits) / len(hits) - 0.25) < 0.03


def test_burst_text_is_parsed_and_checked() -> None:
    """burst_503 accepts N:K or N, and refuses anything else."""
    burst = FaultSettings.model_validate({"burst_503": "100:3"}).burst_503
    assert burst is not None
    assert (burst.every, burst.length) == (100, 3)
    single = FaultSettings.model_validate({"burst_503": "9"}).burst_503
    assert single is not None
    assert (single.every, single.length) == (9, 1)
    with pytest.raises(ValidationError):
        FaultSettings.model_validate({"burst_503": "0:3"})
