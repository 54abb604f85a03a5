"""The labor-force platform's part of ``gateway demo``: its simulator, jobs and inbox files."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from simulators.demo.config import DemoContext, DemoPart
from simulators.demo.labor_force.data import posting_rows, postings_csv, scaled

VERIFIED_SHARE = 200  # one person in this many gets a verification result in the demo file
STATUS_LABELS = {"0": "未核查", "1": "已核查", "2": "核查异常"}
EMPLOYMENT_LABELS = {"1": "已就业", "2": "未就业", "3": "自主创业", "4": "灵活就业", "5": "务农"}
WORK_PLACES = (
    "贵州省凯里市经济开发区",
    "广东省东莞市长安镇",
    "浙江省宁波市北仑区",
    "贵州省贵阳市观山湖区",
)
INBOX_PLATFORM = {"adapter": "files", "options": {"inbox": "inbox", "outbox": "outbox"}}


def verification_rows(size: int, seed: int) -> list[list[str]]:
    """The bureau's check results for a sample of valid persons, plus one mistyped ID number."""
    from simulators.labor_force.population import Population

    population = Population(size=size, seed=seed)
    checked_at = datetime(2026, 11, 2, 9, 0, 0)
    rows: list[list[str]] = []
    for n, index in enumerate(range(3, size, VERIFIED_SHARE)):
        if population.invalid_kind(index) is not None:
            continue
        person = population.person(index)
        employment = list(EMPLOYMENT_LABELS)[n % len(EMPLOYMENT_LABELS)]
        rows.append(
            [
                person["AAC002"],
                STATUS_LABELS["1" if n % 17 else "2"],
                EMPLOYMENT_LABELS[employment],
                WORK_PLACES[n % len(WORK_PLACES)],
                (checked_at + timedelta(minutes=7 * n)).strftime("%Y-%m-%d %H:%M:%S"),
                f"核查员{n % 9 + 1:02d}",
            ]
        )
    if rows:
        typo = rows[len(rows) // 2][:]
        typo[0] = typo[0][:-1] + ("0" if typo[0][-1] != "0" else "1")
        typo[4] = "2026-11-20 10:00:00"
        rows.append(typo)
    return rows


def write_verifications_file(ctx: DemoContext) -> None:
    """GB18030, as the bureau's office software exports it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["身份证号", "核查状态", "就业状态", "工作地点", "核查时间", "核查人"])
    writer.writerows(verification_rows(ctx.size, ctx.seed))
    path = ctx.inbox() / "verifications-2026-11.csv"
    path.write_bytes(buffer.getvalue().encode("gb18030"))


def write_postings_file(ctx: DemoContext) -> None:
    count, valid = scaled(ctx.size)
    rows = posting_rows(count, valid, ctx.seed)
    (ctx.inbox() / "postings-2022-11.csv").write_bytes(postings_csv(rows))


def demo_part(ctx: DemoContext) -> DemoPart:
    write_verifications_file(ctx)
    write_postings_file(ctx)
    return DemoPart(
        platforms={
            "labor_force": {
                "adapter": "labor_force",
                "base_url": ctx.platform_url(),
                "app_key": "bureau-demo",
                "app_secret": ctx.secret("labor-force"),
                "signature": "hmac-sha256",
                "rate_limit": {"per_second": 200, "burst": 400},
                "simulator": {"size": ctx.size, "seed": ctx.seed},
            },
            "inbox": INBOX_PLATFORM,
        },
        jobs={
            "labor-persons": {
                "source": "labor_force.persons",
                "target": "store",
                "mapping": "labor_force/persons.yaml",
                "schedule": "every 15m",
                "batch_size": 1000,
            },
            "verifications-load": {
                "source": "inbox.verifications",
                "target": "store",
                "mapping": "files/verifications.yaml",
                "schedule": "every 5m",
                "options": {"pattern": "verifications*.csv", "settle_seconds": 1},
            },
            "labor-verifications-push": {
                "source": "store",
                "target": "labor_force.verifications",
                "mapping": "labor_force/verifications.push.yaml",
                "schedule": "every 5m",
                "batch_size": 500,
                "depends_on": ["verifications-load"],
            },
            "postings-load": {
                "source": "inbox.postings",
                "target": "store",
                "mapping": "files/postings.yaml",
                "schedule": "every 1h",
                "batch_size": 2000,
                "options": {"pattern": "postings*.csv", "settle_seconds": 1},
            },
            "labor-postings-push": {
                "source": "store",
                "target": "labor_force.jobs",
                "mapping": "labor_force/postings.push.yaml",
                "schedule": "every 1h",
                "batch_size": 500,
                "depends_on": ["postings-load"],
            },
        },
    )
