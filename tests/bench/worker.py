"""One measured step of the benchmark, in its own process so its peak RSS is its own.

    python -m tests.bench.worker bare URL DB_PATH PAGE_SIZE
    python -m tests.bench.worker gateway CONFIG JOB

Prints one JSON line: records, seconds, peak_rss_mb (and the run's counts for ``gateway``).
"""

from __future__ import annotations

import os
import resource
import sqlite3
import sys
import time
from typing import Any

import httpx
import orjson

from gateway.http.signing import SignatureAlgorithm, sign_headers
from gateway.store.engine import SQLITE_CACHE_KIB, SQLITE_WAL_CHECKPOINT_PAGES

PERSONS = "/api/v1/persons"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare(url: str, db_path: str, page_size: int) -> dict[str, Any]:
    """Fetch every page, parse it and insert it: no mapping, no validation, no audit."""
    secret = os.environ["BENCH_SECRET"].encode()
    db = sqlite3.connect(db_path, isolation_level=None)
    # The same SQLite settings as the gateway's store: the floor, not a handicap.
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    db.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_CHECKPOINT_PAGES}")
    db.execute("CREATE TABLE IF NOT EXISTS persons (key TEXT PRIMARY KEY, payload TEXT NOT NULL)")
    records = 0
    params: dict[str, str] = {"page_size": str(page_size)}
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=60) as client:
        while True:
            query = sorted(params.items())
            headers = sign_headers(
                SignatureAlgorithm.HMAC_SHA256, "bench", secret, "GET", PERSONS, query, b""
            )
            response = client.get(PERSONS, params=query, headers=headers)
            data = orjson.loads(response.content)["data"]
            response.stream = httpx.ByteStream(b"")  # as the gateway does: see its http client
            items = data["items"]
            db.execute("BEGIN")
            db.executemany(
                "INSERT OR REPLACE INTO persons VALUES (?, ?)",
                [(item["AAC002"], orjson.dumps(item).decode()) for item in items],
            )
            db.execute("COMMIT")
            records += len(items)
            if not data["has_more"]:
                break
            params = {"page_size": str(page_size), **data["next"]}
    seconds = time.perf_counter() - started
    db.close()
    return {"records": records, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def gateway(config_path: str, job: str) -> dict[str, Any]:
    from gateway.config import load_config
    from gateway.logging import configure_logging
    from gateway.pipeline import JobRunner
    from gateway.store import Store

    config = load_config(config_path)
    configure_logging("WARNING", "json", None)
    store = Store(config.store_url)
    started = time.perf_counter()
    summary = JobRunner(config, store).run(job)
    seconds = time.perf_counter() - started
    store.close()
    return {
        "records": summary.read,
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "status": summary.status,
        "error": summary.error,
        "counts": {
            k: getattr(summary, k)
            for k in ("inserted", "updated", "unchanged", "rejected", "retried")
        },
    }


def mapping_only(count: int) -> dict[str, Any]:
    """The persons mapping alone, on simulator-generated records: where the time per record goes."""
    from adapters.labor_force.population import Population
    from gateway.mapping import load_mapping
    from mappings import MAPPINGS_DIR

    mapping = load_mapping(MAPPINGS_DIR / "labor_force" / "persons.yaml")
    population = Population(size=count, seed=2022)
    records = [population.person(i) for i in range(count)]
    started = time.perf_counter()
    for start in range(0, count, 1000):
        mapping.map_many(records[start : start + 1000])
    seconds = time.perf_counter() - started
    return {"records": count, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def main(argv: list[str]) -> None:
    mode, *rest = argv
    if mode == "bare":
        result = bare(rest[0], rest[1], int(rest[2]))
    elif mode == "mapping":
        result = mapping_only(int(rest[0]))
    else:
        result = gateway(rest[0], rest[1])
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
