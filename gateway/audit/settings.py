"""The exchange log as the configuration describes it (``audit:`` in ``gateway.yaml``)."""

from __future__ import annotations

import socket
import stat

from gateway.audit.archive import PayloadArchive
from gateway.audit.chain import AuditLog
from gateway.audit.checkpoints import Checkpointer
from gateway.audit.keys import KeyDigester, Sealer
from gateway.audit.signing import (
    CheckpointSigner,
    CheckpointVerifier,
    load_private_key,
    load_public_key,
    seal_key_id,
)
from gateway.audit.witnesses import witnesses_from_config
from gateway.config import GatewayConfig
from gateway.errors import ConfigError
from gateway.store import Store

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


def _private_key_file_guarded(config: GatewayConfig, ref: str) -> None:
    """A key file anyone on the host can read is a key anyone may have used: refuse it.

    Group read is allowed: deployments hand secrets to the service through its group
    (``root:gateway 0640``).
    """
    kind, _, target = ref.partition(":")
    if kind != "file":
        return
    path = config.path(target)
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # resolving the secret names the missing file
    if mode & stat.S_IRWXO:
        raise ConfigError(
            "the checkpoint private key file is readable by everyone: chmod 600 (or 640) it",
            path=str(path),
        )


def checkpoint_signer(config: GatewayConfig) -> CheckpointSigner | None:
    """The signer, when ``audit.checkpoint.private_key`` is configured."""
    settings = config.audit.checkpoint
    if settings is None or settings.private_key is None:
        return None
    _private_key_file_guarded(config, settings.private_key)
    pem = settings.private_key.resolve(config.base_dir)
    return CheckpointSigner(load_private_key(pem, "audit.checkpoint.private_key"))


def checkpoint_verifier(config: GatewayConfig) -> CheckpointVerifier | None:
    """The public key checkpoints and manifests are checked with (derived from the private one
    when only that is configured)."""
    settings = config.audit.checkpoint
    if settings is None:
        return None
    if settings.public_key is not None:
        return CheckpointVerifier(load_public_key(config.path(settings.public_key)))
    signer = checkpoint_signer(config)
    return signer.verifier if signer is not None else None


def configured_seal_key_id(config: GatewayConfig) -> str | None:
    return seal_key_id(audit_key(config)) if config.audit.key is not None else None


def checkpointer(config: GatewayConfig, instance: str | None = None) -> Checkpointer | None:
    """What signs checkpoints for this gateway; ``None`` without a private key."""
    signer = checkpoint_signer(config)
    settings = config.audit.checkpoint
    if signer is None or settings is None:
        return None
    return Checkpointer(
        signer,
        witnesses_from_config(config),
        instance=settings.instance
        or instance
        or config.service.instance_id
        or socket.gethostname(),
        seal_key_id=configured_seal_key_id(config),
        interval_seconds=settings.interval_seconds,
    )


def checkpoint_after_change(config: GatewayConfig, store: Store) -> None:
    """An operator's change to the log (a discard, a re-ingest) is witnessed at once too."""
    signer = checkpointer(config)
    if signer is not None:
        signer.checkpoint(store)
