"""gateway.testing on its own: the scaffold's other paging and signing choices pass their
generated tests; the conformance check finds a simulator that leaves its document; the
scripted transport, exchange capture and fake clock behave as documented."""

from __future__ import annotations

import copy
import importlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.labor_force.streams import PersonsStream
from gateway.adapter import ExchangeRecorder
from gateway.errors import ConfigError
from gateway.http.signing import SignatureAlgorithm
from gateway.scaffold import Plan
from gateway.scaffold.package import write_package
from gateway.testing import (
    TEST_APP_KEY,
    ConformanceBroken,
    FakeClock,
    HttpRig,
    SimulatedPlatform,
    capture_exchanges,
    check_conformance,
    run_in_thread,
    scripted_transport,
    signed_client,
    stream_context,
)
from tests.kit.conftest import run

VARIANTS = [
    ("offset_registry", ("things",), (), "offset", "none", "8 passed"),
    ("link_registry", ("things",), ("outs",), "link", "hmac-sm3", "14 passed"),
]


@pytest.mark.parametrize(("name", "pull", "push", "paging", "signing", "passed"), VARIANTS)
def test_each_paging_and_signing_passes_its_generated_tests(
    tmp_path: Path, name: str, pull: tuple[str, ...], push: tuple[str, ...], paging: str,
    signing: str, passed: str,
) -> None:  # fmt: skip
    root = write_package(Plan(name, pull, push, paging, signing), tmp_path)
    done = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(root)],
        root, env_path=str(root),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert passed in done.stdout


def test_the_scaffold_refuses_bad_names_and_a_full_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="adapter name 'Bad-Name'"):
        Plan("Bad-Name", ("a_list",), ())
    with pytest.raises(ConfigError, match="paging must be one of"):
        Plan("fine", ("a_list",), (), paging="cursor")
    write_package(Plan("twice", ("a_list",), ()), tmp_path)
    with pytest.raises(ConfigError, match="not empty"):
        write_package(Plan("twice", ("a_list",), ()), tmp_path)


