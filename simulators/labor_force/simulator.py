"""Simulator of the provincial labor-force data platform (贵州省劳务就业大户数据平台).

Serves the platform's persons (generated, 2,247,000 by default) and takes the bureau's
verification results and job postings, in the shared dialect (signed requests, envelope,
faults). Run it on its own with
``python -m simulators.labor_force.simulator --port 8301 --app-key K --secret-env VAR``; it prints
its URL on one line once it accepts connections.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request
from pydantic import BaseModel, ConfigDict, Field, SecretBytes, ValidationError

from gateway.errors import ConfigError
from gateway.http.signing import SignatureAlgorithm
from simulators.kit import (
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
from simulators.kit.auth import DEFAULT_NONCE_CAPACITY, DEFAULT_WINDOW_SECONDS
from simulators.kit.cli import run_simulator, simulator_parser
from simulators.kit.reconcile import HoldingsAnswer, HoldingsRequest, answer_holdings
from simulators.labor_force.employers import DEFAULT_EMPLOYERS, employers
from simulators.labor_force.intake import MAX_ITEMS, batch_items, receipt_keys
from simulators.labor_force.keys import KeyIndex
from simulators.labor_force.population import (
    DEFAULT_GROUP_SIZE,
    DEFAULT_INVALID_RATE,
    DEFAULT_SEED,
    DEFAULT_SIZE,
    MAX_SIZE,
    Population,
    parse_time,
)
from simulators.labor_force.postings import PostingBatch, PostingLedger, mount_postings
from simulators.labor_force.schema import (
    AdvanceRequest,
    AdvanceResult,
    ForgetRequest,
    ForgetResult,
    MutateRequest,
    MutateResult,
    PersonsPage,
    PersonsRange,
    VerificationAnswers,
    VerificationBatch,
)
from simulators.labor_force.state import PersonStore
from simulators.labor_force.verifications import VerificationLedger

TITLE = "贵州省劳务就业大户数据平台 (simulator)"
VERSION = "1.0"
MAX_PAGE_SIZE = 5000
DUPLICATED_RECORDS = 3  # how many earlier records a duplicate-fault page repeats
TIME_PATTERN = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
COUNTY_PATTERN = r"^\d{6}$"
DESCRIPTION = """
The province's labor-force records for the prefecture's residents, and the intake of the
bureau's verification results. Persons are listed by (AAE036, AAC002) ascending; a cursor
(`updated_since`, `after_key`) resumes strictly after the last record read; `AAB299` lists the
persons of one county alone (the first six digits of their household region), each county in
the same order with a cursor of its own. For a
reconciliation, the platform counts and digests the persons of AAC002 ranges
(`/api/v1/persons/holdings`) and lists a range's persons in AAC002 order
(`/api/v1/persons/range`).
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
        self.keys = KeyIndex(self.store)
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
        documented_models=[VerificationBatch, PostingBatch, HoldingsRequest],
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
        county: Annotated[
            str | None,
            Query(
                alias="AAB299",
                pattern=COUNTY_PATTERN,
                description="Only persons whose AAB299 (household region) is in this county: "
                "its first six digits",
            ),
        ] = None,
    ) -> JSONBytes:
        if updated_since is not None:
            try:
                parse_time(updated_since)
            except ValueError:
                return fail(Code.INVALID_PARAM, "invalid parameter: updated_since", status=400)
        elif after_key is not None:
            return fail(Code.INVALID_PARAM, "after_key needs updated_since", status=400)
        total = store.remaining(updated_since, after_key, county)
        items, has_more = store.page(updated_since, after_key, page_size, county)
        cursor = None
        if items:
            last = items[-1]
            cursor = {"updated_since": last["AAE036"], "after_key": last["AAC002"]}
            if updated_since is not None and faults.duplicate_page():
                items = store.before(updated_since, after_key, DUPLICATED_RECORDS, county) + items
        tally.add("pages")
        tally.add("persons_served", len(items))
        return ok({"items": items, "has_more": has_more, "next": cursor, "total": total})

    @app.post(
        "/api/v1/verifications",
        tags=["verifications"],
        summary="Submit verification results",
        response_class=JSONBytes,
        responses={200: {"model": Envelope[VerificationAnswers], "description": "One per item"}},
        openapi_extra=json_body(VerificationBatch, f"Up to {MAX_ITEMS} verification results"),
    )
    async def submit_verifications(request: Request) -> JSONBytes:
        items = await batch_items(request)
        if isinstance(items, JSONBytes):
            return items
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
        wanted = receipt_keys(keys)
        if isinstance(wanted, JSONBytes):
            return wanted
        return ok({"results": ledger.receipts(wanted)})

    @app.post(
        "/api/v1/persons/holdings",
        tags=["reconciliation"],
        summary="Count and digest the persons of AAC002 ranges",
        response_class=JSONBytes,
        responses={200: {"model": Envelope[HoldingsAnswer], "description": "One per range"}},
        openapi_extra=json_body(HoldingsRequest, "Up to 64 AAC002 ranges"),
    )
    async def persons_holdings(request: Request) -> JSONBytes:
        body = await request.body()
        tally.add("holdings_calls")
        return answer_holdings(body, platform.keys.holdings)

    @app.get(
        "/api/v1/persons/range",
        tags=["reconciliation"],
        summary="List the persons of an AAC002 range in AAC002 order",
        response_class=JSONBytes,
        responses={200: {"model": Envelope[PersonsRange], "description": "A page"}},
    )
    async def persons_range(
        page_size: Annotated[
            int, Query(ge=1, le=MAX_PAGE_SIZE, description="Records per page")
        ] = 1000,
        low: Annotated[
            str | None, Query(max_length=32, description="First AAC002 of the range (inclusive)")
        ] = None,
        high: Annotated[
            str | None, Query(max_length=32, description="End of the range (exclusive)")
        ] = None,
        after_key: Annotated[
            str | None, Query(max_length=32, description="Cursor: AAC002 of the last record")
        ] = None,
    ) -> JSONBytes:
        items, has_more = platform.keys.page(low, high, after_key, page_size)
        tally.add("range_pages")
        nxt = {"after_key": items[-1]["AAC002"]} if items and has_more else None
        return ok({"items": items, "has_more": has_more, "next": nxt})

    @app.post("/_sim/mutate", tags=["harness"], summary="Change, delete and add persons")
    async def mutate(change: Annotated[MutateRequest, Body()]) -> MutateResult:
        return MutateResult(**store.mutate(change.change, change.delete, change.add, change.seed))

    @app.post("/_sim/verifications/forget", tags=["harness"], summary="Lose verifications")
    async def forget(request: Annotated[ForgetRequest, Body()]) -> ForgetResult:
        return ForgetResult(forgotten=ledger.forget(request.count, request.seed))

    @app.get("/_sim/verifications", tags=["harness"], summary="Accepted verification items")
    async def accepted_verifications() -> JSONBytes:
        return plain(ledger.accepted())

    @app.post("/_sim/advance", tags=["harness"], summary="Change a share of the persons")
    async def advance(change: Annotated[AdvanceRequest, Body()]) -> AdvanceResult:
        return AdvanceResult(changed=store.advance(change.fraction, change.seed))

    return app


def build_app(settings: Mapping[str, Any]) -> FastAPI:
    """The simulator from plain settings (``size``, ``seed``, ``app_key``, ``secret`` as text,
    ``algorithm``, ``faults`` as a mapping, ...), as ``gateway simulate`` passes them."""
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
        "python -m simulators.labor_force.simulator",
        "Serve the simulated labor-force platform until interrupted.",
        default_seed=DEFAULT_SEED,
    )
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="number of persons")

    def extra(args: argparse.Namespace) -> dict[str, Any]:
        return {"size": args.size}

    return run_simulator(parser, build_app, extra, argv)


if __name__ == "__main__":
    raise SystemExit(main())
