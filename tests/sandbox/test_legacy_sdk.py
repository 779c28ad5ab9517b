"""alpaca-trade-api 3.2.0, the older official Alpaca SDK, against the sandbox, as a team's old
code uses it: every market-data REST method of its `REST` client and of `AsyncRest`, and its
`Stream` for stocks (every channel on `/v2/iex`; trades, quotes and bars on `/v2/sip`,
`/v2/delayed_sip` and `/v2/test`) and crypto. Its crypto stream dials `/v1beta2/crypto`, which
Alpaca retired: the sandbox refuses that path as Alpaca does, and with the path Alpaca serves
today, `/v1beta3/crypto/us` (set on the SDK's crypto socket, as old code must), every channel
works.

The SDK pins msgpack==1.0.3, websockets<11, urllib3<2, PyYAML==6.0.1 and deprecation==2.1.0,
which conflict with the service's environment, so it lives in a virtualenv of its own,
`.venv-legacy-sdk` (`make test` builds it from `requirements/legacy-sdk.txt`). The sandbox is
served in this test's process; `legacy_sdk_calls.py` makes the calls with that environment's
python in a subprocess and prints a JSON report, which the tests below judge call by call.

Out of scope: the SDK's account and trading calls (`get_account`, `submit_order`,
`list_positions`, `get_activities`, watchlists, portfolio history, ...) and its trade-updates
stream. They address Alpaca's Trading API (`/v2/account`, `/v2/orders`, `/stream`: one account
per key), while the sandbox serves the Broker API (`/v1/trading/accounts/{account_id}/...`),
which this SDK does not speak.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from portfolio_rt.sandbox.app import serve_sandbox
from portfolio_rt.sandbox.world import Sandbox
from tests.fixtures.settings import SANDBOX_KEY, SANDBOX_SECRET, sandbox_config
from tests.sandbox.stream_helpers import Clock

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LEGACY_PYTHON = ROOT / ".venv-legacy-sdk" / "bin" / "python"
SCRIPT = Path(__file__).with_name("legacy_sdk_calls.py")
ARTIFACT = ROOT / "tests" / "artifacts" / "legacy_sdk_report.json"
"""The last run's full report (every request made, what each stream got), for reading."""
RUN_TIMEOUT_S = 100.0

# Every market-data method of REST 3.2.0 (the script's report lists the class's methods, and a
# test checks that none of this kind is missing here) and of AsyncRest.
REST_CALLS = [
    "get_bars",
    "get_bars_iter",
    "get_trades",
    "get_trades_iter",
    "get_quotes",
    "get_quotes_iter",
    "get_latest_bar",
    "get_latest_bars",
    "get_latest_trade",
    "get_latest_trades",
    "get_latest_quote",
    "get_latest_quotes",
    "get_snapshot",
    "get_snapshots",
    "get_crypto_bars",
    "get_crypto_bars_iter",
    "get_crypto_trades",
    "get_crypto_trades_iter",
    "get_crypto_quotes",
    "get_crypto_quotes_iter",
    "get_latest_crypto_bars",
    "get_latest_crypto_trades",
    "get_latest_crypto_quotes",
    "get_crypto_snapshot",
    "get_crypto_snapshots",
    "get_latest_crypto_orderbook",
    "get_latest_crypto_orderbooks",
    "get_news",
    "get_news_iter",
    "AsyncRest.get_bars_async",
    "AsyncRest.get_trades_async",
    "AsyncRest.get_quotes_async",
    "AsyncRest.get_latest_trade_async",
    "AsyncRest.get_latest_quote_async",
]
DATA_METHOD = re.compile(
    r"get_(crypto_|latest_)?(bars|trades|quotes|snapshots?|orderbooks?|news)|get_latest_"
)
SDK_RETURNS_NOTHING = {"AsyncRest.get_latest_trade_async"}
"""3.2.0 keeps the latest trade only when the answer has a `quote` key, which a trade answer
never has: it returns None from Alpaca too. The test checks that the sandbox answered a trade."""

STOCK_STREAM_CHANNELS = [
    "trades",
    "quotes",
    "bars",
    "updatedBars",
    "dailyBars",
    "statuses",
    "lulds",
]
CRYPTO_STREAM_CHANNELS = ["trades", "quotes", "bars", "updatedBars", "dailyBars", "orderbooks"]
STREAMS = {
    "stocks iex": STOCK_STREAM_CHANNELS,
    "stocks sip": ["trades", "quotes", "bars"],
    "stocks delayed_sip": ["trades", "quotes", "bars"],
    "stocks test": ["trades", "quotes", "bars"],
    "crypto, /v1beta3/crypto/us": CRYPTO_STREAM_CHANNELS,
}
RETIRED_CRYPTO_PATH = "/v1beta2/crypto"


