"""The simulated provincial government service network (贵州政务服务网, 一网通办).

It keeps the catalogue the bureau publishes (checking item codes against a configurable
pattern, the item type, the legal basis and the time limits), receives applications over
simulated time and lists them by (updateTime, caseNo), and records the bureau's case events
only in a valid order. Requests are signed with HMAC-SM3. Run it on its own with
``python -m simulators.service_network.simulator --app-key K --secret-env VAR``; ``--openapi``
prints the document committed as ``openapi.json``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any

import orjson
from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from adapters.service_network.model import (
    DEFAULT_ITEM_CODE_PATTERN,
    REGISTRATION_ITEM_CODE,
    REGISTRATION_ITEM_NAME,
)
from adapters.service_network.streams import (
    CASE_HOLDINGS_PATH,
    CASE_RANGE_PATH,
    CASES_PATH,
    EVENT_RECEIPTS_PATH,
    EVENTS_PATH,
    ITEM_RECEIPTS_PATH,
    ITEMS_PATH,
    MAX_BATCH,
    MAX_PAGE,
)
from gateway.clock import SHANGHAI
from gateway.errors import ConfigError
from gateway.http.signing import SignatureAlgorithm
from gateway.workdays import DEFAULT_CALENDAR
from simulators.kit import (
    Code,
    Envelope,
    ErrorEnvelope,
    FaultSettings,
    JSONBytes,
    PlatformApp,
    PlatformKit,
    create_platform_app,
    fail,
    json_body,
    ok,
    plain,
)
from simulators.kit.app import HARNESS_TAG
from simulators.kit.auth import DEFAULT_WINDOW_SECONDS
from simulators.kit.cli import run_simulator, simulator_parser
from simulators.kit.reconcile import (
    HoldingsAnswer,
    HoldingsRequest,
    answer_holdings,
    digest_held,
    range_page,
)
from simulators.service_network.casegen import CaseSettings, generate_cases
from simulators.service_network.licencegen import generate_licence_cases
from simulators.service_network.schema import (
    CaseMutated,
    CaseMutation,
    CasePage,
    CaseRange,
    CataloguePage,
    EventBatch,
    ItemBatch,
    PushAnswers,
)
from simulators.service_network.state import PlatformState, SimClock

DEFAULT_SEED = 2022
MAX_RECEIPT_KEYS = 1000
DUPLICATED_RECORDS = 2  # a duplicate-page fault repeats this many records from before the cursor
_UPDATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}")
DESCRIPTION = """The provincial government service network (贵州政务服务网, 一网通办) as the
bureau sees it: it publishes the bureau's catalogue of power and public-service items with their
guides, receives applications (办件) through the one-stop portal, and records what the bureau
did with each of them.

