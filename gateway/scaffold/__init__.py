"""``gateway adapters new``: an installable adapter package, written from the templates beside
this package (package data, rendered with :class:`string.Template`) by
:mod:`gateway.scaffold.package`.

This module holds only what was asked for (:class:`Plan`) and the choices it takes, so that the
command line names them without loading the writer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.errors import ConfigError

__all__ = ["PAGING", "SIGNING", "Plan"]

NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
PAGING = ("keyset", "page", "offset", "link")
SIGNING = ("hmac-sha256", "hmac-sm3", "none")


@dataclass(frozen=True)
class Plan:
    """What ``gateway adapters new`` was asked for."""

    name: str
    pull: tuple[str, ...]
    push: tuple[str, ...]
    paging: str = "keyset"
    signing: str = "hmac-sha256"

    def __post_init__(self) -> None:
        for what, value in (("adapter", self.name), *(("stream", s) for s in self.streams)):
            if not NAME.match(value):
                raise ConfigError(
                    f"{what} name {value!r} must be lower case letters, digits and _, "
                    "starting with a letter"
                )
        if len(set(self.streams)) != len(self.streams):
            raise ConfigError("a stream name is given twice")
        if not self.streams:
            raise ConfigError("an adapter needs at least one stream (--pull or --push)")
        if self.paging not in PAGING:
            raise ConfigError(f"paging must be one of {', '.join(PAGING)}", paging=self.paging)
        if self.signing not in SIGNING:
            raise ConfigError(f"signing must be one of {', '.join(SIGNING)}", signing=self.signing)

    @property
    def streams(self) -> tuple[str, ...]:
        return self.pull + self.push

    @property
    def signature(self) -> str:
        """The configuration's ``signature``: the client signs always (HMAC-SHA256 where the
        platform checks nothing)."""
        return "hmac-sha256" if self.signing == "none" else self.signing
