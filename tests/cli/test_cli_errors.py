"""Bad input at the command line ends in one clear line and a meaningful exit code."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import func, select

from gateway.config import load_config
from gateway.store import Store, schema
from gateway.store.keyring import data_sealer
from simulators.demo.config import DemoContext, free_port, write_config
from tests.helpers.gateway_cli import one_line_error, run_gateway


def _demo_config(tmp_path: Path) -> Path:
    return write_config(DemoContext(tmp_path, size=500))


def test_broken_config_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    """A wrong value in gateway.yaml: exit 2, one line with the file and the key path."""
    path = _demo_config(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["jobs"]["labor-persons"]["batch_size"] = "many"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    done = run_gateway("sync", "labor-persons", "--config", str(path))
    assert done.returncode == 2
    line = one_line_error(done)
    assert "gateway.yaml" in line
    assert "jobs.labor-persons.batch_size" in line


def test_unknown_job_exits_2_and_lists_jobs(tmp_path: Path) -> None:
    """A job name the configuration does not define: exit 2, the known jobs named."""
    done = run_gateway("sync", "no-such-job", "--config", str(_demo_config(tmp_path)))
    assert done.returncode == 2
    assert "labor-persons" in one_line_error(done)


def test_missing_config_exits_2(tmp_path: Path) -> None:
    """No configuration file: exit 2 and a hint how to give one."""
    done = run_gateway("status", cwd=tmp_path)
    assert done.returncode == 2
    assert "--config" in one_line_error(done)


def test_unreachable_platform_fails_the_run_and_writes_no_records(tmp_path: Path) -> None:
    """Nothing listens on the platform's port: exit 1, a one-line reason, no records."""
    path = _demo_config(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    platform = data["platforms"]["labor_force"]
    platform["base_url"] = f"http://127.0.0.1:{free_port()}"
    platform["retry"] = {"max_attempts": 2, "max_seconds": 2, "initial_backoff": 0.05}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    done = run_gateway("sync", "labor-persons", "--config", str(path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "unreachable" in done.stdout
    store = Store(f"sqlite:///{tmp_path / 'gateway.db'}", sealer=data_sealer(load_config(path)))
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.records)).scalar() == 0
        assert conn.execute(select(schema.runs.c.status)).scalar() == "failed"
    store.close()


def test_sync_refuses_a_job_that_runs_elsewhere(tmp_path: Path) -> None:
    """A job whose lease another instance holds is not run twice: exit 1, the holder named."""
    from gateway.service.leases import LeaseManager

    path = _demo_config(tmp_path)
    store = Store(f"sqlite:///{tmp_path / 'gateway.db'}")
    leases = LeaseManager(store, "other-host:4242", 300)
    lease = leases.acquire("labor-persons")
    assert lease is not None
    try:
        done = run_gateway("sync", "labor-persons", "--config", str(path))
    finally:
        leases.release(lease)
        leases.close()
        store.close()
    assert done.returncode == 1
    assert "other-host:4242" in one_line_error(done)
