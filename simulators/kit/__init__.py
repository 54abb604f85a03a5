"""The toolkit every platform simulator is built from.

A simulator is a real HTTP server that speaks one platform's dialect: signed requests
(:mod:`~gateway.simkit.auth`), the response envelope (:mod:`~gateway.simkit.envelope`),
reproducible faults (:mod:`~gateway.simkit.faults`, applied by :mod:`~gateway.simkit.guard`),
harness routes under ``/_sim/`` and an OpenAPI document that describes the dialect
(:mod:`~gateway.simkit.app`, :mod:`~gateway.simkit.openapi`). :mod:`~gateway.simkit.runner`
serves it in a thread or as a program, :mod:`~gateway.simkit.cli` parses its command line, and
:mod:`~gateway.simkit.testing` signs requests for tests and scripts.
"""

from gateway.simkit.app import PlatformApp, PlatformKit, create_platform_app
from gateway.simkit.auth import NonceMemory, Refusal, SignatureVerifier
from gateway.simkit.envelope import (
    Code,
    Envelope,
    ErrorEnvelope,
    JSONBytes,
    envelope,
    fail,
    new_request_id,
    ok,
    plain,
)
from gateway.simkit.faults import Burst, FaultInjector, FaultPlan, FaultSettings
from gateway.simkit.guard import PlatformGuard
from gateway.simkit.openapi import json_body, openapi_text
from gateway.simkit.runner import RunningServer, bind, run_in_thread, serve
from gateway.simkit.tally import Tally
from gateway.simkit.testing import SigningAuth, echo_platform, signed_client

__all__ = [
    "Burst",
    "Code",
    "Envelope",
    "ErrorEnvelope",
    "FaultInjector",
    "FaultPlan",
    "FaultSettings",
    "JSONBytes",
    "NonceMemory",
    "PlatformApp",
    "PlatformGuard",
    "PlatformKit",
    "Refusal",
    "RunningServer",
    "SignatureVerifier",
    "SigningAuth",
    "Tally",
    "bind",
    "create_platform_app",
    "echo_platform",
    "envelope",
    "fail",
    "json_body",
    "new_request_id",
    "ok",
    "openapi_text",
    "plain",
    "run_in_thread",
    "serve",
    "signed_client",
]
