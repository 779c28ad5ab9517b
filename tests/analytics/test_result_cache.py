"""AnalyticsCache: reuse until holdings change, prices move enough, or the result is old."""

from __future__ import annotations

from decimal import Decimal

from portfolio_rt.analytics import AnalyticsCache, analyse, holdings_fingerprint
from tests.fixtures.clock import SecondsClock

D = Decimal
RESULT = analyse([], D("100"), {})


def _cache(clock: SecondsClock, **kwargs: float) -> AnalyticsCache:
    return AnalyticsCache(clock, **kwargs)  # type: ignore[arg-type]


def test_a_result_is_reused_for_the_same_holdings_and_prices() -> None:
    cache = _cache(SecondsClock())
    fp = holdings_fingerprint([("AAPL", D("2"))], D("10"), "2026-11-25")
    cache.put("acct", fp, {"AAPL": D("200")}, RESULT)
    assert cache.get("acct", fp, {"AAPL": D("201")}) is RESULT


def test_a_change_of_holdings_cash_or_bars_day_misses() -> None:
    cache = _cache(SecondsClock())
    fp = holdings_fingerprint([("AAPL", D("2"))], D("10"), "2026-11-25")
    cache.put("acct", fp, {"AAPL": D("200")}, RESULT)
    for other in (
        holdings_fingerprint([("AAPL", D("3"))], D("10"), "2026-11-25"),
        holdings_fingerprint([("AAPL", D("2"))], D("11"), "2026-11-25"),
        holdings_fingerprint([("AAPL", D("2"))], D("10"), "2026-11-26"),
    ):
        assert cache.get("acct", other, {"AAPL": D("200")}) is None


def test_the_fingerprint_ignores_order_and_trailing_zeros() -> None:
    a = holdings_fingerprint([("AAPL", D("2.0")), ("BTC/USD", D("0.5"))], D("10.00"))
    b = holdings_fingerprint([("BTC/USD", D("0.50")), ("aapl", D("2"))], D("10"))
    assert a == b


def test_a_price_move_beyond_the_threshold_misses() -> None:
    cache = _cache(SecondsClock(), price_move=0.03)
    fp = holdings_fingerprint([("AAPL", D("2"))], D(0))
    cache.put("acct", fp, {"AAPL": D("100")}, RESULT)
    assert cache.get("acct", fp, {"AAPL": D("102.9")}) is RESULT
    assert cache.get("acct", fp, {"AAPL": D("96.9")}) is None


def test_an_old_result_misses() -> None:
    clock = SecondsClock()
    cache = _cache(clock, max_age_s=60)
    fp = holdings_fingerprint([], D(0))
    cache.put("acct", fp, {}, RESULT)
    clock.t += 59
    assert cache.get("acct", fp, {}) is RESULT
    clock.t += 2
    assert cache.get("acct", fp, {}) is None


def test_accounts_are_kept_apart_and_the_least_recently_used_is_evicted() -> None:
    cache = AnalyticsCache(SecondsClock(), max_accounts=2)
    fp = holdings_fingerprint([], D(0))
    cache.put("a", fp, {}, RESULT)
    cache.put("b", fp, {}, RESULT)
    assert cache.get("a", fp, {}) is RESULT  # "a" is now the most recent
    cache.put("c", fp, {}, RESULT)
    assert len(cache) == 2
    assert cache.get("b", fp, {}) is None
    assert cache.get("a", fp, {}) is RESULT
    cache.invalidate("a")
    assert cache.get("a", fp, {}) is None
