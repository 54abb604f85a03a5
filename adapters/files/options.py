"""The files adapter's settings: where the inbox and outbox are, and how a job reads or writes.

Platform options (``platforms.NAME.options`` in ``gateway.yaml``) name the directories; job
options say which files to read and in which format. Job options are the streams' declared
``options_model``, which the runner validates before the run starts; platform options are
validated on use. Either way a typo is a :class:`~gateway.errors.ConfigError` naming the key
instead of being ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway.adapter import StreamContext, StreamOptions, parse_options
from gateway.errors import ConfigError

ReadFormat = Literal["auto", "csv", "jsonl", "xlsx"]
WriteFormat = Literal["csv", "jsonl", "xlsx"]
ReadEncoding = Literal["auto", "utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be"]
WriteEncoding = Literal["utf-8", "utf-8-sig", "gb18030"]


class PlatformOptions(BaseModel):
    """``options`` of a platform whose adapter is ``files``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inbox: str | None = None
    outbox: str | None = None


class ReadOptions(StreamOptions):
    """Job options of a pull from the inbox."""

    pattern: str
    format: ReadFormat = "auto"
    encoding: ReadEncoding = "auto"
    sheet: str | None = None
    delimiter: str | None = None
    page_size: int = Field(1000, ge=1, le=100_000)
    # When a file is complete (docs/files.md): unchanged for settle_seconds, a marker beside
    # it, or (rename) any visible file, for writers that write under a hidden name first.
    ready: Literal["settle", "marker", "rename"] = "settle"
    settle_seconds: float = Field(5.0, ge=0, le=3600)
    markers: tuple[str, ...] = (".done", ".ok")
    merged_cells: Literal["refuse", "fill"] = "refuse"

    @field_validator("pattern")
    @classmethod
    def _inside_inbox(cls, value: str) -> str:
        if not value or PurePath(value).is_absolute() or ".." in PurePath(value).parts:
            raise ValueError("must be a glob relative to the inbox, without '..'")
        return value

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value == "auto":
            return None
        if value is not None and len(value) != 1:
            raise ValueError("must be exactly one character, or auto")
        return value


class WriteOptions(StreamOptions):
    """Job options of a push to the outbox (an outbox file has no pages: ``page_size``, which
    every job has, is not read)."""

    format: WriteFormat = "jsonl"
    file_name: str = "{job}-{run_id}.{ext}"
    encoding: WriteEncoding = "utf-8-sig"
    sheet: str | None = None
    delimiter: str = Field(",", min_length=1, max_length=1)


def platform_options(ctx: StreamContext) -> PlatformOptions:
    raw: Mapping[str, Any] = getattr(ctx.platform, "options", None) or {}
    return parse_options(PlatformOptions, raw, where=f"platform {ctx.platform_name!r}")


def _directory(ctx: StreamContext, value: str | None, key: str) -> Path:
    if not value:
        raise ConfigError(f"the files platform needs options.{key}", platform=ctx.platform_name)
    path = Path(value)
    return path if path.is_absolute() else Path(ctx.base_dir) / path


def inbox_dir(ctx: StreamContext) -> Path:
    """The inbox; it must exist, since reading from a missing directory is a typo, not 'no data'."""
    path = _directory(ctx, platform_options(ctx).inbox, "inbox")
    if not path.is_dir():
        raise ConfigError("inbox directory does not exist", platform=ctx.platform_name, path=path)
    return path


def outbox_dir(ctx: StreamContext) -> Path:
    """The outbox, created on first use."""
    path = _directory(ctx, platform_options(ctx).outbox, "outbox")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            "outbox directory cannot be created", platform=ctx.platform_name, path=path
        ) from exc
    return path
