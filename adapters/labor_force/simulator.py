"""Simulator of the provincial labor-force data platform (贵州省劳务就业大户数据平台).

Serves the platform's persons (generated, 2,247,000 by default) and takes the bureau's
verification results and job postings, in the shared dialect (signed requests, envelope,
faults). Run it on its own with
``python -m adapters.labor_force.simulator --port 8301 --app-key K --secret-env VAR``; it prints
its URL on one line once it accepts connections.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Annotated, Any

import orjson
from fastapi import Body, FastAPI, Query, Request
from pydantic import BaseModel, ConfigDict, Field, SecretBytes, ValidationError

from adapters.labor_force.employers import DEFAULT_EMPLOYERS, employers
from adapters.labor_force.population import (
    DEFAULT_GROUP_SIZE,
    DEFAULT_INVALID_RATE,
    DEFAULT_SEED,
    DEFAULT_SIZE,
    MAX_SIZE,
    Population,
    parse_time,
)
from adapters.labor_force.sim_models import (
    AdvanceRequest,
    AdvanceResult,
    PersonsPage,
    VerificationAnswers,
    VerificationBatch,
)
from adapters.labor_force.sim_postings import PostingBatch, PostingLedger, mount_postings
from adapters.labor_force.sim_store import PersonStore
from adapters.labor_force.sim_verifications import MAX_ITEMS, VerificationLedger
from gateway.errors import ConfigError
from gateway.http.signing import SignatureAlgorithm
from gateway.simkit import (
    Code,
    Envelope,
    FaultInjector,
    FaultSettings,
    JSONBytes,
    PlatformKit,
    SignatureVerifier,
    create_platform_app,
    fail,
    json_body,
    ok,
    plain,
)
from gateway.simkit.auth import DEFAULT_NONCE_CAPACITY, DEFAULT_WINDOW_SECONDS
from gateway.simkit.cli import run_simulator, simulator_parser

TITLE = "贵州省劳务就业大户数据平台 (simulator)"
VERSION = "1.0"
MAX_PAGE_SIZE = 5000
DUPLICATED_RECORDS = 3  # how many earlier records a duplicate-fault page repeats
TIME_PATTERN = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
DESCRIPTION = """
The province's labor-force records for the prefecture's residents, and the intake of the
bureau's verification results. Persons are listed by (AAE036, AAC002) ascending; a cursor
(`updated_since`, `after_key`) resumes strictly after the last record read.
"""


class LaborForceSimSettings(BaseModel):
    """How the simulated platform is set up."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: int = Field(DEFAULT_SIZE, ge=1, le=MAX_SIZE)
    seed: int = DEFAULT_SEED
    app_key: str = Field(min_length=1)
    secret: SecretBytes
    algorithm: SignatureAlgorithm = SignatureAlgorithm.HMAC_SHA256
    time_window_seconds: float = Field(DEFAULT_WINDOW_SECONDS, gt=0)
    nonce_capacity: int = Field(DEFAULT_NONCE_CAPACITY, ge=1)
    invalid_rate: float = Field(DEFAULT_INVALID_RATE, ge=0, le=1)
    group_size: int = Field(DEFAULT_GROUP_SIZE, ge=1)
    employers: int = Field(DEFAULT_EMPLOYERS, ge=1, le=1_000_000)
    faults: FaultSettings = FaultSettings()


class LaborForcePlatform:
    """The simulated platform's state: persons, verifications, and the shared kit."""

    def __init__(self, settings: LaborForceSimSettings) -> None:
        self.settings = settings
        self.population = Population(
            settings.size,
            settings.seed,
            invalid_rate=settings.invalid_rate,
            group_size=settings.group_size,
        )
        self.store = PersonStore(self.population)
        self.ledger = VerificationLedger(self.population.index_of)
        self.postings = PostingLedger(e.uscc for e in employers(settings.seed, settings.employers))
        verifier = SignatureVerifier(
            {settings.app_key: settings.secret.get_secret_value()},
            settings.algorithm,
            window_seconds=settings.time_window_seconds,
            nonce_capacity=settings.nonce_capacity,
        )
        self.kit = PlatformKit(verifier, FaultInjector(settings.faults))

    def stats(self) -> dict[str, Any]:
        return {
            "population": self.population.size,
            "changed_persons": self.store.changed,
            "verifications_received": self.ledger.received,
            "verifications_duplicates": self.ledger.duplicates,
            "verifications_rejected": self.ledger.rejected,
            "postings_duplicates": self.postings.duplicates,
            "postings_rejected": self.postings.rejected,
        }