async def _advance_to_minute_ends(clock: Clock) -> None:
    """Move the sandbox's clock to second 59.5 of its minute every second, so a minute passes
    each second: the stream sends minute, daily and updated bars (a quarter of the minutes have
    late trades) and LULD bands every second instead of every minute."""
    while True:
        await asyncio.sleep(1.0)
        now = clock()
        if now.second < 59:
            clock.offset += now.replace(second=59, microsecond=500_000) - now


async def _run_script() -> tuple[dict[str, Any], str]:
    clock = Clock()
    sandbox = Sandbox.build(sandbox_config(), now=clock)
    async with serve_sandbox(sandbox) as running:
        ticking = asyncio.create_task(_advance_to_minute_ends(clock))
        try:
            process = await asyncio.create_subprocess_exec(
                str(LEGACY_PYTHON),
                str(SCRIPT),
                running.data_url,
                SANDBOX_KEY,
                SANDBOX_SECRET,
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                out, err = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT_S)
            except TimeoutError:
                process.kill()
                await process.wait()
                raise
        finally:
            ticking.cancel()
    stderr = err.decode(errors="replace")
    assert process.returncode == 0, stderr[-5000:]
    return json.loads(out), stderr


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    if not LEGACY_PYTHON.exists():
        pytest.fail(f"{LEGACY_PYTHON.relative_to(ROOT)} is missing: `make test` builds it")
    found, _stderr = asyncio.run(_run_script())
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(json.dumps(found, indent=1))
    return found


def _entries(report: dict[str, Any], name: str) -> list[dict[str, Any]]:
    entries = [c for c in report["calls"] if c["name"] == name]
    assert entries, f"{name} was not called"
    return entries


def _failure(entry: dict[str, Any]) -> str:
    return json.dumps({k: entry.get(k) for k in ("label", "error", "requests", "probe")})


# ----------------------------------------------------------------------------- sensible data


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def _time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value.isdigit()  # nanoseconds since the epoch
    return True


def check_bar(bar: dict[str, Any]) -> None:
    o, h, low, c, v = (bar[k] for k in ("o", "h", "l", "c", "v"))
    assert all(_positive(x) for x in (o, h, low, c)), bar
    assert low <= min(o, c) <= max(o, c) <= h, bar
    assert v is not None, bar
    assert v >= 0, bar
    assert _time(bar["t"]), bar


def check_trade(trade: dict[str, Any]) -> None:
    assert _positive(trade["p"]), trade
    assert _positive(trade["s"]), trade
    assert _time(trade["t"]), trade


def check_quote(quote: dict[str, Any]) -> None:
    assert _positive(quote["bp"]), quote
    assert _positive(quote["ap"]), quote
    assert quote["bp"] <= quote["ap"], quote
    assert _time(quote["t"]), quote


def check_orderbook(book: dict[str, Any]) -> None:
    assert book["bids"], book
    assert book["asks"], book
    for price, size in book["bids"] + book["asks"]:
        assert _positive(price), book
        assert _positive(size), book
    assert max(p for p, _ in book["bids"]) < min(p for p, _ in book["asks"]), book
    assert _time(book["t"]), book


def check_orderbook_update(book: dict[str, Any]) -> None:
    """A stream's later order book message: only the levels that changed, size 0 for a level
    that left the book."""
    assert book["bids"] or book["asks"], book
    for price, size in book["bids"] + book["asks"]:
        assert _positive(price), book
        assert size is not None, book
        assert size >= 0, book
    assert _time(book["t"]), book


def check_snapshot(snapshot: dict[str, Any]) -> None:
    for part, check in (
        ("latest_trade", check_trade),
        ("latest_quote", check_quote),
        ("minute_bar", check_bar),
        ("daily_bar", check_bar),
        ("prev_daily_bar", check_bar),
    ):
        assert snapshot[part] is not None, (part, snapshot)
        check(snapshot[part])


def check_news(article: dict[str, Any]) -> None:
    assert article["id"], article
    assert article["headline"], article
    assert _time(article["created_at"]), article


def check_status(status: dict[str, Any]) -> None:
    assert status.get("symbol"), status
    assert status.get("status_code"), status


