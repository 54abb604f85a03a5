"""Each paginator against a list platform on ``httpx.MockTransport``: every record read once,
the cursor after each page resumes where the list stood, and a bad cursor is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from gateway.adapter import CURSOR_VERSION, ExchangeRecorder, StreamContext
from gateway.config import PlatformConfig
from gateway.errors import ConfigError
from gateway.http.paging import (
    KeysetPaginator,
    NextLinkPaginator,
    OffsetPaginator,
    PageAnswer,
    PageNumberPaginator,
    Paginator,
)
from gateway.http.streams import IncrementalPullStream

PATH = "/api/things"
Things = list[dict[str, str]]


def thing(n: int, updated: str = "2026-01-01 00:00:00") -> dict[str, str]:
    return {"key": f"k{n:03d}", "updated": updated}


def envelope(data: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, content=orjson.dumps({"code": "0", "msg": "ok", "data": data}))


def keyset_platform(things: Things) -> Callable[[httpx.Request], httpx.Response]:
    """Records strictly after (updated_since, after_key), in that order."""

    def handle(request: httpx.Request) -> httpx.Response:
        q = request.url.params
        size = int(q["page_size"])
        after = (q.get("updated_since", ""), q.get("after_key", ""))
        ordered = sorted(things, key=lambda t: (t["updated"], t["key"]))
        rest = [t for t in ordered if (t["updated"], t["key"]) > after]
        page = rest[:size]
        data: dict[str, Any] = {"items": page, "has_more": len(rest) > size, "total": len(rest)}
        if page:
            data["next"] = {"updated_since": page[-1]["updated"], "after_key": page[-1]["key"]}
        return envelope(data)

    return handle


def numbered_platform(things: Things) -> Callable[[httpx.Request], httpx.Response]:
    """``?page=N&page_size=S`` from 1, with ``has_more``."""

    def handle(request: httpx.Request) -> httpx.Response:
        page, size = int(request.url.params["page"]), int(request.url.params["page_size"])
        items = things[(page - 1) * size : page * size]
        return envelope({"items": items, "has_more": page * size < len(things)})

    return handle


def offset_platform(things: Things) -> Callable[[httpx.Request], httpx.Response]:
    """``?offset=O&limit=S`` with ``total`` and no ``has_more``."""

    def handle(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        return envelope({"items": things[offset : offset + limit], "total": len(things)})

    return handle


def linked_platform(things: Things) -> Callable[[httpx.Request], httpx.Response]:
    """The first page from the list's path; each answer links the next one by a token."""

    def handle(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("token", "0"))
        size = int(request.url.params["page_size"])
        data: dict[str, Any] = {"items": things[start : start + size]}
        if start + size < len(things):
            data["next"] = f"{PATH}?token={start + size}&page_size={size}"
        return envelope(data)

    return handle


def stream_with(declared: Paginator | None) -> IncrementalPullStream:
    class Things(IncrementalPullStream):
        name = "things"
        path = PATH
        operation = "things.list"
        updated_field = "updated"
        key_field = "key"
        paginator = declared

    return Things()


class Platform:
    """The fake platform behind a context: what it was asked, and the context itself."""

    def __init__(self, handle: Callable[[httpx.Request], httpx.Response]) -> None:
        self.asked: list[httpx.URL] = []

        def record(request: httpx.Request) -> httpx.Response:
            self.asked.append(request.url)
            return handle(request)

        platform = PlatformConfig(
            adapter="test", base_url="http://platform.test", app_key="k", app_secret="env:UNUSED",
            rate_limit={"per_second": 10_000, "burst": 10_000},
        )  # fmt: skip
        self.ctx = StreamContext(
            "things", "run-1", "paging-test", platform, {"page_size": 3}, ExchangeRecorder(),
            secrets=lambda _ref: "secret", transport=httpx.MockTransport(record),
        )  # fmt: skip


def read(
    stream: IncrementalPullStream, platform: Platform, cursor: dict[str, Any] | None = None
) -> tuple[list[str], list[dict[str, Any] | None]]:
    """Keys read and the cursor after each page."""
    keys: list[str] = []
    cursors: list[dict[str, Any] | None] = []
    for page in stream.read(platform.ctx, cursor):
        keys += [r["key"] for r in page.records]
        cursors.append(page.cursor)
    return keys, cursors


def test_keyset_is_the_default_and_reads_across_equal_update_times() -> None:
    """Undeclared, a stream pages by keyset; records sharing an update time across a page
    boundary are read once, and a page's cursor resumes exactly after it."""
    things = [thing(n, "2026-01-01 00:00:00" if n < 5 else "2026-01-02 00:00:00") for n in range(7)]
    stream = stream_with(None)
    assert isinstance(stream.paging(), KeysetPaginator)
    platform = Platform(keyset_platform(things))
    keys, cursors = read(stream, platform)
    assert keys == [t["key"] for t in things]
    assert len(cursors) == 3
    assert cursors[0] == {"v": CURSOR_VERSION, "updated_since": "2026-01-01 00:00:00",
                          "after_key": "k002"}  # fmt: skip
    assert read(stream, Platform(keyset_platform(things)), cursors[0])[0] == keys[3:]
    assert read(stream, Platform(keyset_platform(things)), cursors[-1])[0] == []