def test_the_example_secrets_are_never_readable_by_others_nor_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Created owner-only (a chmod after creating them would leave a moment they are not:
    chmod does nothing here), and the package's .gitignore covers them."""
    monkeypatch.setattr(Path, "chmod", lambda self, mode, **kw: None)
    previous = os.umask(0o022)
    try:
        root = write_package(Plan("secretive", ("things",), ()), tmp_path)
    finally:
        os.umask(previous)
    secrets = sorted((root / "example" / "secrets").iterdir())
    assert [p.name for p in secrets] == ["audit-key.txt", "secretive.txt"]
    for path in secrets:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert stat.S_IMODE((root / "example" / "secrets").stat().st_mode) == 0o700
    done = subprocess.run(
        ["git", "init", "-q", str(root)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    ignored = subprocess.run(
        ["git", "-C", str(root), "check-ignore", *(str(p) for p in secrets)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ignored.returncode == 0, ignored.stderr
    assert len(ignored.stdout.splitlines()) == 2


class _ShortPages(PersonsStream):
    max_page_size = 10


def test_a_population_larger_than_one_page_is_refused_not_read_short(tmp_path: Path) -> None:
    """The resume check compares what a sync delivered with the platform's keys, read in one
    page: a population that needs more is a clear error (it was a bare assert, gone under -O)."""
    from adapters.labor_force import adapter
    from simulators.serve import simulator_factory

    platform = SimulatedPlatform(simulator_factory("labor_force"), {"size": 30, "seed": 3})
    rig = HttpRig(adapter, _ShortPages(), platform, tmp_path)
    server = rig.start()
    try:
        with pytest.raises(ConfigError, match="outgrew one page"):
            rig.platform_keys()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any]]]:
    root = write_package(
        Plan("conform_registry", ("things",), ("outs",)), tmp_path_factory.mktemp("conform")
    )
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module("conform_registry.simulator")
        yield module, json.loads(module.DOCUMENT.read_text(encoding="utf-8"))
    finally:
        sys.path.remove(str(root))
        for loaded in [m for m in sys.modules if m.startswith("conform_registry")]:
            del sys.modules[loaded]


def _check(module: Any, document: dict[str, Any]) -> Any:
    settings = {"app_key": TEST_APP_KEY, "secret": "s", "algorithm": "hmac-sha256"}
    with (
        run_in_thread(module.build_app(settings)) as server,
        signed_client(server.url, TEST_APP_KEY, b"s", SignatureAlgorithm.HMAC_SHA256) as client,
    ):
        return check_conformance(client, document, examples_per_operation=8)


def test_the_generated_simulator_conforms(simulator: tuple[Any, dict[str, Any]]) -> None:
    module, document = simulator
    checked = _check(module, document)
    assert checked.operations == [
        "GET /api/v1/things", "POST /api/v1/outs", "GET /api/v1/outs/receipts",
    ]  # fmt: skip
    assert checked.requests >= 12


def test_an_undocumented_status_and_a_body_out_of_its_schema_are_named(
    simulator: tuple[Any, dict[str, Any]],
) -> None:
    module, document = simulator
    changed = copy.deepcopy(document)
    del changed["paths"]["/api/v1/outs/receipts"]["get"]["responses"]["401"]
    changed["components"]["schemas"]["Record"]["required"].append("birthday")
    with pytest.raises(ConformanceBroken) as broken:
        _check(module, changed)
    text = str(broken.value)
    assert text.startswith("contract 'answers as its OpenAPI document says' broken")
    assert "- GET /api/v1/things: Response violates schema" in text
    assert (
        "- GET /api/v1/outs/receipts: an unsigned request is answered HTTP 401, not a "
        "documented status"
    ) in text
    assert "POST /api/v1/outs" not in text


def test_scripted_answers_and_captured_exchanges() -> None:
    transport = scripted_transport(503, {"ok": True}, httpx.ReadTimeout("slow"))
    with httpx.Client(transport=transport, base_url="http://p.test") as client:
        assert client.get("/a").status_code == 503
        assert client.get("/b").json()["data"] == {"ok": True}
        with pytest.raises(httpx.ReadTimeout):
            client.get("/c")
        with pytest.raises(AssertionError, match="past the script"):
            client.get("/d")
    assert [r.url.path for r in transport.requests] == ["/a", "/b", "/c", "/d"]
    ctx = stream_context("p")
    assert ctx.secret(ctx.platform.app_secret) == "test-secret-0123456789"  # type: ignore[arg-type]
    record = ExchangeRecorder.record
    with capture_exchanges() as outer:
        with capture_exchanges() as inner:
            ctx.exchanges.record(_exchange("one"))
        ctx.exchanges.record(_exchange("two"))
    ctx.exchanges.record(_exchange("three"))
    assert [e.operation for e in inner] == ["one"]
    assert [e.operation for e in outer] == ["one", "two"]
    assert [e.operation for e in ctx.exchanges.drain()] == ["one", "two", "three"]
    assert ExchangeRecorder.record is record


def _exchange(operation: str) -> Any:
    from gateway.adapter import Direction, Exchange

    return Exchange("p", Direction.PULL, operation, "GET /x")


def test_the_fake_clock_moves_only_when_slept() -> None:
    clock = FakeClock(start=5.0)
    clock.sleep(1.5)
    assert (clock(), clock.sleeps) == (6.5, [1.5])


def test_the_generated_mappings_and_configuration_validate_against_the_schemas(
    tmp_path: Path,
) -> None:
    """What an editor checks a generated file against (`gateway schema mapping|config`)."""
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    from gateway.schemas import SCHEMAS

    root = write_package(Plan("schema_registry", ("things",), ("outs",), "page"), tmp_path)
    mappings = sorted((root / "schema_registry" / "mappings").glob("*.yaml"))
    assert len(mappings) == 2
    mapping_schema = jsonschema.Draft202012Validator(SCHEMAS["mapping"]())
    for path in mappings:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# yaml-language-server: $schema=./mapping.schema.json\n")
        mapping_schema.validate(yaml.safe_load(text))
    shipped = json.loads(
        (root / "schema_registry" / "mappings" / "mapping.schema.json").read_text()
    )
    assert shipped == SCHEMAS["mapping"]()
    config = yaml.safe_load((root / "example" / "gateway.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(SCHEMAS["config"]()).validate(config)
