"""The classification table: S&P 500 members, funds, ADRs, crypto, and the unknown."""

from __future__ import annotations

import pytest

from portfolio_rt.analytics import Classifier
from portfolio_rt.analytics.diversification import look_through
from portfolio_rt.analytics.models import GICS_SECTORS, SECTORS
from portfolio_rt.analytics.reference import FUNDS, INDEXES, SECTOR_PROFILES
from portfolio_rt.sandbox.universe import default_universe


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.default()


def test_sp500_members_carry_their_gics_sector(classifier: Classifier) -> None:
    apple = classifier.classify("AAPL")
    assert apple.kind == "stock"
    assert apple.sectors == (("Information Technology", 1.0),)
    assert apple.asset_classes == (("US stocks", 1.0),)


def test_share_classes_of_one_company_are_one_issuer(classifier: Classifier) -> None:
    assert classifier.classify("GOOGL").issuer == classifier.classify("GOOG").issuer
    assert classifier.classify("BRK-B").issuer == classifier.classify("BRK.B").issuer


@pytest.mark.parametrize("symbol", ["BTC/USD", "BTCUSD", "btc-usd", "BTC/USDT"])
def test_crypto_pairs_in_any_spelling_are_bitcoin(classifier: Classifier, symbol: str) -> None:
    c = classifier.classify(symbol, "crypto")
    assert c.issuer == "coin:BTC"
    assert c.asset_classes == (("Crypto", 1.0),)


def test_an_unknown_coin_is_still_crypto(classifier: Classifier) -> None:
    c = classifier.classify("NEWCOIN/USD", "crypto")
    assert c.asset_classes == (("Crypto", 1.0),)
    assert c.proxy_vol == 1.0


def test_a_bitcoin_fund_is_the_same_issuer_as_bitcoin(classifier: Classifier) -> None:
    assert classifier.classify("IBIT").issuer == classifier.classify("BTC/USD", "crypto").issuer


def test_unknown_symbols_go_to_other_never_dropped(classifier: Classifier) -> None:
    c = classifier.classify("ZZZQ")
    assert not c.known
    assert c.asset_classes == (("Other", 1.0),)
    assert c.sectors == (("Other", 1.0),)


@pytest.mark.parametrize(
    ("symbol", "asset_class", "sector"),
    [
        ("XLK", "US stocks", "Information Technology"),
        ("XLE", "US stocks", "Energy"),
        ("BND", "Bonds", "Fixed income"),
        ("GLD", "Commodities", "Commodities"),
        ("VXUS", "International stocks", "Financials"),
        ("TSM", "International stocks", "Information Technology"),
    ],
)
def test_funds_and_adrs_are_classified(
    classifier: Classifier, symbol: str, asset_class: str, sector: str
) -> None:
    c = classifier.classify(symbol)
    assert dict(c.asset_classes)[asset_class] > 0
    assert dict(c.sectors)[sector] > 0


def test_a_broad_fund_spreads_over_all_eleven_sectors(classifier: Classifier) -> None:
    sectors = dict(classifier.classify("VOO").sectors)
    assert set(sectors) == set(GICS_SECTORS)
    assert sum(sectors.values()) == pytest.approx(1.0)


def test_every_table_entry_is_well_formed() -> None:
    for profile in SECTOR_PROFILES.values():
        assert sum(w for _, w in profile) == pytest.approx(1.0)
        assert {s for s, _ in profile} <= set(GICS_SECTORS)
    classifier = Classifier.default()
    for symbol, fund in FUNDS.items():
        c = classifier.classify(symbol)
        assert sum(w for _, w in c.asset_classes) == pytest.approx(1.0), symbol
        assert sum(w for _, w in c.sectors) == pytest.approx(1.0), symbol
        assert {s for s, _ in c.sectors} <= set(SECTORS), symbol
        assert (fund.index is None) != (fund.issuer is None), symbol
        assert fund.index is None or fund.index in INDEXES, symbol
    for index in INDEXES.values():
        assert sum(w for _, w in index.top) < 1.0
        for symbol, _ in index.top:
            assert classifier.classify(symbol).known, symbol


def test_every_sandbox_instrument_is_classified_with_the_sandboxs_sector() -> None:
    classifier = Classifier.default()
    for inst in default_universe():
        c = classifier.classify(inst.symbol, inst.asset_class)
        assert c.known, inst.symbol
        if inst.sector and inst.kind != "sector_etf":
            assert dict(c.sectors) == {inst.sector: 1.0}, inst.symbol


def test_funds_on_the_same_index_count_as_one_fund(classifier: Classifier) -> None:
    one = look_through([classifier.classify("VOO")], [1.0], classifier)
    three = look_through(
        [classifier.classify(s) for s in ("VOO", "SPY", "IVV")], [1 / 3] * 3, classifier
    )
    assert three.hhi == pytest.approx(one.hhi)
    assert 30 < 1 / one.hhi < 80


def test_a_stock_held_directly_and_inside_a_fund_is_one_issuer(classifier: Classifier) -> None:
    lt = look_through(
        [classifier.classify("AAPL"), classifier.classify("VOO")], [0.4, 0.6], classifier
    )
    name, weight = lt.top(1)[0]
    assert name == "AAPL"
    assert weight == pytest.approx(0.4 + 0.6 * 0.065)
