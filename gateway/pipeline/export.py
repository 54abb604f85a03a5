"""An export run: one month's file, built whole from the store, written to an outbox once.

The job's stream (:class:`~gateway.adapter.ExportStream`) answers the month's rows in canonical
fields and a cover sheet of totals; the job's push mapping turns each row into the file's
columns. The file goes to an outside recipient, so every field the mapping classes as personal
data (``pii:``) is masked by the one policy (:mod:`gateway.masking`, docs/privacy.md).

The month is the job option ``month`` (``YYYY-MM``; ``gateway sync JOB --month``), else the
month before the run's day in Asia/Shanghai: run on the first working day of November, the
October file. The workbook is built deterministically (fixed times inside it and in its zip),
so the same rows give the same bytes. The job's checkpoint keeps, per month, the digest of the
file issued: a second run for a month whose rows are unchanged writes the same file again, byte
for byte; one whose rows changed is refused (the run fails and the issued file stays as it was),
since a recipient must never find a different file under the same name without being told.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from gateway.adapter import CURSOR_VERSION, Direction, Exchange, ExportStream
from gateway.clock import SHANGHAI
from gateway.errors import ConfigError, PermanentError, StoreError
from gateway.masking import MASKERS, PiiClass
from gateway.pipeline.context import RunContext
from gateway.private import private_dir, write_private

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Inside the file and its zip: a time fixed by the month, so a rewrite is byte for byte equal.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def parse_month(value: object) -> date:
    """``2022-10`` → 2022-10-01; anything else is a configuration error."""
    match = MONTH.match(str(value).strip())
    if match is None:
        raise ConfigError("month must be written YYYY-MM", month=str(value))
    return date(int(match.group(1)), int(match.group(2)), 1)


def previous_month(moment: datetime) -> date:
    """The first day of the month before ``moment``'s (in Asia/Shanghai)."""
    first = moment.astimezone(SHANGHAI).date().replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def month_of(run: RunContext, now: datetime) -> date:
    chosen = run.stream_ctx.options.get("month")
    return previous_month(now) if chosen in (None, "") else parse_month(chosen)


