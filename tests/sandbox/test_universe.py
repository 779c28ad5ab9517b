"""The sandbox universe: enough real equities over every sector, the ETFs and the crypto pairs."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from uuid import uuid5

import pytest

from portfolio_rt.sandbox.universe import (
    SANDBOX_NAMESPACE,
    SECTORS,
    Instrument,
    Universe,
    default_universe,
)

# fmt: off
ETFS = [
    "SPY", "VOO", "VTI", "QQQ", "VXUS", "BND", "AGG", "SCHD", "XLK", "XLE", "XLF", "XLV", "GLD",
    "TLT", "ARKK", "IWM", "VEA", "VWO",
]
DIVIDEND_PAYERS = [
    "KO", "PEP", "JNJ", "PG", "XOM", "CVX", "T", "VZ", "MMM", "ABBV", "PFE", "MRK", "O", "NEE",
    "DUK", "SO", "JPM", "BAC", "WFC", "HD", "MCD", "IBM", "CSCO", "TXN", "MO", "PM", "SCHD", "BND",
    "AGG", "SPY",
]
# fmt: on


@pytest.fixture(scope="module")
def universe() -> Universe:
    return default_universe()


def test_universe_holds_at_least_320_equities(universe: Universe) -> None:
    equities = [inst for inst in universe if inst.asset_class == "us_equity"]
    assert len(equities) >= 320
    assert len(set(universe.symbols)) == len(universe)


def test_stocks_cover_all_eleven_gics_sectors(universe: Universe) -> None:
    stocks = [inst for inst in universe if inst.kind in ("large_cap", "small_cap")]
    assert {inst.sector for inst in stocks} == set(SECTORS)
    assert all(inst.industry for inst in stocks)
    assert Counter(inst.kind for inst in universe)["small_cap"] >= 5


def test_listed_etfs_are_present_and_classified(universe: Universe) -> None:
    for symbol in ETFS:
        inst = universe.get(symbol)
        assert inst is not None, symbol
        assert inst.asset_class == "us_equity"
        assert inst.kind.endswith("_etf")
        assert inst.exchange in ("ARCA", "NASDAQ")
        assert inst.fractionable
    sector_of = {"XLK": "Information Technology", "XLE": "Energy", "XLF": "Financials"}
    for symbol, sector in sector_of.items():
        inst = universe.get(symbol)
        assert inst is not None
        assert inst.sector == sector
    bnd = universe.get("BND")
    assert bnd is not None
    assert bnd.kind == "bond_etf"
    assert bnd.annual_vol < 0.08


def test_three_crypto_pairs_trade_on_crypto(universe: Universe) -> None:
    crypto = [inst for inst in universe if inst.asset_class == "crypto"]
    assert {inst.symbol for inst in crypto} >= {"BTC/USD", "ETH/USD", "SOL/USD"}
    assert all(inst.exchange == "CRYPTO" and inst.kind == "crypto" for inst in crypto)
    assert all(inst.annual_vol >= 0.6 for inst in crypto)


def test_lookup_by_symbol_any_case_or_asset_id(universe: Universe) -> None:
    apple = universe.get("aapl")
    assert apple is not None
    assert apple.symbol == "AAPL"
    assert apple.name == "Apple Inc. Common Stock"
    assert apple.exchange == "NASDAQ"
    assert universe.get(str(apple.asset_id)) is apple
    assert universe.get("BTCUSD") is universe.get("BTC/USD")
    assert universe.get("brk.b") is not None
    assert universe.get("NOPE") is None


def test_asset_ids_are_stable_uuid5(universe: Universe) -> None:
    spy = universe.get("SPY")
    assert spy is not None
    assert spy.asset_id == uuid5(SANDBOX_NAMESPACE, "SPY")
    assert default_universe().get("SPY") == spy


def test_known_dividend_payers_pay(universe: Universe) -> None:
    for symbol in DIVIDEND_PAYERS:
        inst = universe.get(symbol)
        assert inst is not None, symbol
        assert inst.dividend_yield > 0, symbol
    assert sum(1 for inst in universe if inst.dividend_yield > 0) >= 100
    amazon = universe.get("AMZN")
    assert amazon is not None
    assert amazon.dividend_yield == 0


def test_prices_and_vols_are_plausible(universe: Universe) -> None:
    for inst in universe:
        assert isinstance(inst.start_price, Decimal)
        assert inst.start_price > 0
        assert inst.start_price == inst.start_price.quantize(Decimal("0.01"))
        assert 0.03 <= inst.annual_vol <= 1.2
        assert inst.exchange in ("NASDAQ", "NYSE", "ARCA", "AMEX", "CRYPTO")
    stocks = [inst for inst in universe if inst.kind == "large_cap"]
    assert Counter(inst.exchange for inst in stocks)["NASDAQ"] >= 80


def test_a_custom_universe_is_possible() -> None:
    inst = Instrument(
        "ABC", "ABC Corp", "us_equity", "NYSE", "large_cap", "Energy", "Oil", 0.3,
        Decimal("10.00"), 0.0, True,
    )  # fmt: skip
    universe = Universe([inst])
    assert len(universe) == 1
    assert list(universe) == [inst]
    assert universe.symbols == ("ABC",)
    assert inst.target_price is None
