"""The console in a real browser: Debian's chromium driven by Playwright (its own browser
downloads are never used). Under CI a missing chromium is a failure, not a skip.

``GATEWAY_SCREENSHOTS=1`` also writes the screenshots docs/console.md shows.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.console_env import USERS, ConsoleDemo, demo_people
from tests.helpers.gateway_cli import gateway_env as _environment
from tests.helpers.leaks import gateway_in as _gateway
from tests.helpers.paths import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
IMAGES = ROOT / "docs" / "images"

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="zh-CN"
    )
    opened = context.new_page()
    yield opened
    context.close()


def _sign_in(page: object, demo: ConsoleDemo, user: str) -> None:
    page.goto(demo.url + "/")  # type: ignore[attr-defined]
    page.fill("#user", user)  # type: ignore[attr-defined]
    page.fill("#password", USERS[user][1])  # type: ignore[attr-defined]
    page.click("#sign-in")  # type: ignore[attr-defined]
    page.wait_for_selector("#jobs")  # type: ignore[attr-defined]


def _shot(page: object, name: str) -> None:
    if os.environ.get("GATEWAY_SCREENSHOTS"):
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / name), full_page=False)  # type: ignore[attr-defined]


def test_operator_follows_a_run_reads_letters_and_reports(page, console_demo) -> None:
    _sign_in(page, console_demo, "bob")
    assert "sn-cases" in page.inner_text("#jobs")
    _shot(page, "console-overview.png")
    page.click("nav >> text=运行记录")
    page.click("#runs >> text=sn-cases")
    page.wait_for_selector("#run")
    exchanges = page.locator("#entries tbody tr")
    assert exchanges.count() > 0
    assert "case" in page.inner_text("#entries")
    page.click("nav >> text=死信队列")
    page.click("#letters tbody tr >> nth=0 >> a")
    page.wait_for_selector("#raw")
    page.goto(console_demo.url + "/reports/inspection")
    figures = page.inner_text("#figures")
    for label, value in (("抽查次数", "99"), ("抽查企业户数", "281"),
                         ("抽取执法人员人次", "206"), ("结果公开次数", "270")):  # fmt: skip
        assert re.search(label + r"\s+" + value + r"\b", figures), (label, figures)
    page.goto(console_demo.url + "/reports/cases")
    # The bureau's 2,551 are the enterprise registrations: their row of the by-item table.
    assert re.search(r"企业开办社会保险参保登记\s+2,551\b", page.inner_text("main"))
    assert page.locator("figure.chart svg rect").count() > 10
    _shot(page, "console-report-cases.png")
    page.goto(console_demo.url + "/trace")
    assert "您的角色无权查看本页面" in page.inner_text("#forbidden")


def test_auditor_verifies_traces_and_exports(page, console_demo, tmp_path: Path) -> None:
    _sign_in(page, console_demo, "alice")
    page.click("nav >> text=交换日志")
    page.wait_for_selector("#chain")
    assert page.locator("#entries tbody tr").count() > 0
    page.click("#verify-now")
    page.wait_for_selector("#verify-status", timeout=60_000)
    assert page.inner_text("#verify-status") == "完整"
    page.goto(console_demo.url + "/log")
    assert "完整" in page.inner_text("#last-verified")
    page.goto(console_demo.url + "/log?kind=exchange")
    assert "sn-case-events-push" in page.inner_text("#entries")
    _shot(page, "console-exchange-log.png")

    person = demo_people(console_demo)[2]
    page.click("nav >> text=追溯查询")
    page.fill("#trace-value", person)
    page.click("#trace-search")
    page.wait_for_selector("#trace-answer")
    assert page.url.endswith("/trace")  # posted: the value is not in the address
    assert person not in page.content()
    assert person[:3] + "*" * 11 + person[-4:] in page.inner_text("#trace-answer")
    assert page.locator("#entries tbody tr").count() > 0

    page.click("nav >> text=日志导出")
    with page.expect_download() as info:
        page.click("#export-download")
    bundle = tmp_path / "export.zip"
    info.value.save_as(bundle)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(tmp_path)
        exported = next(n for n in archive.namelist() if n.endswith(".jsonl"))
    checked = _gateway(
        ["audit", "verify", "--export", str(tmp_path / exported)],
        console_demo.directory,
        _environment(console_demo.directory / "gateway.yaml"),
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    page.goto(console_demo.url + "/reports/cases")
    assert "您的角色无权查看本页面" in page.inner_text("#forbidden")
