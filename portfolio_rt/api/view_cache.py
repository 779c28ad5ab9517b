"""Serialised answers derived from cached broker data, rebuilt only when an input changed.

A warm dashboard load then costs a dictionary look-up per route instead of re-deriving
hundreds of rows: the key is the route and account, the stamp is when each input was
fetched (and whether it is stale). A view also remembers until when none of its inputs is
due for a refresh and the read cache's version of its account then: while both hold, `fresh`
answers it before the route reads anything (the warm hot path).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..broker.read_cache import Fetched
from ..core.jsonio import dumps
from ..state import RUNTIME

Stamp = tuple[object, ...]


@dataclass
class _View:
    stamp: Stamp
    body: bytes
    fresh_until: float
    version: Version | None


Version = tuple[int, int]


class ViewCache:
    def __init__(
        self, max_entries: int = 20_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, _View] = OrderedDict()

    def fresh(self, key: Hashable, version: Version) -> web.Response | None:
        """The view, when every input it was built from is still fresh and unchanged."""
        entry = self._entries.get(key)
        if entry is None or entry.version != version or self._clock() >= entry.fresh_until:
            return None
        return web.Response(body=entry.body, content_type="application/json")

    def render(
        self,
        key: Hashable,
        build: Callable[[], Any],
        *,
        inputs: Sequence[Fetched[Any]],
        version: Version,
        also: tuple[object, ...] = (),
    ) -> web.Response:
        """The cached body when the inputs are the same ones (and `also`, whatever else the
        body depends on), else `build()` serialised.

        `version` is the read cache's, taken before the inputs were read: the view can be
        answered by `fresh` until the first input is due for its refresh ahead of expiry;
        from then the route reads its inputs again, which starts that refresh in the
        background, and gets this body back while the inputs are the same."""
        stamp = (*((f.fetched_at, f.stale) for f in inputs), *also)
        entry = self._entries.get(key)
        if entry is not None and entry.stamp == stamp:
            self._entries.move_to_end(key)
        else:
            entry = _View(stamp, dumps(build()), 0.0, None)
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        if inputs:
            entry.fresh_until = min(f.refresh_at for f in inputs)
            entry.version = version
        return web.Response(body=entry.body, content_type="application/json")


VIEWS = web.AppKey("views", ViewCache)


def view_version(request: web.Request, account: object) -> Version:
    """The read cache's version of what a view of `account` is built from, taken before the
    view's inputs are read."""
    return request.app[RUNTIME].gateway.cache.version_of(account)


def fresh_view(
    request: web.Request, key: Hashable, account: object
) -> tuple[web.Response | None, Version]:
    """A route's first step: its view if still fresh, and the version to render it under."""
    version = view_version(request, account)
    return request.app[VIEWS].fresh(key, version), version
