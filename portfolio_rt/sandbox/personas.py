"""Demo accounts whose histories are replays of deposits and orders through the ledger.

Nothing is set directly: every figure (cash, positions, history, activities) comes from linking a
bank, depositing and trading at past instants, so all of them agree with each other. Generated
load-test accounts are registered cheaply and replayed only when first used.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from uuid import UUID, uuid5

from ..core.symbols import is_crypto
from .ledger import Ledger, Replay
from .market import Market
from .records import CENT

PERSONAS = ("maya", "jordan", "sam", "alex", "pat")
PERSONA_NAMESPACE = UUID("a7d2c1e4-5b3f-4e8a-9c6d-0f1e2d3c4b5a")

# fmt: off
_FIRST_NAMES = (
    "Ava", "Ben", "Chloe", "Diego", "Emma", "Felix", "Grace", "Hiro", "Isla", "Jamal", "Kai",
    "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Victor",
    "Wren", "Xin", "Yara", "Zane",
)
_LAST_NAMES = (
    "Adams", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Kim", "Lopez", "Miller", "Nguyen", "Okafor", "Patel", "Quist", "Rossi", "Silva", "Tanaka",
    "Ueda", "Vega", "Walsh", "Xu", "Young", "Zhou",
)
_GENERATED_PICKS = (
    "SPY", "VOO", "VTI", "QQQ", "AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "KO", "JNJ", "XOM",
    "JPM", "VXUS", "BND", "SCHD", "TSLA", "META", "BTC/USD",
)
# Dividend payers across the sectors (sam keeps the first 25 the universe has).
_SAM_PICKS = (
    "KO", "PEP", "PG", "CL", "JNJ", "PFE", "ABBV", "MRK", "XOM", "CVX", "JPM", "USB", "PNC",
    "O", "PLD", "AMT", "NEE", "DUK", "SO", "VZ", "T", "IBM", "CSCO", "MMM", "UPS", "LMT", "DOW",
    "MCD", "HD",
)
# fmt: on


def persona_account_id(name: str) -> UUID:
    """The stable id of a demo persona's account (the same in every run)."""
    return uuid5(PERSONA_NAMESPACE, f"persona:{name}")


def generated_account_id(seed: int, index: int) -> UUID:
    """The id of the `index`-th generated load-test account for `seed`."""
    return uuid5(PERSONA_NAMESPACE, f"generated:{seed}:{index}")


