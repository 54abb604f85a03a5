"""The canonical store: SQLAlchemy Core over SQLite (embedded) or PostgreSQL (production)."""

from gateway.store.engine import Store
from gateway.store.records import RecordRow, UpsertCounts

__all__ = ["RecordRow", "Store", "UpsertCounts"]
