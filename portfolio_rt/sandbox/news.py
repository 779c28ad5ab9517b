"""A synthetic news feed about the universe's symbols, in the shape of Alpaca's `/v1beta1/news`.

Each UTC day has its articles (36 on weekdays, 12 on weekends) drawn from (seed, day): their
minutes, the symbols they are about (popular ones far more often) and what kind of story they
are. The words come from the market itself when an article is read: a move is the symbol's real
change over the day before, a price target sits near its price, a dividend is its own yield. So
the same request gives the same articles, and they agree with the bars.

An article's `updated_at` follows its `created_at` by under a minute and its ids rise with time,
so the feed orders by `updated_at` (as Alpaca's page token does) and filters by `created_at`.
Articles are whole seconds, as Alpaca's are. URLs and images point at example.com: the articles
are made up.
"""

from __future__ import annotations

import base64
import binascii
import random
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import TYPE_CHECKING, Any, Final
from weakref import WeakKeyDictionary

from .data_params import bad_request
from .ticker import popularity_weights
from .wire import rfc3339

if TYPE_CHECKING:
    from collections.abc import Callable

    from .market import Market
    from .universe import Instrument

FIRST_DAY: Final = date(2015, 1, 1)
"""Article ids count days from here, so a sandbox's ids do not depend on its history's start."""
ID_BASE: Final = 20_000_000
PER_DAY: Final = {True: 36, False: 12}
"""Articles on a weekday, on a weekend day."""
SOURCE: Final = "sandbox"
_DAY_DRAW: Final = 0x4E57
_DAYS_KEPT: Final = 4096
_AUTHORS: Final = ("Dana Whitfield", "Marco Ruiz", "Priya Natarajan", "Sam Okafor", "Newsdesk")
_FIRMS: Final = ("Harbor Point Capital", "Northgate Research", "Summit Ridge Securities",
                 "Bayview Partners", "Keystone Analytics")  # fmt: skip
_RATINGS: Final = ("Buy", "Overweight", "Neutral", "Outperform", "Hold")
_STOCK_KINDS: Final = ("move", "move", "analyst", "earnings", "roundup", "dividend")
_CRYPTO_KINDS: Final = ("crypto", "crypto", "roundup")
_IMAGE_SIZES: Final = ("large", "small", "thumb")
_CENT: Final = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Article:
    """What a day's draw fixes about an article; its words are written when it is read."""

    id: int
    created_at: datetime
    updated_at: datetime
    symbols: tuple[str, ...]
    """Universe symbols (`BTC/USD`); the wire writes crypto as Alpaca does (`BTCUSD`)."""
    kind: str
    has_content: bool
    has_images: bool
    draw: int

    @property
    def key(self) -> tuple[datetime, int]:
        """The feed's order: `updated_at`, then id."""
        return self.updated_at, self.id


def encode_news_token(article: Article) -> str:
    """Alpaca's news token: base64 of `<updated_at in ns>|<id>`."""
    ns = (article.updated_at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return base64.b64encode(f"{ns * 1000}|{article.id}".encode()).decode()


def decode_news_token(token: str) -> tuple[datetime, int]:
    try:
        ns_text, _, id_text = (
            base64.b64decode(token.encode(), validate=True).decode().partition("|")
        )
        at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(ns_text) // 1000)
        return at, int(id_text)
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError) as exc:
        raise bad_request("invalid page_token") from exc