def outside_rows(run: RunContext, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """The mapped rows (header first) with personal data masked, and each row's key."""
    mapping = run.mapping
    header: list[str] = [fp.name for fp in mapping.plan.fields]
    keys: list[str] = []
    table: list[list[Any]] = [list(header)]
    for row in rows:
        result = mapping.map(row)
        if not result.ok or result.record is None:
            first = result.errors[0]
            # The store's own data failed the file's mapping: the mapping is wrong, not a row.
            raise ConfigError(
                "a row does not fit the export mapping",
                mapping=mapping.name, field=first.field, rule=first.rule,
            )  # fmt: skip
        record = result.record
        keys.append("|".join(str(record.get(k)) for k in mapping.key_fields))
        cells = []
        for name in header:
            value, pii = record.get(name), mapping.pii.get(name, PiiClass.NONE)
            masked = pii is not PiiClass.NONE and value not in (None, "")
            cells.append(MASKERS[pii](str(value)) if masked else value)
        table.append(cells)
    return keys, table


def workbook_bytes(sheets: list[tuple[str, list[list[Any]]]], stamp: datetime) -> bytes:
    """An XLSX of ``sheets`` (title, rows) whose bytes depend on its content and ``stamp`` only."""
    # Imported here: every run and most commands load this module, only an export writes a
    # workbook, and openpyxl is slow to import.
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    book = Workbook()
    book.remove(book.worksheets[0])
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.properties.created = book.properties.modified = stamp
    built = io.BytesIO()
    with zipfile.ZipFile(built, "w", zipfile.ZIP_DEFLATED) as archive:
        # ExcelWriter, not Workbook.save: save stamps the workbook with the time of saving.
        ExcelWriter(book, archive).save()
    fixed = io.BytesIO()
    with (
        zipfile.ZipFile(built) as source,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            # Each zip member carries the time it was written: one fixed time instead.
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            target.writestr(member, source.read(info.filename))
    return fixed.getvalue()


def _outbox(run: RunContext) -> Path:
    folder = run.stream_ctx.options.get("outbox")
    if not isinstance(folder, str) or not folder:
        raise ConfigError("an export job needs options.outbox (a folder)", job=run.job_name)
    path = Path(folder)
    path = path if path.is_absolute() else Path(run.stream_ctx.base_dir) / path
    try:
        return private_dir(path)
    except OSError as exc:
        raise ConfigError(
            "outbox directory cannot be created", job=run.job_name, path=str(path)
        ) from exc


def _issued(run: RunContext) -> dict[str, dict[str, Any]]:
    cursor = run.store.load_checkpoint(run.job_name)
    if cursor is None:
        return {}
    issued = cursor.get("issued")
    if cursor.get("v") != CURSOR_VERSION or not isinstance(issued, dict):
        raise StoreError("export checkpoint has an unknown format", job=run.job_name)
    return issued


def _stage(final: Path, body: bytes) -> Path:
    """Write the file under a hidden name beside its final one; :func:`_publish` renames it
    once its audit entry is committed, so a reader never sees half a workbook and no file is
    issued unrecorded."""
    part = final.with_name(f".{final.name}.part")
    try:
        write_private(part, body)
    except OSError as exc:
        raise PermanentError(
            "cannot write the outbox file", file=final.name, reason=exc.strerror
        ) from exc
    return part


def _publish(part: Path, final: Path) -> None:
    try:
        os.replace(part, final)
    except OSError as exc:
        raise PermanentError(
            "the outbox file was recorded but could not be put in place; the next run writes it",
            file=final.name, reason=exc.strerror,
        ) from exc  # fmt: skip


def _unrecorded(final: Path, digest: str, label: str) -> None:
    """A file of this name the job has no record of issuing, with other content, is left
    alone: it may be one the justice bureau already has."""
    try:
        present = hashlib.sha256(final.read_bytes()).hexdigest()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise PermanentError(
            "cannot read the outbox file", file=final.name, reason=exc.strerror
        ) from exc
    if present != digest:
        raise PermanentError(
            "a file of this name is in the outbox with other content and no record of its "
            "issue; not replaced (docs/operations.md: correcting an issued notice)",
            month=label, file=final.name,
        )  # fmt: skip


def run_export(run: RunContext, stream: ExportStream, now: datetime) -> None:
    """Build, check against what was issued, write, and audit one month's file."""
    month = month_of(run, now)
    label = f"{month:%Y-%m}"
    document = stream.build(run.stream_ctx, run.config, run.store, month)
    keys, table = outside_rows(run, document.rows)
    issued_on = (month + timedelta(days=32)).replace(day=1)
    body = workbook_bytes(
        [(document.cover_sheet, document.cover), (document.sheet, table)],
        datetime.combine(issued_on, datetime.min.time()),
    )
    digest = hashlib.sha256(body).hexdigest()
    issued = _issued(run)
    earlier = issued.get(label)
    if earlier is not None and earlier.get("sha256") != digest:
        raise PermanentError(
            "this month's file was issued with other content; not written again "
            "(docs/operations.md: correcting an issued notice)",
            month=label, file=str(earlier.get("file")), issued_rows=earlier.get("rows"),
            rows_now=len(keys),
        )  # fmt: skip
    final = _outbox(run) / document.file_name
    if earlier is None:
        _unrecorded(final, digest, label)
    part = _stage(final, body)
    exchange = Exchange(
        platform=run.job.platform,
        direction=Direction.PUSH,
        operation="file.write",
        endpoint=f"file:{final.name}",
        request_body=body,
        record_count=len(keys),
        record_keys=keys,
        # The file's digest is the entry's request digest (the body is the file).
        detail=f"month {label}" + (", rewritten unchanged" if earlier else ""),
    )
    entry = {"file": final.name, "sha256": digest, "rows": len(keys)}
    with run.store.transaction() as conn:
        run.store.save_checkpoint(
            conn,
            run.job_name,
            {"v": CURSOR_VERSION, "issued": {**issued, label: entry}},
            run.run_id,
        )
        run.audit.append(conn, run.exchange_events([exchange]))
        counts = {"read": len(keys), "inserted": 0 if earlier else len(keys)}
        counts["unchanged"] = len(keys) - counts["inserted"]
        run.commit_counts(conn, counts)
    _publish(part, final)
    run.counted(counts)
    run.report()
