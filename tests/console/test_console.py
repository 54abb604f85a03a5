"""The web console over a demo: roles, sign-in and lockout, security headers, audited and
rate-limited traces, and no personal data on any page (the CLI leak test's scanner, and the
re-identification test's attack on each page)."""

from __future__ import annotations

import logging
import re
import time

import httpx
import orjson
import pytest
from stdnum.iso7064 import mod_11_2

from gateway.audit import SearchFilter, search
from gateway.audit.settings import key_digester
from gateway.console import missing_extra
from gateway.console.auth import Role, add_user
from gateway.store import Store, dlq
from gateway.store.key_index import candidate_seqs
from gateway.store.keyring import data_sealer
from simulators.demo.config import free_port
from tests.helpers.console_env import USERS, ConsoleDemo, demo_people, stop_when_done
from tests.helpers.leaks import find_leaks
from tests.helpers.leaks import secret_values as _secret_values
from tests.helpers.reidentify import MIN_CANDIDATES, candidates

OPERATOR_PAGES = ["/", "/runs", "/dlq", "/reports", "/reports/inspection", "/reports/cases",
                  "/reports/labor", "/reports/catalogue"]  # fmt: skip
AUDITOR_PAGES = ["/", "/log", "/trace", "/exports", "/log?direction=push&job=sn-cases"]


def _console_entries(demo: ConsoleDemo, action: str) -> list[dict[str, object]]:
    with demo.store.connect() as conn:
        rows = search(conn, SearchFilter(kind="console"), limit=10_000)
    return [r for r in rows if r["operation"] == action]


