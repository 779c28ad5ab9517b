"""The crypto stream's `orderbooks` channel (`"T":"o"`): a full book, then changes.

A new subscriber gets the whole book (`"r": true`); after that every quote of the pair moves the
book (`order_books.book_at`), and the levels that changed are sent to all its subscribers: new
or resized levels with their size, removed ones with size 0, as Alpaca's update messages do.
The last book sent of each pair is kept, so a late subscriber's snapshot is exactly what the
others' updates have built.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .market import Quote
from .order_books import Level, OrderBook, book_at, changes
from .stream_codec import Wire
from .wire import msgpack_time


def _levels(levels: Sequence[Level]) -> list[dict[str, float]]:
    return [{"p": float(level.price), "s": float(level.size)} for level in levels]


def orderbook_wire(
    book: OrderBook, bids: Sequence[Level], asks: Sequence[Level], reset: bool
) -> Wire:
    """`{"T":"o","S","t","b","a"}`, with `"r": true` on a full book."""
    message: Wire = {
        "T": "o",
        "S": book.symbol,
        "t": msgpack_time(book.t, book.nanos),
        "b": _levels(bids),
        "a": _levels(asks),
    }
    if reset:
        message["r"] = True
    return message


class OrderBookFeed:
    """The last book sent of each followed pair."""

    def __init__(self) -> None:
        self._books: dict[str, OrderBook] = {}

    def snapshot(self, symbol: str, quote: Quote | None) -> Wire | None:
        """The whole book for a new subscriber: the one in effect, else the book at `quote`."""
        book = self._books.get(symbol)
        if book is None:
            if quote is None:
                return None
            book = self._books[symbol] = book_at(symbol, quote)
        return orderbook_wire(book, book.bids, book.asks, reset=True)

    def update(self, quote: Quote) -> Wire | None:
        """The changes `quote` makes to a followed pair's book (None if none or not followed)."""
        before = self._books.get(quote.symbol)
        if before is None or quote.t < before.t:
            return None
        after = book_at(quote.symbol, quote)
        self._books[quote.symbol] = after
        bids, asks = changes(before, after)
        if not bids and not asks:
            return None
        return orderbook_wire(after, bids, asks, reset=False)

    def retain(self, keep: Callable[[str], bool]) -> None:
        """Forget the books of pairs nobody subscribes to any more."""
        for symbol in [s for s in self._books if not keep(s)]:
            del self._books[symbol]


__all__ = ["OrderBookFeed", "orderbook_wire"]
