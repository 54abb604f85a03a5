"""One measured step of the benchmark, in its own process so its peak RSS is its own.

    python -m tests.bench.worker bare URL DB_PATH PAGE_SIZE
    python -m tests.bench.worker bare_pg URL DATABASE_URL PAGE_SIZE
    python -m tests.bench.worker gateway CONFIG JOB
    python -m tests.bench.worker partitioned CONFIG JOB INSTANCE DUE
    python -m tests.bench.worker mapping COUNT ENGINE

Prints one JSON line: records, seconds, peak_rss_mb (and the run's counts for ``gateway``).
"""

from __future__ import annotations

import contextlib
import os
import resource
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

from gateway.http.signing import SignatureAlgorithm, sign_headers
from gateway.store.engine import SQLITE_CACHE_KIB, SQLITE_WAL_CHECKPOINT_PAGES

PERSONS = "/api/v1/persons"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pages(url: str, page_size: int) -> Iterator[list[dict[str, Any]]]:
    """The simulator's signed pages, parsed, as the gateway's reader gets them."""
    secret = os.environ["BENCH_SECRET"].encode()
    params: dict[str, str] = {"page_size": str(page_size)}
    with httpx.Client(base_url=url, timeout=60) as client:
        while True:
            query = sorted(params.items())
            headers = sign_headers(
                SignatureAlgorithm.HMAC_SHA256, "bench", secret, "GET", PERSONS, query, b""
            )
            response = client.get(PERSONS, params=query, headers=headers)
            data = orjson.loads(response.content)["data"]
            response.stream = httpx.ByteStream(b"")  # as the gateway does: see its http client
            yield data["items"]
            if not data["has_more"]:
                break
            params = {"page_size": str(page_size), **data["next"]}


