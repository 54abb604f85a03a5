"""``gateway files reingest JOB NAME``: admit again a file the job already took."""

from __future__ import annotations

from typing import Annotated

import typer

from adapters.files.cursor import InboxCursor
from adapters.files.inbox import FAILED, PROCESSED, REASON_SUFFIX, content_digest
from adapters.files.options import PlatformOptions
from gateway.audit import audit_log_from_config, operator_event
from gateway.audit.settings import checkpoint_after_change
from gateway.cli.common import ConfigOption, console, open_store, setup
from gateway.errors import ConfigError

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
    inbox_option = PlatformOptions.model_validate(dict(platform.options or {})).inbox
    if not inbox_option:
        raise ConfigError("the files platform needs options.inbox", platform=job_config.platform)
    inbox = cfg.path(inbox_option)
    candidates = [inbox / folder / name for folder in (PROCESSED, FAILED)] + [inbox / name]
    found = next((path for path in candidates if path.is_file()), None)
    if found is None or ".." in name or name.startswith("/"):
        raise ConfigError("no such file in the inbox, processed/ or failed/", file=name)
    digest = content_digest(found)
    store = open_store(cfg)
    audit = audit_log_from_config(cfg)
    try:
        state = InboxCursor.load(store.load_checkpoint(job))
        with store.transaction() as conn:
            was_done = state.is_done(digest)
            state.done = [d for d in state.done if d != digest]
            if state.file == digest:
                state.file, state.row = None, 0
            store.save_checkpoint(conn, job, state.dump(), "reingest")
            event = operator_event(
                job=job,
                action="files.reingest",
                values={"file": name, "sha256": digest, "was_done": was_done},
            )
            audit.append(conn, [event])
            target = inbox / found.name
            if found != target:
                found.replace(target)
            found.with_name(found.name + REASON_SUFFIX).unlink(missing_ok=True)
        checkpoint_after_change(cfg, store)
    finally:
        store.close()
    console.print(f"{name} admitted again: the next run of {job} reads it (gateway sync {job})")
