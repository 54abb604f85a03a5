"""structlog set-up: one processor chain, readable in ten lines.

JSON when not on a terminal (or when asked), readable colours on a terminal. The job and run are
bound with :func:`bind_run`. Every handler renders through the same safety chain: secrets are
dropped, then personal data is masked, right before rendering, for structlog's own events and for
standard-library records (httpx, uvicorn) alike, tracebacks included.

Values are masked by shape (``scrub_text``: ID numbers, mobile numbers), by key (``name``,
``*_name``, ``id_number``, ``phone``, the MOHRSS codes: see
:func:`gateway.masking.pii_class_for_key`) and by mark (a :class:`gateway.masking.Pii` value).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import structlog
from structlog.typing import Processor

from gateway.masking import REDACTED, Pii, as_text, mask_data, pii_class_for_key, redact_secrets
from gateway.private import make_private, private_dir

# Keys whose whole value is a credential, whatever it looks like.
_SECRET_KEY = re.compile(
    r"(?i)(secret|passw|token|signature|authorization|cookie|private_key|api_key|^sign$)"
)


def _is_plain(value: object) -> bool:
    return value is None or isinstance(value, bool | int | float | Pii)


class DropSecrets:
    """Replace configured secret values (and URL credentials) wherever they appear."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = tuple(secrets)

    def _clean(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {
                k: REDACTED if _SECRET_KEY.search(str(k)) else self._clean(v)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple | set | frozenset):
            return [self._clean(v) for v in value]
        if _is_plain(value):
            return value
        text = value if isinstance(value, str) else as_text(value)
        return redact_secrets(text, self.secrets)

    def __call__(self, _logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
        return self._clean(event)


def mask_personal_data(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
    """Mask personal data in every value (and key), including rendered exceptions."""
    return {k: mask_data(v, pii_class_for_key(k)) for k, v in event.items()}


def _pre_chain() -> list[Processor]:
    """Context, level, logger name, time and tracebacks, for structlog and standard-library
    records alike: the ``logger`` field tells a gateway line (``gateway.pipeline``) from a
    simulator's or uvicorn's in one file."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]


def _safety_chain(secrets: Iterable[str]) -> list[Processor]:
    """Runs right before every renderer: secrets out first, then personal data masked."""
    return [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        DropSecrets(secrets),
        mask_personal_data,
    ]


def _handler(stream_or_file: Any, renderer: Processor, secrets: list[str]) -> logging.Handler:
    handler: logging.Handler
    if isinstance(stream_or_file, Path):
        fresh = not stream_or_file.exists()
        handler = logging.FileHandler(stream_or_file, encoding="utf-8")
        if fresh:  # an existing log keeps its mode: ``status`` warns about one others may read
            make_private(stream_or_file)
    else:
        handler = logging.StreamHandler(stream_or_file)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[*_safety_chain(secrets), renderer], foreign_pre_chain=_pre_chain()
        )
    )
    return handler


def configure_logging(
    level: str = "INFO",
    fmt: str = "auto",
    file: Path | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Route structlog (and the standard library's logging) through the masking chain."""
    secret_values = list(secrets)
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    console: Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    handlers = [_handler(sys.stderr, console, secret_values)]
    if file is not None:
        private_dir(file.parent)
        handlers.append(_handler(file, structlog.processors.JSONRenderer(), secret_values))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[*_pre_chain(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
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
