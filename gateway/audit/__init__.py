"""The exchange log: an append-only, hash-chained record of every exchange with the outside.

Writing: ``AuditLog(key).append(conn, [AuditEvent, ...])`` inside the transaction of the data the
entries describe (``audit_log_from_config(config)`` builds the log from ``gateway.yaml``).
Reading and checking: :func:`verify_chain`, :func:`search`, :func:`trace`, :func:`export_entries`,
:func:`verify_export`, :func:`prune`. Signed checkpoints of the head and the witnesses that keep
them outside the store: :mod:`gateway.audit.checkpoints`, :mod:`gateway.audit.signing`,
:mod:`gateway.audit.witnesses`. The entry format and its hash are defined in
:mod:`gateway.audit.hashing`; ``docs/audit.md`` is the auditor's guide, ``docs/audit-format.md``
the byte-level specification.
"""

from gateway.audit.archive import PayloadArchive
from gateway.audit.chain import AuditLog
from gateway.audit.events import (
    AuditEvent,
    DigestedKey,
    Kind,
    MappingRef,
    dlq_discard_event,
    dlq_replay_event,
    operator_event,
    run_end_event,
    run_start_event,
)
from gateway.audit.export import export_entries, verify_export
from gateway.audit.hashing import FORMAT_VERSION, GENESIS, entry_hash
from gateway.audit.keys import KeyDigester, Sealer
from gateway.audit.prune import PruneReport, prune
from gateway.audit.query import SearchFilter, get_entry, search, trace
from gateway.audit.settings import audit_key, audit_log_from_config, payload_archive
from gateway.audit.verify import Problem, VerifyReport, verify_chain

__all__ = [
    "FORMAT_VERSION",
    "GENESIS",
    "AuditEvent",
    "AuditLog",
    "DigestedKey",
    "KeyDigester",
    "Kind",
    "MappingRef",
    "PayloadArchive",
    "Problem",
    "PruneReport",
    "Sealer",
    "SearchFilter",
    "VerifyReport",
    "audit_key",
    "audit_log_from_config",
    "dlq_discard_event",
    "dlq_replay_event",
    "entry_hash",
    "export_entries",
    "get_entry",
    "operator_event",
    "payload_archive",
    "prune",
    "run_end_event",
    "run_start_event",
    "search",
    "trace",
    "verify_chain",
    "verify_export",
]
