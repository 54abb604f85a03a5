"""gateway reconcile on the labor-force persons pull, against the real simulator."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import httpx
from prometheus_client import generate_latest
from typer.testing import CliRunner

from gateway.audit.settings import key_digester
from gateway.cli.root import app
from gateway.clock import SHANGHAI
from gateway.config import ReconcileConfig
from gateway.reconcile.findings import DIFFERENT, MISSING_AT_GATEWAY, MISSING_AT_PLATFORM, Findings
from gateway.reconcile.runner import ReconcileOptions, Reconciler
from gateway.service.leases import LeaseManager
from gateway.service.metrics import ServiceMetrics
from gateway.service.scheduler import JobScheduler
from gateway.store import schema
from tests.helpers.gateway_cli import one_line_error, run_gateway
from tests.helpers.labor_env import LaborEnv, labor_env

JOB = "labor-persons"
# Small ranges, so a few thousand persons are bisected over several levels.
FINE = ReconcileOptions(fanout=4, leaf=40, limit=1000)


def reconcile(env: LaborEnv, options: ReconcileOptions = FINE) -> Findings:
    return Reconciler(env.config, env.store).run(JOB, options)


def keys_of(findings: Findings, kind: str) -> set[str]:
    return {d.key for d in findings.listed if d.kind == kind}


def stored_keys(env: LaborEnv) -> set[str]:
    table = schema.records
    with env.store.connect() as conn:
        rows = conn.execute(
            table.select().with_only_columns(table.c.key).where(table.c.deleted.is_(False))
        )
        return {key for (key,) in rows}


def test_full_sync_then_changes_deletes_and_adds_behind_the_gateways_back(
    tmp_path: Path, store_url: str
) -> None:
    """Zero differences after a full sync; exactly the changed, deleted and added keys after the
    simulator moves behind the gateway's back; zero again after the next sync and tombstoning.
    On SQLite and PostgreSQL."""
    with labor_env(tmp_path, size=3000, store_url=store_url, encrypted=False) as env:
        assert env.run(JOB).status == "succeeded"
        first = reconcile(env)
        assert first.total == 0, first.listed[:5]
        assert first.platform_count == 3000
        assert first.store_count is not None
        assert first.rejected > 0
        assert first.store_count + first.rejected == 3000

        held = stored_keys(env)
        moved = env.sim(
            "POST", "/_sim/mutate", json={"change": 7, "delete": 5, "add": 6, "seed": 3}
        ).json()
        found = reconcile(env)
        assert keys_of(found, DIFFERENT) == set(moved["changed"]) & held
        assert keys_of(found, MISSING_AT_PLATFORM) == set(moved["deleted"]) & held
        assert keys_of(found, MISSING_AT_GATEWAY) == set(moved["added"])
        assert found.total == len(found.listed)
        changed = next(d for d in found.listed if d.kind == DIFFERENT)
        assert changed.fields
        assert changed.run is not None

        assert env.run(JOB).status == "succeeded"
        after_sync = reconcile(env)
        # A pull never learns of a deletion: only the deleted stay, until tombstoned.
        assert after_sync.counts[DIFFERENT] == after_sync.counts[MISSING_AT_GATEWAY] == 0
        assert keys_of(after_sync, MISSING_AT_PLATFORM) == set(moved["deleted"]) & held
        reconcile(env, ReconcileOptions(fanout=4, leaf=40, mark_deleted=True))
        assert reconcile(env).total == 0
        assert stored_keys(env) == (held - set(moved["deleted"])) | (
            stored_keys(env) & set(moved["added"])
        )


def test_default_ranges_and_sample(tmp_path: Path) -> None:
    """With the default fan-out one level of digests settles an unchanged store; a sample
    compares only the ranges drawn and still finds nothing to report."""
    with labor_env(tmp_path, size=2000, encrypted=False) as env:
        env.run(JOB)
        full = reconcile(env, ReconcileOptions())
        assert full.total == 0
        assert full.records_compared == 0
        sampled = reconcile(env, ReconcileOptions(sample=3))
        assert sampled.total == 0
        assert sampled.sampled == "3 of 64 ranges"


def test_reconcile_is_audited_and_recorded(tmp_path: Path) -> None:
    """The reconciliation writes one audit entry with its counts and the differing keys
    digested, and one row the metric reads."""
    with labor_env(tmp_path, size=1000, encrypted=False) as env:
        env.run(JOB)
        moved = env.sim("POST", "/_sim/mutate", json={"add": 2, "seed": 1}).json()
        reconcile(env)
        log = schema.audit_log
        with env.store.connect() as conn:
            entry = conn.execute(
                log.select().where(log.c.kind == "reconcile").order_by(log.c.seq.desc())
            ).first()
            rows = conn.execute(schema.reconciliations.select()).all()
        assert entry is not None
        assert entry.outcome == "differences"
        assert '"missing_at_gateway":2' in entry.detail
        digests = key_digester(env.config)
        for key in moved["added"]:
            assert digests.digest(key) in entry.key_digests
            assert key not in entry.record_keys
        assert [(r.status, r.missing_at_gateway) for r in rows] == [("finished", 2)]


def test_metric_and_scheduled_reconciliation(tmp_path: Path) -> None:
    """A job's reconcile.schedule is fired by the scheduler under the job's lease, once per due
    time; /metrics shows gateway_reconcile_differences of the job's last reconciliation."""
    with labor_env(tmp_path, size=500, encrypted=False) as env:
        env.run(JOB)
        env.sim("POST", "/_sim/mutate", json={"delete": 3, "seed": 2})
        job = env.config.jobs[JOB].model_copy(
            update={"reconcile": ReconcileConfig(schedule="0 3 * * *")}
        )
        config = env.config.model_copy(update={"jobs": {**env.config.jobs, JOB: job}})
        metrics = ServiceMetrics(env.store, [JOB], ["labor_force"], "test")
        leases = LeaseManager(env.store, "test", 60)
        ran: list[str] = []

        def run_reconcile(job: str, _observe: object) -> Findings:
            ran.append(job)
            return reconcile(env)

        scheduler = JobScheduler(
            config,
            env.store,
            leases,
            lambda *_: None,
            metrics,
            reconcile=run_reconcile,  # type: ignore[arg-type,return-value]
        )
        assert set(scheduler.reconcile_triggers) == {JOB}
        due = datetime.now(SHANGHAI)
        assert scheduler.fire_reconcile(JOB, due) == "ran"
        assert scheduler.fire_reconcile(JOB, due) == "already_ran"
        assert ran == [JOB]
        leases.close()
        page = generate_latest(metrics.registry).decode()
        assert f'gateway_reconcile_differences{{job="{JOB}"}} 3.0' in page