def bare(url: str, db_path: str, page_size: int) -> dict[str, Any]:
    """Fetch every page, parse it and insert it: no mapping, no validation, no audit."""
    db = sqlite3.connect(db_path, isolation_level=None)
    # The same SQLite settings as the gateway's store: the floor, not a handicap.
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    db.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_CHECKPOINT_PAGES}")
    db.execute("CREATE TABLE IF NOT EXISTS persons (key TEXT PRIMARY KEY, payload TEXT NOT NULL)")
    records = 0
    started = time.perf_counter()
    for items in _pages(url, page_size):
        db.execute("BEGIN")
        db.executemany(
            "INSERT OR REPLACE INTO persons VALUES (?, ?)",
            [(item["AAC002"], orjson.dumps(item).decode()) for item in items],
        )
        db.execute("COMMIT")
        records += len(items)
    seconds = time.perf_counter() - started
    db.close()
    return {"records": records, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def bare_pg(url: str, database_url: str, page_size: int) -> dict[str, Any]:
    """The PostgreSQL floor: fetch and parse every page, COPY it into a keyed table."""
    import psycopg

    records = 0
    with psycopg.connect(database_url.replace("+psycopg", "")) as db:
        db.execute("CREATE TABLE bare_persons (key TEXT PRIMARY KEY, payload TEXT NOT NULL)")
        db.commit()
        started = time.perf_counter()
        for items in _pages(url, page_size):
            with (
                db.cursor() as cur,
                cur.copy("COPY bare_persons (key, payload) FROM STDIN") as copy,
            ):
                for item in items:
                    copy.write_row((item["AAC002"], orjson.dumps(item).decode()))
            db.commit()
            records += len(items)
        seconds = time.perf_counter() - started
        db.execute("DROP TABLE bare_persons")
    return {"records": records, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


class WalWatch:
    """The largest size an SQLite store's write-ahead log reaches while the block runs."""

    def __init__(self, store_url: str) -> None:
        path = store_url.removeprefix("sqlite:///") if store_url.startswith("sqlite") else None
        self.path = Path(path + "-wal") if path else None
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._done.wait(0.05):
            with contextlib.suppress(OSError):
                if self.path is not None:
                    self.peak = max(self.peak, self.path.stat().st_size)

    def __enter__(self) -> WalWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()


def gateway(config_path: str, job: str) -> dict[str, Any]:
    from gateway.config import load_config
    from gateway.logging import configure_logging
    from gateway.pipeline import JobRunner
    from gateway.store import Store
    from gateway.store.keyring import data_sealer

    config = load_config(config_path)
    configure_logging("WARNING", "json", None)
    store = Store(config.store_url, sealer=data_sealer(config))
    wal = WalWatch(config.store_url)
    started = time.perf_counter()
    with wal:
        summary = JobRunner(config, store).run(job)
    seconds = time.perf_counter() - started
    store.close()
    return {
        "records": summary.read,
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "peak_wal_mb": wal.peak / 2**20,
        "status": summary.status,
        "error": summary.error,
        "counts": {
            k: getattr(summary, k)
            for k in ("inserted", "updated", "unchanged", "rejected", "retried")
        },
    }


def partitioned(config_path: str, job: str, instance: str, due: str) -> dict[str, Any]:
    """One instance's share of a partitioned pull: the scheduler's own firing for ``due``,
    which takes free partitions under their leases until every one is done (by any instance)."""
    from gateway.cli.service import pipeline_executor
    from gateway.clock import parse_iso
    from gateway.config import load_config
    from gateway.logging import configure_logging
    from gateway.service.leases import LeaseManager
    from gateway.service.metrics import ServiceMetrics
    from gateway.service.scheduler import JobScheduler
    from gateway.store import Store

    config = load_config(config_path)
    configure_logging("WARNING", "json", None)
    store = Store(config.store_url)
    metrics = ServiceMetrics(store, config.jobs, config.platforms, instance)
    leases = LeaseManager(store, instance, config.service.lease_seconds)
    leases.start_renewing()
    scheduler = JobScheduler(
        config, store, leases, pipeline_executor(config, store, instance), metrics,
        retry_seconds=0.2,
    )  # fmt: skip
    started = time.time()
    answer = scheduler.fire(job, parse_iso(due))
    ended = time.time()
    leases.close()
    store.close()
    return {
        "records": 0,
        "seconds": ended - started,
        "started": started,
        "ended": ended,
        "answer": answer,
        "peak_rss_mb": peak_rss_mb(),
    }


def reconcile(config_path: str, job: str) -> dict[str, Any]:
    """``gateway reconcile JOB --full``: the platform's holdings against the store."""
    from gateway.config import load_config
    from gateway.logging import configure_logging
    from gateway.reconcile.runner import ReconcileOptions, Reconciler
    from gateway.store import Store

    config = load_config(config_path)
    configure_logging("WARNING", "json", None)
    store = Store(config.store_url)
    started = time.perf_counter()
    findings = Reconciler(config, store).run(job, ReconcileOptions(limit=0))
    seconds = time.perf_counter() - started
    store.close()
    return {
        "records": findings.platform_count or 0,
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "status": "succeeded",
        "counts": {
            **findings.counts,
            "rejected": findings.rejected,
            "ranges_compared": findings.ranges_compared,
            "records_compared": findings.records_compared,
        },
    }


def mapping_only(count: int, engine: str) -> dict[str, Any]:
    """The persons mapping alone, on simulator-generated records, pages of 2,000: keys and
    canonical JSON of every record, issues of the rejects, by one engine."""
    from gateway.mapping import load_mapping
    from mappings import MAPPINGS_DIR
    from simulators.labor_force.population import Population

    mapping = load_mapping(MAPPINGS_DIR / "labor_force" / "persons.yaml")
    population = Population(size=count, seed=2022)
    records: list[Any] = [population.person(i) for i in range(count)]
    mapping.map_page(records[:2000], engine=engine)  # tables built, as in a running pull
    started = time.perf_counter()
    for start in range(0, count, 2000):
        mapping.map_page(records[start : start + 2000], engine=engine)
    seconds = time.perf_counter() - started
    return {"records": count, "seconds": seconds, "peak_rss_mb": peak_rss_mb(), "engine": engine}


def xlsx(directory: str, rows: int) -> dict[str, Any]:
    """A 12-column workbook of ``rows`` verifications: read alone, then loaded by a files job."""
    import openpyxl
    import yaml

    from adapters.files.options import ReadOptions
    from adapters.files.readers import read_rows
    from gateway.codes import id_check_char
    from gateway.config import load_config
    from gateway.logging import configure_logging
    from gateway.pipeline import JobRunner
    from gateway.store import Store

    work = Path(directory)
    (work / "inbox").mkdir(parents=True)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("核查结果")
    extra = [f"备注{n}" for n in range(1, 7)]
    sheet.append(["身份证号", "核查状态", "就业状态", "工作地点", "核查时间", "核查人", *extra])
    for n in range(rows):
        first17 = f"522601{1950 + n % 50}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
        sheet.append(
            [first17 + id_check_char(first17), "已核查", "务农", f"凯里市测试路{n}",
             f"2026-0{1 + n % 9}-1{n % 10} 0{n % 10}:{n // 1000 % 60:02d}:{n % 60:02d}",
             "测试员", *(f"x{n}" for _ in extra)]
        )  # fmt: skip
    path = work / "inbox" / "verifications.xlsx"
    book.save(path)
    started = time.perf_counter()
    read = sum(1 for _ in read_rows(path, ReadOptions(pattern="*")))
    read_seconds = time.perf_counter() - started
    (work / "audit.key").write_text("bench-audit-key-0123456789", "utf-8")
    config = {
        "store": {"url": f"sqlite:///{work / 'xlsx.db'}"},
        "audit": {"key": f"file:{work / 'audit.key'}"},
        "logging": {"file": None},
        "platforms": {"desk": {"adapter": "files", "options": {"inbox": "inbox"}}},
        "jobs": {
            "load": {
                "source": "desk.verifications",
                "target": "store",
                "mapping": "files/verifications.yaml",
                "options": {"pattern": "*.xlsx", "ready": "rename"},
            }
        },
    }
    (work / "gateway.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    configure_logging("WARNING", "json", None)
    loaded = load_config(work / "gateway.yaml")
    store = Store(loaded.store_url)
    started = time.perf_counter()
    summary = JobRunner(loaded, store).run("load")
    seconds = time.perf_counter() - started
    store.close()
    return {
        "records": summary.read,
        "seconds": seconds,
        "read_only_seconds": read_seconds,
        "read_only_records": read,
        "peak_rss_mb": peak_rss_mb(),
        "status": summary.status,
        "counts": {"inserted": summary.inserted, "rejected": summary.rejected},
    }


def main(argv: list[str]) -> None:
    mode, *rest = argv
    if mode == "xlsx":
        result = xlsx(rest[0], int(rest[1]))
    elif mode == "bare":
        result = bare(rest[0], rest[1], int(rest[2]))
    elif mode == "bare_pg":
        result = bare_pg(rest[0], rest[1], int(rest[2]))
    elif mode == "mapping":
        result = mapping_only(int(rest[0]), rest[1])
    elif mode == "reconcile":
        result = reconcile(rest[0], rest[1])
    elif mode == "partitioned":
        result = partitioned(rest[0], rest[1], rest[2], rest[3])
    else:
        result = gateway(rest[0], rest[1])
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
