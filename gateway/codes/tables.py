"""What a code table is, and how a shipped one is read from its CSV file in ``data/``.

A data file starts with ``# key: value`` lines (title, source, version, note), then a CSV
header ``code,label`` and one row per code. Which tables ship, and loading them by name, is
:mod:`gateway.codes.shipped` (the region table among them is built by
:mod:`gateway.codes.regions`, on top of this module).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources

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
