"""One HTTP call to Alpaca: auth, timeout, safe retries, circuit breaker, error mapping."""

from __future__ import annotations

import asyncio
import base64
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

import aiohttp
import orjson
import structlog

from ..core.errors import (
    BadRequest,
    BrokerError,
    BrokerTimeout,
    BrokerUnavailable,
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    ServiceError,
    Unprocessable,
)
from ..ops.metrics import Metrics, UpstreamOutcome
from .circuit import CircuitBreaker
from .endpoints import AlpacaEndpoints
from .retry import RETRYABLE_STATUSES, RetryPolicy, server_wait_s

log = structlog.get_logger("portfolio_rt.broker")

Api = Literal["broker", "data"]
Params = Mapping[str, str | int | float | bool]

# Longest server-requested wait we sit out inside one request; longer → 429 to the caller.
MAX_INLINE_WAIT_S = 3.0


class AlpacaHttp:
    """Sends requests to Alpaca's Broker and market-data APIs on one shared session.

    Only GET is retried (on 429, 5xx, timeouts and connection errors); a POST that may have
    reached Alpaca is never sent twice. Consecutive failures open the circuit breaker, after
    which calls fail fast with 503 until a trial call succeeds.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        endpoints: AlpacaEndpoints,
        *,
        timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._session = session
        self._endpoints = endpoints
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._retry = retry or RetryPolicy()
        self.breaker = breaker or CircuitBreaker()
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._auth_header = basic_auth_header(endpoints.api_key, endpoints.secret_key)
        self.calls = 0  # upstream HTTP requests sent, for metrics and benchmarks
        self._metrics = metrics

    def _url(self, api: Api, path: str) -> str:
        base = self._endpoints.broker_url if api == "broker" else self._endpoints.data_url
        return f"{base}{path}"

    async def get(self, api: Api, path: str, params: Params | None = None) -> Any:
        return await self._call("GET", api, path, params=params, retry=True)

    async def post(self, api: Api, path: str, body: Mapping[str, Any]) -> Any:
        return await self._call("POST", api, path, body=body, retry=False)

    async def delete(self, api: Api, path: str) -> Any:
        return await self._call("DELETE", api, path, retry=False)

    async def _call(
        self,
        method: str,
        api: Api,
        path: str,
        *,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
        retry: bool,
    ) -> Any:
        attempts = self._retry.attempts if retry else 0
        for attempt in range(attempts + 1):
            if not self.breaker.allow():
                if self._metrics is not None:
                    self._metrics.upstream_circuit_rejected(api)
                raise BrokerUnavailable(
                    "Alpaca is unavailable right now; please try again shortly.",
                    retry_after=max(1.0, self.breaker.retry_after_s()),
                )
            try:
                return await self._once(method, api, path, params, body)
            except _Retryable as exc:
                if attempt >= attempts or (exc.wait_s or 0) > MAX_INLINE_WAIT_S:
                    raise exc.error from None
                delay = (
                    exc.wait_s
                    if exc.wait_s is not None
                    else self._retry.backoff(attempt, self._rng)
                )
                log.warning(
                    "broker.retry",
                    method=method,
                    path=path,
                    attempt=attempt + 1,
                    delay_s=round(delay, 3),
                    reason=exc.error.code,
                )
                if self._metrics is not None:
                    self._metrics.upstream_retry(api)
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self,
        method: str,
        api: Api,
        path: str,
        params: Params | None,
        body: Mapping[str, Any] | None,
    ) -> Any:
        self.calls += 1
        query = {k: _query_value(v) for k, v in (params or {}).items()}
        headers = {"Authorization": self._auth_header}
        if body is not None:
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        outcome: UpstreamOutcome = "cancelled"
        try:
            async with self._session.request(
                method,
                self._url(api, path),
                params=query,
                data=orjson.dumps(body) if body is not None else None,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                raw = await response.read()
                status = response.status
                response_headers = dict(response.headers)
            outcome = _outcome_of(status)
        except asyncio.CancelledError:
            self.breaker.release()
            raise
        except TimeoutError:
            outcome = "timeout"
            self.breaker.record_failure()
            raise _Retryable(BrokerTimeout("Alpaca did not answer in time.")) from None
        except aiohttp.ClientError as exc:
            outcome = "connection_error"
            self.breaker.record_failure()
            log.warning("broker.connection_error", path=path, error=type(exc).__name__)
            raise _Retryable(
                BrokerUnavailable("Could not reach Alpaca.", retry_after=1.0)
            ) from None
        finally:
            if self._metrics is not None:
                self._metrics.upstream_call(api, method, outcome, time.perf_counter() - started)

        if status in RETRYABLE_STATUSES:
            if status >= 500:
                self.breaker.record_failure()
            else:
                self.breaker.record_success()
            wait = server_wait_s(response_headers)
            raise _Retryable(_upstream_error(status, raw, wait), wait_s=wait)
        self.breaker.record_success()
        if status >= 400:
            raise _upstream_error(status, raw, None)
        if status >= 300:
            raise BrokerError(f"Alpaca answered an unexpected redirect ({status}).")
        if not raw:
            return None
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            log.error("broker.malformed_body", path=path, status=status, size=len(raw))
            if self._metrics is not None:
                self._metrics.upstream_bad_response(api)
            raise BrokerError("Alpaca sent a response that is not valid JSON.") from None


def basic_auth_header(key: str, secret: str) -> str:
    """HTTP Basic credentials, as Alpaca's Broker API (and data API for broker keys) takes them."""
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")


class _Retryable(Exception):
    def __init__(self, error: ServiceError, wait_s: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait_s = wait_s


def _outcome_of(status: int) -> UpstreamOutcome:
    if status == 429:
        return "429"
    if status >= 500:
        return "5xx"
    if status >= 400:
        return "4xx"
    if status >= 300:
        return "3xx"
    return "2xx"


def _query_value(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _upstream_message(raw: bytes) -> str:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return ""
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:300]
    return ""


def _upstream_error(status: int, raw: bytes, wait_s: float | None) -> ServiceError:
    """Map Alpaca's status to this service's error; Alpaca's own words where they help."""
    said = _upstream_message(raw)
    if status == 429:
        return RateLimited(
            "Too many requests to Alpaca; please retry shortly.",
            retry_after=wait_s if wait_s is not None else 1.0,
        )
    if status == 404:
        return NotFound(said or "Not found at Alpaca.")
    if status in (400, 422):
        cls = BadRequest if status == 400 else Unprocessable
        return cls(said or "Alpaca rejected the request.")
    if status == 403:
        return Forbidden(said or "Alpaca refused the request.")
    if status == 409:
        return Conflict(said or "Alpaca reported a conflict.")
    if status == 401:
        log.error("broker.credentials_rejected")
        return BrokerError("The service's Alpaca credentials were rejected.")
    if status == 503:
        return BrokerUnavailable(
            "Alpaca is unavailable right now.", retry_after=wait_s if wait_s is not None else 1.0
        )
    if status == 504:
        return BrokerTimeout("Alpaca did not answer in time.", retry_after=wait_s)
    if status >= 500:
        return BrokerError("Alpaca had an internal error.", retry_after=wait_s)
    return BrokerError(f"Alpaca answered with an unexpected status {status}.")
