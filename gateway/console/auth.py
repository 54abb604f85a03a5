"""Local accounts, sign-in with lockout, and sessions in signed cookies.

Passwords are hashed with argon2 (argon2-cffi's defaults); the store keeps the hash alone. After
``console.lockout_failures`` failures in a row an account is locked for
``console.lockout_minutes``, a correct password included. A session is a cookie signed with a
key derived from ``audit.key`` for this one purpose (itsdangerous), holding the account's name;
each request reads the account again, so a removed account loses its sessions at once.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update

from gateway.clock import parse_iso, to_iso, utc_now
from gateway.config import ConsoleConfig
from gateway.errors import ConfigError
from gateway.store import Store, schema

_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")
_SESSION_CONTEXT = b"gateway console session v1"
MIN_PASSWORD = 10
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


class Role(StrEnum):
    AUDITOR = "auditor"
    OPERATOR = "operator"


@dataclass(frozen=True)
class User:
    name: str
    role: Role


class Outcome(StrEnum):
    OK = "ok"
    REFUSED = "refused"
    LOCKED = "locked"


def check_name(name: str) -> str:
    if not 1 <= len(name) <= 64 or not set(name) <= NAME_CHARS:
        raise ConfigError("a user name is 1-64 of a-z, 0-9, '.', '_' and '-'")
    return name


def known_user(store: Store, name: str) -> bool:
    """Whether ``name`` is an account: what a sign-in entry may name in the exchange log."""
    if not 1 <= len(name) <= 64 or not set(name) <= NAME_CHARS:
        return False
    table = schema.console_users
    with store.connect() as conn:
        return conn.execute(select(table.c.name).where(table.c.name == name)).first() is not None


def add_user(store: Store, name: str, role: Role, password: str) -> None:
    check_name(name)
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password must have at least {MIN_PASSWORD} characters")
    table = schema.console_users
    with store.transaction() as conn:
        if conn.execute(select(table.c.name).where(table.c.name == name)).first() is not None:
            raise ConfigError("this user exists already", user=name)
        conn.execute(
            table.insert().values(
                name=name,
                role=role.value,
                password_hash=_hasher.hash(password),
                created_at=to_iso(utc_now()),
                failures=0,
            )
        )


def list_users(store: Store) -> list[dict[str, str | int | None]]:
    table = schema.console_users
    query = select(
        table.c.name, table.c.role, table.c.created_at, table.c.last_sign_in_at, table.c.failures
    ).order_by(table.c.name)
    with store.connect() as conn:
        return [{str(k): v for k, v in row._mapping.items()} for row in conn.execute(query)]


def get_user(store: Store, name: str) -> User | None:
    table = schema.console_users
    with store.connect() as conn:
        row = conn.execute(select(table.c.role).where(table.c.name == name)).first()
    if row is None or row.role not in {r.value for r in Role}:
        return None
    return User(name, Role(row.role))


def sign_in(
    store: Store, settings: ConsoleConfig, name: str, password: str, now: datetime | None = None
) -> tuple[Outcome, User | None]:
    """Check a password, counting failures and locking the account after too many."""
    now = now or utc_now()
    table = schema.console_users
    with store.transaction() as conn:
        # FOR UPDATE: parallel guesses on PostgreSQL each wait for the count before theirs.
        row = conn.execute(select(table).where(table.c.name == name).with_for_update()).first()
        if row is None:
            _verify(_DUMMY_HASH, password)
            return Outcome.REFUSED, None
        if row.locked_until and parse_iso(row.locked_until) > now:
            return Outcome.LOCKED, None
        if _verify(row.password_hash, password):
            values: dict[str, object] = {
                "failures": 0,
                "locked_until": None,
                "last_sign_in_at": to_iso(now),
            }
            if _hasher.check_needs_rehash(row.password_hash):
                values["password_hash"] = _hasher.hash(password)
            conn.execute(update(table).where(table.c.name == name).values(**values))
            return Outcome.OK, User(name, Role(row.role))
        failures = int(row.failures or 0) + 1
        locked = failures >= settings.lockout_failures
        conn.execute(
            update(table)
            .where(table.c.name == name)
            .values(
                failures=0 if locked else failures,
                locked_until=to_iso(now + timedelta(minutes=settings.lockout_minutes))
                if locked
                else None,
            )
        )
        return (Outcome.LOCKED if locked else Outcome.REFUSED), None


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


class Sessions:
    """Signed, time-limited session cookies naming the account."""

    COOKIE = "gateway_console"

    def __init__(self, audit_key: bytes, hours: float) -> None:
        secret = hmac.new(audit_key, _SESSION_CONTEXT, hashlib.sha256).hexdigest()
        self._serializer = URLSafeTimedSerializer(secret, salt="session")
        self.max_age = int(hours * 3600)

    def issue(self, user: User) -> str:
        return self._serializer.dumps({"u": user.name})

    def read(self, cookie: str | None) -> str | None:
        """The account name a valid, unexpired cookie holds."""
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return None
        name = data.get("u") if isinstance(data, dict) else None
        return name if isinstance(name, str) else None
