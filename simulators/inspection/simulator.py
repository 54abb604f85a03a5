"""The simulated double-random inspection platform (贵州省双随机监管系统).

It keeps what it is sent (check items, subjects, inspectors, results), answers each record with
a receipt or a rejection, remembers answers by idempotency key, draws the year's tasks from the
directories it holds, and pages them by (updatedAt, taskId). Run it on its own with
``python -m simulators.inspection.simulator --app-key K --secret-env VAR``; ``--openapi`` prints
the document committed as ``openapi.json``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import orjson
from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.inspection.streams import (
    MAX_BATCH,
    PUSH_PATHS,
    TASK_HOLDINGS_PATH,
    TASK_RANGE_PATH,
    TASKS_PATH,
)
from gateway.errors import ConfigError
from gateway.http.signing import SignatureAlgorithm
from simulators.inspection.draw import DrawPlan
from simulators.inspection.schema import (
    CheckItemBatch,
    InspectorBatch,
    PushAnswers,
    ResultBatch,
    SubjectBatch,
    TaskMutated,
    TaskMutation,
    TaskPage,
    TaskRange,
)
from simulators.inspection.state import Holdings
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

DEFAULT_SEED = 2022
MAX_RECEIPT_KEYS = 1000
DESCRIPTION = """The province's double-random, one-public (双随机、一公开) supervision platform as
the bureau sees it: it publishes the bureau's check-item list (抽查事项清单), its directory of
supervised objects (检查对象名录库) and of inspectors (执法检查人员名录库), draws spot-check tasks
at random from them, and publishes the results the bureau reports for each drawn subject.

Push routes take `{"items": [...]}` (at most 500) and answer one result per item, in order:
`accepted` with a receipt number, or `rejected` with a code (`INVALID_FIELD`, `INVALID_USCC`,
`INVALID_ID_NUMBER`, `UNKNOWN_CHECK_ITEM`, `UNKNOWN_TASK`, `SUBJECT_NOT_DRAWN`,
`UNKNOWN_INSPECTOR`, `INVALID_RESULT_CODE`, `INVALID_DATE`). An item sent again with the same
`idempotencyKey` gets its first answer again and changes nothing.

Tasks are drawn once a year's plan can be filled from the directories held, and listed in
(updatedAt, taskId) order: pass the previous page's `next` as `updated_since` and `after_key`.
"""
_BAD_BATCH = "INVALID_PARAM: not JSON, over 500 items, or an item without idempotencyKey"
Stream = Literal["check_items", "subjects", "inspectors", "results"]
_BATCH_MODELS: dict[str, type[BaseModel]] = {
    "check_items": CheckItemBatch,
    "subjects": SubjectBatch,
    "inspectors": InspectorBatch,
    "results": ResultBatch,
}


class SimulatorSettings(BaseModel):
    """Everything ``build_app`` takes; unknown keys are a configuration error, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    app_key: str = Field(min_length=1)
    secret: str = Field(min_length=1)
    algorithm: SignatureAlgorithm = SignatureAlgorithm.HMAC_SHA256
    seed: int = DEFAULT_SEED
    draw: DrawPlan = DrawPlan()
    time_window_seconds: float = Field(DEFAULT_WINDOW_SECONDS, gt=0)
    faults: FaultSettings = FaultSettings()


def parse_settings(settings: Mapping[str, Any]) -> SimulatorSettings:
    try:
        return SimulatorSettings.model_validate(dict(settings))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"inspection simulator setting {where}: {message}") from None


