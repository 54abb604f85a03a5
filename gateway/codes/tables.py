"""Code tables shipped as CSV files in ``data/``, each with its source and version in its header.

A data file starts with ``# key: value`` lines (title, source, version, note), then a CSV
header ``code,label`` and one row per code. Tables load on first use and are cached.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from gateway.errors import ConfigError

DATA_PACKAGE = "gateway.codes.data"


@dataclass(frozen=True)
class CodeTable:
    """One code table: its codes in file order, their labels, and where the table comes from."""

    name: str
    title: str
    source: str
    version: str
    labels: Mapping[str, str] = field(repr=False)
    _by_label: Mapping[str, str] = field(repr=False, compare=False)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.labels)

    def __contains__(self, code: object) -> bool:
        return code in self.labels

    def __iter__(self) -> Iterator[str]:
        return iter(self.labels)

    def __len__(self) -> int:
        return len(self.labels)

    def label(self, code: str) -> str | None:
        """The label of ``code``, or ``None`` when the table does not hold it."""
        return self.labels.get(code)

    def code_for_label(self, label: str) -> str | None:
        """The code whose label is ``label`` (files often carry labels instead of codes)."""
        return self._by_label.get(label)


def make_table(
    name: str, labels: Mapping[str, str], *, title: str = "", source: str = "", version: str = ""
) -> CodeTable:
    """Build a table from a ``{code: label}`` mapping (inline tables of a mapping file use this)."""
    by_label = {label: code for code, label in labels.items()}
    return CodeTable(name, title or name, source, version, dict(labels), by_label)


def read_data_file(filename: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The ``# key: value`` metadata and the CSV rows of a shipped data file."""
    text = resources.files(DATA_PACKAGE).joinpath(filename).read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    lines = text.splitlines()
    body_start = 0
    for index, line in enumerate(lines):
        if not line.startswith("#"):
            body_start = index
            break
        key, _, value = line[1:].partition(":")
        meta[key.strip()] = value.strip()
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[body_start:]))))
    return meta, rows


def _shipped_names() -> tuple[str, ...]:
    files = resources.files(DATA_PACKAGE).iterdir()
    return tuple(sorted(f.name[:-4] for f in files if f.name.endswith(".csv")))


@cache
def shipped_tables() -> tuple[str, ...]:
    """Names of every shipped table (``regions.csv`` is served as the table ``region``)."""
    return tuple(sorted("region" if n == "regions" else n for n in _shipped_names()))


@cache
def code_table(name: str) -> CodeTable:
    """The shipped table ``name``; :class:`ConfigError` names the known tables otherwise."""
    if name not in shipped_tables():
        raise ConfigError(f"no code table named {name!r}", known=", ".join(shipped_tables()))
    if name == "region":
        from gateway.codes.regions import region_table

        return region_table()
    meta, rows = read_data_file(f"{name}.csv")
    labels = {row["code"]: row["label"] for row in rows}
    return make_table(
        name,
        labels,
        title=meta.get("title", name),
        source=meta.get("source", ""),
        version=meta.get("version", ""),
    )
