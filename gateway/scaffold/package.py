"""The package ``gateway adapters new`` writes: the templates of :mod:`gateway.scaffold`
rendered for a :class:`~gateway.scaffold.Plan`.

What differs between packages (the streams, the paging, the signing) is computed here as text
and substituted whole; the templates hold no logic. The simulator's OpenAPI document is
written from the same declarations (:mod:`gateway.scaffold.openapi`), so the two agree from the
start and the generated conformance test keeps them so.
"""

from __future__ import annotations

import json
import os
import secrets
import textwrap
from pathlib import Path
from string import Template

from gateway.errors import ConfigError
from gateway.scaffold import Plan
from gateway.scaffold.openapi import document
from gateway.schemas import SCHEMAS

__all__ = ["write_package"]

TEMPLATES = Path(__file__).resolve().parent / "template"
KEY_FIELD = "id"
UPDATED_FIELD = "updatedAt"
# The simulator's port in the example configuration, one per name (a free one is likelier).
PORT_BASE = 18_000

_PAGINATORS = {
    "keyset": None,
    "page": "PageNumberPaginator()",
    "offset": "OffsetPaginator()",
    "link": "NextLinkPaginator()",
}
_PAGING_TEXT = {
    "keyset": "keyset (`updated_since`, `after_key`: records strictly after the cursor)",
    "page": "page number (`page`, `page_size`)",
    "offset": "offset (`offset`, `limit`)",
    "link": "next link (the answer's `next` names the next page)",
}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _stream_defs(plan: Plan) -> str:
    blocks = []
    for stream in plan.pull:
        paginator = _PAGINATORS[plan.paging]
        paging = f"    paginator = {paginator}\n" if paginator else ""
        blocks.append(
            f'''

class {_camel(stream)}Stream(IncrementalPullStream):
    """{stream}: read in ({UPDATED_FIELD}, {KEY_FIELD}) order, paged by {plan.paging}."""

    name = "{stream}"
    path = "/api/v1/{stream}"
    operation = "{stream}.list"
    updated_field = "{UPDATED_FIELD}"
    key_field = "{KEY_FIELD}"
{paging}'''
        )
    for stream in plan.push:
        blocks.append(
            f'''

class {_camel(stream)}Stream(ReceiptPushStream):
    """{stream}: answered record by record, with a receipts route for lost answers."""

    name = "{stream}"
    path = "/api/v1/{stream}"
    receipts_path = "/api/v1/{stream}/receipts"
'''
        )
    return "".join(blocks).rstrip()


def _routes(plan: Plan) -> str:
    lines = []
    for stream in plan.pull:
        lines.append(
            f"""
    @app.get("/api/v1/{stream}", response_class=JSONBytes)
    async def list_{stream}(request: Request) -> JSONBytes:
        return _page(state, request.query_params, "/api/v1/{stream}")
"""
        )
    for stream in plan.push:
        lines.append(
            f'''
    @app.post("/api/v1/{stream}", response_class=JSONBytes)
    async def submit_{stream}(request: Request) -> JSONBytes:
        return await _submit(state, "{stream}", request)

    @app.get("/api/v1/{stream}/receipts", response_class=JSONBytes)
    async def receipts_{stream}(request: Request) -> JSONBytes:
        return _receipts(state, "{stream}", request)
'''
        )
    return "".join(lines).rstrip("\n")


def _unit_tests(plan: Plan) -> str:
    tests = []
    for stream in plan.pull:
        tests.append(
            f'''

def test_{stream}_reads_until_the_platform_says_no_more() -> None:
    sample = json.loads((SAMPLES / "{stream}.json").read_text(encoding="utf-8"))
    keys = [record["{KEY_FIELD}"] for record in sample]
    transport = scripted_transport({{"items": sample, "has_more": False}})
    ctx = stream_context("{plan.name}", transport=transport)
    stream = adapter.pull_streams()["{stream}"]
    with capture_exchanges() as exchanges:
        pages = list(stream.read(ctx, None))
    assert [record["{KEY_FIELD}"] for page in pages for record in page.records] == keys
    assert [e.http_status for e in exchanges] == [200]
    assert transport.requests[0].url.path == "/api/v1/{stream}"


def test_{stream}_retries_a_server_error() -> None:
    transport = scripted_transport(503, {{"items": [], "has_more": False}})
    ctx = stream_context("{plan.name}", transport=transport)
    stream = adapter.pull_streams()["{stream}"]
    with capture_exchanges() as exchanges:
        list(stream.read(ctx, None))
    assert [e.http_status for e in exchanges] == [503, 200]
'''
        )
    for stream in plan.push:
        tests.append(
            f'''

def test_{stream}_answers_one_outcome_per_record() -> None:
    from gateway.adapter import OutgoingRecord, PushStatus

    sample = json.loads((SAMPLES / "{stream}.push.json").read_text(encoding="utf-8"))
    batch = [OutgoingRecord(f"r{{n}}", f"k{{n}}", record) for n, record in enumerate(sample)]
    results = [
        {{"idempotencyKey": r.idempotency_key, "status": "accepted", "receiptNo": f"RC{{n}}"}}
        for n, r in enumerate(batch)
    ]
    stream = adapter.push_streams()["{stream}"]
    transport = scripted_transport({{"results": results}})
    ctx = stream_context("{plan.name}", transport=transport)
    try:
        outcomes = stream.send(ctx, batch)
    finally:
        stream.close(ctx)
    assert {{o.idempotency_key for o in outcomes}} == {{r.idempotency_key for r in batch}}
    assert {{o.status for o in outcomes}} == {{PushStatus.ACCEPTED}}


def test_{stream}_does_not_retry_a_refusal() -> None:
    from gateway.adapter import OutgoingRecord

    transport = scripted_transport(400)
    stream = adapter.push_streams()["{stream}"]
    ctx = stream_context("{plan.name}", transport=transport)
    batch = [OutgoingRecord("r", "k", {{"recordId": "R1"}})]
    try:
        with pytest.raises(PermanentError):
            stream.send(ctx, batch)
    finally:
        stream.close(ctx)
    assert len(transport.requests) == 1'''
        )
    return "".join(tests).rstrip()


