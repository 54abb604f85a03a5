"""Serving a simulator in a thread, its command-line helpers, and its OpenAPI document."""

from __future__ import annotations

import argparse
import socket

import httpx
import pytest

import simulators.kit as simkit
from gateway.errors import ConfigError, GatewayError
from simulators.kit import FaultSettings, bind, echo_platform, run_in_thread
from simulators.kit.cli import (
    add_fault_arguments,
    common_settings,
    fault_settings,
    parse_fault_assignments,
    simulator_parser,
)

KEY = "bureau"
SECRET = b"runner-test-secret"


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_port_zero_is_known_and_serving_on_return() -> None:
    """run_in_thread on port 0 returns a real port and URL, already accepting connections."""
    with run_in_thread(echo_platform(KEY, SECRET)) as server:
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert _accepts(server.port)
        assert httpx.get(server.url + "/_sim/stats", timeout=5).status_code == 200


def test_stop_releases_the_port() -> None:
    """After stop() nothing listens on the port any more, and stop() may be called twice."""
    server = run_in_thread(echo_platform(KEY, SECRET))
    port = server.port
    server.stop()
    assert not _accepts(port)
    server.stop()


def test_a_chosen_port_is_used() -> None:
    """An explicit free port is served as asked."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with run_in_thread(echo_platform(KEY, SECRET), port=port) as server:
        assert server.port == port
        assert _accepts(port)


def test_a_busy_port_is_a_clear_error() -> None:
    """Binding a port that is already listening raises a GatewayError naming host and port."""
    holder = bind("127.0.0.1", 0)
    port = holder.getsockname()[1]
    try:
        with pytest.raises(GatewayError, match=f"port={port}"):
            # SO_REUSEADDR does not allow two listeners on one port.
            run_in_thread(echo_platform(KEY, SECRET), port=port)
    finally:
        holder.close()


def test_fault_flags_map_onto_fault_settings() -> None:
    """Every FaultSettings field has a flag; given flags become the settings."""
    parser = argparse.ArgumentParser()
    add_fault_arguments(parser)
    args = parser.parse_args(
        ["--error-rate", "0.1", "--burst-503", "50:2", "--down", "--fault-seed", "9"]
    )
    settings = fault_settings(args)
    assert settings.error_rate == 0.1
    assert settings.burst_503 is not None
    assert (settings.burst_503.every, settings.burst_503.length) == (50, 2)
    assert settings.down is True
    assert settings.seed == 9
    assert settings.busy_rate == FaultSettings().busy_rate


def test_a_bad_fault_flag_names_the_flag() -> None:
    """An out-of-range value is a ConfigError that names the flag, not the field."""
    parser = simulator_parser("sim", "test", default_seed=1)
    args = parser.parse_args(["--openapi", "--busy-rate", "2"])
    with pytest.raises(ConfigError, match="--busy-rate"):
        common_settings(args)


def test_fault_assignments_for_a_repeatable_option() -> None:
    """NAME=VALUE texts become fault settings; malformed or out-of-range ones name the fault."""
    settings = parse_fault_assignments(["error_rate=0.25", "burst_503=100:3", "down=true"])
    assert settings.error_rate == 0.25
    assert settings.down is True
    assert settings.burst_503 is not None
    assert settings.burst_503.every == 100
    with pytest.raises(ConfigError, match="NAME=VALUE"):
        parse_fault_assignments(["error_rate"])
    with pytest.raises(ConfigError, match="no_such"):
        parse_fault_assignments(["no_such=1"])
    with pytest.raises(ConfigError, match="busy_rate"):
        parse_fault_assignments(["busy_rate=7"])


def test_public_names_are_exported() -> None:
    """Every name in simulators.kit.__all__ exists, and __all__ is sorted."""
    assert simkit.__all__ == sorted(simkit.__all__)
    missing = [name for name in simkit.__all__ if not hasattr(simkit, name)]
    assert not missing


def test_serving_needs_key_and_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --app-key/--secret-env, or with an unset variable, serving is refused."""
    parser = simulator_parser("sim", "test", default_seed=1)
    with pytest.raises(ConfigError, match="required"):
        common_settings(parser.parse_args([]))
    monkeypatch.delenv("SIMKIT_TEST_SECRET", raising=False)
    with pytest.raises(ConfigError, match="SIMKIT_TEST_SECRET"):
        common_settings(parser.parse_args(["--app-key", "k", "--secret-env", "SIMKIT_TEST_SECRET"]))
    monkeypatch.setenv("SIMKIT_TEST_SECRET", "value")
    settings = common_settings(
        parser.parse_args(["--app-key", "k", "--secret-env", "SIMKIT_TEST_SECRET", "--seed", "4"])
    )
    assert (settings["app_key"], settings["secret"], settings["seed"]) == ("k", "value", 4)
    assert settings["faults"] == {}


def test_openapi_documents_the_dialect() -> None:
    """The document has the signing headers as security schemes, required on API routes only,
    with the refusals every signed route may answer and 400 instead of 422."""
    document = echo_platform(KEY, SECRET).openapi()
    schemes = document["components"]["securitySchemes"]
    assert {s["name"] for s in schemes.values()} == {
        "X-App-Key",
        "X-Timestamp",
        "X-Nonce",
        "X-Signature",
    }
    echo = document["paths"]["/api/echo"]["get"]
    assert echo["security"] == [{name: [] for name in schemes}]
    assert {"401", "429", "500", "503"} <= set(echo["responses"])
    faults = document["paths"]["/_sim/faults"]["post"]
    assert "security" not in faults
    assert "400" in faults["responses"]
    assert "422" not in faults["responses"]
    assert "ErrorEnvelope" in document["components"]["schemas"]
    assert "X-Signature" in document["info"]["description"]
