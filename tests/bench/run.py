"""``make bench``: the full labor-force pull measured against a bare fetch-parse-insert loop.

Starts the labor-force simulator in its own process on loopback, then measures, each step in a
fresh process: bare loop, full pull into SQLite, no-change sync, incremental sync after 1% of
persons changed, ``reconcile --full`` of the synced store (no differences) and again after
the simulator changed, deleted and added persons behind the gateway's back, and the full pull
into PostgreSQL when reachable. Prints a table and, with
``--json PATH``, writes one JSON document.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
import yaml
from rich.console import Console
from rich.table import Table

from gateway.clock import utc_now_iso
from gateway.pipeline.partitions import job_view, round_rows
from gateway.store import Store
from gateway.store.crypto import Sealer
from gateway.store.records import iter_hashes

SEED_FIGURE = 2_247_000
# The example configuration's page for this job: larger pages are a little faster and take
# proportionally more memory in every stage of the pipeline (docs/performance.md).
DEFAULT_PAGE_SIZE = 2000
PG_ADMIN = os.environ.get("GATEWAY_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def simulator(size: int, seed: int, env: dict[str, str]) -> Iterator[str]:
    command = [
        sys.executable, "-m", "simulators.labor_force.simulator", "--port", "0",
        "--size", str(size), "--seed", str(seed), "--app-key", "bench",
        "--secret-env", "BENCH_SECRET",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("http"):
                yield line.strip()
                break
        else:
            raise SystemExit("the simulator did not start")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def worker(
    args: list[str], env: dict[str, str], partial: Path | None = None, name: str = ""
) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.worker", *args],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"benchmark step {args[0]} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    if partial is not None:
        # Each step's figure is kept as soon as it exists: a late failure loses nothing before.
        with partial.open("ab") as sink:
            sink.write(orjson.dumps({"step": name, **result}) + b"\n")
    return result


def write_config(
    directory: Path,
    url: str,
    store_url: str,
    page_size: int,
    *,
    sealed: bool = False,
    engine: str = "columnar",
    partitions: str | None = None,
) -> Path:
    (directory / "audit.key").write_text(secrets.token_hex(16), encoding="utf-8")
    store: dict[str, Any] = {"url": store_url}
    if sealed:
        (directory / "data.key").write_text(secrets.token_hex(16), encoding="utf-8")
        store["encryption"] = {"key": "file:data.key"}
    config = {
        "version": 1,
        "store": store,
        "audit": {"key": "file:audit.key"},
        "logging": {"level": "WARNING", "file": None},
        "platforms": {
            "labor_force": {
                "adapter": "labor_force",
                "base_url": url,
                "app_key": "bench",
                "app_secret": "env:BENCH_SECRET",
                "timeout": {"read": 120},
                "rate_limit": {"per_second": 100000, "burst": 100000},
            }
        },
        "jobs": {
            "labor-persons": {
                "source": "labor_force.persons",
                "target": "store",
                "mapping": "labor_force/persons.yaml",
                "batch_size": page_size,
                "mapping_engine": engine,
                **({"partitions": partitions} if partitions else {}),
            }
        },
    }
    path = directory / "gateway.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def store_digest(url: str, sealer: Sealer | None = None) -> str:
    """One digest over every (entity, key, content hash): equal stores, equal digests (a
    sealed store's keys opened with ``sealer``)."""
    store = Store(url, sealer=sealer)
    digest = hashlib.sha256()
    with store.connect() as conn:
        for entity, key, content in iter_hashes(conn):
            digest.update(f"{entity}\t{key}\t{content}\n".encode())
    store.close()
    return digest.hexdigest()


@contextmanager
def pg_database() -> Iterator[str | None]:
    name = f"gateway_bench_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        yield None
        return
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


XLSX_ROWS = 50_000
INSTANCES = 3
# The prefecture's 16 counties, as the labor-force stream offers them.
PARTITIONS = "counties:5226"


def partitioned(
    url: str, directory: Path, page_size: int, env: dict[str, str], partial: Path | None
) -> tuple[dict[str, Any], str] | None:
    """Three processes pull the job split by county into one fresh PostgreSQL database, each
    through the scheduler's firing for one due time (leases per partition); the union's
    records/s is over the wall time from the first start to the last end. ``None`` without a
    server."""
    with pg_database() as pg_url:
        if pg_url is None:
            return None
        directory.mkdir()
        config = write_config(directory, url, pg_url, page_size, partitions=PARTITIONS)
        Store(pg_url).close()  # migrated once, before the three start
        due = utc_now_iso()
        command = [sys.executable, "-m", "tests.bench.worker", "partitioned", str(config)]
        processes = [
            subprocess.Popen(
                [*command, "labor-persons", f"bench-{n + 1}", due],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(INSTANCES)
        ]
        results = []
        for process in processes:
            out, err = process.communicate()
            if process.returncode != 0:
                raise SystemExit(f"benchmark step partitioned failed:\n{err[-2000:]}")
            results.append(orjson.loads(out.strip().splitlines()[-1]))
        store = Store(pg_url)
        try:
            rows = round_rows(store, "labor-persons", due)
        finally:
            store.close()
        parts = sorted({str(r["partition"]) for r in rows})
        view = job_view(rows, parts)
        shares = {str(r["instance"]): {"partitions": 0, "records": 0} for r in rows}
        for row in rows:
            shares[str(row["instance"])]["partitions"] += 1
            shares[str(row["instance"])]["records"] += int(row["read"])
        step = {
            "records": view["read"],
            "seconds": max(r["ended"] for r in results) - min(r["started"] for r in results),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
            "status": view["status"],
            "partitions": len(parts),
            "instances": shares,
            "counts": {k: view[k] for k in ("inserted", "updated", "unchanged", "rejected")},
        }
        if partial is not None:
            with partial.open("ab") as sink:
                sink.write(orjson.dumps({"step": "partitioned", **step}) + b"\n")
        return step, store_digest(pg_url)


def postgresql_steps(
    url: str,
    work: Path,
    page_size: int,
    env: dict[str, str],
    partial: Path | None,
    steps: dict[str, Any],
    digests: dict[str, str],
) -> None:
    """The bare COPY loop, the full pull and the partitioned pull into PostgreSQL, when a
    server is reachable."""
    with pg_database() as pg_url:
        if pg_url is None:
            return
        steps["bare_postgresql"] = worker(
            ["bare_pg", url, pg_url, str(page_size)], env, partial, "bare_postgresql"
        )
        (work / "pg").mkdir()
        pg_config = write_config(work / "pg", url, pg_url, page_size)
        steps["full_postgresql"] = worker(
            ["gateway", str(pg_config), "labor-persons"], env, partial, "full_postgresql"
        )
        # Pulled after the 1% change (in the whole benchmark), so it must equal the SQLite
        # store's end state.
        digests["postgresql"] = store_digest(pg_url)
    split = partitioned(url, work / "partitioned", page_size, env, partial)
    if split is not None:
        steps["partitioned"], digests["partitioned"] = split


def measure(
    size: int,
    seed: int,
    page_size: int,
    with_pg: bool,
    partial: Path | None = None,
    xlsx_rows: int = XLSX_ROWS,
    only: str | None = None,
) -> dict[str, Any]:
    """Every step; ``only="partitioned"``: the PostgreSQL steps alone (the partitioned pull
    and the one-instance pull it is compared with)."""
    env = {**os.environ, "BENCH_SECRET": secrets.token_hex(16)}
    steps: dict[str, Any] = {}
    digests: dict[str, str] = {}
    if only == "partitioned":
        with (
            tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp,
            simulator(size, seed, env) as url,
        ):
            postgresql_steps(url, Path(tmp), page_size, env, partial, steps, digests)
        return report_of(size, page_size, steps, digests)
    with (
        tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp,
        simulator(size, seed, env) as url,
    ):
        work = Path(tmp)
        steps["bare"] = worker(
            ["bare", url, str(work / "bare.db"), str(page_size)], env, partial, "bare"
        )
        sqlite_url = f"sqlite:///{work / 'gateway.db'}"
        config = write_config(work, url, sqlite_url, page_size)
        steps["full_sqlite"] = worker(
            ["gateway", str(config), "labor-persons"], env, partial, "full_sqlite"
        )
        digests["sqlite_full"] = store_digest(sqlite_url)
        # The same full pull with the row engine, into a store of its own.
        (work / "row").mkdir()
        row_config = write_config(
            work / "row", url, f"sqlite:///{work / 'row' / 'gateway.db'}", page_size, engine="row"
        )
        steps["full_sqlite_row"] = worker(
            ["gateway", str(row_config), "labor-persons"], env, partial, "full_sqlite_row"
        )
        digests["sqlite_row"] = store_digest(f"sqlite:///{work / 'row' / 'gateway.db'}")
        # The same full pull into a store that seals personal data (SM4), in the same run.
        (work / "sealed").mkdir()
        sealed = write_config(
            work / "sealed", url, f"sqlite:///{work / 'sealed' / 'gateway.db'}", page_size,
            sealed=True,
        )  # fmt: skip
        steps["full_sqlite_sm4"] = worker(
            ["gateway", str(sealed), "labor-persons"], env, partial, "full_sqlite_sm4"
        )
        steps["no_change"] = worker(
            ["gateway", str(config), "labor-persons"], env, partial, "no_change"
        )
        changed = httpx.post(f"{url}/_sim/advance", json={"fraction": 0.01}).json()
        steps["incremental"] = worker(
            ["gateway", str(config), "labor-persons"], env, partial, "incremental"
        )
        steps["incremental"]["changed_at_source"] = changed.get("changed", changed)
        digests["sqlite"] = store_digest(sqlite_url)
        if with_pg:
            postgresql_steps(url, work, page_size, env, partial, steps, digests)
        steps["reconcile_full"] = worker(
            ["reconcile", str(config), "labor-persons"], env, partial, "reconcile_full"
        )
        moved = httpx.post(
            f"{url}/_sim/mutate", json={"change": 100, "delete": 50, "add": 50, "seed": seed}
        ).json()
        steps["reconcile_changed"] = worker(
            ["reconcile", str(config), "labor-persons"], env, partial, "reconcile_changed"
        )
        steps["reconcile_changed"]["moved_at_source"] = {k: len(v) for k, v in moved.items()}
    mapped = str(min(size, 200_000))
    steps["mapping_only"] = worker(["mapping", mapped, "columnar"], env, partial, "mapping_only")
    steps["mapping_row"] = worker(["mapping", mapped, "row"], env, partial, "mapping_row")
    with tempfile.TemporaryDirectory(prefix="gateway-bench-xlsx-") as tmp:
        steps["xlsx_load"] = worker(["xlsx", tmp, str(xlsx_rows)], env, partial, "xlsx_load")
    report = report_of(size, page_size, steps, digests)
    report["incremental_share_of_full"] = (
        steps["incremental"]["seconds"] / steps["full_sqlite"]["seconds"]
    )
    return report


def report_of(
    size: int, page_size: int, steps: dict[str, Any], digests: dict[str, str]
) -> dict[str, Any]:
    """The figures with each step's records/s and its ratio to the bare loop (when run)."""
    bare = steps.get("bare")
    bare_rate = bare["records"] / bare["seconds"] if bare else 0.0
    for step in steps.values():
        step["records_per_s"] = step["records"] / step["seconds"] if step["seconds"] else 0.0
        step["ratio_to_bare"] = step["records_per_s"] / bare_rate if bare_rate else 0.0
    if "partitioned" in steps and "full_postgresql" in steps:
        one = steps["full_postgresql"]["records_per_s"]
        steps["partitioned"]["ratio_to_one_instance"] = (
            steps["partitioned"]["records_per_s"] / one if one else 0.0
        )
    return {
        "size": size,
        "page_size": page_size,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "steps": steps,
        "store_digests": digests,
    }


def print_report(report: dict[str, Any]) -> None:
    table = Table(
        title=f"labor-force pull, {report['size']:,} persons, pages of {report['page_size']}"
    )
    for column in ("step", "records", "seconds", "records/s", "peak RSS MB", "WAL MB", "vs bare"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for name, step in report["steps"].items():
        table.add_row(
            name, f"{step['records']:,}", f"{step['seconds']:.2f}", f"{step['records_per_s']:,.0f}",
            f"{step['peak_rss_mb']:.0f}",
            f"{step['peak_wal_mb']:.0f}" if "peak_wal_mb" in step else "",
            f"{step['ratio_to_bare']:.2f}",
        )  # fmt: skip
    console = Console()
    console.print(table)
    steps = report["steps"]
    if "partitioned" in steps:
        split = steps["partitioned"]
        ratio = split.get("ratio_to_one_instance", 0.0)
        shares = ", ".join(
            f"{name} {share['partitions']} partitions/{share['records']:,}"
            for name, share in sorted(split["instances"].items())
        )
        console.print(
            f"partitioned pull, {INSTANCES} processes into PostgreSQL: "
            f"{split['records_per_s']:,.0f} records/s of the union, {ratio:.2f}x the one-instance "
            f"full pull ({split['status']}; {shares})"
        )
    if "incremental_share_of_full" not in report:
        return
    console.print(f"incremental / full time: {report['incremental_share_of_full']:.3%}")
    sealed_cost = steps["full_sqlite_sm4"]["seconds"] / steps["full_sqlite"]["seconds"]
    console.print(f"full pull with SM4 at rest / without: {sealed_cost:.2f}x the time")
    steps = report["steps"]
    per_record = {
        name: 1e6 * steps[name]["seconds"] / steps[name]["records"]
        for name in ("mapping_only", "mapping_row")
    }
    console.print(
        f"persons mapping alone: columnar {per_record['mapping_only']:.1f} µs/record, "
        f"row {per_record['mapping_row']:.1f} µs/record (target ≤ 3 for the columnar engine)"
    )
    for name, engine in (("full_sqlite", "columnar"), ("full_sqlite_row", "row")):
        console.print(
            f"full pull into SQLite, {engine} engine: {steps[name]['ratio_to_bare']:.2f} of bare"
        )
    if "bare_postgresql" in steps and "full_postgresql" in steps:
        floor = steps["bare_postgresql"]["records_per_s"]
        ratio = steps["full_postgresql"]["records_per_s"] / floor if floor else 0.0
        console.print(f"full pull into PostgreSQL: {ratio:.2f} of the bare COPY loop")
    for name in ("reconcile_full", "reconcile_changed"):
        counts = report["steps"][name]["counts"]
        console.print(
            f"{name}: {counts['missing_at_gateway']:,} missing at the gateway, "
            f"{counts['missing_at_platform']:,} at the platform, {counts['different']:,} "
            f"different; {counts['ranges_compared']:,} ranges and "
            f"{counts['records_compared']:,} records compared"
        )
    book = report["steps"]["xlsx_load"]
    console.print(
        f"XLSX {book['read_only_records']:,} rows x 12 columns: "
        f"read {book['read_only_seconds']:.2f} s (target < 2 s), "
        f"read and loaded {book['seconds']:.2f} s ({book['status']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument(
        "--size", type=int, default=SEED_FIGURE, help="persons (default: the seed figure)"
    )
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument(
        "--page-size",
        type=int,
        default=DEFAULT_PAGE_SIZE,
        help=f"records per page, for the bare loop and the gateway alike ({DEFAULT_PAGE_SIZE})",
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL step")
    parser.add_argument(
        "--only",
        choices=["partitioned"],
        help="only these steps: 'partitioned' is the three-process pull and the one-instance "
        "PostgreSQL pull it is compared with",
    )
    args = parser.parse_args()
    partial = args.json.with_suffix(".steps.jsonl") if args.json else None
    report = measure(
        args.size, args.seed, args.page_size, not args.no_postgres, partial, only=args.only
    )
    print_report(report)
    if args.json:
        args.json.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
