"""Pure parts: server-requested waits and the circuit breaker's states."""

from __future__ import annotations

from datetime import UTC, datetime

from portfolio_rt.broker.circuit import CircuitBreaker, CircuitState
from portfolio_rt.broker.retry import server_wait_s
from tests.fixtures.clock import SecondsClock

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def test_retry_after_seconds() -> None:
    assert server_wait_s({"Retry-After": "7"}, NOW) == 7.0


def test_retry_after_http_date() -> None:
    assert server_wait_s({"Retry-After": "Mon, 05 Jan 2026 15:00:12 GMT"}, NOW) == 12.0


def test_rate_limit_reset_when_budget_is_spent() -> None:
    reset = str(int(NOW.timestamp()) + 4)
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    assert server_wait_s(headers, NOW) == 4.0


def test_rate_limit_reset_ignored_while_budget_remains() -> None:
    reset = str(int(NOW.timestamp()) + 4)
    assert server_wait_s({"X-RateLimit-Remaining": "10", "X-RateLimit-Reset": reset}, NOW) is None


def test_garbage_headers_give_no_wait() -> None:
    assert server_wait_s({"Retry-After": "soon"}, NOW) is None
    assert server_wait_s({}, NOW) is None


def test_breaker_opens_after_threshold_then_half_opens_for_one_trial() -> None:
    clock = SecondsClock(0.0)
    breaker = CircuitBreaker(threshold=3, reset_s=10, clock=clock)
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    assert not breaker.allow()
    clock.t = 10.0
    assert breaker.state is CircuitState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()  # only one trial at a time
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED


def test_failed_trial_reopens() -> None:
    clock = SecondsClock(0.0)
    breaker = CircuitBreaker(threshold=1, reset_s=5, clock=clock)
    breaker.record_failure()
    clock.t = 5.0
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    assert breaker.retry_after_s() == 5.0


def test_cancelled_trial_frees_the_slot() -> None:
    clock = SecondsClock(0.0)
    breaker = CircuitBreaker(threshold=1, reset_s=5, clock=clock)
    breaker.record_failure()
    clock.t = 6.0
    assert breaker.allow()
    breaker.release()
    assert breaker.allow()
