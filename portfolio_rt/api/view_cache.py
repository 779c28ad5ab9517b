"""Serialised answers derived from cached broker data, rebuilt only when an input changed.

A warm dashboard load then costs a dictionary look-up per route instead of re-deriving
hundreds of rows: the key is the route and account, the stamp is when each input was
fetched (and whether it is stale).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from aiohttp import web

from ..broker.read_cache import Fetched
from ..core.jsonio import dumps

Stamp = tuple[object, ...]


def stamp_of(*inputs: Fetched[Any]) -> Stamp:
    return tuple((f.fetched_at, f.stale) for f in inputs)


class ViewCache:
    def __init__(self, max_entries: int = 20_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[Stamp, bytes]] = OrderedDict()

    def render(self, key: Hashable, stamp: Stamp, build: Callable[[], Any]) -> web.Response:
        """The cached body when the inputs are the same ones, else `build()` serialised."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] == stamp:
            self._entries.move_to_end(key)
            body = entry[1]
        else:
            body = dumps(build())
            self._entries[key] = (stamp, body)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return web.Response(body=body, content_type="application/json")


VIEWS = web.AppKey("views", ViewCache)
