"""The benchmark's code paths at a small size: correctness only, never timing."""

from __future__ import annotations

from tests.bench.run import measure
from tests.helpers.pg import pg_available, pg_required

DIFFERENCES = ("missing_at_gateway", "missing_at_platform", "different")


def test_small_benchmark_counts_and_store_digests_agree() -> None:
    """Bare, SQLite and PostgreSQL runs read the same records and end with the same store."""
    size = 1500
    report = measure(
        size, seed=7, page_size=500, with_pg=pg_available() or pg_required(), xlsx_rows=500
    )
    xlsx = report["steps"]["xlsx_load"]
    assert (xlsx["records"], xlsx["read_only_records"], xlsx["status"]) == (500, 500, "succeeded")
    steps = report["steps"]
    assert steps["bare"]["records"] == size
    assert steps["full_sqlite"]["records"] == size
    assert steps["full_sqlite"]["status"] == "succeeded"
    counts = steps["full_sqlite"]["counts"]
    assert counts["inserted"] + counts["rejected"] == size
    assert steps["no_change"]["counts"]["inserted"] == 0
    assert steps["no_change"]["counts"]["updated"] == 0
    changed = steps["incremental"]["changed_at_source"]
    assert steps["incremental"]["records"] == changed
    assert steps["mapping_only"]["records"] == steps["mapping_row"]["records"] == size
    # The columnar and the row engine leave the same store after the same full pull.
    assert steps["full_sqlite_row"]["counts"] == counts
    assert report["store_digests"]["sqlite_row"] == report["store_digests"]["sqlite_full"]
    assert steps["reconcile_full"]["records"] == size
    assert sum(steps["reconcile_full"]["counts"][k] for k in DIFFERENCES) == 0
    moved = steps["reconcile_changed"]["moved_at_source"]
    found = steps["reconcile_changed"]["counts"]
    assert found["missing_at_gateway"] == moved["added"]
    assert found["different"] + found["missing_at_platform"] <= moved["changed"] + moved["deleted"]
    assert found["different"] > 0
    assert found["missing_at_platform"] > 0
    if pg_required() or "postgresql" in report["store_digests"]:
        assert report["store_digests"]["postgresql"] == report["store_digests"]["sqlite"]
        assert steps["full_postgresql"]["records"] == size
        assert steps["bare_postgresql"]["records"] == size
        # Three processes split by county end with the one-instance pull's store.
        split = steps["partitioned"]
        assert report["store_digests"]["partitioned"] == report["store_digests"]["postgresql"]
        assert (split["records"], split["partitions"], split["status"]) == (size, 16, "succeeded")
        assert sum(share["partitions"] for share in split["instances"].values()) == 16
        assert split["ratio_to_one_instance"] > 0