def test_each_role_sees_its_pages_and_is_refused_the_others(console_demo: ConsoleDemo) -> None:
    anonymous = console_demo.client()
    answer = anonymous.get("/log", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/log"
    operator, auditor = console_demo.client("bob"), console_demo.client("alice")
    for page in OPERATOR_PAGES:
        assert operator.get(page).status_code == 200, page
    for page in AUDITOR_PAGES:
        assert auditor.get(page).status_code == 200, page
    for page in ("/log", "/trace", "/exports", "/exports/download", "/log/1"):
        refused = operator.get(page)
        assert refused.status_code == 403, page
        assert "您的角色无权查看本页面" in refused.text
    for page in ("/runs", "/dlq", "/dlq/1", "/reports", "/reports/cases"):
        assert auditor.get(page).status_code == 403, page
    assert operator.post("/trace", data={"kind": "id", "value": "x"}).status_code == 403


def test_security_headers_cookies_and_no_script(console_demo: ConsoleDemo) -> None:
    client = console_demo.client()
    signed = client.post("/login", data={"user": "bob", "password": USERS["bob"][1]})
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback
    page = client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src" not in csp  # default-src 'none': no script runs at all
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script" not in page.text
    assert '<meta http-equiv="refresh"' in page.text  # the overview refreshes itself
    # Behind the reverse proxy (a trusted loopback peer saying https) the cookie is Secure.
    proxied = console_demo.client().post(
        "/login",
        data={"user": "bob", "password": USERS["bob"][1]},
        headers={"X-Forwarded-Proto": "https"},
        follow_redirects=False,
    )
    assert "Secure" in proxied.headers["set-cookie"]
    assert "strict-transport-security" in proxied.headers
    # A sign-in never sends anyone to another site.
    away = console_demo.client().post(
        "/login?next=//elsewhere.example/",
        data={"user": "bob", "password": USERS["bob"][1]},
        follow_redirects=False,
    )
    assert away.headers["location"] == "/"
    # A form posted from another site is refused before it is read.
    forged = console_demo.client().post(
        "/login",
        data={"user": "bob", "password": USERS["bob"][1]},
        headers={"Origin": "http://elsewhere.example"},
    )
    assert forged.status_code == 403


def test_behind_a_proxy_that_rewrites_host_the_public_origin_is_the_consoles_own(
    console_demo: ConsoleDemo,
) -> None:
    """A proxy that passes on a Host of its own: a sign-in from ``console.public_origin`` is
    taken, one from elsewhere refused still, and X-Forwarded-Host earns no trust."""
    from gateway.console.server import server_for

    public = "https://console.bureau.example"
    config = console_demo.config
    proxied = config.model_copy(
        update={"console": config.console.model_copy(update={"public_origin": public})}
    )
    port = free_port()
    form = {"user": "bob", "password": USERS["bob"][1]}
    with (
        stop_when_done(server_for(proxied, console_demo.store, "127.0.0.1", port)),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client,
    ):
        # The proxy's own Host, the browser's Origin: the console's own form.
        taken = client.post("/login", data=form, headers={"Origin": public})
        assert taken.status_code == 303
        forged = client.post(
            "/login",
            data=form,
            headers={
                "Origin": "https://elsewhere.example",
                "X-Forwarded-Host": "elsewhere.example",
            },
        )
        assert forged.status_code == 403
        # Reached directly (an SSH tunnel to the loopback port), the console is its own still.
        direct = client.post("/login", data=form, headers={"Origin": f"http://127.0.0.1:{port}"})
        assert direct.status_code == 303
    # Without public_origin the same proxied sign-in is refused: the Host is the proxy's.
    refused = console_demo.client().post("/login", data=form, headers={"Origin": public})
    assert refused.status_code == 403


def test_a_public_origin_is_an_origin() -> None:
    from gateway.config import ConsoleConfig

    assert ConsoleConfig(public_origin="HTTPS://Console.Example:8443/").public_origin == (
        "https://console.example:8443"
    )
    with pytest.raises(ValueError, match="no path"):
        ConsoleConfig(public_origin="https://console.example/gateway")


def test_lockout_after_repeated_failures_and_every_attempt_logged(
    console_demo: ConsoleDemo,
) -> None:
    add_user(console_demo.store, "dave", Role.OPERATOR, "dave-password-1")
    before = len(_console_entries(console_demo, "console.sign_in"))
    client = console_demo.client()
    for _ in range(console_demo.config.console.lockout_failures):
        wrong = client.post("/login", data={"user": "dave", "password": "not-his-password"})
        assert wrong.status_code == 401
    locked = client.post("/login", data={"user": "dave", "password": "dave-password-1"})
    assert locked.status_code == 401
    assert "账户已暂时锁定" in locked.text
    entries = _console_entries(console_demo, "console.sign_in")[::-1]
    outcomes = [e["outcome"] for e in entries[before:]]
    assert outcomes == ["refused"] * 4 + ["locked", "locked"]
    assert all(orjson.loads(str(e["detail"]))["actor"] == "dave" for e in entries[before:])
    assert "not-his-password" not in str(entries)


def test_a_name_that_is_no_account_is_not_written_to_the_log(console_demo: ConsoleDemo) -> None:
    """People type passwords and ID numbers into the name field: a failed sign-in under a name
    that is no account is logged, without the name."""
    typed = "52010219900101123X"
    before = len(_console_entries(console_demo, "console.sign_in"))
    answer = console_demo.client().post("/login", data={"user": typed, "password": "whatever-1"})
    assert answer.status_code == 401
    entries = _console_entries(console_demo, "console.sign_in")[::-1][before:]
    assert [orjson.loads(str(e["detail"]))["actor"] for e in entries] == ["(unknown name)"]
    assert typed not in str(entries)


def test_a_trace_is_audited_and_the_eleventh_in_a_minute_is_refused(
    console_demo: ConsoleDemo,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each query is an entry (who, the digest, when); the value is in no page, URL or log."""
    caplog.set_level(logging.DEBUG)
    add_user(console_demo.store, "carol", Role.AUDITOR, "carol-password-1")
    client = console_demo.client()
    client.post("/login", data={"user": "carol", "password": "carol-password-1"})
    person = demo_people(console_demo)[0]
    digest = key_digester(console_demo.config).digest(person)
    limit = console_demo.config.console.traces_per_minute
    for number in range(limit):
        answer = client.post("/trace", data={"kind": "id", "value": person})
        assert answer.status_code == 200, number
        assert person not in answer.text
        assert person[:3] + "*" * 11 + person[-4:] in answer.text
        shown = re.search(r'id="trace-count"><strong>([\d,]+)</strong>', answer.text)
        assert shown is not None
        assert int(shown.group(1).replace(",", "")) > 0
    refused = client.post("/trace", data={"kind": "id", "value": person})
    assert refused.status_code == 429
    assert "每分钟最多 10 次" in refused.text
    mine = [
        e for e in _console_entries(console_demo, "console.trace")
        if orjson.loads(str(e["detail"]))["actor"] == "carol"
    ]  # fmt: skip
    assert [e["outcome"] for e in mine[::-1]] == ["ok"] * limit + ["refused"]
    for entry in mine:
        assert orjson.loads(str(entry["key_digests"])) == [digest]
        assert person not in str(entry)
    printed = capsys.readouterr()
    assert person not in caplog.text + printed.out + printed.err
    # The index finds the queries too: who asked about this person is itself traceable.
    with console_demo.store.connect() as conn:
        seqs = candidate_seqs(conn, digest)
    assert {int(e["seq"]) for e in mine} <= set(seqs)  # type: ignore[call-overload]


def _detail_pages(demo: ConsoleDemo, operator: httpx.Client) -> list[str]:
    runs = re.findall(r'href="(/runs/[0-9a-f-]+)"', operator.get("/runs").text)
    letters = re.findall(r'href="(/dlq/\d+)"', operator.get("/dlq").text)
    return sorted(set(runs))[:5] + letters


def test_no_page_shows_or_rebuilds_personal_data(console_demo: ConsoleDemo) -> None:
    """Every page for each role: no ID number, mobile or secret in clear, and no letter's or
    trace's page leaves fewer than MIN_CANDIDATES ID numbers to an attacker."""
    secrets = _secret_values(console_demo.config, console_demo.directory)
    operator, auditor = console_demo.client("bob"), console_demo.client("alice")
    pages: dict[str, str] = {}
    for page in [*OPERATOR_PAGES, *_detail_pages(console_demo, operator)]:
        pages[f"operator {page}"] = operator.get(page).text
    entries = re.findall(r'href="(/log/\d+)"', auditor.get("/log").text)
    for page in [*AUDITOR_PAGES, *entries[:40]]:
        pages[f"auditor {page}"] = auditor.get(page).text
    person = demo_people(console_demo)[1]
    traced = auditor.post("/trace", data={"kind": "id", "value": person}).text
    pages["auditor trace result"] = traced
    leaks = [leak for name, html in pages.items() for leak in find_leaks(name, html, secrets)]
    assert leaks == []
    assert candidates(traced, person) >= MIN_CANDIDATES
    with console_demo.store.connect() as conn:
        letters = dlq.list_letters(conn, job="labor-persons", limit=1000)
    checked = 0
    for letter in letters:
        id_number = str(letter.raw.get("AAC002", "")).upper()
        if not (len(id_number) == 18 and mod_11_2.is_valid(id_number)):
            continue
        html = operator.get(f"/dlq/{letter.id}").text
        assert candidates(html, id_number) >= MIN_CANDIDATES, letter.id
        checked += 1
    assert checked > 5


def test_pages_in_english_and_times_with_their_offset(console_demo: ConsoleDemo) -> None:
    client = console_demo.client("bob")
    assert "抽查次数" in client.get("/reports/inspection").text
    client.get("/lang/en?next=/reports/inspection")
    english = client.get("/reports/inspection").text
    assert "tasks drawn" in english
    assert "抽查次数" not in english
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00", client.get("/runs").text)


def test_missing_extra_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import gateway.console as package

    monkeypatch.setattr(package, "find_spec", lambda name: None if name == "argon2" else object())
    message = missing_extra()
    assert message is not None
    assert "'console' extra" in message
    assert "argon2" in message
    assert "\n" not in message


def _never(job: str, stop: object, progress: object) -> object:
    raise AssertionError("no job runs in this test")


def test_gateway_run_serves_the_console_beside_the_jobs(console_demo: ConsoleDemo) -> None:
    from gateway.service import Service

    port = free_port()
    settings = console_demo.config.console.model_copy(update={"port": port})
    config = console_demo.config.model_copy(update={"console": settings})
    store = Store(config.store_url, sealer=data_sealer(config))
    service = Service(config, store, _never, instance="console-test", metrics_port=0, console=True)  # type: ignore[arg-type]
    service.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            assert client.get("/login").status_code == 200
    finally:
        service.request_stop()
        assert service.stop()


def test_gateway_run_without_the_extra_runs_the_jobs_only(
    console_demo: ConsoleDemo, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gateway.service.console as wiring

    monkeypatch.setattr(
        wiring, "missing_extra", lambda: "the web console needs the 'console' extra"
    )
    assert wiring.console_for(console_demo.config, console_demo.store) is None


@pytest.mark.postgres
def test_accounts_sign_in_and_traces_on_postgresql(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 7, the lockout counter, the audited trace and the verification on PostgreSQL."""
    from gateway.config import GatewayConfig
    from gateway.console.server import server_for

    monkeypatch.setenv("CONSOLE_TEST_AUDIT_KEY", "k" * 32)
    config = GatewayConfig(
        store={"url": pg_url},  # type: ignore[arg-type]
        audit={"key": "env:CONSOLE_TEST_AUDIT_KEY"},  # type: ignore[arg-type]
        logging={"file": None},  # type: ignore[arg-type]
    )
    store = Store(config.store_url)
    add_user(store, "erin", Role.AUDITOR, "erin-password-1")
    port = free_port()
    server = server_for(config, store, "127.0.0.1", port)
    with (
        stop_when_done(server),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client,
    ):
        wrong = client.post("/login", data={"user": "erin", "password": "wrong-password"})
        assert wrong.status_code == 401
        signed = client.post("/login", data={"user": "erin", "password": "erin-password-1"})
        assert signed.status_code == 303
        traced = client.post("/trace", data={"kind": "id", "value": "11010519491231002X"})
        assert traced.status_code == 200
        assert "11010519491231002X" not in traced.text
        verified = client.get("/log/verify", follow_redirects=True)
        deadline = time.monotonic() + 30
        while 'id="verify-status"' not in verified.text and time.monotonic() < deadline:
            time.sleep(0.2)
            verified = client.get(str(verified.url))
        assert "完整" in verified.text
    with store.connect() as conn:
        rows = search(conn, SearchFilter(kind="console"), limit=10)
    assert [r["outcome"] for r in rows[::-1]] == ["refused", "ok", "ok"]
    store.close()


def test_gateway_console_without_the_extra_says_so_in_one_line() -> None:
    import subprocess
    import sys

    script = (
        "import gateway.console as c; c.find_spec = lambda name: None; "
        "from gateway.cli.root import main; main()"
    )
    answer = subprocess.run(
        [sys.executable, "-c", script, "console"], capture_output=True, text=True, check=False
    )
    assert answer.returncode == 2
    assert answer.stderr.strip().count("\n") == 0
    assert "'console' extra" in answer.stderr
