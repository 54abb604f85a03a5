"""``gateway state show|set|clear JOB``: where a job resumes.

A pull job's position is its versioned cursor (as its stream wrote it); a push job's is the
store's change sequence it has sent up to, with its outbox. ``set`` is checked against the
stream's cursor version and fields (:meth:`gateway.adapter.PullStream.check_cursor`) and
``clear`` is what ``sync --reset`` does; both hold the job's lease and are audited as operator
actions. Record keys in a cursor (an ID number as ``after_key``) are shown masked.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

import orjson
import typer
from sqlalchemy import func, select

from gateway.adapter import CURSOR_VERSION, PullStream
from gateway.audit import operator_event
from gateway.cli.common import console, open_store, print_json, setup
from gateway.cli.display import local, utc, zone
from gateway.cli.options import ConfigOption, JsonOption
from gateway.config import GatewayConfig
from gateway.errors import ConfigError
from gateway.pipeline import JobRunner
from gateway.pipeline.context import instance_name, key_masker
from gateway.service.leases import held_lease
from gateway.store import Store, schema

app = typer.Typer(help="Where each job resumes: show, set or clear its saved position.")
JobArgument = Annotated[str, typer.Argument(help="The job, as named in gateway.yaml.")]


def _masked(cfg: GatewayConfig, store: Store, job: str, cursor: Any) -> Any:
    if not isinstance(cursor, dict) or not cursor.get("after_key"):
        return cursor
    mask = key_masker(JobRunner(cfg, store).mapping_for(job))
    return {**cursor, "after_key": mask(str(cursor["after_key"]))}


def position(cfg: GatewayConfig, store: Store, job: str) -> dict[str, Any]:
    """The job's saved position as ``state show --json`` prints it."""
    spec = cfg.job(job)
    table = schema.checkpoints
    with store.connect() as conn:
        row = conn.execute(
            select(table.c.run_id, table.c.updated_at).where(table.c.job == job)
        ).first()
        found: dict[str, Any] = {
            "job": job,
            "direction": "pull" if spec.is_pull else "push",
            "cursor": _masked(cfg, store, job, store.load_checkpoint(job)),
            "saved_at": utc(row.updated_at) if row else None,
            "saved_by_run": row.run_id if row else None,
        }
        if not spec.is_pull:
            outbox = schema.outbox
            counts = conn.execute(
                select(outbox.c.status, func.count())
                .where(outbox.c.job == job)
                .group_by(outbox.c.status)
            ).all()
            found["outbox"] = {str(status): int(count) for status, count in counts}
            found["store_change_seq"] = _latest_seq(conn)
    return found


def _latest_seq(conn: Any) -> int:
    table = schema.counters
    value = conn.execute(
        select(table.c.value).where(table.c.name == "record_change_seq")
    ).scalar_one_or_none()
    return int(value or 0)


@app.command()
def show(job: JobArgument, config: ConfigOption = None, json: JsonOption = False) -> None:
    """The job's cursor (pull) or outbox position (push), and when it was saved."""
    cfg = setup(config, log_to_file=False)
    store = open_store(cfg)
    try:
        found = position(cfg, store, job)
    finally:
        store.close()
    if json:
        print_json(found)
        return
    cursor = found["cursor"]
    text = orjson.dumps(cursor).decode() if cursor is not None else "none (reads from the start)"
    console.print(f"{job} ({found['direction']}): {text}", highlight=False, soft_wrap=True)
    if found["saved_at"]:
        when = local(found["saved_at"], zone(cfg))
        console.print(f"saved {when} ({cfg.display.timezone}) by run {found['saved_by_run']}")
    if "outbox" in found:
        parts = ", ".join(f"{n} {s}" for s, n in sorted(found["outbox"].items())) or "empty"
        console.print(f"outbox: {parts}; store change sequence at {found['store_change_seq']}")


def check_position(cfg: GatewayConfig, store: Store, job: str, value: Any) -> dict[str, Any]:
    """The cursor ``value`` if the job's stream can resume from it; else a ConfigError."""
    if not isinstance(value, dict):
        raise ConfigError("the position must be a JSON object", job=job)
    spec = cfg.job(job)
    if spec.is_pull:
        stream = JobRunner(cfg, store).stream(job)
        if isinstance(stream, PullStream):
            stream.check_cursor(value)
        return value
    seq = value.get("seq")
    if set(value) != {"v", "seq"} or value.get("v") != CURSOR_VERSION:
        raise ConfigError(f'a push position is {{"v": {CURSOR_VERSION}, "seq": N}}', job=job)
    with store.connect() as conn:
        latest = _latest_seq(conn)
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= latest:
        raise ConfigError("seq must be a whole number from 0 to the store's", latest=latest)
    return value


def _change(cfg: GatewayConfig, job: str, action: str, new: dict[str, Any] | None) -> None:
    store = open_store(cfg)
    runner = JobRunner(cfg, store)
    try:
        if new is not None:
            new = check_position(cfg, store, job, new)
        with held_lease(store, instance_name(), job, cfg.service.lease_seconds, threading.Event()):
            before = _masked(cfg, store, job, store.load_checkpoint(job))
            with store.transaction() as conn:
                if new is None:
                    conn.execute(schema.checkpoints.delete().where(schema.checkpoints.c.job == job))
                else:
                    store.save_checkpoint(conn, job, new, "operator")
                values = {"before": before, "after": _masked(cfg, store, job, new)}
                runner.audit.append(conn, [operator_event(job=job, action=action, values=values)])
    finally:
        store.close()


@app.command("set")
def set_position(
    job: JobArgument,
    value: Annotated[
        str, typer.Argument(help='The new position as JSON, e.g. \'{"v": 1, "seq": 0}\'.')
    ],
    config: ConfigOption = None,
) -> None:
    """Make the job resume from this position (checked against its stream; audited)."""
    cfg = setup(config, log_to_file=False)
    cfg.job(job)
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        raise ConfigError("the position is not valid JSON", job=job) from None
    _change(cfg, job, "state.set", parsed)
    console.print(f"{job}: position set; the next run resumes there", highlight=False)


@app.command()
def clear(job: JobArgument, config: ConfigOption = None) -> None:
    """Forget the job's position: the next run reads from the start (as sync --reset; audited)."""
    cfg = setup(config, log_to_file=False)
    cfg.job(job)
    _change(cfg, job, "state.clear", None)
    console.print(f"{job}: position cleared; the next run reads from the start", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="state")
