"""The sandbox's whole state: calendar, market, ledger, event log, live ticker and faults."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from .calendar import MarketCalendar, MarketClock
from .events import EventLog
from .faults import FaultTable
from .journals import FIRM_ACCOUNT_ID, FIRM_CASH, JournalDesk
from .ledger import Ledger
from .market import Market
from .personas import seed_accounts
from .recipient_banks import RecipientBanks
from .settings import SandboxConfig, utc_now
from .ticker import Ticker
from .trade_config import TradeConfigs
from .watchlists import Watchlists


@dataclass
class Sandbox:
    """Everything one sandbox instance knows; the HTTP and stream layers only read and call it."""

    config: SandboxConfig
    now: Callable[[], datetime]
    calendar: MarketCalendar
    clock: MarketClock
    market: Market
    ledger: Ledger
    events: EventLog
    ticker: Ticker
    faults: FaultTable
    journals: JournalDesk
    trade_configs: TradeConfigs
    watchlists: Watchlists
    recipient_banks: RecipientBanks
    personas: dict[str, UUID] = field(default_factory=dict)
    firm_account: UUID = FIRM_ACCOUNT_ID

    @classmethod
    def build(cls, config: SandboxConfig, now: Callable[[], datetime] = utc_now) -> Sandbox:
        """Make the market, replay the demo personas into the ledger, add generated accounts,
        and number the events that history wrote (later ones are numbered as they happen)."""
        calendar = MarketCalendar()
        clock = MarketClock(calendar, config.market_hours)
        today = now().date()
        history_start = today.replace(year=today.year - config.history_years)
        market = Market(config.seed, calendar, clock, history_start=history_start, now=now)
        events = EventLog(seed=config.seed)
        ledger = Ledger(
            market,
            clock,
            now=now,
            transfer_delay=timedelta(seconds=config.transfer_delay_s),
            fill_delay=timedelta(seconds=config.fill_delay_s),
            partial_fill_above=Decimal(str(config.partial_fill_above)),
            events=events,
        )
        opened = datetime.combine(history_start, time(12), UTC)
        ledger.open_firm_account(FIRM_ACCOUNT_ID, cash=FIRM_CASH, at=opened)
        personas = seed_accounts(
            ledger, market, extra_accounts=config.extra_accounts, seed=config.seed
        )
        events.seal()
        trade_configs = TradeConfigs()
        ledger.order_rules.append(trade_configs.check_order)
        ticker = Ticker(
            market, clock, trades_per_second=config.trades_per_second, now=now, seed=config.seed
        )
        return cls(
            config=config,
            now=now,
            calendar=calendar,
            clock=clock,
            market=market,
            ledger=ledger,
            events=events,
            ticker=ticker,
            faults=FaultTable(seed=config.seed),
            journals=JournalDesk(ledger),
            trade_configs=trade_configs,
            watchlists=Watchlists(market.universe),
            recipient_banks=RecipientBanks(ledger),
            personas=personas,
        )