def _samples(plan: Plan) -> dict[str, str]:
    files = {}
    pulled = [
        {KEY_FIELD: f"R{n:06d}", "name": f"记录{n:04d}", "category": "ABC"[n % 3],
         "amount": 100 * (n + 1), UPDATED_FIELD: f"2026-01-01 00:00:{n:02d}"}
        for n in range(3)
    ]  # fmt: skip
    pushed = [
        {"recordId": f"R{n:06d}", "name": f"记录{n:04d}", "category": "ABC"[n % 3]}
        for n in range(3)
    ]
    for stream in plan.pull:
        files[f"{stream}.json"] = json.dumps(pulled, ensure_ascii=False, indent=2) + "\n"
    for stream in plan.push:
        files[f"{stream}.push.json"] = json.dumps(pushed, ensure_ascii=False, indent=2) + "\n"
    return files


def _entity(plan: Plan, stream: str) -> str:
    """The canonical entity: a push sends what the adapter's first pull stores, when it has
    one (the example job then sends back what it read); else its own."""
    return f"{plan.name}_{plan.pull[0] if plan.pull else stream}"


def _mappings(plan: Plan) -> dict[str, str]:
    header = "# yaml-language-server: $schema=./mapping.schema.json\n"
    files = {}
    for stream in plan.pull:
        files[f"{stream}.yaml"] = (
            f"# {stream} as the platform lists it → the canonical record "
            "(`gateway schema mapping` gives the schema).\n"
            f"version: 1\nname: {plan.name}.{stream}\ndirection: pull\n"
            f"entity: {_entity(plan, stream)}\nkey: [record_id]\n\nfields:\n"
            f"  record_id:\n    source: {KEY_FIELD}\n    transforms: [trim]\n    required: true\n"
            "  name:\n    source: name\n    transforms: [trim]\n    required: true\n"
            "  category:\n    source: category\n    required: true\n"
            "  amount:\n    source: amount\n    type: int\n"
        )
    for stream in plan.push:
        files[f"{stream}.push.yaml"] = (
            f"# The canonical record → {stream} as the platform takes it.\n"
            f"version: 1\nname: {plan.name}.{stream}.push\ndirection: push\n"
            f"entity: {_entity(plan, stream)}\nkey: [recordId]\n\nfields:\n"
            "  recordId:\n    source: record_id\n    required: true\n"
            "  name:\n    source: name\n"
            "  category:\n    source: category\n    required: true\n"
        )
    return {name: header + text for name, text in files.items()}


def _jobs(plan: Plan) -> tuple[str, str]:
    jobs = []
    for stream in plan.pull:
        jobs.append(
            f"  {plan.name}-{stream}:\n    source: {plan.name}.{stream}\n    target: store\n"
            f"    mapping: ../{plan.name}/mappings/{stream}.yaml\n    schedule: every 15m\n"
            "    batch_size: 50\n"
        )
    for stream in plan.push:
        after = f"    depends_on: [{plan.name}-{plan.pull[0]}]\n" if plan.pull else ""
        jobs.append(
            f"  {plan.name}-{stream}:\n    source: store\n    target: {plan.name}.{stream}\n"
            f"    mapping: ../{plan.name}/mappings/{stream}.push.yaml\n    schedule: every 30m\n"
            f"    batch_size: 50\n{after}"
        )
    return "".join(jobs).rstrip("\n"), f"{plan.name}-{plan.streams[0]}"


def _test_imports(plan: Plan) -> str:
    helpers = ["scripted_transport", "stream_context"]
    if plan.pull:
        helpers.insert(0, "capture_exchanges")
    lines = ["import pytest", "from gateway.errors import PermanentError"] if plan.push else []
    return "\n".join([*lines, f"from gateway.testing import {', '.join(helpers)}"])


