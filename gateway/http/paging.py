"""How an HTTP list is paged: a :class:`Paginator` a stream declares, chosen from four.

A paginator decides, from the cursor a run resumes from, the first request; and from each
page the platform answers, the cursor that holds after it (what the runtime commits with the
page's records) and the next request, or that the list is read to its end. It keeps no state
of its own, so one instance serves every run of its stream. The shape is that of dlt's
``BasePaginator`` and singer-sdk's ``BaseAPIPaginator``:

- :class:`KeysetPaginator` (the default of :class:`~gateway.http.streams.IncrementalPullStream`):
  the records strictly after ``(updated_since, after_key)``; exact across restarts even when
  records share an update time across a page boundary;
- :class:`PageNumberPaginator`: ``?page=N&page_size=S``;
- :class:`OffsetPaginator`: ``?offset=O&limit=S``;
- :class:`NextLinkPaginator`: the answer names the next page (``"next": "/path?token=…"``).

Every cursor carries ``"v"`` (:data:`~gateway.adapter.CURSOR_VERSION`); :meth:`Paginator.check`
refuses one the paginator could not resume from (``gateway state set``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

from gateway.adapter import CURSOR_VERSION
from gateway.errors import ConfigError

__all__ = [
    "Cursor",
    "KeysetPaginator",
    "NextLinkPaginator",
    "OffsetPaginator",
    "PageAnswer",
    "PageNumberPaginator",
    "PageRequest",
    "Paginator",
    "Step",
]

Cursor = dict[str, Any]


@dataclass(frozen=True)
class PageRequest:
    """One page's request: its query, and its path when the paginator chooses it (a next link);
    ``None`` asks the stream's own path."""

    params: Mapping[str, str]
    path: str | None = None


@dataclass(frozen=True)
class PageAnswer:
    """What a paginator sees of one page: the answer's ``data`` object, its items, the request
    that fetched it, and the cursor that held before it."""

    data: Mapping[str, Any]
    items: list[Any]
    request: PageRequest
    cursor: Cursor | None


@dataclass(frozen=True)
class Step:
    """After one page: the cursor that holds once it is committed, and the next request
    (``None``: the list is read to its end)."""

    cursor: Cursor | None
    next: PageRequest | None


class Paginator(Protocol):
    def first(self, cursor: Cursor | None, page_size: int) -> PageRequest:
        """The request that reads from ``cursor`` on (``None``: from the beginning)."""
        ...

    def advance(self, answer: PageAnswer) -> Step:
        """Where the list stands after ``answer``, and what to ask next."""
        ...

    def check(self, cursor: Mapping[str, Any]) -> None:
        """Refuse, with a :class:`ConfigError`, a cursor this paginator could not resume from."""
        ...


def _has_more(data: Mapping[str, Any], default: bool) -> bool:
    value = data.get("has_more")
    return bool(value) if value is not None else default


def _exact_fields(cursor: Mapping[str, Any], *fields: str) -> None:
    if cursor.get("v") != CURSOR_VERSION:
        raise ConfigError(
            "the cursor's version is not this stream's", v=cursor.get("v"), expected=CURSOR_VERSION
        )
    found = set(cursor) - {"v"}
    if found != set(fields):
        raise ConfigError(
            f"the cursor needs exactly {' and '.join(fields)}",
            fields=", ".join(sorted(found)) or "none",
        )


def _count(cursor: Mapping[str, Any], name: str, least: int) -> None:
    value = cursor[name]
    if type(value) is not int or value < least:
        raise ConfigError(f"{name} must be a whole number of at least {least}")


def _reached_end(data: Mapping[str, Any], items: list[Any], size: int, seen: int) -> bool:
    """A counted list ends at an empty or short page, at ``has_more: false``, or once ``seen``
    records reach the platform's ``total``."""
    total = data.get("total")
    if not items or len(items) < size or not _has_more(data, True):
        return True
    return type(total) is int and seen >= total


def _size(request: PageRequest, name: str) -> int:
    return int(request.params[name])


@dataclass(frozen=True)
class KeysetPaginator:
    """Records strictly after ``(updated_since, after_key)`` in (update time, key) order.

    The cursor after a page is the platform's ``next`` when it sends one, else the last record's
    own ``updated_field`` and ``key_field``, else where the list stood. The list ends when the
    answer says ``has_more: false``."""

    updated_field: str
    key_field: str
    size_param: str = "page_size"

    def first(self, cursor: Cursor | None, page_size: int) -> PageRequest:
        params = {self.size_param: str(page_size)}
        if cursor:
            params["updated_since"] = str(cursor["updated_since"])
            if cursor.get("after_key"):
                params["after_key"] = str(cursor["after_key"])
        return PageRequest(params)

    def advance(self, answer: PageAnswer) -> Step:
        cursor = self.next_cursor(answer.data, answer.items, answer.cursor)
        if not answer.data.get("has_more"):
            return Step(cursor, None)
        return Step(cursor, self.first(cursor, _size(answer.request, self.size_param)))

    def next_cursor(
        self, data: Mapping[str, Any], items: list[Any], previous: Cursor | None
    ) -> Cursor | None:
        nxt = data.get("next")
        if isinstance(nxt, dict) and nxt.get("updated_since"):
            return {
                "v": CURSOR_VERSION,
                "updated_since": str(nxt["updated_since"]),
                "after_key": str(nxt.get("after_key") or ""),
            }
        last = items[-1] if items else None
        if isinstance(last, dict) and last.get(self.updated_field) and last.get(self.key_field):
            return {
                "v": CURSOR_VERSION,
                "updated_since": str(last[self.updated_field]),
                "after_key": str(last[self.key_field]),
            }
        return previous

    def check(self, cursor: Mapping[str, Any]) -> None:
        """``{"v": 1, "updated_since": TEXT, "after_key": TEXT}`` and nothing else."""
        _exact_fields(cursor, "updated_since", "after_key")
        if not isinstance(cursor["updated_since"], str) or not cursor["updated_since"]:
            raise ConfigError("updated_since must be the platform's update time, as text")
        if not isinstance(cursor["after_key"], str):
            raise ConfigError("after_key must be text (empty: from the first record)")


