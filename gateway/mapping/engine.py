"""Loading a mapping file: read, check completely, compile once, cache by path and mtime."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from gateway.config import DEFAULT_MAPPING_ENGINE, MappingEngine
from gateway.errors import MappingFileError
from gateway.mapping.compiler import compile_plan
from gateway.mapping.plan import Plan, build_plan
from gateway.mapping.result import MappedPage, MapResult
from gateway.mapping.spec import read_spec
from gateway.mapping.yamlnodes import Problem, parse_yaml
from gateway.masking import PiiClass, mask, mask_data

if TYPE_CHECKING:
    from gateway.mapping.columnar import ColumnarMapping


@dataclass(frozen=True)
class MappingProblem:
    """One problem in one mapping file, with its position (1-based line and column)."""

    path: Path
    line: int
    column: int
    message: str
    allowed: str | None = None

    def __str__(self) -> str:
        tail = f" (allowed: {self.allowed})" if self.allowed else ""
        return f"{self.path}:{self.line}:{self.column}: {self.message}{tail}"

    def as_error(self, more: int = 0) -> MappingFileError:
        return MappingFileError(
            self.message,
            file=str(self.path),
            line=self.line,
            column=self.column,
            allowed=self.allowed,
            more_problems=more or None,
        )


class CompiledMapping:
    """One mapping file, checked and compiled; ``map`` turns a record into a :class:`MapResult`."""

    def __init__(
        self,
        path: Path,
        digest: str,
        plan: Plan,
        function: Callable[[Any], MapResult],
        source_text: str,
    ) -> None:
        spec = plan.spec
        self.path = path
        self.digest = digest
        self.name = spec.name
        self.version = spec.version
        self.direction = spec.direction
        self.entity = spec.entity
        self.description = spec.description
        self.key_fields: tuple[str, ...] = spec.key
        self.plan = plan
        self.source_text = source_text
        self.pii: dict[str, PiiClass] = {fp.name: fp.pii for fp in plan.fields}
        self.source_pii: dict[str, PiiClass] = {
            source: fp.pii
            for fp in plan.fields
            if fp.pii is not PiiClass.NONE
            for source in fp.spec.sources
        }
        # The top-level input fields the mapping reads: how a source recognises its data.
        self.source_fields: frozenset[str] = frozenset(
            source.split(".")[0] for fp in plan.fields for source in fp.spec.sources
        )
        self._map = function

    @cached_property
    def _columnar(self) -> tuple[ColumnarMapping | None, str | None]:
        # Compiled when first asked for: a command that only checks or maps single records
        # does not load Polars.
        from gateway.mapping.columnar import compile_columnar

        return compile_columnar(self.plan, self._map)

    @property
    def columnar(self) -> ColumnarMapping | None:
        """The columnar form of the mapping, if every step it uses has one."""
        return self._columnar[0]

    @property
    def columnar_reason(self) -> str | None:
        """Why the mapping has no columnar form (the step without one), if it has none."""
        return self._columnar[1]

    @property
    def engine(self) -> str:
        """``columnar`` when pages can be mapped by the columnar engine, else ``row``."""
        return "row" if self.columnar is None else "columnar"

    def __repr__(self) -> str:
        return f"CompiledMapping({self.name!r}, {self.direction}, {str(self.path)!r})"

    def map(self, raw: dict[str, Any]) -> MapResult:
        """Map one record; never raises, whatever ``raw`` holds."""
        return self._map(raw)

    def map_many(self, raws: list[dict[str, Any]]) -> list[MapResult]:
        """Map a batch, in order."""
        function = self._map
        return [function(raw) for raw in raws]

    def map_page(
        self, raws: list[Any], *, engine: MappingEngine = DEFAULT_MAPPING_ENGINE
    ) -> MappedPage:
        """Map a page: the columnar engine when ``engine`` asks for it and it has this mapping.

        Both engines give the same keys, canonical JSON (sorted keys) and issues."""
        if not raws:
            return MappedPage([], [], {})  # a sync with nothing new compiles no columnar plan
        if engine == "columnar" and self.columnar is not None:
            return self.columnar.map_page(raws)
        results = self.map_many(raws)
        return MappedPage(
            [r.key for r in results],
            [
                orjson.dumps(r.record, option=orjson.OPT_SORT_KEYS).decode()
                if r.ok and r.record is not None
                else None
                for r in results
            ],
            dict(enumerate(results)),
        )

    def mask_raw(self, raw: dict[str, Any]) -> dict[str, Any]:
        """``raw`` fit for a dead letter or a log: PII fields masked, everything else scrubbed."""
        if not isinstance(raw, dict):
            return {"(record)": mask_data(raw)}
        masked: dict[str, Any] = mask_data(raw)
        for source, pii in self.source_pii.items():
            _mask_path(raw, masked, source, pii)
        return masked


def _mask_path(raw: dict[str, Any], masked: dict[str, Any], source: str, pii: PiiClass) -> None:
    if source in raw:
        value = raw[source]
        masked[source] = value if value is None else mask(_plain(value), pii)
        return
    parts = source.split(".")
    current_raw: Any = raw
    current_out: Any = masked
    for part in parts[:-1]:
        if not (isinstance(current_raw, dict) and isinstance(current_out, dict)):
            return
        current_raw, current_out = current_raw.get(part), current_out.get(part)
    last = parts[-1]
    if isinstance(current_raw, dict) and isinstance(current_out, dict) and last in current_raw:
        value = current_raw[last]
        current_out[last] = value if value is None else mask(_plain(value), pii)


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def check_text(text: str, path: Path) -> tuple[list[MappingProblem], Plan | None]:
    """Every problem in a mapping file's text, and its plan when there are none."""
    problems: list[Problem] = []
    root = parse_yaml(text, problems)
    plan = None
    if root is not None:
        spec = read_spec(root, problems)
        plan = build_plan(spec, problems)
    found = [MappingProblem(path, p.line, p.column, p.message, p.allowed) for p in problems]
    found.sort(key=lambda p: (p.line, p.column))
    return found, (plan if not found else None)


def check_mapping(path: Path) -> list[MappingProblem]:
    """Every problem in the mapping file at ``path`` (an empty list: it loads)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [MappingProblem(path, 1, 1, f"cannot read the file: {type(exc).__name__}")]
    return check_text(text, path)[0]


_CACHE: dict[tuple[Path, int, int], CompiledMapping] = {}
_LOCK = threading.Lock()


def load_mapping(path: Path) -> CompiledMapping:
    """Load, check completely and compile ``path``; cached until the file changes.

    Raises :class:`MappingFileError` naming the file, line and column of the first problem
    (and how many more there are).
    """
    resolved = Path(path).resolve()
    try:
        stat = resolved.stat()
        cache_key = (resolved, stat.st_mtime_ns, stat.st_size)
        with _LOCK:
            if cache_key in _CACHE:
                return _CACHE[cache_key]
        data = resolved.read_bytes()
    except OSError as exc:
        raise MappingFileError(
            "cannot read the mapping file", file=str(path), reason=type(exc).__name__
        ) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MappingFileError("the mapping file is not UTF-8", file=str(path)) from exc
    problems, plan = check_text(text, Path(path))
    if problems or plan is None:
        raise problems[0].as_error(len(problems) - 1)
    function, source_text = compile_plan(plan)
    compiled = CompiledMapping(
        Path(path), hashlib.sha256(data).hexdigest(), plan, function, source_text
    )
    with _LOCK:
        _CACHE[cache_key] = compiled
    return compiled


__all__ = ["CompiledMapping", "MappingProblem", "check_mapping", "load_mapping"]
