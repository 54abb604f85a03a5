"""Replaying a push job's dead letters: sending the records to the platform again.

A push letter is a canonical record the job could not deliver: the push mapping refused it, or
the platform rejected it. Replay re-sends the record *as the store holds it now*, through the
current push mapping and the job's push stream, with the outbox protocol of a push run
('sending' committed before the request; an in-doubt key is looked up before any resend):

- the record changed since (the letter's change number is gone from the store) → superseded:
  the push job sends, or has sent, the newer version, so the letter is discarded with a note;
- the target already accepted this very version (the push job re-sent it after a reset) →
  the letter is replayed without sending anything;
- the mapping still refuses it, or the platform rejects it again → the letter stays open.

Idempotency keys: a record never answered under the push job's own key is sent under that key,
so a later push run (say, after ``sync --reset``) recognises it and cannot send a second copy.
A record the platform already rejected under that key gets a key of its own per replay attempt
(it includes the letter's id and attempt count), because a platform may keep answering a key it
has seen with its first answer. The attempt count only changes in the transaction that records
the answer, so a replay that crashed after sending reuses its key and finds the answer.
"""

from __future__ import annotations

import re

import orjson
from sqlalchemy import Connection, select

from gateway.adapter import (
    Direction,
    Exchange,
    ExchangeRecorder,
    OutgoingRecord,
    PushOutcome,
    PushStatus,
    PushStream,
    StreamContext,
    load_adapter,
    parse_options,
)
from gateway.audit import AuditEvent, MappingRef
from gateway.errors import ConfigError, GatewayError, PermanentError
from gateway.mapping import CompiledMapping, FieldIssue
from gateway.masking import scrub_text
from gateway.pipeline.context import key_masker
from gateway.pipeline.push import idempotency_key
from gateway.pipeline.replay_session import ChunkOutcome, ReplayResult, ReplaySession
from gateway.store import outbox, schema
from gateway.store.breakers import StoreBreakerLedger
from gateway.store.crypto import sealer_of
from gateway.store.dlq import Letter
from gateway.store.records import ChangedRecord, open_record

_STORE_SOURCE = re.compile(r"^store:(?P<entity>[^#]+)#(?P<seq>\d+)$")
# Per idempotency key: the letters it settles, what is sent, and its outbox row.
Ready = tuple[list[Letter], OutgoingRecord, outbox.OutboxEntry]