def test_keyset_falls_back_to_the_last_record_without_next() -> None:
    """An answer without ``next`` leaves the cursor at its last record's own fields."""
    paginator = KeysetPaginator("updated", "key")
    request = paginator.first(None, 3)
    answer = [thing(1), thing(2)]
    step = paginator.advance(
        PageAnswer({"items": answer, "has_more": False}, answer, request, None)
    )
    assert step.next is None
    assert step.cursor == {"v": CURSOR_VERSION, "updated_since": "2026-01-01 00:00:00",
                           "after_key": "k002"}  # fmt: skip


def test_page_number_reads_every_page_and_stays_on_a_short_last_page() -> None:
    """Pages 1, 2, 3 of seven records; the cursor stays on the short page 3, so records the
    platform appends there are found by the next run."""
    things = [thing(n) for n in range(7)]
    stream = stream_with(PageNumberPaginator())
    platform = Platform(numbered_platform(things))
    keys, cursors = read(stream, platform)
    assert keys == [t["key"] for t in things]
    assert [url.params["page"] for url in platform.asked] == ["1", "2", "3"]
    assert cursors == [{"v": 1, "page": 2}, {"v": 1, "page": 3}, {"v": 1, "page": 3}]
    things += [thing(7), thing(8)]
    again = Platform(numbered_platform(things))
    keys, cursors = read(stream, again, cursors[-1])
    assert keys == ["k006", "k007", "k008"]
    assert cursors[-1] == {"v": 1, "page": 4}


def test_page_number_ends_on_a_full_last_page() -> None:
    """Six records in pages of three: two requests, and the next run starts at page 3."""
    platform = Platform(numbered_platform([thing(n) for n in range(6)]))
    keys, cursors = read(stream_with(PageNumberPaginator()), platform)
    assert len(keys) == 6
    assert len(platform.asked) == 2
    assert cursors[-1] == {"v": 1, "page": 3}


def test_offset_resumes_at_the_first_record_not_read() -> None:
    """Offsets 0, 3, 6 with the platform's total; after two appended, a resume reads just them."""
    things = [thing(n) for n in range(7)]
    stream = stream_with(OffsetPaginator())
    platform = Platform(offset_platform(things))
    keys, cursors = read(stream, platform)
    assert keys == [t["key"] for t in things]
    assert [url.params["offset"] for url in platform.asked] == ["0", "3", "6"]
    assert {url.params["limit"] for url in platform.asked} == {"3"}
    assert cursors[-1] == {"v": 1, "offset": 7}
    things += [thing(7), thing(8)]
    assert read(stream, Platform(offset_platform(things)), cursors[-1])[0] == ["k007", "k008"]


def test_next_link_follows_links_and_keeps_the_last_one() -> None:
    """The first page from the stream's path, the rest by link; the cursor is the page to read
    next, and after the end the link of the last page."""
    things = [thing(n) for n in range(7)]
    stream = stream_with(NextLinkPaginator())
    platform = Platform(linked_platform(things))
    keys, cursors = read(stream, platform)
    assert keys == [t["key"] for t in things]
    assert [url.params.get("token") for url in platform.asked] == [None, "3", "6"]
    assert cursors[0] == {"v": 1, "next": f"{PATH}?token=3&page_size=3"}
    assert cursors[-1] == {"v": 1, "next": f"{PATH}?page_size=3&token=6"}
    things.append(thing(7))
    assert read(stream, Platform(linked_platform(things)), cursors[-1])[0] == ["k006", "k007"]


def test_the_stop_event_ends_the_read_before_the_next_request() -> None:
    """A run asked to stop takes no further page."""
    platform = Platform(offset_platform([thing(n) for n in range(9)]))
    pages = stream_with(OffsetPaginator()).read(platform.ctx, None)
    next(pages)
    platform.ctx.stop.set()
    assert list(pages) == []
    assert len(platform.asked) == 1


@pytest.mark.parametrize(
    ("paginator", "good", "bad", "message"),
    [
        (KeysetPaginator("updated", "key"), {"updated_since": "t", "after_key": ""},
         {"updated_since": "t"}, "exactly updated_since and after_key"),
        (PageNumberPaginator(), {"page": 1}, {"page": 0}, "page must be a whole number"),
        (OffsetPaginator(), {"offset": 0}, {"offset": "3"}, "offset must be a whole number"),
        (NextLinkPaginator(), {"next": "/a?b=1"}, {"next": 3}, "next must be the link"),
    ],
    ids=["keyset", "page-number", "offset", "next-link"],
)  # fmt: skip
def test_a_cursor_the_paginator_cannot_resume_from_is_refused(
    paginator: Paginator, good: dict[str, Any], bad: dict[str, Any], message: str
) -> None:
    """Each paginator checks its own cursor shape; the stream names itself in the refusal."""
    paginator.check({"v": CURSOR_VERSION, **good})
    stream = stream_with(paginator)
    stream.check_cursor({"v": CURSOR_VERSION, **good})
    with pytest.raises(ConfigError, match=message):
        stream.check_cursor({"v": CURSOR_VERSION, **bad})
    with pytest.raises(ConfigError, match="version"):
        paginator.check({"v": 99, **good})