async def _items(request: Request) -> list[dict[str, Any]] | JSONBytes:
    """The body's items, or the 400 answer that refuses the whole request."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return fail(Code.INVALID_PARAM, "body is not JSON", status=400)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) > MAX_BATCH:
        return fail(Code.INVALID_PARAM, f"items must be a list of at most {MAX_BATCH}", status=400)
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("idempotencyKey"), str):
            return fail(Code.INVALID_PARAM, "every item needs an idempotencyKey", status=400)
    return items


def build_app(settings: Mapping[str, Any]) -> PlatformApp:
    """The platform's ASGI app for one set of settings (see :class:`SimulatorSettings`)."""
    config = parse_settings(settings)
    holdings = Holdings(config.draw, config.seed)
    kit = PlatformKit.signed(
        config.app_key, config.secret, config.algorithm, config.time_window_seconds, config.faults
    )
    app = create_platform_app(
        title="贵州省双随机监管系统 (simulated)",
        version="1.0",
        description=DESCRIPTION,
        kit=kit,
        stats=holdings.stats,
        documented_models=[*_BATCH_MODELS.values(), HoldingsRequest],
    )

    def add_push_routes(stream: str, path: str) -> None:
        batch_model = _BATCH_MODELS[stream]
        directory = holdings.directories[stream]

        @app.post(
            path,
            summary=f"Submit {stream.replace('_', ' ')}",
            operation_id=f"submit_{stream}",
            openapi_extra=json_body(batch_model, "The records, each with its idempotencyKey"),
            responses={
                200: {"model": Envelope[PushAnswers], "description": "One answer per item"},
                400: {"model": ErrorEnvelope, "description": _BAD_BATCH},
            },
        )
        async def submit(request: Request) -> JSONBytes:
            items = await _items(request)
            if isinstance(items, JSONBytes):
                return items
            return ok({"results": [directory.submit(item) for item in items]})

        @app.get(
            f"{path}/receipts",
            summary=f"What became of earlier {stream.replace('_', ' ')} submissions",
            operation_id=f"receipts_{stream}",
            responses={200: {"model": Envelope[PushAnswers], "description": "Known keys only"}},
        )
        async def receipts(
            keys: Annotated[str, Query(description="Idempotency keys, comma-separated")],
        ) -> JSONBytes:
            wanted = [k for k in keys.split(",") if k][:MAX_RECEIPT_KEYS]
            return ok({"results": [directory.answers[k] for k in wanted if k in directory.answers]})

    for stream, path in PUSH_PATHS.items():
        add_push_routes(stream, path)

    @app.get(
        TASKS_PATH,
        summary="Tasks drawn, in (updatedAt, taskId) order",
        operation_id="list_tasks",
        responses={200: {"model": Envelope[TaskPage], "description": "One page of tasks"}},
    )
    async def list_tasks(
        updated_since: Annotated[
            str | None, Query(description="updatedAt of the last task seen")
        ] = None,
        after_key: Annotated[str | None, Query(description="taskId of the last task seen")] = None,
        page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> JSONBytes:
        holdings.ensure_drawn()
        repeat = kit.faults.duplicate_page()
        return ok(holdings.task_page(updated_since, after_key, page_size, repeat))

    @app.post(
        TASK_HOLDINGS_PATH,
        summary="Count and digest the tasks of taskId ranges",
        operation_id="task_holdings",
        openapi_extra=json_body(HoldingsRequest, "Up to 64 taskId ranges"),
        responses={200: {"model": Envelope[HoldingsAnswer], "description": "One per range"}},
    )
    async def task_holdings(request: Request) -> JSONBytes:
        holdings.ensure_drawn()
        tasks = holdings.tasks.values()
        return answer_holdings(
            await request.body(), lambda low, high: digest_held(tasks, "taskId", low, high)
        )

    @app.get(
        TASK_RANGE_PATH,
        summary="Tasks of a taskId range, in taskId order",
        operation_id="task_range",
        responses={200: {"model": Envelope[TaskRange], "description": "One page of tasks"}},
    )
    async def task_range(
        low: Annotated[str | None, Query(description="First taskId (inclusive)")] = None,
        high: Annotated[str | None, Query(description="End of the range (exclusive)")] = None,
        after_key: Annotated[str | None, Query(description="taskId of the last task seen")] = None,
        page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> JSONBytes:
        holdings.ensure_drawn()
        tasks = holdings.tasks.values()
        return ok(range_page(tasks, "taskId", low, high, after_key, page_size))

    @app.post("/_sim/tasks/mutate", tags=[HARNESS_TAG], summary="Change, delete and add tasks")
    async def mutate_tasks(change: TaskMutation) -> TaskMutated:
        holdings.ensure_drawn()
        return TaskMutated(
            **holdings.mutate_tasks(change.change, change.delete, change.add, change.seed)
        )

    @app.get("/_sim/records/{stream}", tags=[HARNESS_TAG], summary="Records held (PII masked)")
    async def held_records(stream: Stream) -> JSONBytes:
        return plain({"items": holdings.listing(stream)})

    @app.get("/_sim/tasks", tags=[HARNESS_TAG], summary="Every task drawn (draws if it can)")
    async def all_tasks() -> JSONBytes:
        holdings.ensure_drawn()
        return plain({"items": list(holdings.tasks.values())})

    return app


def _draw_settings(args: argparse.Namespace) -> dict[str, Any]:
    given = {
        "year": args.year,
        "tasks": args.tasks,
        "subjects": args.subjects,
        "inspector_assignments": args.assignments,
    }
    return {"draw": {k: v for k, v in given.items() if v is not None}}


def main(argv: Sequence[str] | None = None) -> int:
    parser = simulator_parser(
        "python -m simulators.inspection.simulator",
        DESCRIPTION.split("\n\n")[0],
        default_seed=DEFAULT_SEED,
    )
    plan = parser.add_argument_group("draw", "the year's plan of spot checks")
    plan.add_argument("--year", type=int, help="year of the plan")
    plan.add_argument("--tasks", type=int, help="spot checks drawn")
    plan.add_argument("--subjects", type=int, help="distinct subjects drawn over all tasks")
    plan.add_argument("--assignments", type=int, help="inspector places over all tasks")
    return run_simulator(parser, build_app, _draw_settings, argv)


if __name__ == "__main__":
    sys.exit(main())