Push routes take `{"items": [...]}` (at most 500) and answer one result per item, in order:
`accepted` with a receipt number, or `rejected` with a code. Catalogue entries: `INVALID_ITEM_CODE`
(the code does not match the province's coding rule), `INVALID_ITEM_TYPE`, `ITEM_TYPE_MISMATCH`
(the code's letters are not the item type), `MISSING_FIELD` (name, implementer, legal basis),
`INVALID_TIME_LIMIT` (statutory and promised limits in working days, promised ≤ statutory),
`INVALID_ONLINE_DEPTH`, `INVALID_FLAG`. Case events: `CASE_NOT_FOUND`, `INVALID_EVENT`,
`INVALID_TIME`, `EVENT_OUT_OF_ORDER` (受理 → 准予 or 不予 → 办结), `EVENT_CONFLICT` (that step is
already recorded differently), `MISSING_OPINION` (不予 needs a reason). An item sent again with
the same `idempotencyKey` gets its first answer again and changes nothing.

Cases are listed in (updateTime, caseNo) order, each once it has been received by the
platform's clock; a recorded event updates the case's status and update time. Pass the previous
page's `next` as `updated_since` and `after_key` to resume.
"""
_BAD_BATCH = "INVALID_PARAM: not JSON, over 500 items, or an item without idempotencyKey"


class SimulatorSettings(BaseModel):
    """Everything ``build_app`` takes; unknown keys are a configuration error, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    app_key: str = Field(min_length=1)
    secret: str = Field(min_length=1)
    algorithm: SignatureAlgorithm = SignatureAlgorithm.HMAC_SM3
    seed: int = DEFAULT_SEED
    cases: int = Field(2551, ge=0, le=1_000_000)
    # Human-resources-service licence cases, some under 告知承诺 (licencegen).
    licence_cases: int = Field(0, ge=0, le=100_000)
    start: date = date(2022, 1, 1)
    end: date = date(2022, 11, 30)
    # Early December, when the report on the first eleven months was written.
    clock: datetime = datetime(2022, 12, 5, 9, 0, tzinfo=SHANGHAI)
    registration_item: str = REGISTRATION_ITEM_CODE
    registration_item_name: str = REGISTRATION_ITEM_NAME
    region: str = Field("522600", pattern=r"^\d{6}$")
    item_code_pattern: str = DEFAULT_ITEM_CODE_PATTERN
    # DB52/T 1264-2018 codes start with the item type's letters; another province's may not.
    item_code_has_type: bool = True
    incomplete_share: float = Field(0.04, ge=0, le=1)
    time_window_seconds: float = Field(DEFAULT_WINDOW_SECONDS, gt=0)
    faults: FaultSettings = FaultSettings()

    @field_validator("clock")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)

    @field_validator("item_code_pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


class ClockSetting(BaseModel):
    """The simulated "now"; stopped, it stays put until set again."""

    now: datetime
    running: bool = True


def parse_settings(settings: Mapping[str, Any]) -> SimulatorSettings:
    try:
        return SimulatorSettings.model_validate(dict(settings))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        raise ConfigError(f"service network simulator setting {where}: {first['msg']}") from None


async def _items(request: Request) -> list[Any] | JSONBytes:
    """The body's items, or the 400 answer that refuses the whole request."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return fail(Code.INVALID_PARAM, "body is not JSON", status=400)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) > MAX_BATCH:
        return fail(Code.INVALID_PARAM, f"items must be a list of at most {MAX_BATCH}", status=400)
    if not all(isinstance(i, dict) and isinstance(i.get("idempotencyKey"), str) for i in items):
        return fail(Code.INVALID_PARAM, "every item needs an idempotencyKey", status=400)
    return items


def build_state(config: SimulatorSettings) -> PlatformState:
    cases = generate_cases(
        CaseSettings(
            seed=config.seed,
            count=config.cases,
            start=config.start,
            end=config.end,
            item_code=config.registration_item,
            item_name=config.registration_item_name,
            region=config.region,
            incomplete_share=config.incomplete_share,
        ),
        DEFAULT_CALENDAR,
    )
    cases += generate_licence_cases(
        config.seed, config.licence_cases, config.start, config.end, config.region, DEFAULT_CALENDAR
    )
    return PlatformState(
        cases, SimClock(config.clock), config.item_code_pattern, config.item_code_has_type
    )


def build_app(settings: Mapping[str, Any]) -> PlatformApp:
    """The platform's ASGI app for one set of settings (see :class:`SimulatorSettings`)."""
    config = parse_settings(settings)
    state = build_state(config)
    kit = PlatformKit.signed(
        config.app_key, config.secret, config.algorithm, config.time_window_seconds, config.faults
    )
    app = create_platform_app(
        title="贵州政务服务网 (simulated)",
        version="1.0",
        description=DESCRIPTION,
        kit=kit,
        stats=state.figures,
        documented_models=(ItemBatch, EventBatch, HoldingsRequest),
    )
    push_responses: dict[int | str, dict[str, Any]] = {
        200: {"model": Envelope[PushAnswers], "description": "One answer per item"},
        400: {"model": ErrorEnvelope, "description": _BAD_BATCH},
    }

    @app.post(
        ITEMS_PATH,
        summary="Publish catalogue items",
        operation_id="submit_items",
        openapi_extra=json_body(ItemBatch, "Catalogue entries, each with its idempotencyKey"),
        responses=push_responses,
    )
    async def submit_items(request: Request) -> JSONBytes:
        items = await _items(request)
        if isinstance(items, JSONBytes):
            return items
        return ok({"results": state.submit_items(items)})

    @app.get(
        ITEMS_PATH,
        summary="The published catalogue, by item code",
        operation_id="list_items",
        responses={200: {"model": Envelope[CataloguePage], "description": "One page"}},
    )
    async def list_items(
        page_no: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    ) -> JSONBytes:
        items, total = state.catalogue_page(page_no, page_size)
        return ok({"items": items, "total": total, "page_no": page_no, "page_size": page_size})

    @app.post(
        EVENTS_PATH,
        summary="Record case events",
        operation_id="submit_case_events",
        openapi_extra=json_body(EventBatch, "Case events, each with its idempotencyKey"),
        responses=push_responses,
    )
    async def submit_events(request: Request) -> JSONBytes:
        items = await _items(request)
        if isinstance(items, JSONBytes):
            return items
        return ok({"results": state.submit_events(items)})

    for path, kind, what in (
        (ITEM_RECEIPTS_PATH, "items", "catalogue"),
        (EVENT_RECEIPTS_PATH, "events", "case event"),
    ):
        _add_receipts(app, state, path, kind, what)

    @app.get(
        CASES_PATH,
        summary="Cases received, in (updateTime, caseNo) order",
        operation_id="list_cases",
        responses={200: {"model": Envelope[CasePage], "description": "One page of cases"}},
    )
    async def list_cases(
        updated_since: Annotated[
            str | None, Query(description="updateTime of the last case seen (with milliseconds)")
        ] = None,
        after_key: Annotated[str, Query(description="caseNo of the last case seen")] = "",
        page_size: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    ) -> JSONBytes:
        if updated_since is not None and not _UPDATE_TIME.fullmatch(updated_since):
            return fail(Code.INVALID_PARAM, "updated_since: yyyy-MM-dd HH:mm:ss.SSS", status=400)
        overlap = DUPLICATED_RECORDS if kit.faults.duplicate_page() else 0
        items, has_more = state.cases_after(updated_since, after_key, page_size, overlap)
        position = (
            {"updated_since": items[-1]["updateTime"], "after_key": items[-1]["caseNo"]}
            if items
            else None
        )
        return ok({"items": items, "has_more": has_more, "next": position})

    @app.post(
        CASE_HOLDINGS_PATH,
        summary="Count and digest the cases received by now, by caseNo range",
        operation_id="case_holdings",
        openapi_extra=json_body(HoldingsRequest, "Up to 64 caseNo ranges"),
        responses={200: {"model": Envelope[HoldingsAnswer], "description": "One per range"}},
    )
    async def case_holdings(request: Request) -> JSONBytes:
        cases = state.visible_cases()
        return answer_holdings(
            await request.body(), lambda low, high: digest_held(cases, "caseNo", low, high)
        )

    @app.get(
        CASE_RANGE_PATH,
        summary="Cases received by now of a caseNo range, in caseNo order",
        operation_id="case_range",
        responses={200: {"model": Envelope[CaseRange], "description": "One page of cases"}},
    )
    async def case_range(
        low: Annotated[str | None, Query(description="First caseNo (inclusive)")] = None,
        high: Annotated[str | None, Query(description="End of the range (exclusive)")] = None,
        after_key: Annotated[str | None, Query(description="caseNo of the last case seen")] = None,
        page_size: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    ) -> JSONBytes:
        cases = state.visible_cases()
        return ok(range_page(cases, "caseNo", low, high, after_key, page_size))

    @app.post("/_sim/cases/mutate", tags=[HARNESS_TAG], summary="Change, delete and add cases")
    async def mutate_cases(change: CaseMutation) -> CaseMutated:
        return CaseMutated(
            **state.mutate_cases(change.change, change.delete, change.add, change.seed)
        )

    @app.get("/_sim/cases/{case_no}/events", tags=[HARNESS_TAG], summary="A case's events")
    async def case_events(case_no: str) -> JSONBytes:
        events = state.case_events(case_no)
        if events is None:
            return fail(Code.NOT_FOUND, "no such case", status=404)
        return plain({"caseNo": case_no, "events": events})

    @app.get("/_sim/clock", tags=[HARNESS_TAG], summary="The simulated time")
    async def get_clock() -> JSONBytes:
        return plain({"now": state.clock.now().isoformat(), "running": state.clock.running})

    @app.post("/_sim/clock", tags=[HARNESS_TAG], summary="Set the simulated time")
    async def set_clock(setting: ClockSetting) -> JSONBytes:
        moment = setting.now if setting.now.tzinfo else setting.now.replace(tzinfo=SHANGHAI)
        state.clock.set(moment, running=setting.running)
        return plain({"now": state.clock.now().isoformat(), "running": state.clock.running})

    return app


def _add_receipts(app: PlatformApp, state: PlatformState, path: str, kind: str, what: str) -> None:
    @app.get(
        path,
        summary=f"What became of earlier {what} submissions",
        operation_id=f"receipts_{kind}",
        responses={200: {"model": Envelope[PushAnswers], "description": "Known keys only"}},
    )
    async def receipts(
        keys: Annotated[str, Query(description="Idempotency keys, comma-separated")],
    ) -> JSONBytes:
        wanted = [k for k in keys.split(",") if k][:MAX_RECEIPT_KEYS]
        return ok({"results": state.receipts(kind, wanted)})


def _case_settings(args: argparse.Namespace) -> dict[str, Any]:
    given = {
        "cases": args.cases,
        "start": args.start,
        "end": args.end,
        "clock": args.clock,
        "item_code_pattern": args.item_code_pattern,
    }
    return {k: v for k, v in given.items() if v is not None}


def main(argv: Sequence[str] | None = None) -> int:
    parser = simulator_parser(
        "python -m simulators.service_network.simulator", DESCRIPTION.split("\n\n")[0],
        default_seed=DEFAULT_SEED,
    )  # fmt: skip
    parser.set_defaults(algorithm=SignatureAlgorithm.HMAC_SM3.value)
    group = parser.add_argument_group("cases", "the applications the portal receives")
    group.add_argument("--cases", type=int, help="registrations over the period")
    group.add_argument("--start", help="first day of the period, YYYY-MM-DD")
    group.add_argument("--end", help="last day of the period, YYYY-MM-DD")
    group.add_argument("--clock", help="simulated time at start, ISO 8601")
    group.add_argument("--item-code-pattern", help="regular expression item codes must match")
    return run_simulator(parser, build_app, _case_settings, argv)


if __name__ == "__main__":
    sys.exit(main())
