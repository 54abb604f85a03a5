"""The FastAPI app every simulator starts from: guard, harness routes, errors, documentation.

A simulator calls :func:`create_platform_app` with a :class:`PlatformKit` and then adds its own
API routes (under ``/api/``) and harness routes (under ``/_sim/``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from gateway.http.signing import SignatureAlgorithm
from simulators.kit.auth import SignatureVerifier
from simulators.kit.envelope import Code, JSONBytes, fail, plain
from simulators.kit.faults import FaultInjector, FaultSettings
from simulators.kit.guard import PlatformGuard
from simulators.kit.openapi import dialect_text, document_dialect
from simulators.kit.tally import Tally

HARNESS_TAG = "harness"
_HTTP_CODES = {404: Code.NOT_FOUND, 405: Code.METHOD_NOT_ALLOWED}


@dataclass
class PlatformKit:
    """What the guard and the harness routes share with the simulator's own routes."""

    verifier: SignatureVerifier
    faults: FaultInjector = field(default_factory=FaultInjector)
    tally: Tally = field(default_factory=Tally)

    @classmethod
    def signed(
        cls,
        app_key: str,
        secret: str,
        algorithm: SignatureAlgorithm,
        window_seconds: float,
        faults: FaultSettings,
    ) -> PlatformKit:
        """A kit for one client credential, with the given fault settings."""
        verifier = SignatureVerifier(
            {app_key: secret.encode()}, algorithm, window_seconds=window_seconds
        )
        return cls(verifier=verifier, faults=FaultInjector(faults))


class PlatformApp(FastAPI):
    """A FastAPI app whose OpenAPI document also describes the platform dialect."""

    def __init__(
        self,
        *,
        kit: PlatformKit,
        api_prefix: str,
        documented_models: Iterable[type[BaseModel]],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.kit = kit
        self.api_prefix = api_prefix
        self.documented_models = tuple(documented_models)

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema:
            return self.openapi_schema
        return document_dialect(super().openapi(), self.api_prefix, self.documented_models)


def create_platform_app(
    *,
    title: str,
    version: str,
    description: str,
    kit: PlatformKit,
    stats: Callable[[], Mapping[str, Any]] | None = None,
    documented_models: Iterable[type[BaseModel]] = (),
    api_prefix: str = "/api/",
) -> PlatformApp:
    """A platform app with the guard in front of ``api_prefix`` and the shared harness routes.

    ``stats`` adds the simulator's own figures to ``GET /_sim/stats``.
    """
    verifier = kit.verifier
    app = PlatformApp(
        kit=kit,
        api_prefix=api_prefix,
        documented_models=documented_models,
        title=title,
        version=version,
        description=description + dialect_text(verifier.algorithm, verifier.window_seconds),
        # Swagger UI would load scripts from a CDN, which an air-gapped site cannot reach.
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(
        PlatformGuard,
        verifier=verifier,
        faults=kit.faults,
        tally=kit.tally,
        api_prefix=api_prefix,
    )
    app.add_exception_handler(RequestValidationError, _invalid_param)
    app.add_exception_handler(HTTPException, _http_error)

    @app.get("/_sim/faults", tags=[HARNESS_TAG], summary="Current fault settings")
    async def get_faults() -> FaultSettings:
        return kit.faults.settings

    @app.post("/_sim/faults", tags=[HARNESS_TAG], summary="Replace the fault settings")
    async def set_faults(settings: FaultSettings) -> FaultSettings:
        kit.faults.configure(settings)
        return kit.faults.settings

    @app.get("/_sim/stats", tags=[HARNESS_TAG], summary="Counters since start")
    async def get_stats() -> JSONBytes:
        figures: dict[str, Any] = {"requests": 0, **kit.tally.snapshot()}
        figures["faults"] = kit.faults.counts()
        if stats is not None:
            figures.update(stats())
        return plain(figures)

    return app


async def _invalid_param(_request: Request, exc: Exception) -> JSONBytes:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    # Name where the problem is, never the value: a value may be an ID number.
    where = sorted({".".join(str(part) for part in error.get("loc", ())) for error in errors})
    return fail(Code.INVALID_PARAM, "invalid parameter: " + ", ".join(where), status=400)


async def _http_error(_request: Request, exc: Exception) -> JSONBytes:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = _HTTP_CODES.get(status, Code.INVALID_PARAM if status < 500 else Code.INTERNAL_ERROR)
    headers = getattr(exc, "headers", None)
    return fail(code, str(getattr(exc, "detail", "")), status=status, headers=headers)