def create_app(settings: LaborForceSimSettings) -> FastAPI:
    """The simulator as an ASGI app; ``app.state.platform`` is its :class:`LaborForcePlatform`."""
    platform = LaborForcePlatform(settings)
    app = create_platform_app(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        kit=platform.kit,
        stats=platform.stats,
        documented_models=[VerificationBatch, PostingBatch],
    )
    app.state.platform = platform
    mount_postings(app, platform.postings)
    tally, faults, store, ledger = (
        platform.kit.tally,
        platform.kit.faults,
        platform.store,
        platform.ledger,
    )

    @app.get(
        "/api/v1/persons",
        tags=["persons"],
        summary="List persons after a cursor",
        response_class=JSONBytes,
        responses={200: {"model": Envelope[PersonsPage], "description": "A page"}},
    )
    async def list_persons(
        page_size: Annotated[
            int, Query(ge=1, le=MAX_PAGE_SIZE, description="Records per page")
        ] = 1000,
        updated_since: Annotated[
            str | None,
            Query(pattern=TIME_PATTERN, description="Cursor: AAE036 of the last record read"),
        ] = None,
        after_key: Annotated[
            str | None,
            Query(min_length=1, max_length=32, description="Cursor: AAC002 of the last record"),
        ] = None,
    ) -> JSONBytes:
        if updated_since is not None:
            try:
                parse_time(updated_since)
            except ValueError:
                return fail(Code.INVALID_PARAM, "invalid parameter: updated_since", status=400)
        elif after_key is not None:
            return fail(Code.INVALID_PARAM, "after_key needs updated_since", status=400)
        items, has_more = store.page(updated_since, after_key, page_size)
        cursor = None
        if items:
            last = items[-1]
            cursor = {"updated_since": last["AAE036"], "after_key": last["AAC002"]}
            if updated_since is not None and faults.duplicate_page():
                items = store.before(updated_since, after_key, DUPLICATED_RECORDS) + items
        tally.add("pages")
        tally.add("persons_served", len(items))
        return ok({"items": items, "has_more": has_more, "next": cursor})

    @app.post(
        "/api/v1/verifications",
        tags=["verifications"],
        summary="Submit verification results",
        response_class=JSONBytes,
        responses={200: {"model": Envelope[VerificationAnswers], "description": "One per item"}},
        openapi_extra=json_body(VerificationBatch, f"Up to {MAX_ITEMS} verification results"),
    )
    async def submit_verifications(request: Request) -> JSONBytes:
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return fail(Code.INVALID_PARAM, "body is not JSON", status=400)
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not 0 < len(items) <= MAX_ITEMS:
            return fail(Code.INVALID_PARAM, f"items: a list of 1 to {MAX_ITEMS}", status=400)
        answers, changes = ledger.submit(items)
        store.update(changes)
        return ok({"results": answers})

    @app.get(
        "/api/v1/verifications/receipts",
        tags=["verifications"],
        summary="Answers already given, by idempotency key",
        response_class=JSONBytes,
        responses={200: {"model": Envelope[VerificationAnswers], "description": "Known keys"}},
    )
    async def verification_receipts(
        keys: Annotated[str, Query(min_length=1, description="Comma-separated keys, up to 500")],
    ) -> JSONBytes:
        wanted = [key for key in keys.split(",") if key]
        if len(wanted) > MAX_ITEMS:
            return fail(Code.INVALID_PARAM, f"keys: at most {MAX_ITEMS}", status=400)
        return ok({"results": ledger.receipts(wanted)})

    @app.get("/_sim/verifications", tags=["harness"], summary="Accepted verification items")
    async def accepted_verifications() -> JSONBytes:
        return plain(ledger.accepted())

    @app.post("/_sim/advance", tags=["harness"], summary="Change a share of the persons")
    async def advance(change: Annotated[AdvanceRequest, Body()]) -> AdvanceResult:
        return AdvanceResult(changed=store.advance(change.fraction, change.seed))

    return app


def build_app(settings: Mapping[str, Any]) -> FastAPI:
    """The simulator from plain settings (``size``, ``seed``, ``app_key``, ``secret`` as text,
    ``algorithm``, ``faults`` as a mapping, ...), as ``Adapter.simulator_app`` receives them."""
    values = dict(settings)
    if isinstance(values.get("secret"), str):
        values["secret"] = values["secret"].encode()
    try:
        return create_app(LaborForceSimSettings.model_validate(values))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "settings"
        raise ConfigError(f"labor_force simulator: {where}: {error['msg']}") from None


def main(argv: list[str] | None = None) -> int:
    parser = simulator_parser(
        "python -m adapters.labor_force.simulator",
        "Serve the simulated labor-force platform until interrupted.",
        default_seed=DEFAULT_SEED,
    )
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="number of persons")

    def extra(args: argparse.Namespace) -> dict[str, Any]:
        return {"size": args.size}

    return run_simulator(parser, build_app, extra, argv)


if __name__ == "__main__":
    raise SystemExit(main())
