"""The reference data and its loader: the shipped figures are well formed, bad files refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portfolio_rt.analytics import reference
from portfolio_rt.analytics.models import ASSET_CLASSES, GICS_SECTORS, SECTORS

STOCK_CLASSES = {"US stocks", "International stocks"}


def test_every_sector_mix_sums_to_one_over_gics_sectors() -> None:
    assert reference.SECTOR_PROFILES
    for key, mix in reference.SECTOR_PROFILES.items():
        assert abs(sum(w for _, w in mix) - 1.0) <= 1e-12, key
        assert all(w > 0 for _, w in mix), key
        assert {s for s, _ in mix} <= set(GICS_SECTORS), key
        assert len({s for s, _ in mix}) == len(mix), key


def test_other_stocks_carry_a_gics_sector() -> None:
    for symbol, (_, sector, _, _) in reference.OTHER_STOCKS.items():
        assert sector in GICS_SECTORS, symbol


def test_every_fund_names_a_profile_or_one_sector_and_known_keys() -> None:
    for symbol, fund in reference.FUNDS.items():
        classes = {c for c, _ in fund.classes}
        assert classes <= set(ASSET_CLASSES), symbol
        assert fund.index is None or fund.index in reference.INDEXES, symbol
        if fund.sectors in reference.SECTOR_PROFILES or fund.sectors == reference.ALLOCATION:
            continue
        # A stock fund outside the profiles holds one GICS sector; others a non-GICS bucket.
        if classes <= STOCK_CLASSES:
            assert fund.sectors in GICS_SECTORS, symbol
        else:
            assert fund.sectors in SECTORS, symbol
            assert fund.sectors not in GICS_SECTORS, symbol


# A small, valid file in the shipped format; the tests below break one entry at a time.
MINIMAL = """
[sector_profiles.broad]
"Information Technology" = 60
Financials = 40.0

[indexes.broad]
top = [["AAPL", 0.1], ["JPM", 0.05]]
rest_count = 100
universe = "us_large"
internal_dr = 1.7

[indexes.broad_total]
top_from = "broad"
top_scale = 0.5
rest_count = 200
universe = "us_large"
internal_dr = 1.8

[fund_groups.stocks]
classes = { "US stocks" = 1.0 }
[fund_groups.stocks.funds]
AAA = { name = "A fund", sectors = "broad", index = "broad", vol = 0.16 }
TTT = { name = "Tech fund", sectors = "Information Technology", index = "broad", vol = 0.24 }

[fund_groups.balanced]
sectors = "allocation"
index = "broad_total"
stock_split = { "US stocks" = 0.6, "International stocks" = 0.4 }
[fund_groups.balanced.funds]
BAL = { name = "Balanced fund", stocks = 0.6, vol = 0.1 }

[fund_groups.gold]
classes = { Commodities = 1.0 }
sectors = "Commodities"
[fund_groups.gold.funds]
GGG = { name = "Gold fund", issuer = "commodity:gold", vol = 0.15 }

[other_stocks]
XYZ = { name = "Xyz Corp", sector = "Industrials", speculative = true }

[coins]
BTC = { name = "Bitcoin", vol = 0.55 }

[fallback_vol]
large_cap = 0.3
other_stock = 0.4
speculative = 0.6
unknown = 0.45
unknown_coin = 1.0
"""


def _broken(old: str, new: str) -> str:
    assert old in MINIMAL
    return MINIMAL.replace(old, new, 1)


def test_a_minimal_file_parses_with_defaults_scaling_and_normalisation() -> None:
    data = reference.parse(MINIMAL)
    assert data.sector_profiles["broad"] == (("Information Technology", 0.6), ("Financials", 0.4))
    assert data.indexes["broad_total"].top == (("AAPL", 0.1 * 0.5), ("JPM", 0.05 * 0.5))
    assert data.funds["TTT"] == reference.FundEntry(
        "Tech fund", (("US stocks", 1.0),), "Information Technology", "broad", 0.24
    )
    assert data.funds["BAL"].classes == (
        ("US stocks", 0.6 * 0.6), ("International stocks", 0.6 * 0.4), ("Bonds", 1.0 - 0.6),
    )  # fmt: skip
    assert data.funds["GGG"].issuer == "commodity:gold"
    assert data.other_stocks["XYZ"] == ("Xyz Corp", "Industrials", False, True)
    assert data.fallback_vol["unknown_coin"] == 1.0


def test_the_shipped_file_parses_to_the_module_tables() -> None:
    data = reference.parse(reference.read_shipped())
    assert data.funds == reference.FUNDS
    assert data.indexes == reference.INDEXES
    assert data.sector_profiles == reference.SECTOR_PROFILES
    assert data.other_stocks == reference.OTHER_STOCKS
    assert data.coins == reference.COINS
    assert reference.FUNDS["AOR"].classes == (
        ("US stocks", 0.6 * 0.6), ("International stocks", 0.6 * 0.4), ("Bonds", 1.0 - 0.6),
    )  # fmt: skip


def test_a_file_with_an_unknown_sector_is_refused_naming_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "reference.toml"
    bad.write_text(_broken('sectors = "Information Technology"', 'sectors = "Tech"'), "utf-8")
    with pytest.raises(ValueError, match=r"fund TTT: sectors 'Tech' is not"):
        reference.parse(bad.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("Financials = 40.0", "Finance = 40.0", "sector profile broad: 'Finance' is not a GICS"),
        ('sectors = "broad"', 'sectors = "brod"', "fund AAA: sectors 'brod' is not"),
        ('index = "broad", vol = 0.16', 'index = "wide", vol = 0.16', "fund AAA: index 'wide'"),
        ("{ Commodities = 1.0 }", "{ Commodity = 1.0 }", "fund GGG: 'Commodity' is not an asset"),
        ('issuer = "commodity:gold", ', "", "fund GGG: needs exactly one of index and issuer"),
        ('sector = "Industrials"', 'sector = "Transport"', "other stock XYZ: 'Transport' is not"),
        ('top_from = "broad"', 'top_from = "road"', "index broad_total: top_from 'road'"),
        ('["JPM", 0.05]', '["JPM", 0.95]', "index broad: the top holdings add up to 100%"),
        ("vol = 0.1 }", "vol = 0.1, volatility = 0.1 }", "fund BAL: unknown key 'volatility'"),
        ("[fund_groups.gold.funds]\n", "[fund_groups.gold.funds]\nAAA = { name = 'x' }\n",
         "fund AAA: listed twice"),
        ("unknown_coin = 1.0", "", "fallback_vol: missing key 'unknown_coin'"),
    ],
)  # fmt: skip
def test_bad_names_and_keys_are_refused_naming_the_entry(old: str, new: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        reference.parse(_broken(old, new))
