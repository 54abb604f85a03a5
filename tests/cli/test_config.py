"""Configuration: validation messages name the file, the key path and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.errors import ConfigError, UnknownJobError

GOOD = """
version: 1
store: {url: "sqlite:///data/gw.db"}
audit: {key: "env:GW_AUDIT_KEY"}
platforms:
  labor_force:
    adapter: labor_force
    base_url: http://127.0.0.1:8001/
    app_key: bureau
    app_secret: env:LF_SECRET
jobs:
  labor-persons:
    source: labor_force.persons
    target: store
    mapping: labor_force/persons.yaml
    schedule: every 15m
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gateway.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_config_resolves_paths_relative_to_the_file(tmp_path: Path) -> None:
    """A relative SQLite path and the base URL are normalised against the config file."""
    config = load_config(_write(tmp_path, GOOD))
    assert config.store_url == f"sqlite:///{(tmp_path / 'data' / 'gw.db').resolve()}"
    assert config.platforms["labor_force"].base_url == "http://127.0.0.1:8001"
    job = config.job("labor-persons")
    assert (job.is_pull, job.platform, job.stream) == (True, "labor_force", "persons")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("batch_size", "    batch_size: lots\n"), "jobs.labor-persons.batch_size"),
        (("schedule", "    schedule: sometimes\n"), "jobs.labor-persons.schedule"),
        (("secret", "    app_secret: plain-text-secret\n"), "platforms.labor_force.app_secret"),
        (("unknown", "    colour: blue\n"), "jobs.labor-persons.colour"),
    ],
)
def test_broken_values_name_the_key_path(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    """Each broken setting fails with one message naming the file and the key path."""
    kind, line = change
    text = (
        GOOD.replace("    app_secret: env:LF_SECRET\n", line) if kind == "secret" else GOOD + line
    )
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text))
    message = str(caught.value)
    assert str(tmp_path / "gateway.yaml") in message
    assert expected in message
    assert "\n" not in message
    assert "plain-text-secret" not in message


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    """Broken YAML is reported with its line and column, not a traceback."""
    with pytest.raises(ConfigError, match=r"line \d+, column \d+"):
        load_config(_write(tmp_path, "jobs: [unclosed\n"))


def test_job_naming_unknown_platform_is_refused(tmp_path: Path) -> None:
    """A job that names a platform the file does not define is a configuration error."""
    with pytest.raises(ConfigError, match="unknown platform 'nowhere'"):
        load_config(
            _write(tmp_path, GOOD.replace("source: labor_force.persons", "source: nowhere.persons"))
        )


def test_environment_overrides_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GATEWAY__STORE__URL overrides store.url from the file."""
    monkeypatch.setenv("GATEWAY__STORE__URL", "postgresql://gw@db/gateway")
    assert load_config(_write(tmp_path, GOOD)).store_url == "postgresql://gw@db/gateway"


def test_secret_references_resolve_from_env_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Secrets come from the environment or a file, and a missing one is a clear error."""
    config = load_config(_write(tmp_path, GOOD))
    ref = config.platforms["labor_force"].app_secret
    assert ref is not None
    with pytest.raises(ConfigError, match="LF_SECRET"):
        ref.resolve()
    monkeypatch.setenv("LF_SECRET", "s3cr3t-value")
    assert ref.resolve() == "s3cr3t-value"
    (tmp_path / "key.txt").write_text("from-file\n", encoding="utf-8")
    text = GOOD.replace('key: "env:GW_AUDIT_KEY"', 'key: "file:key.txt"')
    audit_key = load_config(_write(tmp_path, text)).audit.key
    assert audit_key is not None
    assert audit_key.resolve(tmp_path) == "from-file"


def test_unknown_job_lists_known_ones(tmp_path: Path) -> None:
    """Asking for a job that does not exist names the jobs that do."""
    with pytest.raises(UnknownJobError, match="labor-persons"):
        load_config(_write(tmp_path, GOOD)).job("nope")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    """A configuration path that does not exist says so and how to give another."""
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.yaml")
