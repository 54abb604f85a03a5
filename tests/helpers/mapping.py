"""Helpers for the mapping tests: inline mapping files and valid identifiers."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from gateway.codes import id_check_char, uscc_check_char
from gateway.mapping import CompiledMapping, load_mapping

HEADER = """\
version: 1
name: test.inline
direction: {direction}
entity: thing
key: [{key}]
"""


def write_mapping(
    tmp_path: Path, body: str, *, direction: str = "pull", key: str = "id", name: str = "m.yaml"
) -> Path:
    """Write a mapping whose header is filled in; ``body`` holds ``fields:`` and the rest."""
    path = tmp_path / name
    path.write_text(
        HEADER.format(direction=direction, key=key) + textwrap.dedent(body), encoding="utf-8"
    )
    return path


def inline_mapping(tmp_path: Path, body: str, **kwargs: Any) -> CompiledMapping:
    return load_mapping(write_mapping(tmp_path, body, **kwargs))


def one_field(tmp_path: Path, spec: str, *, direction: str = "pull") -> CompiledMapping:
    """A mapping with a key ``id`` (source ``id``) and one field ``f`` built from ``spec``."""
    indented = textwrap.indent(textwrap.dedent(spec).strip(), "    ")
    return inline_mapping(tmp_path, f"fields:\n  id: id\n  f:\n{indented}\n", direction=direction)


def make_id(region: str = "522601", birth: str = "19900307", seq: str = "123") -> str:
    """A resident ID number with a correct check character."""
    first17 = region + birth + seq
    return first17 + id_check_char(first17)


def make_uscc(first17: str = "91520100MA6DKLL8X") -> str:
    return first17 + uscc_check_char(first17)
