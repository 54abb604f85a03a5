"""The code tables shipped in ``data/``, loaded by name on first use and cached.

Each file holds one table (see :mod:`gateway.codes.tables`); ``regions.csv`` is served as the
table ``region``, built by :mod:`gateway.codes.regions` with the years each code was in force.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from gateway.codes.regions import region_table
from gateway.codes.tables import DATA_PACKAGE, CodeTable, make_table, read_data_file
from gateway.errors import ConfigError


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
