"""The database's own guard on the exchange log: triggers that refuse UPDATE and DELETE.

Migrations 2 and 3 install them (on PostgreSQL, one more refuses TRUNCATE). Pruning is the one
sanctioned delete: it lifts the DELETE guard inside its own transaction and restores it before
commit (DDL is transactional on SQLite and PostgreSQL, and the table stays locked meanwhile), so
no other session ever sees the table unguarded. The guard stops accidents and application bugs;
it cannot stop someone who owns the database. The hash chain and its seals are what detect that.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

_RAISE = "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
# Exactly the statements migration 2 runs, so a prune restores what was there.
SQLITE_TRIGGERS = {
    f"audit_log_no_{action.lower()}": f"CREATE TRIGGER audit_log_no_{action.lower()} "
    f"BEFORE {action} ON audit_log {_RAISE}"
    for action in ("UPDATE", "DELETE")
}
PG_TRIGGER = "audit_log_append_only"
# Row triggers do not fire on TRUNCATE; migration 3 adds a statement trigger for it.
PG_TRIGGERS = (PG_TRIGGER, "audit_log_no_truncate")
_PG_CREATE = (
    f"CREATE TRIGGER {PG_TRIGGER} BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
)


def guard_problems(conn: Connection) -> list[str]:
    """What is wrong with the append-only guard (missing, disabled, altered); empty if intact."""
    if conn.dialect.name == "sqlite":
        found: dict[str, str] = dict(
            conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'audit_log'"
            ).all()
        )
        return [
            f"trigger {name} is missing" if name not in found else f"trigger {name} was altered"
            for name, sql in SQLITE_TRIGGERS.items()
            if found.get(name) != sql
        ]
    found_pg = {
        str(name): (str(enabled), str(source))
        for name, enabled, source in conn.exec_driver_sql(
            "SELECT t.tgname, t.tgenabled, p.prosrc FROM pg_trigger t "
            "JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = 'audit_log'::regclass"
        )
    }
    problems = []
    for name in PG_TRIGGERS:
        if name not in found_pg:
            problems.append(f"trigger {name} is missing")
        elif found_pg[name][0] == "D":
            problems.append(f"trigger {name} is disabled")
        elif "RAISE EXCEPTION" not in found_pg[name][1].upper():
            problems.append(f"trigger {name} no longer refuses changes")
    return problems


@contextmanager
def deletes_allowed(conn: Connection) -> Iterator[None]:
    """Lift the DELETE guard for the rest of this block, inside the caller's transaction.

    No ``finally``: if the block fails, the caller's transaction rolls back, and the dropped
    trigger with it.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
        yield
        conn.exec_driver_sql(SQLITE_TRIGGERS["audit_log_no_delete"])
        return
    conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON audit_log")
    yield
    conn.exec_driver_sql(_PG_CREATE)
