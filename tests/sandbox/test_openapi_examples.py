"""The sandbox's real answers against the examples of Alpaca's OpenAPI documents, field by field.

For each shape (account, trading account, position, transfer, trade document, asset, stock
and crypto trades, quotes, bars and snapshots; historical trades and quotes, order books, news,
auctions and the code tables) the sandbox is asked the operation the example documents, and
`openapi_examples.compare_with_example` checks that no field of the example is missing from the
answer, none has another JSON type, and every time has the example's form (see that module).
Each shape's row names its source (document and operation path); a failure message names the
example's exact origin (document, operation id, which example).

What may be absent, and why, is written next to each exception:
- anywhere: the pattern-day-trader fields Alpaca removed from its responses on 2026-07-06
  (alpaca-py 0.44's TradeAccount docstrings; the Nov-2025 document still lists them);
- per shape: fields for kinds of account or transfer the compared one is not (IRA, wire,
  beneficiaries, non-US residents), and `null`-only example fields the document's own schema
  does not allow to be `null` (an absent key and a `null` read the same in alpaca-py).

What no demo account has until it is made (a watchlist, a recipient bank) is made first, in a
world of the test's own (`MADE_SHAPES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any

import aiohttp
import pytest

from portfolio_rt.sandbox.app import RunningSandbox

from .openapi_examples import (
    Rules,
    TimeForm,
    child_schema,
    compare_with_example,
    operation_examples,
    pick,
    response_schema,
)

PDT_FIELDS: Mapping[str, str] = dict.fromkeys(
    (
        "daytrading_buying_power",
        "last_daytrading_buying_power",
        "pattern_day_trader",
        "daytrade_count",
        "last_daytrade_count",
        "bod_dtbp",
    ),
    "removed from Alpaca's responses on 2026-07-06 (FINRA intraday-margin change)",
)

NULL_ONLY_IDENTITY = "null in the example, and the schema's string does not allow null"
FUNDING_TIMES: tuple[TimeForm, str] = (
    "micro",
    "the example's times are Stoplight's placeholder (2019-08-24T14:15:22Z); real transfers "
    "carry microseconds (alpaca-py tests/broker/broker_client/test_funding_routes.py, 2024)",
)


@dataclass(frozen=True)
class Shape:
    """One operation: where its example is, how to ask the sandbox, what may differ."""

    name: str
    spec: str
    path: str
    """The operation's path template in the document (all GET)."""
    url: str
    """What the sandbox is asked: `{account}` and `{today}`/`{hour_ago}` are filled in."""
    host: str = "broker"
    example_pick: tuple[str | int, ...] = ()
    answer_pick: tuple[str | int, ...] = ()
    rules: Rules = field(default_factory=Rules)
    made_by: tuple[str, Mapping[str, Any]] | None = None
    """A POST (path, body) that first makes what is asked for, in a world of the test's own;
    `{created}` in `url` is the id it answers."""


