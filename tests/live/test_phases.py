"""Push phases: the watched accounts are served in groups across each push interval, each
account once per interval, and no tick is lost between a phase's turns."""

from __future__ import annotations

from decimal import Decimal

import orjson

from portfolio_rt.config import RealtimeSettings
from portfolio_rt.live.accounts import AccountFacts, market_day
from portfolio_rt.live.connection import LiveConnection
from portfolio_rt.live.holdings import HoldingsIndex
from portfolio_rt.live.hub import LiveHub
from portfolio_rt.live.prices import PriceMap
from portfolio_rt.live.revaluer import Revaluer
from portfolio_rt.live.watchers import Watchers


def test_new_accounts_fill_the_smallest_phase() -> None:
    watchers = Watchers(3)
    for i in range(7):
        watchers.add(f"a{i}", ["SPY"])
    sizes = sorted(len(table["SPY"]) for table in watchers.by_symbol)
    assert sizes == [2, 2, 3]
    watchers.remove("a0", ["SPY"])
    watchers.remove("a3", ["SPY"])  # a0 and a3 shared phase 0
    watchers.add("late", ["QQQ"])
    assert watchers.phase_of["late"] == 0
    assert watchers.count("SPY") == 5


def test_holders_are_those_of_the_phase_and_a_rebuild_keeps_phases() -> None:
    watchers = Watchers(2)
    watchers.add("a", ["SPY", "AAPL"])
    watchers.add("b", ["SPY"])
    phase_a, phase_b = watchers.phase_of["a"], watchers.phase_of["b"]
    assert phase_a != phase_b
    assert watchers.holders(phase_a, {"SPY", "MSFT"}) == {"a"}
    assert watchers.holders(phase_b, {"AAPL"}) == set()
    watchers.unindex("a", ["AAPL"])  # a sold AAPL: still watched, same phase
    assert watchers.holders(phase_a, {"AAPL"}) == set()
    watchers.rebuild(lambda account: {"a": ["MSFT"], "b": ["SPY", "MSFT"]}[account])
    assert (watchers.phase_of["a"], watchers.phase_of["b"]) == (phase_a, phase_b)
    assert watchers.holders(phase_b, {"MSFT"}) == {"b"}
    assert watchers.count("MSFT") == 2


def _revaluer(phases: int) -> tuple[Revaluer, PriceMap, LiveHub]:
    prices, index, hub = PriceMap(), HoldingsIndex(), LiveHub()

    async def load(account: str, fresh: bool) -> AccountFacts:
        return AccountFacts(
            cash=Decimal("100.00"),
            last_equity=Decimal("1100.00"),
            flows_today=Decimal(0),
            day=market_day(),
            positions={"SPY": 2.0},
            prices={"SPY": 500.0},
        )

    settings = RealtimeSettings(push_phases=phases)
    return Revaluer(prices, index, hub, settings, load), prices, hub


async def _watch(
    revaluer: Revaluer, hub: LiveHub, accounts: list[str]
) -> dict[str, LiveConnection]:
    conns = {}
    for i, account in enumerate(accounts):
        conns[account] = conn = LiveConnection(i, account, max_pending=64)
        hub.add(conn, None)  # type: ignore[arg-type] - no socket: updates stay queued
        await revaluer.watch(account)
    return conns


def _pushed(conns: dict[str, LiveConnection]) -> dict[str, list[str]]:
    """Each account's queued update equities, and empty the queues."""
    out = {}
    for account, conn in conns.items():
        out[account] = [orjson.loads(data)["equity"] for _, data in conn.queue]
        conn.queue.clear()
    return out


async def test_each_account_is_revalued_once_per_interval_in_its_phase_turn() -> None:
    revaluer, prices, hub = _revaluer(phases=4)
    conns = await _watch(revaluer, hub, [f"a{i}" for i in range(8)])
    await revaluer.flush()  # newly watched accounts are served at once, whatever their phase
    assert all(len(equities) == 1 for equities in _pushed(conns).values())

    prices.apply([{"T": "t", "S": "SPY", "p": 510.0}])
    served: list[set[str]] = []
    for _ in range(4):  # one interval
        await revaluer.flush()
        served.append({a for a, equities in _pushed(conns).items() if equities})
    assert [len(step) for step in served] == [2, 2, 2, 2]
    assert set().union(*served) == set(conns)
    for _ in range(4):
        await revaluer.flush()  # the next interval: nothing moved, nothing sent
        assert not any(_pushed(conns).values())


async def test_a_tick_right_after_a_phase_turn_reaches_it_at_its_next_turn() -> None:
    revaluer, prices, hub = _revaluer(phases=4)
    conns = await _watch(revaluer, hub, [f"a{i}" for i in range(4)])
    await revaluer.flush()
    _pushed(conns)
    watched = next(iter(conns))
    phase = revaluer.watchers.phase_of[watched]
    while revaluer._phase != (phase + 1) % 4:  # step until `watched`'s turn has just passed
        await revaluer.flush()
    _pushed(conns)
    prices.apply([{"T": "t", "S": "SPY", "p": 520.0}])
    seen: list[list[str]] = []
    for _ in range(4):
        await revaluer.flush()
        seen.append(_pushed(conns)[watched])
    # 100 cash + 2 x 520: only at phase 1's next turn, four steps after the tick
    assert seen == [[], [], [], ["1140.00"]]


async def test_a_refreshed_account_is_pushed_at_the_next_step_not_its_phase_turn() -> None:
    revaluer, _, hub = _revaluer(phases=10)
    conns = await _watch(revaluer, hub, ["a", "b"])
    await revaluer.flush()
    _pushed(conns)
    revaluer.books["a"].cash = Decimal("5100.00")  # as a refresh after a deposit would
    revaluer.books["a"].last_total = -1.0
    revaluer._force.add("a")
    await revaluer.flush()
    assert _pushed(conns)["a"] == ["6100.00"]