def _python_text(text: str) -> str:
    """A string literal, split over lines in parentheses when it is long."""
    if len(text) <= 70:
        return json.dumps(text, ensure_ascii=False)
    parts = textwrap.wrap(text, width=80, drop_whitespace=False)
    inner = "\n".join(f"        {json.dumps(part, ensure_ascii=False)}" for part in parts)
    return f"(\n{inner}\n    )"


def _render(template: str, values: dict[str, str]) -> str:
    return Template((TEMPLATES / f"{template}.tmpl").read_text(encoding="utf-8")).substitute(values)


def write_package(plan: Plan, where: Path) -> Path:
    """Write the package for ``plan`` into ``where/NAME``; answers that directory. Refuses to
    write over anything already there."""
    root = where / plan.name
    if root.exists() and any(root.iterdir()):
        raise ConfigError("the package directory exists and is not empty", directory=str(root))
    title = plan.name.replace("_", " ")
    jobs, first_job = _jobs(plan)
    port = PORT_BASE + sum(map(ord, plan.name)) % 1000
    signing_text = (
        "no signature checked by the platform (the gateway still signs, HMAC-SHA256)"
        if plan.signing == "none"
        else plan.signing.upper()
    )
    classes = [f"{_camel(s)}Stream" for s in plan.streams]
    streams_text = ", ".join(
        [*(f"{s} (pull)" for s in plan.pull), *(f"{s} (push)" for s in plan.push)]
    )
    doc = (
        f"Streams: {streams_text}. Requests are signed with {signing_text} "
        "(docs/adapters/wire.md of the gateway describes the dialect)."
    )
    values = {
        "doc_text": textwrap.fill(doc, width=96),
        "description": _python_text(f"{title}: {streams_text}"),
        "name": plan.name,
        "dist": plan.name.replace("_", "-"),
        "title": title,
        "class_name": _camel(plan.name),
        "stream_list": ", ".join(
            [*(f"{s} (pull)" for s in plan.pull), *(f"{s} (push)" for s in plan.push)]
        ),
        "stream_classes": "\n".join(f"    {c}," for c in sorted(classes)),
        "test_imports": _test_imports(plan),
        "pull_objects": ", ".join(f"{_camel(s)}Stream()" for s in plan.pull),
        "push_objects": ", ".join(f"{_camel(s)}Stream()" for s in plan.push),
        "signing_text": signing_text,
        "signature": plan.signature,
        "signed": str(plan.signing != "none"),
        "paging": plan.paging,
        "paging_text": _PAGING_TEXT[plan.paging],
        "paging_import": (
            f"\nfrom gateway.http.paging import {_PAGINATORS[plan.paging][:-2]}"  # type: ignore[index]
            if _PAGINATORS[plan.paging] and plan.pull
            else ""
        ),
        "base_imports": ", ".join(
            [
                *(["IncrementalPullStream"] if plan.pull else []),
                *(["ReceiptPushStream"] if plan.push else []),
            ]
        ),
        "stream_defs": _stream_defs(plan),
        "routes": _routes(plan),
        "unit_tests": _unit_tests(plan),
        "stream_table": "\n".join(
            [
                *(f"| `{s}` | pull | `GET /api/v1/{s}` |" for s in plan.pull),
                *(
                    f"| `{s}` | push | `POST /api/v1/{s}`, `GET /api/v1/{s}/receipts` |"
                    for s in plan.push
                ),
            ]
        ),
        "key_field": KEY_FIELD,
        "updated_field": UPDATED_FIELD,
        "jobs": jobs,
        "first_job": first_job,
        "port": str(port),
    }
    package = root / plan.name
    files = {
        root / "pyproject.toml": _render("pyproject.toml", values),
        root / "README.md": _render("README.md", values),
        package / "__init__.py": _render("__init__.py", values),
        package / "streams.py": _render("streams.py", values),
        package / "simulator.py": _render("simulator.py", values),
        package / "openapi.json": json.dumps(
            document(plan.name, plan.pull, plan.push, plan.paging, plan.signing),
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        root / "tests" / "test_streams.py": _render("tests/test_streams.py", values),
        root / "tests" / "test_contract.py": _render("tests/test_contract.py", values),
        root / ".gitignore": _render("gitignore", values),
        root / "example" / "gateway.yaml": _render("gateway.yaml", values),
    }
    files |= {package / "samples" / n: text for n, text in _samples(plan).items()}
    files |= {package / "mappings" / n: text for n, text in _mappings(plan).items()}
    files[package / "mappings" / "mapping.schema.json"] = (
        json.dumps(SCHEMAS["mapping"](), ensure_ascii=False, indent=2) + "\n"
    )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    secret_dir = root / "example" / "secrets"
    secret_dir.mkdir(mode=0o700)
    _write_secret(secret_dir / f"{plan.name}.txt", secrets.token_hex(24))
    _write_secret(secret_dir / "audit-key.txt", secrets.token_hex(32))
    return root


def _write_secret(path: Path, text: str) -> None:
    """A new file readable by its owner only from the moment it exists (no chmod after)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
