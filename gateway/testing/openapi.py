"""Does a simulator (or a platform) answer as its own OpenAPI document says?

:func:`check_conformance` has schemathesis generate a bounded number of requests for every
operation under the API prefix from the document (valid parameters and bodies,
``examples_per_operation`` each, derandomised so a run repeats), sends each through the
caller's ``httpx.Client`` (the signing hook: its ``auth`` signs every request, as
:class:`gateway.testing.SigningAuth` does), and checks each answer with schemathesis: no server
error, a documented status and content type, a body valid against the documented schema, and
a valid request not refused. Each operation is also called once unsigned: the answer's status
must be documented (a signed platform documents its 401).

schemathesis and hypothesis come with the gateway's ``[dev]`` extra; they are imported when a
check runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["CONTRACT", "Conformance", "ConformanceBroken", "check_conformance"]

CONTRACT = "answers as its OpenAPI document says"
# Schemathesis' check that a request with made-up credentials is refused: its credentials are
# replaced here by the client's signature, so the unsigned call below stands in for it.
_REPLACED_CHECKS = ("ignored_auth",)


class ConformanceBroken(AssertionError):
    """The platform answered what its document does not say; the message lists each case."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            f"contract {CONTRACT!r} broken: {len(problems)} operations answer out of the "
            "document:\n" + "\n".join(f"- {p}" for p in problems)
        )
        self.problems = problems


@dataclass
class Conformance:
    """What a check did: the operations called and how many requests were sent."""

    operations: list[str]
    requests: int


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise AssertionError(
            f"the conformance check needs {name}: install the gateway's [dev] extra"
        ) from None


def _first_line(exc: BaseException) -> str:
    failures = getattr(exc, "exceptions", None) or [exc]
    titles = {str(getattr(f, "title", "") or str(f).strip().splitlines()[0]) for f in failures}
    return "; ".join(sorted(titles))


def _unsigned_status(client: httpx.Client, case: Any, operation: Mapping[str, Any]) -> str | None:
    kwargs = case.as_transport_kwargs()
    response = client.request(
        kwargs["method"], case.formatted_path, params=kwargs.get("params"),
        json=kwargs.get("json"), auth=None,
    )  # fmt: skip
    status = str(response.status_code)
    responses = operation.get("responses", {})
    if status in responses or f"{status[0]}XX" in responses or "default" in responses:
        return None
    return f"an unsigned request is answered HTTP {status}, not a documented status"


def _operation_test(
    hypothesis: Any,
    transport: Any,
    client: httpx.Client,
    operation: Any,
    excluded: list[Any],
    examples: int,
    seen: list[Any],
) -> Any:
    """One operation's hypothesis test: each generated case sent signed and its answer checked;
    every case sent is appended to ``seen``."""

    def call(case: Any) -> None:
        kwargs = case.as_transport_kwargs()
        # The document's security headers are generated values: the client signs instead.
        headers = {
            k: v for k, v in (kwargs.get("headers") or {}).items()
            if not k.lower().startswith("x-")
        }  # fmt: skip
        body = {"json": kwargs["json"]} if "json" in kwargs else {}
        response = client.request(
            kwargs["method"], case.formatted_path, params=kwargs.get("params"),
            headers=headers, **body,
        )  # fmt: skip
        seen.append(case)
        case.validate_response(
            transport.Response.from_httpx(response, verify=False), excluded_checks=excluded
        )

    settings = hypothesis.settings(
        max_examples=examples, derandomize=True, database=None, deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )  # fmt: skip
    return settings(hypothesis.given(case=operation.as_strategy())(call))


def check_conformance(
    client: httpx.Client,
    document: Mapping[str, Any],
    *,
    prefix: str = "/api/",
    examples_per_operation: int = 12,
) -> Conformance:
    """Call the platform behind ``client`` as described above; raises
    :class:`ConformanceBroken` naming every operation that answered out of the document."""
    schemathesis = _import("schemathesis")
    hypothesis = _import("hypothesis")
    transport = _import("schemathesis.core.transport")
    checks = _import("schemathesis.checks")
    excluded = [getattr(checks, name) for name in _REPLACED_CHECKS]
    schema = schemathesis.openapi.from_dict(dict(document))
    problems: list[str] = []
    labels: list[str] = []
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(prefix):
            continue
        labels.append(operation.label)
        seen: list[Any] = []
        run = _operation_test(
            hypothesis, transport, client, operation, excluded, examples_per_operation, seen
        )
        try:
            run()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # schemathesis reports a group of failures
            problems.append(f"{operation.label}: {_first_line(exc)}")
        sent += len(seen)
        if seen:
            raw = document["paths"][operation.path][operation.method.lower()]
            unsigned = _unsigned_status(client, seen[0], raw)
            sent += 1
            if unsigned is not None:
                problems.append(f"{operation.label}: {unsigned}")
    if problems:
        raise ConformanceBroken(problems)
    return Conformance(labels, sent)
