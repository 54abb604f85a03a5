"""The gateway's configuration: one YAML file (``gateway.yaml``), validated by pydantic.

Credentials are references (``env:NAME`` or ``file:PATH``), never literals in the file.
Environment variables override settings: ``GATEWAY__STORE__URL`` overrides ``store.url``
(nested keys joined by ``__``). A broken file fails with one message naming the file, the key
path and what was expected.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from gateway.errors import ConfigError

MappingEngine = Literal["columnar", "row"]
# How a job maps the pages it pulls, and what CompiledMapping.map_page does when not told. The
# row engine: at the bureau's size into SQLite the columnar one is slower and adds ~55 MB
# (docs/performance.md).
DEFAULT_MAPPING_ENGINE: MappingEngine = "row"

CONFIG_ENV = "GATEWAY_CONFIG"
ENV_PREFIX = "GATEWAY__"
JOB_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
ORIGIN = re.compile(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?")
# A partition value names a lease (``JOB/VALUE``) and a cursor: short and plain.
PARTITION_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
# A named set of partitions the job's stream offers: ``NAME`` or ``NAME:ARGUMENT``.
PARTITION_SET = re.compile(r"^[a-z][a-z0-9_]*(:[A-Za-z0-9_.-]+)?$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(str):
    """A reference to a secret: ``env:NAME`` or ``file:PATH``; the value is read on use."""

    def resolve(self, base_dir: Path | None = None) -> str:
        kind, _, target = self.partition(":")
        if kind == "env":
            value = os.environ.get(target)
            if value is None:
                raise ConfigError("secret environment variable is not set", variable=target)
            return value
        path = Path(target)
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError("secret file cannot be read", path=str(path)) from exc


def _secret_ref(value: Any) -> SecretRef:
    if not isinstance(value, str) or not re.match(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$", value):
        raise ValueError("must be a reference 'env:NAME' or 'file:PATH', not a literal secret")
    return SecretRef(value)


Secret = Annotated[
    SecretRef,
    PlainValidator(_secret_ref),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "format": "secret-ref"}),
]


class TimeoutSettings(_Model):
    connect: float = Field(5.0, gt=0)
    read: float = Field(30.0, gt=0)


class RateLimitSettings(_Model):
    per_second: float = Field(50.0, gt=0)
    burst: int = Field(100, ge=1)


class RetrySettings(_Model):
    max_attempts: int = Field(6, ge=1, le=100)
    max_seconds: float = Field(120.0, gt=0)
    initial_backoff: float = Field(0.2, ge=0)
    max_backoff: float = Field(10.0, ge=0)
    jitter: float = Field(0.5, ge=0)


class BreakerSettings(_Model):
    failure_threshold: int = Field(5, ge=1)
    cooldown_seconds: float = Field(60.0, ge=0)


class PlatformConfig(_Model):
    """One external system: an HTTP platform, or a files inbox/outbox."""

    adapter: str
    base_url: str | None = None
    app_key: str | None = None
    app_secret: Secret | None = None
    signature: Literal["hmac-sha256", "hmac-sm3"] = "hmac-sha256"
    timeout: TimeoutSettings = TimeoutSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    retry: RetrySettings = RetrySettings()
    breaker: BreakerSettings = BreakerSettings()
    options: dict[str, Any] = Field(default_factory=dict)
    simulator: dict[str, Any] | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/") if value else value


# Monthly on the first working day (Chinese calendar: holidays and make-up days), at HH:MM.
FIRST_WORKING_DAY = re.compile(r"^first working day of month ([01]\d|2[0-3]):([0-5]\d)$")


def _check_schedule(value: str) -> str:
    if re.match(r"^every \d+(\.\d+)?\s*(s|m|h)$", value) or len(value.split()) == 5:
        return value
    if FIRST_WORKING_DAY.match(value):
        return value
    raise ValueError(
        "must be 'every N{s|m|h}', a five-field cron expression "
        "or 'first working day of month HH:MM'"
    )


class ReconcileConfig(_Model):
    """When the service reconciles a job with its platform (``gateway reconcile``)."""

    schedule: str
    sample: int | None = Field(None, ge=1)
    mark_deleted: bool = False

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        return _check_schedule(value)


class JobConfig(_Model):
    """One sync: a source, a mapping, a target, and when to run."""

    source: str
    target: str
    mapping: str
    schedule: str | None = None
    batch_size: int = Field(1000, ge=1, le=50_000)
    # ``columnar`` maps each page of a pull with the columnar engine when its mapping has one
    # (both engines give the same records and issues).
    mapping_engine: MappingEngine = DEFAULT_MAPPING_ENGINE
    depends_on: list[str] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    reconcile: ReconcileConfig | None = None
    # Parts of one pull, each with its own lease, cursor and run (decision 0021): a list of
    # values the stream filters by, or the name of a set its stream offers.
    partitions: list[str] | str | None = None

    @field_validator("partitions", mode="before")
    @classmethod
    def _partition_texts(cls, value: Any) -> Any:
        # Unquoted county codes are numbers to YAML: they mean their digits.
        if isinstance(value, list):
            return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        return value

    @field_validator("partitions")
    @classmethod
    def _partitions(cls, value: list[str] | str | None) -> list[str] | str | None:
        if isinstance(value, str):
            if not PARTITION_SET.match(value):
                raise ValueError(f"{value!r} is not a set name (NAME or NAME:ARGUMENT)")
            return value
        if value is None:
            return value
        if not value:
            raise ValueError("must list at least one partition, or be left out")
        for item in value:
            if not PARTITION_VALUE.match(item):
                raise ValueError(
                    f"{item!r} is not a partition value (letters, digits, '_', '.', '-'; "
                    "at most 32)"
                )
        doubled = sorted({item for item in value if value.count(item) > 1})
        if doubled:
            raise ValueError(f"{doubled[0]!r} is listed twice")
        return value

    @field_validator("source", "target")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if value != "store" and not re.match(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", value):
            raise ValueError("must be 'store' or 'PLATFORM.STREAM'")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        return value if value is None else _check_schedule(value)

    @model_validator(mode="after")
    def _one_side_is_store(self) -> JobConfig:
        if (self.source == "store") == (self.target == "store"):
            raise ValueError("exactly one of source and target must be 'store'")
        if self.partitions is not None and not self.is_pull:
            raise ValueError("partitions: only a pull (target 'store') can be partitioned")
        return self

    @property
    def is_pull(self) -> bool:
        return self.target == "store"

    @property
    def platform(self) -> str:
        return (self.source if self.is_pull else self.target).split(".", 1)[0]

    @property
    def stream(self) -> str:
        return (self.source if self.is_pull else self.target).split(".", 1)[1]


class EncryptionConfig(_Model):
    """SM4 data keys (32 hex digits each): ``key`` seals, ``previous`` only open (rotation)."""

    key: Secret
    previous: list[Secret] = Field(default_factory=list)


class StoreConfig(_Model):
    url: str = "sqlite:///gateway.db"
    # An SQLite store refuses to start a run with less room than this on its disk: the
    # write-ahead log (up to 64 MiB), the reserve, and a pull's growth (docs/files.md).
    min_free_mb: int = Field(256, ge=0)
    # An SQLite store in a directory that does not exist is refused (a mistyped path would
    # otherwise start an empty store); ``create: true`` makes the directory instead.
    create: bool = False
    encryption: EncryptionConfig | None = None


class CheckpointConfig(_Model):
    """Signed checkpoints of the chain's head (Ed25519): the private key signs, anyone verifies.

    ``public_key`` alone is enough to verify (an auditor's config); with ``private_key`` the
    gateway signs a checkpoint at every run's end and every ``interval_seconds`` during a run.
    """

    private_key: Secret | None = None
    public_key: str | None = None
    interval_seconds: float = Field(300.0, gt=0)
    instance: str | None = None


class FileWitnessConfig(_Model):
    type: Literal["file"]
    path: str


class SyslogWitnessConfig(_Model):
    type: Literal["syslog"]
    address: str = "/dev/log"
    facility: Literal["auth", "authpriv", "daemon", "local0", "local1", "user"] = "authpriv"


class DatabaseWitnessConfig(_Model):
    type: Literal["database"]
    url: Secret


class HttpWitnessConfig(_Model):
    type: Literal["http"]
    url: str
    token: Secret | None = None
    timeout_seconds: float = Field(10.0, gt=0)


WitnessConfig = Annotated[
    FileWitnessConfig | SyslogWitnessConfig | DatabaseWitnessConfig | HttpWitnessConfig,
    Field(discriminator="type"),
]


class AuditConfig(_Model):
    key: Secret | None = None
    checkpoint: CheckpointConfig | None = None
    witnesses: list[WitnessConfig] = Field(default_factory=list)
    retention_days: int = Field(180, ge=180)
    archive_payloads: bool = False
    archive_dir: str = "audit-archive"


class LoggingConfig(_Model):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["auto", "json", "console"] = "auto"
    file: str | None = "logs/gateway.log"


class DisplayConfig(_Model):
    """How commands show things to people: every human-facing time is in ``timezone``."""

    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class ServiceConfig(_Model):
    host: str = "127.0.0.1"
    metrics_port: int = Field(9464, ge=0, le=65535)
    grace_seconds: float = Field(30.0, gt=0)
    instance_id: str | None = None
    lease_seconds: float = Field(60.0, gt=0)


class ConsoleConfig(_Model):
    """The read-only web console (docs/console.md): served by ``gateway run`` and
    ``gateway console`` on ``host:port``, loopback unless a reverse proxy needs otherwise."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(8470, ge=0, le=65535)
    # Who may set X-Forwarded-Proto/-For: the reverse proxy that terminates TLS.
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1"])
    # The address browsers reach the console at through the reverse proxy
    # (``https://console.bureau.internal``): a form posted from it is the console's own even
    # where the proxy does not pass the Host header on. X-Forwarded-Host is never trusted.
    public_origin: str | None = None
    session_hours: float = Field(8.0, gt=0, le=24)
    lockout_failures: int = Field(5, ge=1)
    lockout_minutes: float = Field(15.0, gt=0)
    traces_per_minute: int = Field(10, ge=1)

    @field_validator("public_origin")
    @classmethod
    def _origin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        found = ORIGIN.fullmatch(value.strip().lower().rstrip("/"))
        if found is None:
            raise ValueError("an origin is http(s)://HOST[:PORT], with no path")
        return found.group(0)


def _days(items: list[date | str], year: int, what: str) -> list[date]:
    """Dates and ``YYYY-MM-DD..YYYY-MM-DD`` ranges (as the notices write them) → days."""
    found: list[date] = []
    for item in items:
        if isinstance(item, date):
            first = last = item
        else:
            start, sep, end = item.partition("..")
            try:
                first = date.fromisoformat(start.strip())
                last = date.fromisoformat(end.strip()) if sep else first
            except ValueError:
                raise ValueError(f"{what}: {item!r} is not a date or a range A..B") from None
            if last < first:
                raise ValueError(f"{what}: range {item!r} ends before it starts")
        day = first
        while day <= last:
            if day.year != year:
                raise ValueError(f"{what}: {day.isoformat()} is not in {year}")
            found.append(day)
            day += timedelta(days=1)
    return found


class CalendarYear(_Model):
    """One year's days off and make-up working days, as that year's State Council notice says."""

    holidays: list[date | str]
    workdays: list[date | str] = Field(default_factory=list)
    note: str | None = None

    def days(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        off = frozenset(_days(self.holidays, year, "holidays"))
        worked = frozenset(_days(self.workdays, year, "workdays"))
        weekdays = sorted(d.isoformat() for d in worked if d.weekday() < 5)
        if weekdays:
            raise ValueError(f"workdays: {weekdays[0]} is not a Saturday or Sunday")
        both = sorted(d.isoformat() for d in off & worked)
        if both:
            raise ValueError(f"{both[0]} is both a holiday and a workday")
        return off, worked


class CalendarConfig(_Model):
    """Working-day calendar: what to do in a year without a notice, and the operator's years."""

    unknown_years: Literal["flag", "refuse"] = "flag"
    years: dict[int, CalendarYear] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _years(self) -> CalendarConfig:
        for year, entry in self.years.items():
            if not 1950 <= year <= 2200:
                raise ValueError(f"years: {year} is not a plausible year")
            try:
                entry.days(year)
            except ValueError as exc:
                raise ValueError(f"years.{year}: {exc}") from None
        return self


class WeComChannel(_Model):
    """A WeCom (企业微信) group robot: its webhook URL holds its key, so it is a secret."""

    kind: Literal["wecom"]
    webhook: Secret


class DingTalkChannel(_Model):
    """A DingTalk robot; ``secret`` is its signing secret (加签)."""

    kind: Literal["dingtalk"]
    webhook: Secret
    secret: Secret | None = None


class EmailChannel(_Model):
    """E-mail over SMTP (STARTTLS when ``starttls``; log in when ``username`` is set)."""

    kind: Literal["email"]
    host: str
    port: int = Field(25, ge=1, le=65535)
    sender: str
    to: list[str] = Field(min_length=1)
    starttls: bool = False
    username: str | None = None
    password: Secret | None = None


class NotifyConfig(_Model):
    """Where a failed or partial run, an open breaker and a year without a holiday notice are
    reported; one message per condition, repeated at most every ``repeat_minutes``."""

    channels: list[
        Annotated[WeComChannel | DingTalkChannel | EmailChannel, Field(discriminator="kind")]
    ] = Field(default_factory=list)
    repeat_minutes: float = Field(60.0, gt=0)
    timeout_seconds: float = Field(5.0, gt=0)
    # Open conditions and when each was last sent: a small file, relative to the config.
    state_file: str = "notify-state.json"


class GatewayConfig(_Model):
    version: Literal[1] = 1
    store: StoreConfig = StoreConfig()
    calendar: CalendarConfig = CalendarConfig()
    audit: AuditConfig = AuditConfig()
    logging: LoggingConfig = LoggingConfig()
    service: ServiceConfig = ServiceConfig()
    display: DisplayConfig = DisplayConfig()
    console: ConsoleConfig = ConsoleConfig()
    notify: NotifyConfig = NotifyConfig()
    platforms: dict[str, PlatformConfig] = Field(default_factory=dict)
    jobs: dict[str, JobConfig] = Field(default_factory=dict)
    secrets: list[Secret] = Field(default_factory=list)

    base_dir: Path = Field(default=Path("."), exclude=True)
    source_path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _references(self) -> GatewayConfig:
        for name, job in self.jobs.items():
            if not JOB_NAME.match(name):
                raise ValueError(f"job name {name!r} must match {JOB_NAME.pattern}")
            if job.platform not in self.platforms:
                raise ValueError(f"job {name!r} names unknown platform {job.platform!r}")
            for dep in job.depends_on:
                if dep not in self.jobs:
                    raise ValueError(f"job {name!r} depends on unknown job {dep!r}")
        return self

    def job(self, name: str) -> JobConfig:
        from gateway.errors import UnknownJobError

        if name not in self.jobs:
            known = ", ".join(sorted(self.jobs)) or "none"
            raise UnknownJobError(f"no job named {name!r}", known=known)
        return self.jobs[name]

    def path(self, value: str) -> Path:
        """A path from the configuration, relative to the configuration file."""
        path = Path(value)
        return path if path.is_absolute() else self.base_dir / path

    @property
    def store_url(self) -> str:
        """The store URL with a relative SQLite path resolved against the config file."""
        url = self.store.url
        prefix = "sqlite:///"
        relative = not url.startswith(prefix + "/") and not url.startswith(prefix + "file:")
        if url.startswith(prefix) and relative and ":memory:" not in url:
            return prefix + str((self.base_dir / url[len(prefix) :]).resolve())
        return url

    def secret_values(self) -> list[str]:
        """Every configured secret's value, so log processors can drop them."""
        refs: list[SecretRef] = [p.app_secret for p in self.platforms.values() if p.app_secret]
        refs += [r for r in (self.audit.key, *self.secrets) if r is not None]
        for channel in self.notify.channels:
            refs += [r for r in vars(channel).values() if isinstance(r, SecretRef)]
        if self.store.encryption is not None:
            refs += [self.store.encryption.key, *self.store.encryption.previous]
        values = []
        for ref in refs:
            try:
                values.append(ref.resolve(self.base_dir))
            except ConfigError:
                continue
        return [v for v in values if v]


def _env_overrides(data: dict[str, Any], environ: dict[str, str]) -> dict[str, Any]:
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        keys = name[len(ENV_PREFIX) :].lower().split("__")
        node = data
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = {}
                node[key] = child
            node = child
        node[keys[-1]] = yaml.safe_load(value) if value else value
    return data


def _describe(error: ErrorDetails) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "(top level)"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}"


def parse_config(data: Any, source: str, base_dir: Path) -> GatewayConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of settings")
    data = _env_overrides(data, dict(os.environ))
    try:
        return GatewayConfig.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        errors = exc.errors()
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(f"{source}: {_describe(errors[0])}{more}") from None


def find_config_path(explicit: str | Path | None) -> Path:
    chosen = explicit or os.environ.get(CONFIG_ENV) or "gateway.yaml"
    return Path(chosen)


def load_config(path: str | Path | None = None) -> GatewayConfig:
    """Load and validate the configuration; every problem is a :class:`ConfigError`."""
    config_path = find_config_path(path)
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{config_path}: configuration file not found (use --config or {CONFIG_ENV})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot be read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{config_path}:{where}: {problem}") from None
    config = parse_config(data, str(config_path), config_path.resolve().parent)
    return config.model_copy(update={"source_path": config_path.resolve()})
