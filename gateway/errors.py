"""The gateway's one exception tree, grouped by what the caller must do.

    GatewayError                 root: every error the gateway raises on purpose
    ├── ConfigError              fix the configuration (exit code 2)
    │   ├── MappingFileError     a mapping file is broken (file, line, column named)
    │   └── UnknownJobError      a job name that the configuration does not define
    ├── RetryableError           transient: the policy may try again (timeouts, 5xx, 429, busy)
    ├── PermanentError           do not retry; the run fails (bad signature, 4xx, refused)
    │   ├── AuthError            the platform refused our credentials or signature
    │   ├── BreakerOpenError     the platform's circuit breaker is open
    │   └── RetriesExhausted     a transient failure outlived the retry budget
    ├── RecordError              skip this record: it goes to the dead-letter queue
    ├── JobBusyError             the job is running elsewhere (another instance holds its lease)
    ├── StoreError               the canonical store failed or is in an unexpected state
    └── AuditError               the exchange log is inconsistent or cannot be written

Messages are short and carry *context* (safe values: job, platform, field, masked values),
never prose built from personal data. Callers that render errors use ``str(error)``.
"""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """Root of every error the gateway raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = {k: v for k, v in context.items() if v is not None}

    def __str__(self) -> str:
        if not self.context:
            return self.message
        details = ", ".join(f"{k}={v}" for k, v in self.context.items())
        return f"{self.message} ({details})"


class ConfigError(GatewayError):
    """The configuration (file, environment, CLI argument) is wrong; fix it and run again."""

    exit_code = 2


class MappingFileError(ConfigError):
    """A mapping file is invalid; names the file, line and column."""


class UnknownJobError(ConfigError):
    """A job name that the configuration does not define."""


class RetryableError(GatewayError):
    """A transient failure: the retry policy may try again."""

    def __init__(self, message: str, *, retry_after: float | None = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after


class PermanentError(GatewayError):
    """A failure that retrying will not fix; the run fails with this reason."""


class AuthError(PermanentError):
    """The platform refused our credentials or our signature."""


class BreakerOpenError(PermanentError):
    """The platform's circuit breaker is open; calls are skipped until the cool-down ends."""


class RetriesExhausted(PermanentError):
    """A transient failure outlived the retry budget (attempts or total time)."""


class RecordError(GatewayError):
    """One record cannot be processed; it goes to the dead-letter queue with this reason."""


class JobBusyError(GatewayError):
    """Another instance holds the job's lease: it is running there now."""


class StoreError(GatewayError):
    """The canonical store failed or holds something unexpected."""


class AuditError(GatewayError):
    """The exchange log is inconsistent or cannot be written."""
