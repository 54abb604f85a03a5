"""The toolkit every platform simulator is built from.

A simulator is a real HTTP server that speaks one platform's dialect: signed requests
(:mod:`~simulators.kit.auth`), the response envelope (:mod:`~simulators.kit.envelope`),
reproducible faults (:mod:`~simulators.kit.faults`, applied by :mod:`~simulators.kit.guard`),
harness routes under ``/_sim/`` and an OpenAPI document that describes the dialect
(:mod:`~simulators.kit.app`, :mod:`~simulators.kit.openapi`). :mod:`~simulators.kit.runner`
serves it in a thread or as a program, :mod:`~simulators.kit.cli` parses its command line, and
:mod:`~simulators.kit.testing` signs requests for tests and scripts.
"""

from simulators.kit.app import PlatformApp, PlatformKit, create_platform_app
from simulators.kit.auth import NonceMemory, Refusal, SignatureVerifier
from simulators.kit.envelope import (
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
from simulators.kit.faults import Burst, FaultInjector, FaultPlan, FaultSettings
from simulators.kit.guard import PlatformGuard
from simulators.kit.openapi import json_body, openapi_text
from simulators.kit.runner import RunningServer, bind, run_in_thread, serve
from simulators.kit.tally import Tally
from simulators.kit.testing import SigningAuth, echo_platform, signed_client

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