class PushReplay:
    """Replays one push job's letters, in batches of the job's batch size."""

    def __init__(self, replayer: ReplaySession, job_name: str, mapping: CompiledMapping) -> None:
        config = replayer.config
        job = config.job(job_name)
        platform = config.platforms[job.platform]
        stream = load_adapter(platform.adapter).stream(job.stream, Direction.PUSH)
        if not isinstance(stream, PushStream):
            raise ConfigError("job target is not a push stream", job=job_name)
        self.replayer = replayer
        self.store = replayer.store
        self.job = job_name
        self.batch_size = job.batch_size
        self.mapping = mapping
        self.stream = stream
        options = {"page_size": job.batch_size, **job.options}
        self.ctx = StreamContext(
            job=job_name,
            run_id=replayer.replay_id,
            platform_name=job.platform,
            platform=platform,
            options=options,
            exchanges=ExchangeRecorder(),
            base_dir=str(config.base_dir),
            validated_options=parse_options(
                stream.options_model, options, where=f"job {job_name!r}"
            ),
            # The store's breakers: a replay sees, and feeds, the platform's failure streak.
            breakers=StoreBreakerLedger(self.store),
        )

    def replay(self, letters: list[Letter], result: ReplayResult) -> None:
        try:
            for start in range(0, len(letters), self.batch_size):
                self._batch(letters[start : start + self.batch_size], result)
        except GatewayError:
            # Attempts made before the failure still reached the platform: log them.
            self._log_exchanges()
            raise
        finally:
            self.stream.close(self.ctx)

    def _log_exchanges(self) -> None:
        exchanges = self.ctx.exchanges.drain()
        if exchanges:
            with self.store.transaction() as conn:
                self.replayer.audit.append(conn, self._exchange_events(exchanges))

    def _exchange_events(self, exchanges: list[Exchange]) -> list[AuditEvent]:
        ref = MappingRef(self.mapping.name, self.mapping.version, self.mapping.digest)
        masker = key_masker(self.mapping)
        run = self.replayer.replay_id
        return [
            AuditEvent.from_exchange(ex, run_id=run, job=self.job, mapping=ref, key_masker=masker)
            for ex in exchanges
        ]

    def _batch(self, letters: list[Letter], result: ReplayResult) -> None:
        outcome = ChunkOutcome()
        ready: dict[str, Ready] = {}
        with self.store.connect() as conn:
            for letter in letters:
                self._prepare(conn, letter, outcome, ready)
        answers = self._send(ready) if ready else {}
        unknown = [k for k in ready if k not in answers]
        with self.store.transaction() as conn:
            outbox.record_outcomes(
                conn,
                self.job,
                [(o.idempotency_key, o.status.value, o.receipt, o.code, o.reason)
                 for o in answers.values()],
            )  # fmt: skip
            for key, answer in answers.items():
                letters_of_key, record, _entry = ready[key]
                reason = scrub_text(answer.reason or "")
                issue = FieldIssue("(platform)", answer.code or "rejected", None, reason)
                for letter in letters_of_key:
                    if answer.status is PushStatus.ACCEPTED:
                        outcome.replayed.append((letter, record.key))
                    else:
                        outcome.failing.append((letter, [issue], record.key))
            events = self._exchange_events(self.ctx.exchanges.drain())
            self.replayer.apply(conn, self.job, self.mapping, outcome, result, events)
        if unknown:
            # Their letters stay open and their outbox rows 'sending': the next replay asks the
            # platform about these keys before it sends anything again.
            raise PermanentError(
                "the platform did not say what became of some replayed records; "
                "replay again to ask it",
                job=self.job,
                count=len(unknown),
            )

    def _prepare(
        self,
        conn: Connection,
        letter: Letter,
        outcome: ChunkOutcome,
        ready: dict[str, Ready],
    ) -> None:
        match = _STORE_SOURCE.match(letter.source)
        if match is None:
            issue = FieldIssue("(replay)", "unknown_source", None, "not a store record")
            outcome.failing.append((letter, [issue], None))
            return
        record = record_at(conn, match["entity"], int(match["seq"]))
        if record is None:
            outcome.superseded.append(letter)
            return
        if accepted_version(conn, self.job, record.key, record.content_hash):
            outcome.replayed.append((letter, record.key))
            return
        mapped = self.mapping.map(orjson.loads(record.payload))
        if not mapped.ok or mapped.record is None:
            outcome.failing.append((letter, mapped.errors, record.key))
            return
        key = replay_key(conn, self.job, letter, record)
        if key in ready:
            # Two letters for one record (a reset push job filed it twice): one send for both.
            ready[key][0].append(letter)
            return
        entry = outbox.OutboxEntry(key, record.key, record.content_hash, record.change_seq)
        ready[key] = ([letter], OutgoingRecord(record.key, key, mapped.record), entry)

    def _send(self, ready: dict[str, Ready]) -> dict[str, PushOutcome]:
        """The outbox protocol of a push run; answers for every key the platform settled."""
        with self.store.transaction() as conn:
            states = outbox.known_states(conn, self.job, list(ready))
            outbox.mark_sending(conn, self.job, [entry for _l, _r, entry in ready.values()])
        answers: dict[str, PushOutcome] = {}
        in_doubt = [k for k, state in states.items() if state == outbox.SENDING]
        if in_doubt:
            for found in self.stream.lookup(self.ctx, in_doubt) or []:
                if found.status is not PushStatus.UNKNOWN and found.idempotency_key in ready:
                    answers[found.idempotency_key] = found
        to_send = [record for k, (_l, record, _e) in ready.items() if k not in answers]
        if to_send:
            for sent in self.stream.send(self.ctx, to_send):
                if sent.status is not PushStatus.UNKNOWN and sent.idempotency_key in ready:
                    answers[sent.idempotency_key] = sent
        return answers


def record_at(conn: Connection, entity: str, change_seq: int) -> ChangedRecord | None:
    """The record whose current version has ``change_seq``; ``None`` if it changed since."""
    table = schema.records
    row = conn.execute(
        select(table.c.key, table.c.payload, table.c.content_hash, table.c.change_seq).where(
            table.c.entity == entity, table.c.change_seq == change_seq
        )
    ).first()
    if row is None:
        return None
    key, payload = open_record(sealer_of(conn), row.key, row.payload)
    return ChangedRecord(key, payload, row.content_hash, row.change_seq)


def accepted_version(conn: Connection, job: str, record_key: str, content_hash: str) -> bool:
    table = schema.outbox
    row = conn.execute(
        select(table.c.idempotency_key).where(
            table.c.job == job,
            table.c.record_key == outbox.stored_key(conn, job, record_key),
            table.c.content_hash == content_hash,
            table.c.status == outbox.ACCEPTED,
        )
    ).first()
    return row is not None


def replay_key(conn: Connection, job: str, letter: Letter, record: ChangedRecord) -> str:
    """The idempotency key for re-sending ``record`` (see the module docstring)."""
    first = idempotency_key(job, record.key, record.content_hash)
    if outbox.known_states(conn, job, [first]).get(first) != outbox.REJECTED:
        return first
    attempt = f"{record.content_hash}/replay/{letter.id}/{letter.attempts}"
    return idempotency_key(job, record.key, attempt)
