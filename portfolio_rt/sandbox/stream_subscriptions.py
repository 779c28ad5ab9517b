"""One stream connection's subscriptions: union on subscribe, difference on unsubscribe.

The confirmation is always the full state; on the stock feeds `corrections` and `cancelErrors`
mirror `trades`, as Alpaca does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ..core.stream_errors import INVALID_SUBSCRIBE_ACTION, INVALID_SYNTAX, SYMBOL_LIMIT
from .stream_codec import Family, Wire

STOCK_CHANNELS: Final = (
    "trades",
    "quotes",
    "bars",
    "updatedBars",
    "dailyBars",
    "statuses",
    "lulds",
)
CRYPTO_CHANNELS: Final = ("trades", "quotes", "orderbooks", "bars", "updatedBars", "dailyBars")
ALL_CHANNELS: Final = frozenset(STOCK_CHANNELS) | frozenset(CRYPTO_CHANNELS)
WILDCARD: Final = "*"


class SubscriptionError(Exception):
    """A subscribe/unsubscribe that Alpaca refuses; `code` is the stream error code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def channels_for(family: Family) -> tuple[str, ...]:
    """The channels a feed family accepts, in the order the confirmation lists them."""
    return CRYPTO_CHANNELS if family == "crypto" else STOCK_CHANNELS


def parse_request(family: Family, message: Mapping[str, object]) -> dict[str, list[str]]:
    """The channel -> symbols part of a (un)subscribe action; 400 for bad syntax, 410 wrong feed."""
    accepted = channels_for(family)
    wanted: dict[str, list[str]] = {}
    for key, value in message.items():
        if key == "action":
            continue
        if key not in accepted:
            raise SubscriptionError(
                INVALID_SUBSCRIBE_ACTION if key in ALL_CHANNELS else INVALID_SYNTAX
            )
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise SubscriptionError(INVALID_SYNTAX)
        wanted[key] = [s for s in value if s]
    return wanted


class Subscriptions:
    """The symbols of each channel, in subscription order, with fast membership tests."""

    def __init__(self, family: Family) -> None:
        self.family: Family = family
        self._channels: dict[str, dict[str, None]] = {c: {} for c in channels_for(family)}

    def symbols(self, channel: str) -> dict[str, None]:
        """The ordered symbol set of a channel (empty for unknown channels)."""
        return self._channels.get(channel, {})

    def wants(self, channel: str, symbol: str) -> bool:
        """Whether data of `symbol` on `channel` goes to this connection."""
        subs = self._channels.get(channel)
        return subs is not None and (WILDCARD in subs or symbol in subs)

    def wildcard(self, channel: str) -> bool:
        """Whether the channel is subscribed with `"*"`."""
        return WILDCARD in self._channels.get(channel, {})

    def is_empty(self) -> bool:
        """Whether nothing at all is subscribed."""
        return not any(self._channels.values())

    def apply(
        self, action: str, wanted: Mapping[str, list[str]], limit: int
    ) -> dict[str, list[str]]:
        """Subscribe (union) or unsubscribe (difference); returns the newly added symbols.

        Raises SubscriptionError(405) and leaves the state unchanged when the distinct symbols
        over all channels would exceed `limit`.
        """
        proposed = {c: dict(s) for c, s in self._channels.items()}
        added: dict[str, list[str]] = {}
        for channel, symbols in wanted.items():
            current = proposed[channel]
            if action == "subscribe":
                new = [s for s in symbols if s not in current]
                current.update(dict.fromkeys(new))
                if new:
                    added[channel] = new
            else:
                for s in symbols:
                    current.pop(s, None)
        distinct = set().union(*proposed.values())
        if action == "subscribe" and len(distinct) > limit:
            raise SubscriptionError(SYMBOL_LIMIT)
        self._channels = proposed
        return added

    def confirmation(self) -> Wire:
        """`{"T":"subscription", …}` with every channel of the feed (the full state)."""
        message: Wire = {"T": "subscription"}
        for channel, symbols in self._channels.items():
            message[channel] = list(symbols)
        if self.family == "stocks":
            message["corrections"] = list(self._channels["trades"])
            message["cancelErrors"] = list(self._channels["trades"])
        return message