def check_luld(luld: dict[str, Any]) -> None:
    assert _positive(luld.get("limit_down_price")), luld
    assert luld["limit_down_price"] < luld["limit_up_price"], luld


CHECKS = {
    "bar": check_bar,
    "trade": check_trade,
    "quote": check_quote,
    "orderbook": check_orderbook,
    "snapshot": check_snapshot,
    "news": check_news,
    "status": check_status,
    "luld": check_luld,
}


def check_records(records: list[dict[str, Any]], stream: bool = False) -> None:
    books_seen: set[str] = set()
    for record in records:
        if stream and record["kind"] == "orderbook" and record["symbol"] in books_seen:
            check_orderbook_update(record)  # the first of a symbol is the whole book
            continue
        if record["kind"] == "orderbook":
            books_seen.add(record["symbol"])
        CHECKS[record["kind"]](record)


# ----------------------------------------------------------------------------- tests


def test_the_sdk_and_its_pinned_msgpack_are_installed(report: dict[str, Any]) -> None:
    assert report["sdk"] == "3.2.0"
    assert report["msgpack"] == "1.0.3"


def test_every_market_data_method_of_the_rest_client_is_called(report: dict[str, Any]) -> None:
    data_methods = {m for m in report["rest_methods"] if DATA_METHOD.fullmatch(m)}
    assert data_methods
    assert data_methods <= set(REST_CALLS)
    assert {c["name"] for c in report["calls"]} == set(REST_CALLS)


@pytest.mark.parametrize("name", sorted(set(REST_CALLS) - SDK_RETURNS_NOTHING))
def test_rest_call_answers_sensible_data(report: dict[str, Any], name: str) -> None:
    for entry in _entries(report, name):
        assert entry["ok"], _failure(entry)
        assert entry["count"] > 0, _failure(entry)
        check_records(entry["records"])


def test_bar_paging_follows_next_page_token(report: dict[str, Any]) -> None:
    paged = next(c for c in _entries(report, "get_bars") if "two pages" in c["label"])
    assert paged["count"] == 12_000, _failure(paged)
    assert len(paged["requests"]) == 2, paged["requests"]
    symbols = {r["symbol"] for r in paged["records"]}
    assert symbols <= {"AAPL", "MSFT"}, symbols


def test_news_paging_follows_next_page_token(report: dict[str, Any]) -> None:
    (paged,) = _entries(report, "get_news_iter")
    assert paged["count"] == 60, _failure(paged)
    assert len(paged["requests"]) == 2, paged["requests"]
    ids = [r["id"] for r in paged["records"]]
    assert len(set(ids)) == len(ids), ids


def test_async_latest_trade_is_answered_though_the_sdk_drops_it(report: dict[str, Any]) -> None:
    (entry,) = _entries(report, "AsyncRest.get_latest_trade_async")
    assert entry["ok"], _failure(entry)
    assert entry["count"] == 0
    assert re.match(r"GET /v2/stocks/AAPL/trades/latest -> 200 .*\"trade\"", entry["probe"])


def test_the_crypto_stream_on_its_default_path_is_refused_as_alpaca_refuses_it(
    report: dict[str, Any],
) -> None:
    """3.2.0 dials `/v1beta2/crypto`, which Alpaca retired: the handshake fails there (404), and
    old code follows Alpaca by setting the path of today (the `/v1beta3/crypto/us` cases)."""
    assert report["crypto_stream_default_url"].startswith("ws://")
    assert report["crypto_stream_default_url"].endswith(RETIRED_CRYPTO_PATH)
    found = next(s for s in report["streams"] if s["name"] == "crypto, SDK default path")
    assert not found["connected"]
    assert found["connect_errors"], found
    assert found["connect_errors"][0].endswith("HTTP 404"), found["connect_errors"]


def _stream_cases() -> Iterator[tuple[str, str]]:
    for stream, channels in STREAMS.items():
        for channel in channels:
            yield stream, channel


@pytest.mark.parametrize(("stream", "channel"), list(_stream_cases()))
def test_stream_channel_delivers_sensible_data(
    report: dict[str, Any], stream: str, channel: str
) -> None:
    found = next(s for s in report["streams"] if s["name"] == stream)
    diagnosis = json.dumps(
        {k: found[k] for k in ("url", "connect_errors", "server_messages", "dispatch_errors")}
    )
    assert found["connected"], diagnosis
    assert not found["dispatch_errors"], diagnosis
    received = found["channels"][channel]
    assert received["count"] > 0, diagnosis
    check_records(received["records"], stream=True)
