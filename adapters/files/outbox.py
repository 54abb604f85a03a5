"""The outbox directory: naming a run's file, making its writer, finishing what dead runs left."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import structlog

from adapters.files.journal import SUFFIX, final_path, read_journal
from adapters.files.options import WriteOptions
from adapters.files.writer import CsvWriter, JsonlWriter, OutboxWriter
from adapters.files.xlsx_writer import XlsxWriter
from gateway.adapter import Direction, Exchange, StreamContext
from gateway.errors import ConfigError

log = structlog.get_logger(__name__)


def file_name(ctx: StreamContext, stream: str, options: WriteOptions) -> str:
    """The run's file name from the ``file_name`` template."""
    fields = {
        "job": ctx.job,
        "run_id": ctx.run_id,
        "stream": stream,
        "platform": ctx.platform_name,
        "ext": options.format,
    }
    try:
        name = options.file_name.format_map(fields)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            "file_name may only use {job}, {run_id}, {stream}, {platform} and {ext}",
            platform=ctx.platform_name,
        ) from exc
    if not name or name.startswith(".") or Path(name).name != name or "\\" in name:
        raise ConfigError(
            "file_name must name a file inside the outbox", platform=ctx.platform_name
        )
    return name


def make_writer(
    final: Path, fmt: str, options: WriteOptions, header: dict[str, Any]
) -> OutboxWriter:
    if fmt == "csv":
        return CsvWriter(final, header, options.encoding, options.delimiter)
    if fmt == "xlsx":
        return XlsxWriter(final, header, options.sheet or str(header["job"])[:31])
    return JsonlWriter(final, header)


def recover_orphans(
    ctx: StreamContext, outbox: Path, stream: str, options: WriteOptions, active: set[str]
) -> dict[str, str]:
    """Publish the files that earlier runs of this job acknowledged but never closed.

    Answers the receipts of each file's last batch, by idempotency-key digest: the only records
    whose fate the runtime may not know.
    """
    receipts: dict[str, str] = {}
    for journal in sorted(outbox.glob(f".*{SUFFIX}")):
        state = read_journal(journal)
        if state is None:
            log.warning("files.outbox_journal_unreadable", file=journal.name)
            continue
        header = state.header
        if header.get("job") != ctx.job or header.get("stream") != stream:
            continue
        if header.get("run_id") in active:
            continue
        final = final_path(journal)
        make_writer(final, str(header.get("format")), options, header).recover(
            state.size, state.rows
        )
        log.info("files.outbox_recovered", file=final.name, rows=state.rows)
        ctx.exchanges.record(
            Exchange(
                platform=ctx.platform_name,
                direction=Direction.PUSH,
                operation="file.recover",
                endpoint=f"file:{final.name}",
                record_count=state.rows,
            )
        )
        receipts.update(state.last_keys)
    return receipts
