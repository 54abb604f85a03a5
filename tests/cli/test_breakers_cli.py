"""A platform URL that refuses connections: a one-line reason naming the URL and the cause, a
breaker that opens, and a corrected URL that works at once; ``gateway breakers list|reset``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from gateway.cli.root import app
from tests.helpers.resilience_kit import PERSONS_JOB, World, make_world

PLATFORM = {
    "retry": {"max_attempts": 6, "max_seconds": 5, "initial_backoff": 0.05, "max_backoff": 0.2,
              "jitter": 0.01},
    "breaker": {"failure_threshold": 3, "cooldown_seconds": 600},
}  # fmt: skip
REFUSING = "http://127.0.0.1:9"


def _set_url(world: World, url: str) -> None:
    data = yaml.safe_load(world.config_path.read_text(encoding="utf-8"))
    data["platforms"]["labor_force"]["base_url"] = url
    world.config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _breakers(world: World) -> list[dict[str, Any]]:
    done = world.gateway("breakers", "list", "--json")
    assert done.returncode == 0, done.stderr
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


def test_refused_url_names_url_and_cause_and_fixed_url_syncs_without_reset(
    tmp_path: Path,
) -> None:
    """127.0.0.1:9: exit 1, one line with the URL, "connection refused", the attempts and what
    to check; the breaker is listed open. With the URL fixed the next sync succeeds, no reset;
    the old URL's breaker is listed as stale, and reset clears it (audited)."""
    world = make_world(tmp_path, size=40, seed=9, page_size=20, platform=PLATFORM)
    good = world.url
    with world.simulator():
        _set_url(world, REFUSING)
        failed = world.gateway("sync", PERSONS_JOB)
        assert failed.returncode == 1
        assert "Traceback" not in failed.stdout + failed.stderr
        reason = [line for line in failed.stdout.splitlines() if line.startswith("failed:")]
        assert len(reason) == 1, failed.stdout
        line = reason[0]
        assert f"labor_force at {REFUSING}/" in line
        assert "connection refused" in line
        assert "gave up after 3 attempts over" in line
        assert "check:" in line
        assert "port in base_url" in line
        (entry,) = [b for b in _breakers(world) if b["current"]]
        assert (entry["platform"], entry["state"], entry["base_url"]) == (
            "labor_force", "open", REFUSING,
        )  # fmt: skip
        assert entry["failures"] == 3
        assert entry["opened_at"].endswith("Z")

        _set_url(world, good)
        done = world.gateway("sync", PERSONS_JOB, "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)["status"] == "succeeded"

        listed = {(b["state"], b["current"]) for b in _breakers(world)}
        assert listed == {("closed", True), ("stale", False)}
        reset = world.gateway("breakers", "reset", "labor_force")
        assert reset.returncode == 0, reset.stderr
        assert [b["state"] for b in _breakers(world)] == ["closed"]
        audited = world.gateway("audit", "search", "--kind", "operator_action", "--json")
        assert audited.returncode == 0, audited.stderr
        assert "breakers.reset" in audited.stdout


def test_reset_of_an_unknown_platform_exits_2(tmp_path: Path) -> None:
    """A platform the configuration does not name: exit 2, one line, the known ones listed."""
    world = make_world(tmp_path, size=10, seed=1)
    done = world.gateway("breakers", "reset", "nope")
    assert done.returncode == 2
    assert "labor_force" in done.stderr
    assert "Traceback" not in done.stderr


def test_breakers_list_json_round_trip(tmp_path: Path, store_url: str) -> None:
    """breakers list --json on SQLite and PostgreSQL: the current URL's breaker, typed fields,
    and a row of an earlier URL as stale."""
    from gateway.http.breaker import breaker_key
    from gateway.store import Store, schema
    from simulators.demo.config import DemoContext, write_config

    path = write_config(DemoContext(tmp_path, size=10))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["store"]["url"] = store_url
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    url = data["platforms"]["labor_force"]["base_url"]
    store = Store(store_url)
    with store.transaction() as conn:
        for key, state in ((breaker_key("labor_force", url), "open"),
                           (breaker_key("labor_force", "http://old:1"), "open")):  # fmt: skip
            conn.execute(
                schema.breakers.insert().values(
                    platform=key,
                    state=state,
                    failures=7,
                    opened_at="2026-01-01T00:00:00.000000Z",
                    reason="connection refused",
                    updated_at="2026-01-01T00:00:00.000000Z",
                )
            )
    store.close()
    result = CliRunner().invoke(app, ["breakers", "list", "-c", str(path), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    current = {r["platform"]: r for r in rows if r["current"]}
    assert current["labor_force"] == {
        "platform": "labor_force", "base_url": url, "state": "open", "failures": 7,
        "opened_at": "2026-01-01T00:00:00.000000Z", "reason": "connection refused",
        "current": True,
    }  # fmt: skip
    assert current["inspection"]["state"] == "closed"
    assert [r["state"] for r in rows if not r["current"]] == ["stale"]