SHAPES = (
    Shape(
        "account",
        "broker-api",
        "/v1/accounts/{account_id}",
        "/v1/accounts/{account}",
        rules=Rules(
            absent={
                "identity.visa_type": NULL_ONLY_IDENTITY,
                "identity.visa_expiration_date": NULL_ONLY_IDENTITY,
                "identity.date_of_departure_from_usa": NULL_ONLY_IDENTITY,
                "identity.permanent_resident": NULL_ONLY_IDENTITY,
                "account_sub_type": "null in the example (IRA accounts only); the schema's "
                "enum does not allow null",
                "trading_configurations": "null in the example; the schema's object does not "
                "allow null (alpaca-py ignores the key)",
                "beneficiaries": "IRA and custodial accounts only; sandbox accounts are "
                "individual trading accounts",
                "documents[].content": "a signed link to the document's image; the sandbox "
                "keeps no images",
            },
        ),
    ),
    Shape(
        "trading account",
        "broker-api",
        "/v1/trading/accounts/{account_id}/account",
        "/v1/trading/accounts/{account}/account",
        rules=Rules(absent_anywhere=PDT_FIELDS),
    ),
    Shape(
        "position",
        "broker-api",
        "/v1/trading/accounts/{account_id}/positions",
        "/v1/trading/accounts/{account}/positions",
        example_pick=(0,),
        answer_pick=(0,),
    ),
    Shape(
        "transfer",
        "broker-api",
        "/v1/accounts/{account_id}/transfers",
        "/v1/accounts/{account}/transfers",
        example_pick=(0,),
        answer_pick=(0,),
        rules=Rules(
            absent={
                "bank_id": "wire transfers only (the field's description); the compared "
                "transfer is an ACH one",
                "ira": "IRA accounts only (the field's description)",
            },
            time_forms={
                "created_at": FUNDING_TIMES,
                "updated_at": FUNDING_TIMES,
                "expires_at": FUNDING_TIMES,
            },
        ),
    ),
    Shape(
        "trade document",
        "broker-api",
        "/v1/accounts/{account_id}/documents",
        "/v1/accounts/{account}/documents",
        example_pick=(0,),
        answer_pick=(0,),
    ),
    Shape(
        "asset",
        "broker-api",
        "/v1/assets/{symbol_or_asset_id}",
        "/v1/assets/AAPL",
    ),
    Shape(
        "stock trade",
        "market-data-api",
        "/v2/stocks/trades/latest",
        "/v2/stocks/trades/latest?symbols=AAPL",
        host="data",
        example_pick=("trades", "AAPL"),
        answer_pick=("trades", "AAPL"),
    ),
    Shape(
        "stock quote",
        "market-data-api",
        "/v2/stocks/quotes/latest",
        "/v2/stocks/quotes/latest?symbols=AAPL",
        host="data",
        example_pick=("quotes", "AAPL"),
        answer_pick=("quotes", "AAPL"),
    ),
    Shape(
        "stock bar",
        "market-data-api",
        "/v2/stocks/bars",
        "/v2/stocks/bars?symbols=AAPL&timeframe=1Day&start={week_ago}",
        host="data",
        example_pick=("bars", "AAPL", 0),
        answer_pick=("bars", "AAPL", 0),
    ),
    Shape(
        "stock latest bar",
        "market-data-api",
        "/v2/stocks/bars/latest",
        "/v2/stocks/bars/latest?symbols=AAPL",
        host="data",
        example_pick=("bars", "AAPL"),
        answer_pick=("bars", "AAPL"),
    ),
    Shape(
        "stock snapshot",
        "market-data-api",
        "/v2/stocks/snapshots",
        "/v2/stocks/snapshots?symbols=AAPL",
        host="data",
        example_pick=("AAPL",),
        answer_pick=("AAPL",),
    ),
    Shape(
        "crypto trade",
        "market-data-api",
        "/v1beta3/crypto/{loc}/latest/trades",
        "/v1beta3/crypto/us/latest/trades?symbols=BTC/USD",
        host="data",
        example_pick=("trades", "BTC/USD"),
        answer_pick=("trades", "BTC/USD"),
    ),
    Shape(
        "crypto quote",
        "market-data-api",
        "/v1beta3/crypto/{loc}/latest/quotes",
        "/v1beta3/crypto/us/latest/quotes?symbols=BTC/USD",
        host="data",
        example_pick=("quotes", "BTC/USD"),
        answer_pick=("quotes", "BTC/USD"),
    ),
    Shape(
        "crypto bar",
        "market-data-api",
        "/v1beta3/crypto/{loc}/bars",
        "/v1beta3/crypto/us/bars?symbols=BTC/USD&timeframe=1Min&start={hour_ago}",
        host="data",
        example_pick=("bars", "BTC/USD", 0),
        answer_pick=("bars", "BTC/USD", 0),
    ),
    Shape(
        "crypto snapshot",
        "market-data-api",
        "/v1beta3/crypto/{loc}/snapshots",
        "/v1beta3/crypto/us/snapshots?symbols=BTC/USD",
        host="data",
        example_pick=("snapshots", "BTC/USD"),
        answer_pick=("snapshots", "BTC/USD"),
    ),
    Shape(
        "stock historical trade",
        "market-data-api",
        "/v2/stocks/trades",
        "/v2/stocks/trades?symbols=AAPL&start={week_ago}&limit=2",
        host="data",
        example_pick=("trades", "AAPL", 0),
        answer_pick=("trades", "AAPL", 0),
    ),
    Shape(
        "stock historical trade (one symbol)",
        "market-data-api",
        "/v2/stocks/{symbol}/trades",
        "/v2/stocks/AAPL/trades?start={week_ago}&limit=2",
        host="data",
        example_pick=("trades", 0),
        answer_pick=("trades", 0),
    ),
    Shape(
        "stock historical quote",
        "market-data-api",
        "/v2/stocks/quotes",
        "/v2/stocks/quotes?symbols=AAPL&start={week_ago}&limit=2",
        host="data",
        example_pick=("quotes", "AAPL", 0),
        answer_pick=("quotes", "AAPL", 0),
    ),
    Shape(
        "stock historical quote (one symbol)",
        "market-data-api",
        "/v2/stocks/{symbol}/quotes",
        "/v2/stocks/AAPL/quotes?start={week_ago}&limit=2",
        host="data",
        example_pick=("quotes", 0),
        answer_pick=("quotes", 0),
    ),
    Shape(
        "crypto historical trade",
        "market-data-api",
        "/v1beta3/crypto/{loc}/trades",
        "/v1beta3/crypto/us/trades?symbols=BTC/USD&start={hour_ago}&limit=2",
        host="data",
        example_pick=("trades", "BTC/USD", 0),
        answer_pick=("trades", "BTC/USD", 0),
    ),
    Shape(
        "crypto historical quote",
        "market-data-api",
        "/v1beta3/crypto/{loc}/quotes",
        "/v1beta3/crypto/us/quotes?symbols=BTC/USD&start={hour_ago}&limit=2",
        host="data",
        example_pick=("quotes", "BTC/USD", 0),
        answer_pick=("quotes", "BTC/USD", 0),
    ),
    Shape(
        "crypto order book",
        "market-data-api",
        "/v1beta3/crypto/{loc}/latest/orderbooks",
        "/v1beta3/crypto/us/latest/orderbooks?symbols=BTC/USD",
        host="data",
        example_pick=("orderbooks", "BTC/USD"),
        answer_pick=("orderbooks", "BTC/USD"),
    ),
    Shape(
        "news article",
        "market-data-api",
        "/v1beta1/news",
        "/v1beta1/news?start={week_ago}&include_content=true&exclude_contentless=true",
        host="data",
        example_pick=("news", 0),
        answer_pick=("news", 0),
    ),
    Shape(
        "stock auctions",
        "market-data-api",
        "/v2/stocks/auctions",
        "/v2/stocks/auctions?symbols=AAPL&start={week_ago}",
        host="data",
        example_pick=("auctions", "AAPL", 0),
        answer_pick=("auctions", "AAPL", 0),
    ),
    Shape(
        "stock auctions (one symbol)",
        "market-data-api",
        "/v2/stocks/{symbol}/auctions",
        "/v2/stocks/AAPL/auctions?start={week_ago}",
        host="data",
        example_pick=("auctions", 0),
        answer_pick=("auctions", 0),
    ),
    Shape(
        "trade conditions",
        "market-data-api",
        "/v2/stocks/meta/conditions/{ticktype}",
        "/v2/stocks/meta/conditions/trade?tape=C",
        host="data",
    ),
    Shape(
        "exchange codes",
        "market-data-api",
        "/v2/stocks/meta/exchanges",
        "/v2/stocks/meta/exchanges",
        host="data",
    ),
)


