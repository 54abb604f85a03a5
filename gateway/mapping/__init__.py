"""The mapping engine: YAML mapping files checked and compiled into fast record functions.

``load_mapping(path)`` gives a :class:`CompiledMapping` whose ``map(raw)`` returns a
:class:`MapResult`: the canonical (pull) or platform-shaped (push) record, or every reason it
was refused, plus warnings. The file format is documented in ``docs/mappings.md``.
"""

from gateway.mapping.engine import CompiledMapping, MappingProblem, check_mapping, load_mapping
from gateway.mapping.result import FieldIssue, MapResult

__all__ = [
    "CompiledMapping",
    "FieldIssue",
    "MapResult",
    "MappingProblem",
    "check_mapping",
    "load_mapping",
]