@dataclass
class _Script:
    """Writes one account's story into the ledger at valid past instants, tracking its cash."""

    ledger: Ledger
    market: Market
    account_id: UUID
    bank_id: UUID
    cash: Decimal = Decimal(0)
    last: datetime | None = None
    held: dict[str, Decimal] = field(default_factory=dict)

    def _at(self, t: datetime) -> datetime:
        """Never before the account's previous event (the ledger wants time order)."""
        if self.last is not None and t <= self.last:
            t = self.last + timedelta(seconds=1)
        self.last = t
        return t

    def due(self, t: datetime) -> bool:
        """Whether an event at `t` is in the past. A story stops at the ledger's now: an event
        written later than now would make every real request that follows (a deposit, an
        order) earlier than the account's last event, which the ledger refuses."""
        return max(t, self.last or t) < self.ledger.now()

    def session_time(self, d: date, minutes: int = 30) -> datetime:
        """`minutes` after the open of the first session from `d` on that follows `self.last`."""
        calendar = self.ledger.clock.calendar
        while True:
            session = calendar.session(d)
            if session is not None:
                t = session[0] + timedelta(minutes=minutes)
                if (self.last is None or t > self.last) and t < session[1]:
                    return t
            d += timedelta(days=1)

    def deposit(self, at: datetime, amount: Decimal) -> bool:
        """Deposit and wait (in ledger time) for it to clear before anything else happens;
        False (nothing written) when `at` is not in the past yet."""
        if not self.due(at):
            return False
        transfer = self.ledger.create_transfer(
            self.account_id,
            relationship_id=self.bank_id,
            amount=amount,
            direction="INCOMING",
            at=self._at(at),
        )
        self.cash += amount
        self.last = transfer.completes_at
        return True

    def buy(self, at: datetime, symbol: str, amount: Decimal) -> None:
        """Buy about `amount` dollars of `symbol` (notional if fractionable, else whole shares)."""
        amount = min(amount, self.cash).quantize(CENT, rounding=ROUND_DOWN)
        inst = self.market.universe.get(symbol)
        if inst is None or amount < 1 or not self.due(at):
            return
        t = self._at(at)
        if inst.fractionable:
            order = self.ledger.submit_order(
                self.account_id,
                symbol=inst.symbol,
                side="buy",
                type="market",
                time_in_force="gtc" if inst.asset_class == "crypto" else "day",
                notional=amount,
                at=t,
            )
        else:
            price = self.market.price_at(inst.symbol, t)
            qty = (amount / price).to_integral_value(rounding=ROUND_DOWN)
            if qty < 1:
                return
            order = self.ledger.submit_order(
                self.account_id,
                symbol=inst.symbol,
                side="buy",
                type="market",
                time_in_force="day",
                qty=qty,
                at=t,
            )
        self._settle(inst.symbol, order.filled_qty, order.filled_avg_price, -1)

    def sell(self, at: datetime, symbol: str, qty: Decimal) -> None:
        """Sell `qty` shares of a held symbol (nothing when `at` is not in the past yet)."""
        if not self.due(at):
            return
        order = self.ledger.submit_order(
            self.account_id,
            symbol=symbol,
            side="sell",
            type="market",
            time_in_force="gtc" if is_crypto(symbol) else "day",
            qty=qty,
            at=self._at(at),
        )
        self._settle(symbol, order.filled_qty, order.filled_avg_price, 1)

    def _settle(self, symbol: str, qty: Decimal, price: Decimal | None, sign: int) -> None:
        if price is not None:
            self.cash += sign * (qty * price).quantize(CENT)
            self.held[symbol] = self.held.get(symbol, Decimal(0)) - sign * qty


def _open_account(
    ledger: Ledger,
    market: Market,
    *,
    account_id: UUID,
    persona: str | None,
    given: str,
    family: str,
    born: date,
    created_at: datetime,
    city: str = "San Mateo",
    state: str = "CA",
) -> _Script:
    ledger.create_account(
        given_name=given,
        family_name=family,
        email=f"{given.lower()}.{family.lower()}@example.com",
        created_at=created_at,
        persona=persona,
        account_id=account_id,
        date_of_birth=born,
        city=city,
        state=state,
    )
    return _link(ledger, market, account_id, f"{given} {family}", created_at)


def _link(ledger: Ledger, market: Market, account_id: UUID, owner: str, at: datetime) -> _Script:
    bank = ledger.link_bank(
        account_id,
        owner_name=owner,
        bank_account_type="CHECKING",
        account_number=f"{account_id.int % 10**10:010d}",
        routing_number="121000358",
        nickname="Checking",
        at=at,
    )
    return _Script(ledger, market, account_id, bank.id, last=at)


def _start(market: Market, wanted: date) -> datetime:
    """A persona's first day: `wanted`, or a month into the market's history if that is later."""
    first = max(wanted, market.history_start + timedelta(days=31))
    return datetime.combine(first, time(14, 0), UTC)


def _months(start: date, end: date) -> list[date]:
    """The first day of every month from `start`'s month to `end`'s."""
    out = []
    y, m = start.year, start.month
    while date(y, m, 1) <= end:
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _age(today: date, years: int, days_since_birthday: int) -> date:
    """A date of birth that makes the persona exactly `years` old today."""
    try:
        anniversary = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        anniversary = today.replace(year=today.year - years, day=28)
    return anniversary - timedelta(days=days_since_birthday % 360 + 1)


