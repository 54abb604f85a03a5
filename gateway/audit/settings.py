"""The exchange log as the configuration describes it (``audit:`` in ``gateway.yaml``)."""

from __future__ import annotations

from gateway.audit.archive import PayloadArchive
from gateway.audit.chain import AuditLog
from gateway.audit.keys import KeyDigester, Sealer
from gateway.config import GatewayConfig
from gateway.errors import ConfigError

# An ID number has few enough plausible values to be tried one by one: the HMAC key is all
# that stands between a copy of the log and the numbers behind its digests.
MIN_KEY_LENGTH = 16


def audit_key(config: GatewayConfig) -> bytes:
    """The HMAC key for record-key digests, from the ``audit.key`` secret reference."""
    if config.audit.key is None:
        raise ConfigError(
            "audit.key is not set: set audit.key to a secret reference "
            "(env:NAME or file:PATH) holding a random key of at least "
            f"{MIN_KEY_LENGTH} characters"
        )
    key = config.audit.key.resolve(config.base_dir)
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"audit.key is too short: use a random key of at least {MIN_KEY_LENGTH} characters"
        )
    return key.encode()


def payload_archive(config: GatewayConfig) -> PayloadArchive:
    """Where archived payloads are read from (even if archiving has since been turned off)."""
    return PayloadArchive(config.path(config.audit.archive_dir))


def key_digester(config: GatewayConfig) -> KeyDigester:
    return KeyDigester(audit_key(config))


def sealer(config: GatewayConfig) -> Sealer | None:
    """The seal checker, when ``audit.key`` is configured (verification works without it)."""
    return Sealer(audit_key(config)) if config.audit.key is not None else None


def audit_log_from_config(config: GatewayConfig) -> AuditLog:
    """The writer the pipeline appends through: key, payload archive and secrets from config."""
    archive_dir = config.path(config.audit.archive_dir) if config.audit.archive_payloads else None
    return AuditLog(audit_key(config), archive_dir=archive_dir, secrets=config.secret_values())
