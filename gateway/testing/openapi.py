"""Does a simulator (or a platform) answer as its own OpenAPI document says?

:func:`check_conformance` calls every operation under the API prefix with a bounded set of
examples: each GET with its parameters at their defaults and at the bounds their schemas give,
and once with an integer parameter below its minimum; each POST with the bodies the caller
gives (an adapter's sample records) and with a body that is no JSON object. Every request is
signed by the client's own ``auth`` (the signing hook: :class:`gateway.testing.SigningAuth`),
and once more unsigned. Each answer's status must be one the operation documents, and its body
must validate against the schema documented for that status.

It uses ``jsonschema`` (the gateway's ``[dev]`` extra), imported when a check runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["Conformance", "ConformanceBroken", "check_conformance"]


class ConformanceBroken(AssertionError):
    """The platform answered what its document does not say; the message lists each case."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            f"contract 'answers as its OpenAPI document says' broken: {len(problems)} "
            "answers out of the document:\n" + "\n".join(f"- {p}" for p in problems)
        )
        self.problems = problems


@dataclass(frozen=True)
class _Case:
    method: str
    path: str
    params: Mapping[str, str]
    body: Any
    signed: bool
    why: str


@dataclass
class Conformance:
    """What a check did: how many requests, and what did not conform."""

    requests: int
    problems: list[str]


def _validator() -> Any:
    try:
        return importlib.import_module("jsonschema")
    except ImportError:
        raise AssertionError(
            "the conformance check needs jsonschema: install the gateway's [dev] extra"
        ) from None


def _bounds(schema: Mapping[str, Any]) -> Iterator[str]:
    """Example values of a parameter's schema: its default, and an integer's bounds."""
    options = [schema, *schema.get("anyOf", [])]
    for option in options:
        if option.get("type") == "integer":
            for bound in ("minimum", "maximum"):
                if bound in option:
                    yield str(option[bound])
        if "default" in option and option["default"] is not None:
            yield (
                str(option["default"]).lower()
                if isinstance(option["default"], bool)
                else str(option["default"])
            )


def _below_minimum(schema: Mapping[str, Any]) -> str | None:
    for option in [schema, *schema.get("anyOf", [])]:
        if option.get("type") == "integer" and "minimum" in option:
            return str(int(option["minimum"]) - 1)
    return None


def _cases(
    document: Mapping[str, Any], prefix: str, bodies: Mapping[str, list[Any]], limit: int
) -> Iterator[_Case]:
    for path, operations in document.get("paths", {}).items():
        if not path.startswith(prefix) or "{" in path:
            continue
        for method, operation in operations.items():
            method = method.upper()
            if method == "GET":
                params = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
                yield _Case(method, path, {}, None, True, "no parameters")
                yield _Case(method, path, {}, None, False, "unsigned")
                for param in params:
                    for value in list(dict.fromkeys(_bounds(param.get("schema", {}))))[:limit]:
                        yield _Case(
                            method, path, {param["name"]: value}, None, True,
                            f"{param['name']}={value}",
                        )  # fmt: skip
                    low = _below_minimum(param.get("schema", {}))
                    if low is not None:
                        yield _Case(
                            method, path, {param["name"]: low}, None, True,
                            f"{param['name']}={low} (below its minimum)",
                        )  # fmt: skip
            elif method == "POST":
                for n, body in enumerate(bodies.get(path, [])[:limit]):
                    yield _Case(method, path, {}, body, True, f"example body {n + 1}")
                yield _Case(method, path, {}, [], True, "a body that is no object")
                yield _Case(method, path, {}, {}, False, "unsigned")


def _schema_of(operation: Mapping[str, Any], status: int) -> tuple[bool, Any]:
    responses = operation.get("responses", {})
    answer = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    if answer is None:
        answer = responses.get("default")
    if answer is None:
        return False, None
    media = answer.get("content", {}).get("application/json", {})
    return True, media.get("schema")


def check_conformance(
    client: httpx.Client,
    document: Mapping[str, Any],
    *,
    bodies: Mapping[str, list[Any]] | None = None,
    prefix: str = "/api/",
    examples_per_parameter: int = 3,
) -> Conformance:
    """Call the platform behind ``client`` (signing through its ``auth``) with the bounded
    examples described above; raises :class:`ConformanceBroken` naming every answer out of
    the document, else answers what was checked."""
    jsonschema = _validator()
    components = {"components": document.get("components", {})}
    problems: list[str] = []
    requests = 0
    for case in _cases(document, prefix, bodies or {}, examples_per_parameter):
        operation = document["paths"][case.path][case.method.lower()]
        kwargs: dict[str, Any] = {"params": dict(case.params)}
        if case.body is not None:
            kwargs["json"] = case.body
        if not case.signed:
            kwargs["auth"] = None
        response = client.request(case.method, case.path, **kwargs)
        requests += 1
        where = f"{case.method} {case.path} ({case.why}): HTTP {response.status_code}"
        documented, schema = _schema_of(operation, response.status_code)
        if not documented:
            problems.append(f"{where} is not a documented status")
            continue
        if schema is None:
            continue
        try:
            body = response.json()
        except ValueError:
            problems.append(f"{where}: the body is not JSON")
            continue
        try:
            jsonschema.validate(body, {**schema, **components})
        except jsonschema.ValidationError as exc:
            place = "/".join(str(part) for part in exc.absolute_path) or "the body"
            problems.append(f"{where}: {place} does not match its schema ({exc.validator})")
    if problems:
        raise ConformanceBroken(problems)
    return Conformance(requests, problems)