async def _answer(server: RunningSandbox, shape: Shape, created: str = "") -> Any:
    sandbox = server.sandbox
    now = sandbox.now()
    url = shape.url.format(
        created=created,
        account=sandbox.personas["maya"],  # holds positions, has transfers
        week_ago=(now - timedelta(days=7)).date().isoformat(),
        hour_ago=(now - timedelta(hours=1)).astimezone(UTC).isoformat().replace("+00:00", "Z"),
    )
    config = sandbox.config
    if shape.host == "data":
        base = server.data_url
        kwargs: dict[str, Any] = {
            "headers": {"APCA-API-KEY-ID": config.key, "APCA-API-SECRET-KEY": config.secret}
        }
    else:
        base = server.broker_url
        kwargs = {"auth": aiohttp.BasicAuth(config.key, config.secret)}
    async with aiohttp.ClientSession() as session, session.get(base + url, **kwargs) as response:
        assert response.status == 200, await response.text()
        return await response.json()


@pytest.mark.parametrize("shape", SHAPES, ids=[s.name for s in SHAPES])
async def test_the_sandbox_answers_like_the_documents_examples(
    sandbox_server: RunningSandbox, shape: Shape
) -> None:
    answer = pick(await _answer(sandbox_server, shape), shape.answer_pick)
    schema = response_schema(shape.spec, "GET", shape.path)
    for key in shape.answer_pick:
        schema = child_schema(shape.spec, schema, key)
    report = []
    for source, example in operation_examples(shape.spec, "GET", shape.path):
        problems = compare_with_example(
            pick(example, shape.example_pick),
            answer,
            spec_name=shape.spec,
            schema=schema,
            rules=shape.rules,
        )
        report += [f"{source}\n  " + "\n  ".join(problems)] if problems else []
    assert not report, "\n".join(report)


MADE_SHAPES = (
    Shape(
        "watchlist",
        "broker-api",
        "/v1/trading/accounts/{account_id}/watchlists/{watchlist_id}",
        "/v1/trading/accounts/{account}/watchlists/{created}",
        made_by=(
            "/v1/trading/accounts/{account}/watchlists",
            {"name": "Tech", "symbols": ["AAPL", "MSFT"]},
        ),
    ),
    Shape(
        "recipient bank",
        "broker-api",
        "/v1/accounts/{account_id}/recipient_banks",
        "/v1/accounts/{account}/recipient_banks",
        example_pick=(0,),
        answer_pick=(0,),
        made_by=(
            "/v1/accounts/{account}/recipient_banks",
            {
                "name": "Bank XYZ",
                "bank_code": "121000358",
                "bank_code_type": "ABA",
                "account_number": "123456789abc",
            },
        ),
    ),
)
"""Shapes of what no demo account has until it is made (a world of the test's own)."""


