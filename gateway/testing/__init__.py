"""What an adapter package's tests need, shipped with the gateway (its ``pytest11`` plugin is
:mod:`gateway.testing.plugin`).

- :class:`AdapterContract`: the contract suite (docs/adapters/wire.md, the design's §4) over
  every stream of an adapter, against its simulator (:class:`SimulatedPlatform`);
- :func:`check_conformance`: the simulator answers as its own OpenAPI document says;
- :func:`stream_context`, :func:`scripted_transport`, :func:`capture_exchanges`,
  :class:`FakeClock`: a stream's unit tests without a server or a real clock;
- :func:`run_in_thread` and :func:`signed_client`: serving a simulator and calling it signed.

Nothing here imports a simulator or a web framework; serving one needs uvicorn (the gateway's
``[sim]`` extra), the conformance check schemathesis (``[dev]``).
"""

from gateway.testing.checks import CONTRACTS, ContractBroken
from gateway.testing.clock import FakeClock
from gateway.testing.context import (
    TEST_APP_KEY,
    TEST_SECRET,
    ScriptedTransport,
    capture_exchanges,
    platform_config,
    scripted_transport,
    stream_context,
)
from gateway.testing.contract import AdapterContract, ContractCase, run_contract
from gateway.testing.gate import Fault, FaultGate, Served
from gateway.testing.openapi import Conformance, ConformanceBroken, check_conformance
from gateway.testing.rig import HttpRig, Payload, SimulatedPlatform
from gateway.testing.serving import RunningServer, run_in_thread
from gateway.testing.signing import SigningAuth, signed_client

__all__ = [
    "CONTRACTS",
    "TEST_APP_KEY",
    "TEST_SECRET",
    "AdapterContract",
    "Conformance",
    "ConformanceBroken",
    "ContractBroken",
    "ContractCase",
    "FakeClock",
    "Fault",
    "FaultGate",
    "HttpRig",
    "Payload",
    "RunningServer",
    "ScriptedTransport",
    "Served",
    "SigningAuth",
    "SimulatedPlatform",
    "capture_exchanges",
    "check_conformance",
    "platform_config",
    "run_contract",
    "run_in_thread",
    "scripted_transport",
    "signed_client",
    "stream_context",
]