@dataclass(frozen=True)
class PageNumberPaginator:
    """``?page=N&page_size=S``, numbered from ``first_page``.

    The cursor names the page to ask next. After a short page (the list's end so far) it stays
    on that page, so records the platform appends later are found there; the ones already read
    come again and are stored unchanged."""

    page_param: str = "page"
    size_param: str = "page_size"
    first_page: int = 1

    def first(self, cursor: Cursor | None, page_size: int) -> PageRequest:
        page = cursor["page"] if cursor else self.first_page
        return PageRequest({self.page_param: str(page), self.size_param: str(page_size)})

    def advance(self, answer: PageAnswer) -> Step:
        size = _size(answer.request, self.size_param)
        page = int(answer.request.params[self.page_param])
        seen = (page - self.first_page) * size + len(answer.items)
        if _reached_end(answer.data, answer.items, size, seen):
            full = bool(answer.items) and len(answer.items) >= size
            return Step({"v": CURSOR_VERSION, "page": page + 1 if full else page}, None)
        cursor = {"v": CURSOR_VERSION, "page": page + 1}
        return Step(cursor, self.first(cursor, size))

    def check(self, cursor: Mapping[str, Any]) -> None:
        """``{"v": 1, "page": N}`` with N at least ``first_page``."""
        _exact_fields(cursor, "page")
        _count(cursor, "page", self.first_page)


@dataclass(frozen=True)
class OffsetPaginator:
    """``?offset=O&limit=S``: the cursor is the offset of the first record not yet read, so a
    list the platform only appends to resumes exactly."""

    offset_param: str = "offset"
    limit_param: str = "limit"

    def first(self, cursor: Cursor | None, page_size: int) -> PageRequest:
        offset = cursor["offset"] if cursor else 0
        return PageRequest({self.offset_param: str(offset), self.limit_param: str(page_size)})

    def advance(self, answer: PageAnswer) -> Step:
        size = _size(answer.request, self.limit_param)
        offset = int(answer.request.params[self.offset_param]) + len(answer.items)
        cursor = {"v": CURSOR_VERSION, "offset": offset}
        if _reached_end(answer.data, answer.items, size, offset):
            return Step(cursor, None)
        return Step(cursor, self.first(cursor, size))

    def check(self, cursor: Mapping[str, Any]) -> None:
        """``{"v": 1, "offset": N}`` with N at least 0."""
        _exact_fields(cursor, "offset")
        _count(cursor, "offset", 0)


@dataclass(frozen=True)
class NextLinkPaginator:
    """The answer's ``next_field`` names the next page: its path and query, relative to the
    platform's base URL (an absolute URL counts by its path and query alone).

    The cursor is the link of the page to read next; after the last page, the link of that page
    itself, so records the platform appends later are found there (a list of one page, read
    from the stream's own path, is read from its start again)."""

    next_field: str = "next"
    size_param: str = "page_size"
    first_params: Mapping[str, str] = field(default_factory=dict)

    def first(self, cursor: Cursor | None, page_size: int) -> PageRequest:
        if cursor:
            return _link_request(str(cursor["next"]))
        return PageRequest({**self.first_params, self.size_param: str(page_size)})

    def advance(self, answer: PageAnswer) -> Step:
        link = answer.data.get(self.next_field)
        if isinstance(link, str) and link:
            return Step({"v": CURSOR_VERSION, "next": link}, _link_request(link))
        if answer.request.path is not None:
            return Step({"v": CURSOR_VERSION, "next": _link_of(answer.request)}, None)
        # The list's one page came from the stream's own path: the next run starts over.
        return Step(answer.cursor, None)

    def check(self, cursor: Mapping[str, Any]) -> None:
        """``{"v": 1, "next": LINK}``, the link a path with its query."""
        _exact_fields(cursor, "next")
        if not isinstance(cursor["next"], str) or not urlsplit(cursor["next"]).path:
            raise ConfigError("next must be the link of a page, as text")


def _link_request(link: str) -> PageRequest:
    parts = urlsplit(link)
    return PageRequest(dict(parse_qsl(parts.query, keep_blank_values=True)), parts.path)


def _link_of(request: PageRequest) -> str:
    query = urlencode(sorted(request.params.items()))
    return f"{request.path}?{query}" if query else str(request.path)
