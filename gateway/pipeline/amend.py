"""An operator's correction of a dead letter's input: for rows no mapping change can repair.

A row the reader could not parse (too many or too few columns, bytes that are not text) is kept
with every cell. The operator, who has the source, gives the corrected cells; the letter's input
becomes the row with those cells and without the reader's notes (keys written ``__name__``), and
stays open for ``gateway dlq replay``, which maps it like any other. The letter keeps its
identity: reading the broken source row again finds this letter, not a new one.

Audited as an operator action naming the letter, the columns changed and keyed digests of the
input before and after; never the values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from gateway.audit import audit_log_from_config, operator_event
from gateway.config import GatewayConfig
from gateway.errors import ConfigError, StoreError
from gateway.pipeline.reread import is_whole_input
from gateway.pipeline.runner import JobRunner
from gateway.store import Store
from gateway.store.dlq import OPEN, Letter, amend_raw, get_letter


def reader_note(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def corrected(raw: Mapping[str, Any], changes: Mapping[str, str]) -> dict[str, Any]:
    """The input with ``changes`` applied and the reader's notes gone."""
    record = {name: value for name, value in raw.items() if not reader_note(name)}
    record.update(changes)
    return record


def parse_changes(text: str, where: str) -> dict[str, str]:
    """A JSON object of column → corrected text, or one line saying what is wrong with it."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ConfigError("the correction is not JSON", source=where, at=exc.pos) from None
    if not isinstance(value, dict) or not value:
        raise ConfigError("the correction must be a JSON object of column: text", source=where)
    for column, cell in value.items():
        if not isinstance(cell, str):
            raise ConfigError("a corrected cell must be text", source=where, column=column)
        if reader_note(column):
            raise ConfigError("not a column of the input", source=where, column=column)
    return value


def amend_letter(
    config: GatewayConfig, store: Store, letter_id: int, changes: Mapping[str, str]
) -> Letter:
    """Apply ``changes`` to an open letter of a pull job; answer the letter as it is now."""
    runner = JobRunner(config, store)
    audit = audit_log_from_config(config)
    with store.transaction() as conn:
        letter = get_letter(conn, letter_id)
        if letter.status != OPEN:
            raise StoreError("only an open letter can be amended", id=letter_id,
                             status=letter.status)  # fmt: skip
        job = config.job(letter.job)
        if not job.is_pull:
            raise ConfigError("a push job's letter is sent again as it is", id=letter_id)
        if is_whole_input(letter):
            raise ConfigError(
                "a whole-file letter is fixed in the file itself, then replayed", id=letter_id
            )
        known = set(runner.mapping_for(letter.job).source_fields)
        known |= {name for name in letter.raw if not reader_note(name)}
        for column in changes:
            if column not in known:
                raise ConfigError(
                    "neither a column of the row nor one the mapping reads",
                    id=letter_id, column=column,
                )  # fmt: skip
        before = letter.raw_json
        after = orjson.dumps(corrected(letter.raw, changes)).decode()
        columns = sorted(changes)
        amend_raw(conn, letter, after, f"amended by an operator: {', '.join(columns)}")
        event = operator_event(
            job=letter.job,
            action="dlq.amend",
            values={
                "letter": letter.id,
                "columns": columns,
                "input_before": audit.key_digest(before),
                "input_after": audit.key_digest(after),
            },
        )
        audit.append(conn, [event])
        amended = get_letter(conn, letter_id)
    runner.checkpoint()
    return amended