def _maya(ledger: Ledger, market: Market, rng: random.Random, now: datetime) -> UUID:
    """24, saves every month into four broad ETFs since early 2022."""
    account_id = persona_account_id("maya")
    created = _start(market, date(2022, 1, 10))
    script = _open_account(
        ledger,
        market,
        account_id=account_id,
        persona="maya",
        given="Maya",
        family="Okafor",
        born=_age(now.date(), 24, 97),
        created_at=created,
        city="Austin",
        state="TX",
    )
    weights = (
        ("VTI", Decimal("0.5")),
        ("VXUS", Decimal("0.2")),
        ("QQQ", Decimal("0.2")),
        ("BND", Decimal("0.1")),
    )
    for month in _months(created.date(), now.date() - timedelta(days=3)):
        day = max(month.replace(day=3), created.date())
        amount = Decimal(rng.choice((250, 300, 350, 400, 500)))
        if not script.deposit(datetime.combine(day, time(14, 0), UTC), amount):
            break
        when = script.session_time(day, 45)
        if when >= now:
            break
        budget = script.cash
        for symbol, weight in weights:
            script.buy(when, symbol, (budget * weight).quantize(CENT, rounding=ROUND_DOWN))
    return account_id


def _jordan(ledger: Ledger, market: Market, rng: random.Random, now: datetime) -> UUID:
    """29, concentrated in a few tech stocks plus crypto, trades now and then."""
    account_id = persona_account_id("jordan")
    created = _start(market, date(2023, 3, 6))
    script = _open_account(
        ledger,
        market,
        account_id=account_id,
        persona="jordan",
        given="Jordan",
        family="Reyes",
        born=_age(now.date(), 29, 211),
        created_at=created,
        city="Seattle",
        state="WA",
    )
    script.deposit(created, Decimal(8000))
    first = script.session_time(created.date(), 40)
    for symbol, amount in (("NVDA", 2200), ("AAPL", 1500), ("TSLA", 1300), ("MSFT", 1000)):
        script.buy(first, symbol, Decimal(amount))
    script.buy(first + timedelta(hours=2), "BTC/USD", Decimal(1200))
    script.buy(first + timedelta(hours=2), "ETH/USD", Decimal(700))
    months = _months(created.date() + timedelta(days=40), now.date() - timedelta(days=5))
    for k, month in enumerate(months):
        if k % 2:
            continue
        day = month.replace(day=12)
        monthly = Decimal(rng.choice((500, 750, 1000)))
        if not script.deposit(datetime.combine(day, time(15, 0), UTC), monthly):
            break
        when = script.session_time(day, 90)
        if when >= now:
            break
        symbol = rng.choice(("NVDA", "AAPL", "AMD", "MSFT", "BTC/USD", "SOL/USD"))
        script.buy(when, symbol, script.cash * Decimal("0.9"))
        held = script.held.get("TSLA", Decimal(0))
        if k == 8 and held > 0:
            half = (held / 2).quantize(Decimal("0.000000001"), rounding=ROUND_DOWN)
            script.sell(when + timedelta(minutes=5), "TSLA", half)
    return account_id


def _sam(ledger: Ledger, market: Market, rng: random.Random, now: datetime) -> UUID:
    """33, about 25 dividend payers across sectors; dividends arrive as DIV activities."""
    account_id = persona_account_id("sam")
    created = _start(market, date(2021, 9, 7))
    script = _open_account(
        ledger,
        market,
        account_id=account_id,
        persona="sam",
        given="Sam",
        family="Lindqvist",
        born=_age(now.date(), 33, 45),
        created_at=created,
        city="Columbus",
        state="OH",
    )
    picks = [s for s in _SAM_PICKS if market.universe.get(s) is not None][:25]
    script.deposit(created, Decimal(30000))
    first = script.session_time(created.date(), 60)
    for k, symbol in enumerate(picks):
        script.buy(first + timedelta(minutes=k), symbol, Decimal(1100))
    for month in _months(created.date() + timedelta(days=35), now.date() - timedelta(days=4)):
        day = month.replace(day=8)
        if not script.deposit(datetime.combine(day, time(15, 0), UTC), Decimal(800)):
            break
        when = script.session_time(day, 75)
        if when >= now:
            break
        script.buy(when, rng.choice(picks), script.cash - Decimal(50))
    return account_id


def _alex(ledger: Ledger, market: Market, now: datetime) -> UUID:
    """19, opened today: a bank linked, one deposit still clearing, nothing bought."""
    account_id = persona_account_id("alex")
    created = now - timedelta(hours=2)
    script = _open_account(
        ledger,
        market,
        account_id=account_id,
        persona="alex",
        given="Alex",
        family="Kowalski",
        born=_age(now.date(), 19, 150),
        created_at=created,
        city="Chicago",
        state="IL",
    )
    ledger.create_transfer(
        account_id,
        relationship_id=script.bank_id,
        amount=Decimal(500),
        direction="INCOMING",
        at=created + timedelta(minutes=5),
        completes_at=now + timedelta(days=2),
    )
    return account_id


