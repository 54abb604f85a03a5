"""Faults of the environment (disk, permissions, locks) told apart from bugs, in one line.

A run that dies because the store's disk is full or read-only is not a bug in the gateway: the
operator needs the cause and what to do, not a traceback. Anything not recognised here is a
bug, and keeps its traceback in the log.
"""

from __future__ import annotations

import errno
import sqlite3

from sqlalchemy.exc import DBAPIError

# (text in the database's message, the cause in words, what to do)
_DATABASE_FAULTS = (
    ("disk is full", "the store's disk is full", "free space on the store's disk and run again"),
    ("database or disk is full", "the store's disk is full", "free space and run again"),
    ("readonly database", "the store is read-only", "check the store file's permissions"),
    ("read-only", "the store is read-only", "check the store's permissions and mount"),
    ("database is locked", "the store is locked by another process", "run again later"),
    ("unable to open database", "the store cannot be opened", "check the store's path"),
    ("no space left", "the store's disk is full", "free space on the store's disk"),
    ("permission denied", "permission denied", "check the permissions of the store"),
)
_OS_FAULTS = {
    errno.ENOSPC: ("no space left on the disk", "free space and run again"),
    errno.EDQUOT: ("disk quota exceeded", "free space or raise the quota"),
    errno.EROFS: ("the file system is read-only", "check the mount"),
    errno.EACCES: ("permission denied", "check the permissions"),
    errno.EPERM: ("operation not permitted", "check the permissions"),
}
# PostgreSQL SQLSTATE classes the operator fixes, not the code.
_PG_STATES = {
    "53100": ("the database server's disk is full", "free space on the server"),
    "53200": ("the database server is out of memory", "check the server"),
    "25006": ("the database is read-only", "check the server's state (a standby?)"),
    "42501": ("the database role lacks a privilege", "grant the runtime role its rights"),
    "57P03": ("the database server is starting or shutting down", "run again later"),
}


def environment_fault(exc: BaseException) -> str | None:
    """A one-line reason when ``exc`` is a fault of the environment, else ``None``."""
    cause: BaseException | None = exc
    while cause is not None:
        reason = _one(cause)
        if reason is not None:
            return reason
        cause = cause.__cause__ or cause.__context__
    return None


def _one(exc: BaseException) -> str | None:
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return _one(exc.orig)
    state = getattr(exc, "sqlstate", None)
    if isinstance(state, str) and state in _PG_STATES:
        cause, todo = _PG_STATES[state]
        return f"{cause}: {todo}"
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        for needle, cause, todo in _DATABASE_FAULTS:
            if needle in text:
                return f"{cause}: {todo}"
        return None
    if isinstance(exc, OSError) and exc.errno in _OS_FAULTS:
        cause, todo = _OS_FAULTS[exc.errno]
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{cause}{where}: {todo}"
    return None
