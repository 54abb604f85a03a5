"""structlog set-up: one processor chain, readable in ten lines.

JSON when not on a terminal (or when asked), readable colours on a terminal. The job and run are
bound with :func:`bind_run`. Masking and secret-dropping are processors in the chain, so nothing
reaches a handler unmasked.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from pathlib import Path
from typing import Any

import structlog

from gateway.masking import scrub_text

_REDACTED = "[secret]"


class DropSecrets:
    """Replace every configured secret value, wherever it appears, by a fixed marker."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self.secrets:
                if secret in value:
                    value = value.replace(secret, _REDACTED)
            return value
        if isinstance(value, dict):
            return {k: self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._clean(v) for v in value]
        return value

    def __call__(self, _logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
        return {k: self._clean(v) for k, v in event.items()} if self.secrets else event


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, BaseException):
        return scrub_text(f"{type(value).__name__}: {value}")
    return value


def mask_personal_data(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
    """Mask ID numbers and mobile numbers in every value, including rendered exceptions."""
    return {k: _scrub(v) for k, v in event.items()}


def configure_logging(
    level: str = "INFO",
    fmt: str = "auto",
    file: Path | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Route structlog (and the standard library's logging) through the masking chain."""
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        mask_personal_data,
        DropSecrets(secrets),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    handlers[0].setFormatter(
        structlog.stdlib.ProcessorFormatter(processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *shared[4:], renderer],
            foreign_pre_chain=shared[:4],
        )
    )
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(file, encoding="utf-8")
        file_handler.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                processors=[
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    *shared[4:],
                    structlog.processors.JSONRenderer(),
                ],
                foreign_pre_chain=shared[:4],
            )
        )
        handlers.append(file_handler)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared[:4], structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=False,
    )


def bind_run(job: str, run_id: str) -> None:
    structlog.contextvars.bind_contextvars(job=job, run_id=run_id)


def unbind_run() -> None:
    structlog.contextvars.unbind_contextvars("job", "run_id")


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
