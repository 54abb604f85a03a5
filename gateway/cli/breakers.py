"""``gateway breakers list|reset PLATFORM``: the circuit breakers the store keeps.

A breaker belongs to a platform at one base URL (:func:`gateway.http.breaker.breaker_key`);
a row left from a URL the configuration no longer names is listed as ``stale`` (it is never
consulted again). ``reset`` closes every breaker of a platform and is audited.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gateway.audit import audit_log_from_config, operator_event
from gateway.cli.common import console, open_store, print_json, setup
from gateway.cli.display import Column, local, utc, zone, zone_note
from gateway.cli.display import table as display_table
from gateway.cli.options import ConfigOption, JsonOption
from gateway.config import GatewayConfig
from gateway.errors import ConfigError
from gateway.http.breaker import breaker_key, platform_of, safe_url
from gateway.store.breakers import breaker_rows, reset_breakers

app = typer.Typer(help="Circuit breakers: which platforms are refused now, and resetting them.")


def breaker_list(cfg: GatewayConfig, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every configured HTTP platform's breaker (closed when it has no row), then stale rows."""
    by_key = {row["platform"]: row for row in rows}
    found: list[dict[str, Any]] = []
    current: set[str] = set()
    for name, platform in sorted(cfg.platforms.items()):
        if not platform.base_url:
            continue
        key = breaker_key(name, platform.base_url)
        current.add(key)
        row = by_key.get(key)
        found.append(_entry(name, safe_url(platform.base_url), row, current=True))
    for key, row in sorted(by_key.items()):
        if key not in current:
            found.append(_entry(platform_of(key), None, row, current=False))
    return found


def _entry(
    platform: str, url: str | None, row: dict[str, Any] | None, *, current: bool
) -> dict[str, Any]:
    return {
        "platform": platform,
        "base_url": url,
        "state": (row["state"] if row else "closed") if current else "stale",
        "failures": int(row["failures"]) if row else 0,
        "opened_at": utc(row["opened_at"]) if row else None,
        "reason": row["reason"] if row else None,
        "current": current,
    }


@app.command("list")
def list_breakers(config: ConfigOption = None, json: JsonOption = False) -> None:
    """Each platform's breaker: state, failures in a row, when it opened and why."""
    cfg = setup(config, log_to_file=False)
    store = open_store(cfg)
    try:
        entries = breaker_list(cfg, breaker_rows(store))
    finally:
        store.close()
    if json:
        print_json(entries)
        return
    tz = zone(cfg)
    columns = [Column("platform", "key"), Column("state", "key"), Column("failures", "number"),
               Column("opened"), Column("base URL"), Column("last failure")]  # fmt: skip
    cells = [
        [
            e["platform"],
            e["state"],
            str(e["failures"]),
            local(e["opened_at"], tz),
            e["base_url"] or "(an earlier base URL)",
            e["reason"] or "",
        ]
        for e in entries
    ]
    console.print(display_table("Circuit breakers", columns, cells, console.width))
    console.print(zone_note(cfg), highlight=False)


@app.command("reset")
def reset(
    platform: Annotated[str, typer.Argument(help="The platform, as named in gateway.yaml.")],
    config: ConfigOption = None,
) -> None:
    """Close the platform's breaker now (after fixing what made it open); audited."""
    cfg = setup(config, log_to_file=False)
    if platform not in cfg.platforms:
        known = ", ".join(sorted(cfg.platforms)) or "none"
        raise ConfigError(f"no platform named {platform!r}", known=known)
    store = open_store(cfg)
    try:
        removed = reset_breakers(store, platform)
        with store.transaction() as conn:
            event = operator_event(
                job="-", action="breakers.reset", values={"platform": platform, "rows": removed}
            )
            audit_log_from_config(cfg).append(conn, [event])
    finally:
        store.close()
    console.print(f"{platform}: breaker closed ({removed} row(s) reset)", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="breakers")
