"""The labor-force platform end to end, over real sockets to its simulator."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.store import dlq, schema
from gateway.store.records import iter_payloads
from simulators.labor_force.population import Population
from tests.helpers.labor_env import labor_env

SIZE = 3000


def _person_rows(env) -> dict[str, dict]:
    with env.store.connect() as conn:
        return dict(iter_payloads(conn, "person", include_deleted=True))


def test_second_sync_is_a_no_op_and_third_reads_only_changes(tmp_path) -> None:
    """Run twice: nothing new; after ~1% change at the source, exactly those are updated."""
    with labor_env(tmp_path, SIZE) as env:
        first = env.run("labor-persons")
        assert first.status == "succeeded", first.error
        assert first.read == SIZE
        assert first.read == first.inserted + first.updated + first.unchanged + first.rejected
        second = env.run("labor-persons")
        assert (second.status, second.inserted, second.updated) == ("succeeded", 0, 0)
        changed = env.sim("POST", "/_sim/advance", json={"fraction": 0.01}).json()["changed"]
        assert SIZE * 0.005 <= changed <= SIZE * 0.02
        third = env.run("labor-persons")
        assert third.read == changed
        assert third.inserted == 0
        assert third.updated + third.rejected + third.unchanged == changed
        assert third.updated >= changed * 0.9


def test_every_invalid_record_is_dead_lettered_and_no_valid_one(tmp_path) -> None:
    """The simulator's invalid records are exactly the dead letters, each with field and rule."""
    population = Population(size=SIZE, seed=2022)
    invalid = {
        population.person(i)["AAC002"]: population.invalid_kind(i)
        for i in range(SIZE)
        if population.invalid_kind(i) is not None
    }
    assert invalid, "the population must contain invalid records"
    with labor_env(tmp_path, SIZE) as env:
        summary = env.run("labor-persons")
        with env.store.connect() as conn:
            letters = dlq.list_letters(conn, limit=SIZE)
        stored = _person_rows(env)
    assert summary.rejected == len(invalid)
    dead = {letter.raw["AAC002"]: letter.reasons for letter in letters}
    assert set(dead) == set(invalid)
    assert not set(stored) & set(invalid)
    for reasons in dead.values():
        assert reasons
        assert all(r["field"] and r["rule"] for r in reasons)


def test_verifications_flow_to_the_platform_once(tmp_path) -> None:
    """The verification file is loaded, pushed once, and a later pull sees the new status."""
    with labor_env(tmp_path, SIZE) as env:
        assert env.run("labor-persons").status == "succeeded"
        loaded = env.run("verifications-load")
        assert loaded.status == "succeeded", loaded.error
        assert loaded.rejected == 1  # the demo file carries one mistyped ID number
        pushed = env.run("labor-verifications-push")
        assert pushed.status == "succeeded", pushed.error
        assert pushed.inserted == loaded.inserted
        stats = env.sim("GET", "/_sim/stats").json()
        assert stats["verifications_received"] == loaded.inserted
        again = env.run("labor-verifications-push")
        assert (again.read, again.inserted) == (0, 0)
        assert env.sim("GET", "/_sim/stats").json()["verifications_received"] == loaded.inserted
        refreshed = env.run("labor-persons")
        assert refreshed.updated == loaded.inserted
        accepted = env.sim("GET", "/_sim/verifications").json()
        items = accepted["items"] if isinstance(accepted, dict) else accepted
        persons = _person_rows(env)
        anomalies = [i for i in items if i["HCZT"] == "2"]
        assert anomalies
        for item in anomalies:
            assert persons[item["AAC002"]]["verification_status"] == "anomaly"
        assert (tmp_path / "inbox" / "processed" / "verifications-2026-11.csv").exists()


def test_run_rows_add_up(tmp_path) -> None:
    """Every run row ends with read = inserted + updated + unchanged + rejected."""
    with labor_env(tmp_path, 1000) as env:
        for job in ("labor-persons", "verifications-load", "labor-verifications-push"):
            env.run(job)
        with env.store.connect() as conn:
            runs = conn.execute(select(schema.runs)).all()
            open_letters = conn.execute(
                select(func.count()).select_from(schema.dead_letters)
            ).scalar()
    assert len(runs) == 3
    assert open_letters
    for run in runs:
        assert run.status == "succeeded"
        assert run.read == run.inserted + run.updated + run.unchanged + run.rejected


def test_reading_the_persons_again_from_the_start_doubles_no_dead_letter(tmp_path) -> None:
    """sync --reset re-reads every invalid person: the letters stay as many, attempts rise."""
    with labor_env(tmp_path, size=2000) as env:
        first = env.run("labor-persons")
        assert first.rejected > 0
        with env.store.connect() as conn:
            before = conn.execute(select(func.count()).select_from(schema.dead_letters)).scalar()
        env.store.reset_checkpoint("labor-persons")
        again = env.run("labor-persons")
        assert again.rejected == first.rejected
        with env.store.connect() as conn:
            after = conn.execute(select(func.count()).select_from(schema.dead_letters)).scalar()
            attempts = set(conn.execute(select(schema.dead_letters.c.attempts)).scalars())
        assert after == before == first.rejected
        assert attempts == {2}
