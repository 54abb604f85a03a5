"""``gateway files reingest JOB NAME``: admit again a file the job already took."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from adapters.files.cursor import InboxCursor
from adapters.files.inbox import readmit_file
from adapters.files.options import PlatformOptions, ReadOptions
from gateway.adapter import parse_options
from gateway.audit import audit_log_from_config, operator_event
from gateway.audit.settings import checkpoint_after_change
from gateway.cli.common import console, open_store, setup
from gateway.cli.options import ConfigOption
from gateway.errors import ConfigError
from gateway.pipeline.context import instance_name
from gateway.service.leases import held_lease

app = typer.Typer(help="The files inbox: admit a file again.", no_args_is_help=True)


@app.command()
def reingest(
    job: Annotated[str, typer.Argument(help="A files pull job, as named in gateway.yaml.")],
    name: Annotated[
        str, typer.Argument(help="The file's name in processed/, failed/ or the inbox.")
    ],
    config: ConfigOption = None,
) -> None:
    """Read a file the job already took, on its next run: moved back into the inbox and
    forgotten by the job's cursor, audited as an operator action."""
    cfg = setup(config)
    job_config = cfg.job(job)
    platform = cfg.platforms[job_config.platform]
    if platform.adapter != "files" or not job_config.is_pull:
        raise ConfigError("reingest needs a pull job of a files platform", job=job)
    where = f"platform {job_config.platform!r}"
    inbox_option = parse_options(PlatformOptions, platform.options or {}, where=where).inbox
    if not inbox_option:
        raise ConfigError("the files platform needs options.inbox", platform=job_config.platform)
    inbox = cfg.path(inbox_option)
    options = parse_options(ReadOptions, job_config.options, where=f"job {job!r}")
    marker = options.markers[0] if options.ready == "marker" and options.markers else None
    store = open_store(cfg)
    audit = audit_log_from_config(cfg)
    instance = cfg.service.instance_id or instance_name()
    try:
        with held_lease(store, instance, job, cfg.service.lease_seconds, threading.Event()):
            state = InboxCursor.load(store.load_checkpoint(job))
            file = readmit_file(inbox, name, marker)
            was_done = state.is_done(file.digest)
            state.forget(file.digest)
            with store.transaction() as conn:
                store.save_checkpoint(conn, job, state.dump(), "reingest")
                event = operator_event(
                    job=job,
                    action="files.reingest",
                    values={"file": name, "sha256": file.digest, "was_done": was_done},
                )
                audit.append(conn, [event])
            checkpoint_after_change(cfg, store)
    finally:
        store.close()
    console.print(f"{name} admitted again: the next run of {job} reads it (gateway sync {job})")
