"""Witnesses: where checkpoints are kept outside the store (``audit.witnesses`` in the config)."""

from __future__ import annotations

from gateway.audit.witnesses.base import Witness
from gateway.audit.witnesses.database import DatabaseWitness
from gateway.audit.witnesses.file import FileWitness, WitnessLine, read_lines
from gateway.audit.witnesses.http import HttpWitness
from gateway.audit.witnesses.syslog import SyslogWitness
from gateway.config import (
    DatabaseWitnessConfig,
    FileWitnessConfig,
    GatewayConfig,
    HttpWitnessConfig,
    SyslogWitnessConfig,
)

__all__ = [
    "DatabaseWitness",
    "FileWitness",
    "HttpWitness",
    "SyslogWitness",
    "Witness",
    "WitnessLine",
    "read_lines",
    "witnesses_from_config",
]


def witnesses_from_config(config: GatewayConfig) -> list[Witness]:
    found: list[Witness] = []
    for item in config.audit.witnesses:
        if isinstance(item, FileWitnessConfig):
            found.append(FileWitness(config.path(item.path)))
        elif isinstance(item, SyslogWitnessConfig):
            found.append(SyslogWitness(item.address, item.facility))
        elif isinstance(item, DatabaseWitnessConfig):
            found.append(DatabaseWitness(item.url.resolve(config.base_dir)))
        elif isinstance(item, HttpWitnessConfig):
            token = item.token.resolve(config.base_dir) if item.token else None
            found.append(HttpWitness(item.url, token, item.timeout_seconds))
    return found
