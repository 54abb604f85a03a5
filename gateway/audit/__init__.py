"""The exchange log: an append-only, hash-chained record of every exchange with the outside."""

from gateway.audit.chain import AuditLog
from gateway.audit.events import AuditEvent, MappingRef

__all__ = ["AuditEvent", "AuditLog", "MappingRef"]
