"""The async Alpaca gateway: typed reads (cached, single-flight) and writes, as alpaca-py models.

Every answer is parsed into alpaca-py's pydantic models, so a change in Alpaca's JSON is one
clear `BrokerBadResponse`, never a wrong number further down.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeAlias, TypeVar
from urllib.parse import quote
from uuid import UUID

import structlog
from alpaca.broker.models import Account, ACHRelationship, Order, TradeAccount, Transfer
from alpaca.trading.models import (
    AllAccountsPositions,
    Asset,
    Clock,
    NonTradeActivity,
    PortfolioHistory,
    Position,
    TradeActivity,
)
from pydantic import TypeAdapter, ValidationError

from ..config import BrokerSettings
from ..core.errors import BrokerBadResponse, NotFound
from ..core.periods import NEW_YORK
from .bars import DailyCloses, intraday_closes
from .circuit import CircuitState
from .http import AlpacaHttp, Params
from .read_cache import Fetched, ReadCache
from .snapshots import latest_prices

log = structlog.get_logger("portfolio_rt.broker")

M = TypeVar("M")
Activity: TypeAlias = TradeActivity | NonTradeActivity

_POSITIONS = TypeAdapter(list[Position])
_ORDERS = TypeAdapter(list[Order])
_ACH = TypeAdapter(list[ACHRelationship])
_ASSETS = TypeAdapter(list[Asset])
_MAX_PAGES = 1000
_TRANSFERS = TypeAdapter(list[Transfer])
_TRADE_ACTIVITY = TypeAdapter(TradeActivity)
_NON_TRADE_ACTIVITY = TypeAdapter(NonTradeActivity)
# The benchmark's bars for each portfolio-history timeframe (intraday: the chart's own step).
_BENCHMARK_BARS = {"5Min": "5Min", "15Min": "15Min", "1H": "1Hour", "1Min": "1Min"}


@dataclass(frozen=True)
class HistoryQuery:
    """Query parameters of Alpaca's portfolio-history call, already mapped from a page range."""

    timeframe: str
    period: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    intraday_reporting: str = "market_hours"
    pnl_reset: str = "no_reset"
    cashflow_types: str | None = None

    def params(self) -> dict[str, str]:
        out = {
            "timeframe": self.timeframe,
            "intraday_reporting": self.intraday_reporting,
            "pnl_reset": self.pnl_reset,
        }
        if self.period:
            out["period"] = self.period
        if self.start:
            out["start"] = self.start.isoformat()
        if self.end:
            out["end"] = self.end.isoformat()
        if self.cashflow_types:
            out["cashflow_types"] = self.cashflow_types
        return out


@dataclass(frozen=True)
class OrdersQuery:
    status: str = "all"
    limit: int = 50
    after: datetime | None = None
    until: datetime | None = None
    direction: str = "desc"
    side: str | None = None
    symbols: tuple[str, ...] = ()

    def params(self) -> dict[str, str | int]:
        out: dict[str, str | int] = {
            "status": self.status,
            "limit": self.limit,
            "direction": self.direction,
            "nested": "false",
        }
        if self.after:
            out["after"] = self.after.isoformat()
        if self.until:
            out["until"] = self.until.isoformat()
        if self.side:
            out["side"] = self.side
        if self.symbols:
            out["symbols"] = ",".join(self.symbols)
        return out


@dataclass(frozen=True)
class ActivitiesQuery:
    activity_types: tuple[str, ...] = ()
    page_size: int = 50
    page_token: str | None = None
    direction: str = "desc"
    after: date | None = None
    until: date | None = None

    def params(self, account_id: UUID) -> dict[str, str | int]:
        out: dict[str, str | int] = {
            "account_id": str(account_id),
            "page_size": self.page_size,
            "direction": self.direction,
        }
        if self.activity_types:
            out["activity_types"] = ",".join(self.activity_types)
        if self.page_token:
            out["page_token"] = self.page_token
        if self.after:
            out["after"] = self.after.isoformat()
        if self.until:
            out["until"] = self.until.isoformat()
        return out


