"""The labor-force simulator's committed OpenAPI document and its settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import simulators.labor_force
from gateway.errors import ConfigError
from simulators.kit import openapi_text
from simulators.labor_force.simulator import LaborForceSimSettings, build_app, create_app

COMMITTED = Path(simulators.labor_force.__file__).parent / "openapi.json"
REGENERATE = (
    "python -m simulators.labor_force.simulator --openapi > simulators/labor_force/openapi.json"
)


def test_committed_document_equals_the_generated_one() -> None:
    """simulators/labor_force/openapi.json is exactly what the app generates (regenerate it with
    the command in REGENERATE when the API changes)."""
    app = build_app({"size": 10, "app_key": "k", "secret": "s"})
    generated = openapi_text(app.openapi())
    assert json.loads(COMMITTED.read_text(encoding="utf-8")) == json.loads(generated), REGENERATE


def test_document_describes_routes_envelope_and_signing() -> None:
    """The document lists the platform's routes, the envelope of each answer and the signing."""
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    paths = document["paths"]
    assert {"/api/v1/persons", "/api/v1/verifications", "/api/v1/verifications/receipts"} <= set(
        paths
    )
    persons = paths["/api/v1/persons"]["get"]
    assert {p["name"] for p in persons["parameters"]} == {
        "page_size", "updated_since", "after_key", "AAB299",
    }  # fmt: skip
    ok_schema = persons["responses"]["200"]["content"]["application/json"]["schema"]
    envelope = document["components"]["schemas"][ok_schema["$ref"].rsplit("/", 1)[1]]
    assert set(envelope["properties"]) == {"code", "msg", "data", "requestId"}
    assert persons["security"]
    body = paths["/api/v1/verifications"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/VerificationBatch")
    assert "VerificationItem" in document["components"]["schemas"]
    assert "X-Signature" in document["info"]["description"]


def test_document_describes_the_reconciliation_routes() -> None:
    """Holdings (count and range digest of AAC002 ranges) and the range listing are documented
    and signed like every other route."""
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    holdings = document["paths"]["/api/v1/persons/holdings"]["post"]
    body = holdings["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/HoldingsRequest")
    assert holdings["security"]
    listing = document["paths"]["/api/v1/persons/range"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"page_size", "low", "high", "after_key"}
    assert listing["security"]
    schemas = document["components"]["schemas"]
    assert "digest" in schemas["RangeHoldings"]["properties"]
    assert "/_sim/mutate" in document["paths"]


def test_settings_from_a_plain_mapping() -> None:
    """build_app takes size, seed, app_key, secret (text), algorithm and faults as a mapping."""
    app = build_app(
        {
            "size": 50,
            "seed": 4,
            "app_key": "k",
            "secret": "s",
            "algorithm": "hmac-sm3",
            "faults": {"error_rate": 0.5, "burst_503": "10:2"},
        }
    )
    platform = app.state.platform
    assert platform.population.size == 50
    assert platform.kit.faults.settings.error_rate == 0.5
    assert platform.kit.verifier.algorithm == "hmac-sm3"


def test_bad_settings_are_a_config_error_without_the_secret() -> None:
    """An unknown key or a bad value is a ConfigError naming the key; the secret never shows."""
    with pytest.raises(ConfigError, match="colour") as unknown:
        build_app({"app_key": "k", "secret": "hunter2-secret", "colour": "red"})
    assert "hunter2" not in str(unknown.value)
    with pytest.raises(ConfigError, match="size"):
        build_app({"app_key": "k", "secret": "s", "size": 0})
    with pytest.raises(ConfigError, match="faults"):
        build_app({"app_key": "k", "secret": "s", "faults": {"error_rate": 3}})


def test_secret_is_hidden_in_settings_repr() -> None:
    """The settings object never shows the secret when printed or logged."""
    settings = LaborForceSimSettings(app_key="k", secret=b"hunter2-secret")
    assert "hunter2" not in repr(settings)
    assert create_app(settings).state.platform.population.size == settings.size
