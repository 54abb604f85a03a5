"""``gateway adapters new demo_registry``: the package installs, its own tests and the contract
suite pass as generated, ``adapters list --json`` shows it with its version and origin, and a
job syncs against its simulator and verifies in the audit log. Broken three ways, the contract
suite names the contract each break breaks."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gateway.adapter import (
    DeclaredAdapter,
    Direction,
    OutgoingRecord,
    PushOutcome,
    StreamContext,
)
from gateway.audit import AuditLog
from gateway.errors import RetryableError
from gateway.http.client import Envelope, ResponseClassifier
from gateway.http.paging import KeysetPaginator, PageAnswer, Step
from gateway.http.streams import RunClients
from gateway.inventory import InstalledAdapter, describe
from gateway.store import Store
from gateway.testing import ContractBroken, HttpRig, SimulatedPlatform, checks, run_contract
from tests.kit.conftest import gateway, installed, kit_env, run, wait_for_port

NAME = "demo_registry"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    where = tmp_path_factory.mktemp("kit")
    done = gateway("adapters", "new", NAME, "--dir", str(where), cwd=where)
    assert done.returncode == 0, done.stderr
    with installed(where / NAME, "demo-registry") as root:
        yield root


def test_its_tests_and_the_contract_suite_pass_as_generated(package: Path) -> None:
    done = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], package)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "14 passed" in done.stdout
    assert "failed" not in done.stdout


def test_adapters_list_json_shows_it_with_version_origin_and_streams(package: Path) -> None:
    done = gateway("adapters", "list", "--json", cwd=package)
    assert done.returncode == 0, done.stderr
    rows = {row["adapter"]: row for row in json.loads(done.stdout)}
    row = rows[NAME]
    assert row["version"] == "0.1.0"
    assert row["origin"]["distribution"].replace("_", "-") == "demo-registry"
    assert row["origin"]["entry_point"] == f"{NAME}:adapter"
    streams = {s["name"]: s for s in row["streams"]}
    assert streams["records"]["direction"] == "pull"
    assert streams["records"]["key"] == "id"
    assert streams["records"]["paging"]["kind"] == "keyset"
    assert "page_size" in streams["records"]["options_schema"]["properties"]
    assert streams["results"]["direction"] == "push"
    assert streams["results"]["receipts_path"] == "/api/v1/results/receipts"
    assert rows["labor_force"]["origin"]["distribution"] == "gov-exchange-gateway"
    table = gateway("adapters", "list", cwd=package)
    assert NAME in table.stdout
    assert "demo-registry" in table.stdout.replace("_", "-")


def test_a_job_syncs_against_its_simulator_and_the_audit_log_verifies(package: Path) -> None:
    example = package / "example"
    config = yaml.safe_load((example / "gateway.yaml").read_text(encoding="utf-8"))
    port = int(config["platforms"][NAME]["base_url"].rsplit(":", 1)[1])
    served = subprocess.Popen(
        [sys.executable, "-m", "gateway", "simulate", "--config", "gateway.yaml"],
        cwd=example, env=kit_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port)
        for job in (f"{NAME}-records", f"{NAME}-results"):
            done = gateway("sync", job, "--config", "gateway.yaml", cwd=example)
            assert done.returncode == 0, done.stdout + done.stderr
            assert "succeeded" in done.stdout
            assert "120 read" in done.stdout
    finally:
        served.terminate()
        served.wait(timeout=30)
    verified = gateway("audit", "verify", "--config", "gateway.yaml", cwd=example)
    assert verified.returncode == 0, verified.stdout + verified.stderr


class _DropsLastPage(KeysetPaginator):
    """Stops one page early: when what is left after this page fits in one more."""

    def advance(self, answer: PageAnswer) -> Step:
        step = super().advance(answer)
        total = answer.data.get("total")
        size = int(answer.request.params[self.size_param])
        if isinstance(total, int) and total - len(answer.items) <= size:
            return Step(step.cursor, None)
        return step


class _RetriesA400(ResponseClassifier):
    def classify(self, response: httpx.Response) -> Envelope:
        if response.status_code == 400:
            raise RetryableError("taken for a passing accident", status=400)
        return super().classify(response)


def _broken(kind: str) -> Any:
    from demo_registry.streams import RecordsStream, ResultsStream

    if kind == "paginator":

        class DropsLastPage(RecordsStream):
            paginator = _DropsLastPage("updatedAt", "id")

        return DropsLastPage()
    if kind == "classifier":

        class RetriesA400(ResultsStream):
            def __init__(self) -> None:
                super().__init__()
                self._clients = RunClients(_RetriesA400())

        return RetriesA400()

    class AnswersOneShort(ResultsStream):
        def send(self, ctx: StreamContext, batch: list[OutgoingRecord]) -> list[PushOutcome]:
            return super().send(ctx, batch)[:-1]

    return AnswersOneShort()


@pytest.mark.parametrize(
    ("kind", "contract", "detail"),
    [
        ("paginator", checks.RESUME, "a full sync skipped 20 of the platform's 120 keys"),
        ("classifier", checks.CLASSIFIED, "a 400 answer was retried (2 requests for one call)"),
        ("push", checks.ONE_OUTCOME, "250 records sent, 249 outcomes answered"),
    ],
    ids=["paginator drops the last page", "classifier retries a 400", "push answers fewer"],
)
def test_a_broken_copy_fails_the_contract_by_name(
    package: Path, tmp_path: Path, kind: str, contract: str, detail: str
) -> None:
    from demo_registry import adapter
    from demo_registry.simulator import build_app

    stream = _broken(kind)
    broken = DeclaredAdapter.__new__(type(adapter))
    DeclaredAdapter.__init__(broken, pull=[stream] if kind == "paginator" else [],
                             push=[] if kind == "paginator" else [stream])  # fmt: skip
    rig = HttpRig(broken, stream, SimulatedPlatform(build_app, {"records": 120}), tmp_path)
    server = rig.start()
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with pytest.raises(ContractBroken) as raised:
            run_contract(contract, rig, store, AuditLog(b"k" * 32), page_size=25)
    finally:
        store.close()
        server.stop()
    assert raised.value.contract == contract
    assert str(raised.value).startswith(f"contract {contract!r} broken by {NAME}.")
    assert detail in str(raised.value)


class _PullAnyName(DeclaredAdapter):
    name = "pull_any"
    any_stream = frozenset({Direction.PULL})


def test_an_adapter_without_push_streams_lists_none() -> None:
    """Taking any pull stream name says nothing of push streams (it listed ``(any)``)."""
    row = describe(InstalledAdapter("pull_any", _PullAnyName(), "x", "1", "x:adapter"))
    assert row["any_name"] == ["pull"]
    assert row["push"] == []
    assert row["streams"] == []
