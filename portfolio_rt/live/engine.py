"""The real-time engine of one instance, assembled: price map, holdings index, collector,
revaluer, hub, the market feed and the broker events consumer (when this instance reads them)
and the Redis bus.

With no Redis, this instance reads the market stream and the broker events itself. With
Redis, the instance holding the lease reads both, fans prices and applied events out, and
reconciles the holdings index; every instance revalues and pushes to its own clients, and
applies the events to its own caches, watched accounts and sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

import structlog
from aiohttp import ClientSession
from redis.asyncio import Redis

from ..broker.endpoints import AlpacaEndpoints
from ..broker.gateway import BrokerGateway, decimal_of
from ..config import Settings
from ..core.errors import BrokerUnavailable
from ..core.symbols import is_crypto
from ..core.tasks import BackgroundTask
from ..ops.metrics import Metrics
from ..stream.market_hours import MarketHours
from ..stream.reader import StreamReader
from . import messages
from .accounts import AccountFacts, load_account, load_cash
from .bus import RedisBus
from .change_log import ChangeLog, MemoryChangeLog, RedisChangeLog
from .changes import AccountChange
from .collector import SymbolCollector
from .connection import LiveConnection
from .events import EventsConsumer
from .feed import MarketFeed
from .holdings import HoldingsIndex
from .hub import LiveHub
from .messages import Status
from .prices import PriceMap
from .revaluer import CashLoader, Loader, Revaluer

log = structlog.get_logger("portfolio_rt.live")


class StatusWatch(BackgroundTask):
    """Pushes a status message to every socket when the feed's status or the market changes,
    and drops clients whose writes have stalled."""

    name = "status-watch"

    def __init__(self, engine: RealtimeEngine, every_s: float = 0.5) -> None:
        super().__init__()
        self._engine = engine
        self._every_s = every_s

    async def _run(self) -> None:
        engine = self._engine
        loop = asyncio.get_running_loop()
        send_timeout_s = engine.settings.realtime.send_timeout_s
        while True:
            await asyncio.sleep(self._every_s)
            engine.check_status()
            dropped = engine.hub.sweep(loop.time(), send_timeout_s)
            if dropped and engine.metrics is not None:
                for _ in range(dropped):
                    engine.metrics.ws_client_dropped("stuck")


class RealtimeEngine:
    """Everything behind the live socket; `start` and `close` are wired in `cleanup_ctx`."""

    def __init__(
        self,
        settings: Settings,
        *,
        gateway: Callable[[], BrokerGateway] | None,
        session: ClientSession | None,
        endpoints: AlpacaEndpoints | None,
        redis: Redis | None = None,
        instance_id: str | None = None,
        loader: Loader | None = None,
        cash_loader: CashLoader | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.instance_id = instance_id or secrets.token_hex(6)
        self._gateway = gateway
        self.prices = PriceMap()
        self.index = HoldingsIndex()
        self.hub = LiveHub()
        clock = self._equities_open if gateway is not None else None
        self.market = MarketHours(clock, settings.stream.clock_poll_s)
        self.revaluer = Revaluer(
            self.prices,
            self.index,
            self.hub,
            settings.realtime,
            loader or self._load,
            on_index_changed=self.sync_subscriptions,
            refresh_after_s=self._refresh_after_s,
            cash_loader=cash_loader or (self._load_cash if gateway is not None else None),
            events_flowing=self.events_flowing,
        )
        self.hub.on_unwatch = self.revaluer.unwatch
        if metrics is not None:
            self.hub.on_written = lambda count: metrics.ws_pushed("update", count)
            self.hub.on_written_positions = lambda count: metrics.ws_pushed("positions", count)
            self.revaluer.on_step = metrics.realtime_flushed
        self.collector = (
            SymbolCollector(
                gateway,
                self.index,
                self._collect_every_s,
                self._collected,
                keep=lambda: list(self.revaluer.books),
            )
            if gateway is not None
            else None
        )
        self.feed: MarketFeed | None = None
        if settings.stream.enabled and endpoints is not None and session is not None:
            gw = gateway

            async def fetch_prices(symbols: set[str]) -> dict[str, float]:
                assert gw is not None
                return await gw().latest_prices(symbols)

            self.feed = MarketFeed(
                settings,
                session=session,
                stocks_url=endpoints.stream_url,
                crypto_url=endpoints.crypto_stream_url,
                key=endpoints.api_key,
                secret=endpoints.secret_key,
                prices=self.prices,
                market=self.market,
                fetch_prices=fetch_prices if gw is not None else None,
                rank=self._symbol_rank,
                on_state=self._reader_state,
                metrics=metrics,
            )
        self.bus = (
            RedisBus(
                redis,
                settings.realtime,
                settings.redis.prefix,
                self.instance_id,
                self.prices,
                on_elected=self._elected,
                on_deposed=self._deposed,
                status=self.feed_status,
                events_ok=self.events_flowing,
                on_change=self._heard_change,
            )
            if redis is not None
            else None
        )
        self.change_log: ChangeLog = (
            RedisChangeLog(redis, settings.redis.prefix, self.bus.keys.channel, self.instance_id)
            if redis is not None and self.bus is not None
            else MemoryChangeLog()
        )
        self.events: EventsConsumer | None = None
        if settings.events.enabled and endpoints is not None and session is not None:
            self.events = EventsConsumer(
                settings.events,
                session=session,
                endpoints=endpoints,
                change_log=self.change_log,
                apply=self.apply_change,
                reconcile=self.reconcile,
                metrics=metrics,
            )
        self.status_watch = StatusWatch(self)
        self._announced: tuple[Status, bool] | None = None
        self._reindexing: set[asyncio.Task[None]] = set()

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def _leader_runs_collector(self) -> bool:
        """With events and Redis the collection is the leader's reconciliation; otherwise
        (one instance, or polling without events) every instance collects."""
        return self.bus is not None and self.events is not None

    async def start(self) -> None:
        self.market.start()
        if self.collector is not None and not self._leader_runs_collector:
            self.collector.start()
        self.revaluer.start()
        self.status_watch.start()
        if self.bus is not None:
            self.bus.start()
        else:
            if self.feed is not None:
                self.feed.start()
            if self.events is not None:
                self.events.start()
        log.info(
            "realtime.started",
            instance=self.instance_id,
            redis=self.bus is not None,
            stream=self.feed is not None,
            events=self.events is not None,
        )

    async def close(self) -> None:
        for task in list(self._reindexing):
            task.cancel()
        if self.bus is not None:
            await self.bus.close()
        if self.events is not None:
            await self.events.close()
        if self.feed is not None:
            await self.feed.close()
        await self.status_watch.close()
        await self.revaluer.close()
        if self.collector is not None:
            await self.collector.close()
        await self.market.close()

    async def _elected(self) -> None:
        if self.feed is not None and not self.feed.started:
            self.sync_subscriptions()
            self.feed.start()
        if self.events is not None and not self.events.started:
            self.events.start()
        if self.collector is not None and self._leader_runs_collector:
            self.collector.start()  # its first collection reconciles what the new leader holds

    async def _deposed(self) -> None:
        if self.feed is not None and self.feed.started:
            await self.feed.close()
        if self.events is not None and self.events.started:
            await self.events.close()
        if self.collector is not None and self._leader_runs_collector:
            await self.collector.close()

    # -- wiring ------------------------------------------------------------------------------
    async def _equities_open(self) -> bool:
        assert self._gateway is not None
        clock = await self._gateway().clock()
        return bool(clock.value.is_open)

    async def _load(self, account: str, fresh: bool) -> AccountFacts:
        assert self._gateway is not None
        return await load_account(self._gateway(), account, fresh=fresh)

    async def _load_cash(self, account: str) -> tuple[Decimal, Decimal]:
        assert self._gateway is not None
        return await load_cash(self._gateway(), account)

    def _collected(self, changed: set[str]) -> None:
        collector = self.collector
        if self.events_flowing() and collector is not None and collector.collections > 1:
            # With events flowing the index should already agree: each difference is an
            # event that went missing somewhere.
            if changed:
                log.warning("realtime.reconcile_drift", accounts=len(changed))
            if self.metrics is not None:
                self.metrics.drift_found(len(changed))
        self.revaluer.reindex(changed)
        self.sync_subscriptions()

    # -- broker events -----------------------------------------------------------------------
    def events_flowing(self) -> bool:
        """Whether broker events reach this instance as they happen (its own consumer, or the
        leader's as it last said)."""
        if self.events is not None and self.events.started:
            return self.events.healthy
        return self.bus is not None and self.bus.leader_events_ok()

    def _collect_every_s(self) -> float:
        realtime = self.settings.realtime
        flowing = self.events_flowing()
        return realtime.reconcile_interval_s if flowing else realtime.collector_interval_s

    def _refresh_after_s(self) -> float:
        realtime = self.settings.realtime
        flowing = self.events_flowing()
        return realtime.reconcile_interval_s if flowing else realtime.account_refresh_s

    def apply_change(self, change: AccountChange) -> None:
        """A broker event, applied on this instance: its cached answers about the account are
        dropped, a fill's position is set in the index, a watched account whose cash or
        positions moved is read again (and revalued), and its sockets are told what changed."""
        account = change.account_id
        if self._gateway is not None:
            with contextlib.suppress(BrokerUnavailable):
                self._gateway().invalidate_account(UUID(account))
        if change.symbol is not None and change.position_qty is not None:
            self.revaluer.set_position(account, change.symbol, change.position_qty)
        elif "positions" in change.what and not self.revaluer.watching(account):
            self._reindex_later(account)
        if change.refresh:
            self.revaluer.refresh(account, cash_only=change.refresh == "cash")
        self.hub.send_to_account(account, messages.changed(change.what))

    def _reindex_later(self, account: str) -> None:
        """Shares moved without a position in the event (a share journal, a split): the
        instance that keeps the whole index (the one reading the events) reads that
        account's positions once. A watched account is read whole by its refresh."""
        if self._gateway is None or self.events is None or not self.events.started:
            return
        task = asyncio.create_task(self._reindex(account))
        self._reindexing.add(task)
        task.add_done_callback(self._reindexing.discard)

    async def _reindex(self, account: str) -> None:
        assert self._gateway is not None
        try:
            positions = (await self._gateway().positions(UUID(account))).value
        except Exception as exc:  # the reconciliation puts it right later
            log.warning("events.reindex_failed", account=account, error=type(exc).__name__)
            return
        held = {p.symbol: float(decimal_of(p.qty) or 0) for p in positions}
        if self.index.set_account(account, {s: q for s, q in held.items() if q}):
            self.sync_subscriptions()

    def _heard_change(self, wire: dict[str, object]) -> None:
        """Another instance applied a broker event: apply it here too."""
        try:
            change = AccountChange.from_wire(wire)
        except (KeyError, TypeError, ValueError):
            log.warning("events.bad_change_message")
            return
        if isinstance(self.change_log, RedisChangeLog):
            self.change_log.saw(change)
        self.apply_change(change)

    async def reconcile(self) -> None:
        """Broker events were lost (a gap no replay covers): collect every account's positions
        again, and read every watched account's facts again."""
        if self.collector is not None:
            try:
                await self.collector.collect_once()
            except Exception as exc:  # the collector's own schedule tries again
                log.warning("events.reconcile_failed", error=type(exc).__name__)
        for account in list(self.revaluer.books):
            self.revaluer.refresh(account)
            self.hub.send_to_account(
                account, messages.changed(("positions", "orders", "activities", "transfers"))
            )

    def events_readiness(self) -> dict[str, object]:
        """The broker events as /ready reports them (informative: always ok)."""
        if self.events is None:
            return {"ok": True, "role": "disabled"}
        if not self.events.started:
            return {"ok": True, "role": "follower", "flowing": self.events_flowing()}
        out = self.events.readiness() | {"ok": True, "flowing": self.events.healthy}
        out["role"] = "leader" if self.bus is not None else "single"
        return out

    def event_streams(self) -> dict[str, str]:
        """Each broker event stream this instance follows, and its state (metrics)."""
        if self.events is None or not self.events.started:
            return {}
        return {stream: f.state for stream, f in self.events.followers.items()}

    def _symbol_rank(self, symbol: str) -> int:
        """Which symbols stay on a stream that cannot carry all (405): those with the most
        connected holders first, then the most holders overall."""
        return self.revaluer.watchers.count(symbol) * 1_000_000_000 + (
            self.index.holder_count(symbol)
        )

    def sync_subscriptions(self) -> None:
        """Subscriptions follow the index: every held symbol is wanted on the stream."""
        if self.feed is not None:
            self.feed.want(self.index.symbols())

    def _reader_state(self, _reader: StreamReader) -> None:
        self.check_status()

    def account_changed(self, account_id: UUID | str) -> None:
        """This service saw the account trade or move money: revalue it from fresh facts now."""
        self.revaluer.refresh(str(account_id))

    # -- status ------------------------------------------------------------------------------
    def feed_status(self) -> Status:
        """The stream's health as clients see it (before market hours are considered)."""
        if self.bus is not None and not self.bus.is_leader:
            remote = self.bus.leader_status()
            return remote if remote in ("live", "stale", "reconnecting") else "live"  # type: ignore[return-value]
        if self.feed is None:
            return "live"
        states = self.feed.states().values()
        if "auth_failed" in states:
            return "stale"
        if any(s in ("connecting", "reconnecting") for s in states):
            return "reconnecting"
        return "live"

    def status_for(self, account: str, feed: Status | None = None) -> Status:
        feed = feed or self.feed_status()
        if (
            feed == "live"
            and not self.market.equities_open
            and not any(is_crypto(s) for s in self.index.positions(account))
        ):
            return "market_closed"
        return feed

    def check_status(self) -> None:
        """Tell every socket when the feed's status or the market's hours changed."""
        feed = self.feed_status()
        now = (feed, self.market.equities_open)
        if now == self._announced:
            return
        first = self._announced is None
        self._announced = now
        if first:
            return
        log.info("realtime.status", status=feed, equities_open=self.market.equities_open)
        by_status: dict[Status, bytes] = {}
        for account, conns in self.hub.by_account.items():
            status = self.status_for(account, feed)
            data = by_status.get(status)
            if data is None:
                data = by_status[status] = messages.status(status)
            for conn in conns:
                conn.send(data)

    # -- sockets -----------------------------------------------------------------------------
    async def snapshot(self, conn: LiveConnection) -> bytes:
        """Watch the connection's account (loading it if needed) and build its snapshot."""
        book = await self.revaluer.watch(conn.account_id)
        value = self.revaluer.value_of(conn.account_id, book)
        book.pushed = (value.equity, value.today_return.amount)
        return messages.snapshot(
            conn.account_id,
            value,
            market_open=self.market.equities_open,
            status=self.status_for(conn.account_id),
            seq=conn.next_seq(),
        )

    def set_topics(self, conn: LiveConnection, topics: set[str]) -> None:
        """The socket's topics are now `topics`: say so, then (when it newly takes positions)
        send its first, complete positions message."""
        newly = self.hub.set_topics(conn, topics)
        conn.send(messages.subscribed(conn.topics), "subscribed")
        if newly:
            first = self.revaluer.first_positions(conn.account_id)
            if first is not None:
                conn.send(first, "positions")

    # -- readiness ---------------------------------------------------------------------------
    def stream_readiness(self) -> dict[str, object]:
        role = "single" if self.bus is None else ("leader" if self.bus.is_leader else "follower")
        readers = (
            {name: r.readiness() for name, r in self.feed.readers.items()}
            if self.feed is not None
            else {}
        )
        reading = self.feed is not None and self.feed.started
        failed = reading and any(r["state"] == "auth_failed" for r in readers.values())
        out: dict[str, object] = {
            "ok": not failed,
            "role": role,
            "status": self.feed_status(),
            "clients": len(self.hub),
            "watched_accounts": len(self.revaluer.books),
            "indexed_accounts": len(self.index),
        }
        if reading:
            out["readers"] = readers
        if failed:
            out["reason"] = "auth_failed"
        return out