def _pat(ledger: Ledger, market: Market, rng: random.Random, now: datetime) -> UUID:
    """About 300 positions bought over a few years: a wide, index-like personal portfolio."""
    account_id = persona_account_id("pat")
    created = _start(market, date(2021, 4, 12))
    script = _open_account(
        ledger,
        market,
        account_id=account_id,
        persona="pat",
        given="Pat",
        family="Morgan",
        born=_age(now.date(), 34, 300),
        created_at=created,
        city="Denver",
        state="CO",
    )
    equities = sorted(i.symbol for i in market.universe if i.asset_class == "us_equity")
    picks = rng.sample(equities, min(300, len(equities)))
    per_batch = 50
    day = created.date()
    for start in range(0, len(picks), per_batch):
        if not script.deposit(datetime.combine(day, time(14, 0), UTC), Decimal(45000)):
            break
        when = script.session_time(day, 30)
        for k, symbol in enumerate(picks[start : start + per_batch]):
            script.buy(when + timedelta(seconds=10 * k), symbol, Decimal(rng.randint(600, 880)))
        day += timedelta(days=61)
    return account_id


def _generated_replay(seed: int, index: int) -> Replay:
    """The replay of generated account `index`: a deposit and a few positions."""

    def replay(ledger: Ledger, account_id: UUID) -> None:
        rng = random.Random(f"{seed}:generated:{index}")
        record = ledger.account(account_id)
        script = _link(
            ledger,
            ledger.market,
            account_id,
            f"{record.given_name} {record.family_name}",
            record.created_at,
        )
        script.deposit(
            record.created_at + timedelta(minutes=1), Decimal(rng.randrange(1000, 20000, 50))
        )
        when = script.session_time(record.created_at.date(), 30)
        picks = rng.sample(_GENERATED_PICKS, rng.randint(2, 5))
        budget = script.cash * Decimal("0.9")
        for symbol in picks:
            script.buy(when, symbol, (budget / len(picks)).quantize(CENT, rounding=ROUND_DOWN))

    return replay


def add_generated_accounts(ledger: Ledger, *, count: int, seed: int, now: datetime) -> list[UUID]:
    """Register `count` load-test accounts; each is replayed into the ledger on first use."""
    rng = random.Random(f"{seed}:generated-accounts")
    ids = []
    latest = now - timedelta(days=8)
    for index in range(count):
        account_id = generated_account_id(seed, index)
        # Weekly cohorts keep the market's cached intraday paths few (one per symbol and week).
        created = latest - timedelta(days=7 * rng.randrange(52), minutes=rng.randrange(600))
        given = rng.choice(_FIRST_NAMES)
        family = rng.choice(_LAST_NAMES)
        ledger.create_account(
            given_name=given,
            family_name=family,
            email=f"{given.lower()}.{family.lower()}.{index}@example.com",
            created_at=created,
            account_id=account_id,
            date_of_birth=date(now.year - 18 - index % 18, 1 + index % 12, 1 + index % 28),
            account_number=f"7{index:08d}",
            replay=_generated_replay(seed, index),
        )
        ids.append(account_id)
    return ids


def seed_accounts(
    ledger: Ledger, market: Market, *, extra_accounts: int, seed: int
) -> dict[str, UUID]:
    """Replay the five demo personas (and register `extra_accounts` generated ones)."""
    now = ledger.now()
    ids = {
        "maya": _maya(ledger, market, random.Random(f"{seed}:maya"), now),
        "jordan": _jordan(ledger, market, random.Random(f"{seed}:jordan"), now),
        "sam": _sam(ledger, market, random.Random(f"{seed}:sam"), now),
        "alex": _alex(ledger, market, now),
        "pat": _pat(ledger, market, random.Random(f"{seed}:pat"), now),
    }
    if extra_accounts:
        add_generated_accounts(ledger, count=extra_accounts, seed=seed, now=now)
    ledger.advance(now)
    return ids