def decimal_of(value: float | str | Decimal | None) -> Decimal | None:
    """Alpaca's numbers as Decimal; floats go through `repr`, which round-trips the decimal
    string Alpaca sent (money has far fewer than 15 significant digits)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value) if isinstance(value, float) else value)


def enum_value(value: Any) -> str | None:
    """An alpaca-py enum (or a plain string where the model keeps one) as Alpaca's string."""
    return None if value is None else str(getattr(value, "value", value))


class BrokerGateway:
    """Reads and writes one Alpaca Broker account's data for the API and background tasks."""

    def __init__(
        self,
        http: AlpacaHttp,
        cache: ReadCache,
        settings: BrokerSettings,
        data_feed: str = "iex",
    ) -> None:
        self.http = http
        self.cache = cache
        self.daily_closes = DailyCloses(http, data_feed)
        self._data_feed = data_feed
        self._ttl = settings.cache_ttl_s
        self._history_ttl = settings.history_cache_ttl_s
        self._asset_ttl = settings.asset_cache_ttl_s
        self._not_found_ttl = settings.not_found_ttl_s

    # -- reads -------------------------------------------------------------------------------

    async def account(self, account_id: UUID) -> Fetched[Account]:
        path = f"/v1/accounts/{account_id}"
        return await self._read(("account", account_id), self._ttl, path, None, _account)

    async def trade_account(self, account_id: UUID) -> Fetched[TradeAccount]:
        path = f"/v1/trading/accounts/{account_id}/account"
        return await self._read(
            ("trade_account", account_id), self._ttl, path, None, TradeAccount.model_validate
        )

    async def positions(self, account_id: UUID) -> Fetched[list[Position]]:
        path = f"/v1/trading/accounts/{account_id}/positions"
        return await self._read(
            ("positions", account_id), self._ttl, path, None, _POSITIONS.validate_python
        )

    async def portfolio_history(
        self, account_id: UUID, query: HistoryQuery
    ) -> Fetched[PortfolioHistory]:
        path = f"/v1/trading/accounts/{account_id}/account/portfolio/history"
        return await self._read(
            ("history", account_id, query),
            self._history_ttl,
            path,
            query.params(),
            PortfolioHistory.model_validate,
        )

    async def orders(self, account_id: UUID, query: OrdersQuery) -> Fetched[list[Order]]:
        path = f"/v1/trading/accounts/{account_id}/orders"
        return await self._read(
            ("orders", account_id, query), self._ttl, path, query.params(), _ORDERS.validate_python
        )

    async def activities(self, account_id: UUID, query: ActivitiesQuery) -> Fetched[list[Activity]]:
        return await self._read(
            ("activities", account_id, query),
            self._ttl,
            "/v1/accounts/activities",
            query.params(account_id),
            _parse_activities,
        )

    async def all_activities(
        self, account_id: UUID, activity_types: tuple[str, ...]
    ) -> Fetched[list[Activity]]:
        """Every activity of these types since the account opened, oldest first (all pages:
        Alpaca's page_token is the last id of the previous page)."""

        async def fetch() -> list[Activity]:
            out: list[Activity] = []
            token: str | None = None
            for _ in range(_MAX_PAGES):
                query = ActivitiesQuery(
                    activity_types=activity_types,
                    page_size=100,
                    page_token=token,
                    direction="asc",
                )
                path = "/v1/accounts/activities"
                data = await self.http.get("broker", path, query.params(account_id))
                page = _parse(_parse_activities, data, path)
                out.extend(page)
                if len(page) < 100:
                    return out
                token = page[-1].id
            log.warning("broker.activities_truncated", pages=_MAX_PAGES)
            return out

        key = ("all_activities", account_id, activity_types)
        return await self.cache.get(key, self._ttl, fetch)

    async def assets(self) -> Fetched[dict[str, Asset]]:
        """Every active asset by symbol (one call, cached for hours): names for holdings."""

        def index(data: Any) -> dict[str, Asset]:
            return {a.symbol: a for a in _ASSETS.validate_python(data)}

        params = {"status": "active"}
        us = await self._read(("assets", "us_equity"), self._asset_ttl, "/v1/assets", params, index)
        crypto = await self._read(
            ("assets", "crypto"),
            self._asset_ttl,
            "/v1/assets",
            params | {"asset_class": "crypto"},
            index,
        )
        return Fetched(
            us.value | crypto.value,
            min(us.fetched_at, crypto.fetched_at),
            stale=us.stale or crypto.stale,
            from_cache=us.from_cache and crypto.from_cache,
            refresh_at=min(us.refresh_at, crypto.refresh_at),
        )

    async def ach_relationships(self, account_id: UUID) -> Fetched[list[ACHRelationship]]:
        path = f"/v1/accounts/{account_id}/ach_relationships"
        return await self._read(("ach", account_id), self._ttl, path, None, _ACH.validate_python)

    async def is_linked(self, account_id: UUID, relationship_id: UUID) -> bool:
        """Whether the bank account is linked to this account. A miss reads the list again:
        another instance may have linked it a moment ago, after this one cached the list."""
        for fresh in (False, True):
            if fresh:
                self.cache.invalidate(lambda key: key == ("ach", account_id))
            linked = await self.ach_relationships(account_id)
            if any(r.id == relationship_id for r in linked.value):
                return True
        return False

    async def transfers(self, account_id: UUID, limit: int = 100) -> Fetched[list[Transfer]]:
        path = f"/v1/accounts/{account_id}/transfers"
        params = {"limit": limit, "offset": 0}
        return await self._read(
            ("transfers", account_id, limit), self._ttl, path, params, _TRANSFERS.validate_python
        )

    async def asset(self, symbol_or_id: str) -> Fetched[Asset]:
        key = symbol_or_id.upper()
        if not key.strip("."):  # "." and ".." are no asset, and would climb the broker's path
            raise NotFound("There is no such asset.")
        path = f"/v1/assets/{quote(key, safe='')}"  # one path segment, whatever it holds
        return await self._read(
            ("asset", key),
            self._asset_ttl,
            path,
            None,
            Asset.model_validate,
            not_found_ttl_s=self._not_found_ttl,
        )

    async def clock(self) -> Fetched[Clock]:
        return await self._read(("clock",), self._ttl, "/v1/clock", None, Clock.model_validate)

    async def all_positions_page(self, page: int) -> AllAccountsPositions:
        """One page of every account's positions (uncached: the collector's own cadence)."""
        data = await self.http.get("broker", "/v1/accounts/positions", {"page": page})
        return _parse(AllAccountsPositions.model_validate, data, "/v1/accounts/positions")

    async def latest_prices(self, symbols: Iterable[str]) -> dict[str, float]:
        """Each symbol's latest trade price (else quote midpoint) from the REST snapshots."""
        return await latest_prices(self.http, symbols, self._data_feed)

    async def benchmark_closes(
        self, symbol: str, timeframe: str, stamps: Sequence[int], now: datetime
    ) -> list[tuple[int, float]]:
        """A benchmark's closes over a chart's span as (epoch seconds, close): daily closes
        (kept for the day) for daily charts, same-step bars (cached briefly) for intraday."""
        if not stamps:  # one point is enough: the range ends at the live value after it
            return []
        first = datetime.fromtimestamp(stamps[0], UTC)
        if timeframe == "1D":
            today = now.astimezone(NEW_YORK).date()
            days = (today - first.astimezone(NEW_YORK).date()).days + 7

            async def daily() -> list[tuple[int, float]]:
                closes = await self.daily_closes.closes([symbol], today, days=days)
                return [
                    (int(datetime.combine(d, time(), NEW_YORK).timestamp()), c)
                    for d, c in closes.get(symbol, [])
                ]

            # Cached as converted: years of daily points are not re-stamped on every read.
            daily_key = ("benchmark", symbol, "1Day", today, days)
            return (await self.cache.get(daily_key, self._ttl, daily)).value
        bars = _BENCHMARK_BARS.get(timeframe)
        if bars is None:
            return []
        start = first - timedelta(days=4)  # the close before the first point, over a weekend

        async def fetch() -> list[tuple[int, float]]:
            return await intraday_closes(self.http, symbol, start, now, bars, self._data_feed)

        key = ("benchmark", symbol, bars, stamps[0])
        return (await self.cache.get(key, self._ttl, fetch)).value

    @property
    def circuit(self) -> CircuitState:
        """The breaker in front of Alpaca: closed while calls go through."""
        return self.http.breaker.state

    # -- writes (never retried, never cached) ------------------------------------------------

    async def create_ach_relationship(
        self,
        account_id: UUID,
        *,
        owner_name: str,
        bank_account_type: str,
        account_number: str,
        routing_number: str,
        nickname: str | None = None,
    ) -> ACHRelationship:
        body: dict[str, Any] = {
            "account_owner_name": owner_name,
            "bank_account_type": bank_account_type,
            "bank_account_number": account_number,
            "bank_routing_number": routing_number,
        }
        if nickname:
            body["nickname"] = nickname
        path = f"/v1/accounts/{account_id}/ach_relationships"
        data = await self.http.post("broker", path, body)
        self.invalidate_account(account_id)
        return _parse(ACHRelationship.model_validate, data, path)

    async def create_deposit(
        self, account_id: UUID, *, amount: Decimal, relationship_id: UUID
    ) -> Transfer:
        body = {
            "transfer_type": "ach",
            "relationship_id": str(relationship_id),
            "amount": format(amount, "f"),
            "direction": "INCOMING",
            "timing": "immediate",
        }
        path = f"/v1/accounts/{account_id}/transfers"
        data = await self.http.post("broker", path, body)
        self.invalidate_account(account_id)
        return _parse(Transfer.model_validate, data, path)

    def invalidate_account(self, account_id: UUID) -> int:
        """Forget every cached answer about one account (after it moves money or trades)."""
        return self.cache.invalidate(
            lambda key: isinstance(key, tuple) and len(key) > 1 and key[1] == account_id
        )

    # -- plumbing ----------------------------------------------------------------------------

    async def _read(
        self,
        key: Hashable,
        ttl_s: float,
        path: str,
        params: Params | None,
        parse: Callable[[Any], M],
        *,
        not_found_ttl_s: float = 0.0,
    ) -> Fetched[M]:
        async def fetch() -> M:
            return _parse(parse, await self.http.get("broker", path, params), path)

        return await self.cache.get(key, ttl_s, fetch, not_found_ttl_s=not_found_ttl_s)


def _account(data: Any) -> Account:
    # alpaca-py's Account has a hand-written, untyped __init__ that reads the keys itself.
    return Account(**data)  # type: ignore[no-untyped-call, unused-ignore]


def _parse_activities(data: Any) -> list[Activity]:
    if not isinstance(data, list):
        raise TypeError("expected a list of activities")
    out: list[Activity] = []
    for item in data:
        if item.get("activity_type") == "FILL":
            out.append(_TRADE_ACTIVITY.validate_python(item))
        else:
            out.append(_NON_TRADE_ACTIVITY.validate_python(item))
    return out


def _parse(parse: Callable[[Any], M], data: Any, path: str) -> M:
    """Turn Alpaca's JSON into a model; any mismatch is one clear upstream error."""
    try:
        return parse(data)
    except (ValidationError, KeyError, TypeError, ValueError, AttributeError) as exc:
        log.error("broker.unexpected_shape", path=path, error=str(exc)[:500])
        raise BrokerBadResponse(
            "Alpaca sent a response in an unexpected shape.", details={"upstream": path}
        ) from None