class NewsFeed:
    """The feed of one market: days drawn on demand and remembered.

    It keeps no reference to the market (the registry below is keyed weakly by it); reading an
    article's words takes the market as an argument.
    """

    def __init__(self, market: Market) -> None:
        self._seed = market.mix(None, _DAY_DRAW)
        self._history_start = market.history_start
        self._instruments = tuple(market.universe)
        weights = popularity_weights(self._instruments)
        self._cum = tuple(accumulate(w * w for w in weights))
        self._days: dict[date, tuple[Article, ...]] = {}

    def day(self, d: date) -> tuple[Article, ...]:
        """The day's articles (UTC), in time order."""
        found = self._days.get(d)
        if found is None:
            if len(self._days) >= _DAYS_KEPT:
                self._days.clear()
            found = self._days[d] = self._draw_day(d)
        return found

    # -- the draw ----------------------------------------------------------------------------

    def _pick(self, rng: random.Random) -> Instrument:
        return self._instruments[bisect_right(self._cum, rng.random() * self._cum[-1])]

    def _draw_day(self, d: date) -> tuple[Article, ...]:
        index = (d - FIRST_DAY).days
        rng = random.Random(f"{self._seed}:{index}")
        count = PER_DAY[d.weekday() < 5]
        minutes = sorted(rng.sample(range(24 * 60), count))
        midnight = datetime.combine(d, time(0), UTC)
        out: list[Article] = []
        for k, minute in enumerate(minutes):
            created = midnight + timedelta(minutes=minute, seconds=rng.randrange(30))
            updated = created + timedelta(seconds=rng.randrange(30))
            first = self._pick(rng)
            crypto = first.asset_class == "crypto"
            kinds = _CRYPTO_KINDS if crypto else _STOCK_KINDS
            kind = kinds[rng.randrange(len(kinds))]
            if kind == "dividend" and first.dividend_yield <= 0:
                kind = "move"
            symbols = [first.symbol]
            if kind == "roundup":
                for _ in range(2):
                    other = self._pick(rng)
                    if other.symbol not in symbols and (other.asset_class == "crypto") == crypto:
                        symbols.append(other.symbol)
            out.append(
                Article(
                    id=ID_BASE + index * 100 + k,
                    created_at=created,
                    updated_at=updated,
                    symbols=tuple(symbols),
                    kind=kind,
                    has_content=rng.random() < 0.85,
                    has_images=rng.random() < 0.6,
                    draw=rng.getrandbits(32),
                )
            )
        return tuple(out)

    # -- reading -----------------------------------------------------------------------------

    def articles(
        self,
        start: datetime,
        end: datetime,
        *,
        desc: bool,
        symbols: frozenset[str] | None = None,
        with_content: bool = False,
        after: tuple[datetime, int] | None = None,
    ) -> Iterator[Article]:
        """Articles created in [start, end] and updated by `end`, in the feed's order (after
        `after`, a page token's key), about any of `symbols` when given."""
        first = max(start.astimezone(UTC).date(), self._history_start)
        last = end.astimezone(UTC).date()
        days = (last - first).days + 1
        for offset in range(days - 1, -1, -1) if desc else range(days):
            items = self.day(first + timedelta(days=offset))
            for article in reversed(items) if desc else items:
                if not start <= article.created_at <= end or article.updated_at > end:
                    continue
                if after is not None and (article.key >= after if desc else article.key <= after):
                    continue
                if symbols is not None and symbols.isdisjoint(article.symbols):
                    continue
                if with_content and not article.has_content:
                    continue
                yield article

    @staticmethod
    def render(market: Market, article: Article, include_content: bool) -> dict[str, Any]:
        """The article as Alpaca writes it; `content` is "" unless asked for (and present)."""
        story = _Story(market, article)
        headline, summary, detail = story.write()
        content = ""
        if include_content and article.has_content:
            content = f"<p>{summary}</p><p>{detail}</p>"
        images = []
        if article.has_images:
            images = [
                {"size": size, "url": f"https://example.com/news/images/{article.id}/{size}.jpg"}
                for size in _IMAGE_SIZES
            ]
        slug = re.sub(r"[^a-z0-9]+", "-", headline.lower()).strip("-")[:80]
        return {
            "id": article.id,
            "headline": headline,
            "author": _AUTHORS[article.draw % len(_AUTHORS)],
            "created_at": rfc3339(article.created_at),
            "updated_at": rfc3339(article.updated_at),
            "summary": summary,
            "content": content,
            "url": f"https://example.com/news/{article.id}/{slug}",
            "images": images,
            "symbols": [wire_symbol(s) for s in article.symbols],
            "source": SOURCE,
        }


def wire_symbol(symbol: str) -> str:
    """How Alpaca's news names a symbol: crypto pairs without the slash (`BTCUSD`)."""
    return symbol.replace("/", "")


_FEEDS: WeakKeyDictionary[Market, NewsFeed] = WeakKeyDictionary()


def feed_of(market: Market) -> NewsFeed:
    """The market's feed, kept while the market lives (its days are remembered)."""
    feed = _FEEDS.get(market)
    if feed is None:
        feed = _FEEDS[market] = NewsFeed(market)
    return feed