@pytest.mark.parametrize("shape", MADE_SHAPES, ids=[s.name for s in MADE_SHAPES])
async def test_what_an_account_makes_answers_like_the_documents_examples(
    fresh_sandbox_server: RunningSandbox, shape: Shape
) -> None:
    assert shape.made_by is not None
    path, body = shape.made_by
    config = fresh_sandbox_server.sandbox.config
    account = fresh_sandbox_server.sandbox.personas["maya"]
    async with (
        aiohttp.ClientSession(auth=aiohttp.BasicAuth(config.key, config.secret)) as session,
        session.post(fresh_sandbox_server.broker_url + path.format(account=account), json=body)
        as response,
    ):  # fmt: skip
        assert response.status == 200, await response.text()
        created = (await response.json())["id"]
    answer = pick(await _answer(fresh_sandbox_server, shape, created), shape.answer_pick)
    schema = response_schema(shape.spec, "GET", shape.path)
    for key in shape.answer_pick:
        schema = child_schema(shape.spec, schema, key)
    report = []
    for source, example in operation_examples(shape.spec, "GET", shape.path):
        example = pick(example, shape.example_pick)
        problems = compare_with_example(
            example, answer, spec_name=shape.spec, schema=schema, rules=shape.rules
        )
        report += [f"{source}\n  " + "\n  ".join(problems)] if problems else []
    assert not report, "\n".join(report)


# -------------------------------------------------------------------------- the comparison


def test_the_comparison_reports_missing_fields_types_and_time_forms() -> None:
    example = {
        "t": "2022-08-17T09:50:43.361102308Z",
        "s": 100,
        "c": ["@"],
        "nested": {"at": "2022-01-21T21:25:26.583576Z", "gone": 1},
        "reason": "string",
    }
    answer: dict[str, Any] = {
        "t": "2022-08-17T09:50:43.361102Z",  # microseconds where Alpaca has nanoseconds
        "s": "100",  # a string where the example has a number
        "c": [],
        "nested": {"at": "2022-01-21T21:25:26.583576789Z"},
        "reason": None,
    }
    problems = compare_with_example(
        example, answer, spec_name="market-data-api", schema={}, rules=Rules()
    )
    text = "\n".join(problems)
    assert "t: '2022-08-17T09:50:43.361102Z' is a micro/Z time, real answers are nano/Z" in text
    assert "s: string '100' where the example has 100" in text
    assert "c: empty" in text
    assert "nested.gone: missing" in text
    assert "nested.at: '2022-01-21T21:25:26.583576789Z' is a nano/Z time" in text
    assert "reason: null where the example has 'string' (not nullable)" in text
    assert len(problems) == 6


def test_the_comparison_honours_documented_exceptions() -> None:
    example = [{"bank_id": "x", "created_at": "2019-08-24T14:15:22Z", "reason": "string"}]
    answer = [{"created_at": "2024-07-15T13:40:01.963459Z", "reason": None}]
    schema = response_schema("broker-api", "GET", "/v1/accounts/{account_id}/transfers")
    rules = Rules(absent={"[].bank_id": "wire only"}, time_forms={"[].created_at": FUNDING_TIMES})
    assert compare_with_example(example, answer, spec_name="broker-api", schema=schema,
                                rules=rules) == []  # fmt: skip
    strict = compare_with_example(example, answer, spec_name="broker-api", schema=schema)
    assert any(p.startswith("[].bank_id: missing") for p in strict)
    assert any(p.startswith("[].created_at:") for p in strict)


def test_examples_name_their_source() -> None:
    (trades,) = operation_examples("market-data-api", "GET", "/v2/stocks/trades/latest")
    assert trades[0] == (
        "market-data-api.json GET /v2/stocks/trades/latest (StockLatestTrades): "
        "response example 'trades'"
    )
    positions = operation_examples(
        "broker-api", "GET", "/v1/trading/accounts/{account_id}/positions"
    )
    assert positions[0][0].endswith(
        "`x-examples` 'example-1' of schema Position, as an array's element"
    )
    (asset,) = operation_examples("broker-api", "GET", "/v1/assets/{symbol_or_asset_id}")
    assert asset[0].endswith("assembled from the properties' examples of schema Asset")
    assert asset[1]["symbol"] == "AAPL"
