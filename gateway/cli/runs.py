"""``gateway runs [JOB]``: the run history, newest first, with counts and reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from gateway.cli.common import console, open_store, print_json, setup
from gateway.cli.display import Column, duration, local, seconds_between, utc, zone, zone_note
from gateway.cli.display import table as display_table
from gateway.cli.options import ConfigOption, JsonOption
from gateway.clock import to_iso, utc_now
from gateway.errors import ConfigError
from gateway.store import history
from gateway.store.engine import RUN_COUNTERS

_UNITS = {"m": 60, "h": 3600, "d": 86400}


def since_bound(value: str, now: datetime) -> str:
    """``--since``: a span back from now (``30m``, ``12h``, ``7d``) or an ISO date/time (UTC
    when it names no zone), as the ISO UTC string runs are stored with."""
    text = value.strip()
    if text[:-1].isdigit() and text[-1:] in _UNITS:
        return to_iso(now - timedelta(seconds=int(text[:-1]) * _UNITS[text[-1]]))
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            "--since must be a span (30m, 12h, 7d) or an ISO date or time", since=value
        ) from None
    return to_iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def run_json(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": run["id"],
        "job": run["job"],
        "instance": run["instance"],
        "status": run["status"],
        "started_at": utc(run["started_at"]),
        "ended_at": utc(run["ended_at"]),
        "seconds": seconds_between(run["started_at"], run["ended_at"]),
        **{name: int(run[name]) for name in RUN_COUNTERS},
        "error": run["error"],
        "partition": run.get("partition"),
        "round": utc(run["round"]) if run.get("round") else None,
    }


def _counts(run: dict[str, Any]) -> str:
    shown = [f"{run[name]:,} {name}" for name in RUN_COUNTERS if run[name]]
    return ", ".join(shown) or "nothing read"


def runs(
    job: Annotated[str | None, typer.Argument(help="Only this job's runs.")] = None,
    last: Annotated[int, typer.Option("--last", min=1, help="How many runs to show.")] = 20,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Runs started since: 30m, 12h, 7d, or an ISO date/time."),
    ] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Runs newest first: start, end, duration, outcome, counts and reason."""
    cfg = setup(config, log_to_file=False)
    if job is not None:
        cfg.job(job)
    bound = since_bound(since, utc_now()) if since else None
    store = open_store(cfg)
    try:
        found = [run_json(r) for r in history.runs(store, job, last=last, since=bound)]
    finally:
        store.close()
    if json:
        print_json(found)
        return
    tz = zone(cfg)
    columns = [Column("job", "key"), Column("outcome", "key"), Column("started"),
               Column("took"), Column("counts"), Column("reason")]  # fmt: skip
    cells = [
        [
            f"{r['job']}/{r['partition']}" if r["partition"] else r["job"],
            r["status"],
            local(r["started_at"], tz),
            duration(r["seconds"]),
            _counts(r),
            r["error"] or "",
        ]
        for r in found
    ]
    title = f"Runs of {job}" if job else "Runs"
    console.print(display_table(title, columns, cells, console.width))
    console.print(f"{len(found)} run(s); {zone_note(cfg)}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(runs)