# ------------------------------------------------------------------------------- the words


def _short_name(inst: Instrument) -> str:
    name = inst.name.removesuffix(" Common Stock")
    return name.split(" / ")[0] if inst.asset_class == "crypto" else name


def _money_text(value: Decimal) -> str:
    return f"${value.quantize(_CENT):,}"


@dataclass(frozen=True)
class _Story:
    """The words of one article, from the market at the article's time."""

    market: Market
    article: Article

    def _move(self, symbol: str) -> tuple[Decimal, Decimal]:
        """(price at the article's time, percent change over the day before)."""
        at = self.article.created_at
        price = self.market.price_at(symbol, at)
        before = self.market.price_at(symbol, at - timedelta(days=1))
        change = (price / before - 1) * 100 if before else Decimal(0)
        return price, change.quantize(Decimal("0.1"))

    def write(self) -> tuple[str, str, str]:
        """(headline, summary, a closing paragraph)."""
        article = self.article
        symbol = article.symbols[0]
        inst = self.market.instrument(symbol)
        name, tag = _short_name(inst), wire_symbol(symbol)
        price, change = self._move(symbol)
        up = change >= 0
        moved = f"{'up' if up else 'down'} {abs(change)}%"
        detail = f"{tag} last traded at {_money_text(price)}, {moved} over the past 24 hours."
        draw = article.draw
        writer: Callable[[], tuple[str, str]] = {
            "move": lambda: (
                f"{name} ({tag}) shares are trading {'higher' if up else 'lower'}",
                f"{name} shares were {moved} at {_money_text(price)} as traders weighed "
                f"the {inst.sector or 'market'} outlook.",
            ),
            "analyst": lambda: self._analyst(name, tag, price, draw),
            "earnings": lambda: (
                f"{name} ({tag}) to report quarterly results next week",
                f"{name} is scheduled to post quarterly earnings; the stock is {moved} "
                f"at {_money_text(price)} ahead of the report.",
            ),
            "dividend": lambda: self._dividend(inst, name, tag, price),
            "roundup": lambda: self._roundup(),
            "crypto": lambda: (
                f"{name} {'climbs' if up else 'slips'} {abs(change)}% to {_money_text(price)}",
                f"{name} traded at {_money_text(price)}, {moved} over the past 24 hours.",
            ),
        }[article.kind]
        headline, summary = writer()
        return headline, summary, detail

    def _analyst(self, name: str, tag: str, price: Decimal, draw: int) -> tuple[str, str]:
        firm = _FIRMS[(draw >> 3) % len(_FIRMS)]
        rating = _RATINGS[(draw >> 6) % len(_RATINGS)]
        raise_it = (draw >> 9) % 3 != 0
        share = Decimal(5 + (draw >> 11) % 20) / 100
        target = price * (1 + share if raise_it else 1 - share / 2)
        target = target.quantize(Decimal(1) if target >= 20 else _CENT)
        verb = "raises" if raise_it else "lowers"
        return (
            f"{firm} {verb} {tag} price target to ${target:,}, rates {rating}",
            f"{firm} {verb} its price target on {name} to ${target:,} and rates the stock "
            f"{rating}; shares last traded at {_money_text(price)}.",
        )

    def _dividend(self, inst: Instrument, name: str, tag: str, price: Decimal) -> tuple[str, str]:
        per_share = (price * Decimal(str(inst.dividend_yield)) / 4).quantize(Decimal("0.0001"))
        return (
            f"{name} ({tag}) declares quarterly dividend of ${per_share} per share",
            f"{name} declared a quarterly dividend of ${per_share} per share, about "
            f"{inst.dividend_yield * 100:.1f}% a year at {_money_text(price)}.",
        )

    def _roundup(self) -> tuple[str, str]:
        parts = []
        for symbol in self.article.symbols:
            price, change = self._move(symbol)
            sign = "+" if change >= 0 else "-"
            parts.append(f"{wire_symbol(symbol)} {sign}{abs(change)}% at {_money_text(price)}")
        tags = ", ".join(wire_symbol(s) for s in self.article.symbols)
        return f"Movers to watch: {tags}", "; ".join(parts) + "."