def test_reconciliation_routes_are_signed(tmp_path: Path) -> None:
    """The holdings and range routes refuse an unsigned request, like every /api/ route."""
    with labor_env(tmp_path, size=50, encrypted=False) as env:
        for method, path in (
            ("POST", "/api/v1/persons/holdings"),
            ("GET", "/api/v1/persons/range"),
        ):
            response = httpx.request(
                method, f"{env.sim_url}{path}", json={"ranges": [{}]}, timeout=10
            )
            assert response.status_code == 401
            assert response.json()["code"] != "0"


def test_cli_exit_codes_json_and_errors(tmp_path: Path) -> None:
    """reconcile exits 0 when consistent, 1 with differences (JSON lists masked keys with their
    digests, never the clear key), and a job that cannot be reconciled gets one line, exit 2."""
    with labor_env(tmp_path, size=300, encrypted=False) as env:
        env.run(JOB)
        config = ["--config", str(env.config_path)]
        runner = CliRunner()
        assert runner.invoke(app, ["reconcile", JOB, *config]).exit_code == 0
        moved = env.sim("POST", "/_sim/mutate", json={"add": 1, "seed": 4}).json()
        result = runner.invoke(app, ["reconcile", JOB, "--json", *config])
        assert result.exit_code == 1
        shown = json.loads(result.stdout)
        assert shown["missing_at_gateway"] == 1
        (added,) = moved["added"]
        assert added not in result.stdout
        assert shown["listed"][0]["key_digest"] == key_digester(env.config).digest(added)
        refused = run_gateway("reconcile", "verifications-load", *config)
        assert refused.returncode == 2
        assert "cannot be reconciled" in one_line_error(refused)
        both = run_gateway("reconcile", JOB, "--full", "--sample", "2", *config)
        assert both.returncode == 2
        assert "exclude each other" in one_line_error(both)


def test_rejects_deleted_at_the_source_are_forgotten_with_the_tombstones(tmp_path: Path) -> None:
    """A dead-lettered person deleted at the platform stops counting once --mark-deleted ran:
    every range agrees again without reading a record."""
    with labor_env(tmp_path, size=1000, encrypted=False) as env:
        env.run(JOB)
        before = reconcile(env, ReconcileOptions())
        moved = env.sim("POST", "/_sim/mutate", json={"delete": 300, "seed": 6}).json()
        marked = reconcile(env, ReconcileOptions(mark_deleted=True, limit=1000))
        deleted_rejects = len(moved["deleted"]) - marked.counts[MISSING_AT_PLATFORM]
        assert deleted_rejects > 0
        after = reconcile(env, ReconcileOptions())
        assert after.total == 0
        assert after.records_compared == 0
        assert after.rejected == before.rejected - deleted_rejects


def test_an_encrypted_store_refuses_a_pull_reconciliation_in_one_line(tmp_path: Path) -> None:
    """Its keys are keyed digests, in no order the platform shares: refused, not guessed."""
    with labor_env(tmp_path, size=50) as env:
        assert env.run("labor-persons").status == "succeeded"
        done = run_gateway("reconcile", "labor-persons", "--config", str(env.config_path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot be reconciled against an encrypted store" in one_line_error(done)
