"""The project's own classification table: ETFs, ADRs, popular non-S&P stocks and crypto.

S&P 500 members come from `portfolio_rt/data/sp500_constituents.csv`; everything here is
hand-made. Fund sector mixes and top holdings are approximate, rounded figures for the
mid-2020s (from the issuers' fact sheets as commonly published); they are good enough to
tell an investor where their money sits, not for compliance reporting. Refresh them yearly.
"""

from __future__ import annotations

from dataclasses import dataclass

from portfolio_rt.analytics.models import (
    BONDS,
    COMMODITIES,
    CRYPTO,
    FIXED_INCOME,
    INTL_STOCKS,
    US_STOCKS,
)

COMM = "Communication Services"
DISC = "Consumer Discretionary"
STAP = "Consumer Staples"
ENER = "Energy"
FIN = "Financials"
HLTH = "Health Care"
INDU = "Industrials"
TECH = "Information Technology"
MATS = "Materials"
REAL = "Real Estate"
UTIL = "Utilities"

Mix = tuple[tuple[str, float], ...]


def _mix(**weights: float) -> Mix:
    """Weights given in percent (any total) as fractions summing to one."""
    names = {
        "comm": COMM, "disc": DISC, "stap": STAP, "ener": ENER, "fin": FIN, "hlth": HLTH,
        "indu": INDU, "tech": TECH, "mats": MATS, "real": REAL, "util": UTIL,
    }  # fmt: skip
    total = sum(weights.values())
    return tuple((names[key], value / total) for key, value in weights.items())


# Sector mixes of the main index families (percent, approximate).
SECTOR_PROFILES: dict[str, Mix] = {
    "sp500": _mix(tech=33, fin=13, disc=10.5, comm=10, hlth=9.5, indu=8.5, stap=5.5, ener=3,
                  util=2.5, real=2, mats=2),
    "us_total": _mix(tech=31, fin=13, disc=10.5, hlth=10, indu=9.5, comm=9, stap=5, ener=3,
                     util=2.5, real=2.5, mats=2.5),
    "nasdaq100": _mix(tech=52, comm=16, disc=13, hlth=5, stap=5, indu=5, util=1.5, mats=1,
                      ener=0.5, fin=0.5, real=0.5),
    "us_growth": _mix(tech=52, disc=17, comm=13, hlth=5, indu=5, fin=5, stap=1, real=1, mats=1),
    "us_value": _mix(fin=22, hlth=16, indu=14, tech=9, stap=9, ener=7, util=5, disc=5, comm=4,
                     mats=4, real=3),
    "us_dividend": _mix(ener=19, stap=19, hlth=16, indu=12, fin=9, disc=8, tech=8, comm=5,
                        mats=3, util=1),
    "us_high_dividend": _mix(fin=21, indu=13, hlth=12, stap=11, tech=11, ener=9, util=7, disc=6,
                             comm=5, mats=3, real=2),
    "us_small": _mix(indu=17, fin=17, hlth=16, tech=13, disc=10, real=6, ener=5, mats=4,
                     util=3, stap=3, comm=3),
    "us_mid": _mix(indu=19, fin=16, disc=14, tech=12, hlth=9, real=8, mats=6, stap=5, ener=5,
                   util=4, comm=2),
    "intl_developed": _mix(fin=23, indu=18, hlth=10, disc=10, tech=9, stap=7, mats=7, comm=5,
                           ener=5, util=3, real=3),
    "intl_emerging": _mix(tech=24, fin=23, disc=13, comm=9, indu=7, mats=7, ener=5, stap=5,
                          hlth=4, util=2, real=1),
    "intl_total": _mix(fin=22, indu=15, tech=13, disc=11, hlth=8, mats=7, stap=6, comm=6,
                       ener=5, util=3, real=2),
    "world": _mix(tech=26, fin=17, indu=11, disc=10.5, hlth=9.5, comm=8, stap=5.5, ener=3.7,
                  mats=3.5, util=2.6, real=2.2),
    "innovation": _mix(tech=35, hlth=15, comm=15, disc=15, fin=15, indu=5),
}  # fmt: skip


@dataclass(frozen=True)
class IndexProfile:
    """What a diversified fund holds, for look-through.

    `top` lists the largest issuers by symbol with their share of the fund; the rest of the
    fund is spread like `rest_count` equal holdings from the pool `universe` (funds drawing on
    the same pool are assumed to hold the same names there). `internal_dr` is the fund's own
    diversification ratio: the average volatility of what it holds over the fund's volatility.
    """

    top: tuple[tuple[str, float], ...]
    rest_count: float
    universe: str
    internal_dr: float


_SP500_TOP = (
    ("NVDA", 0.075), ("MSFT", 0.065), ("AAPL", 0.065), ("AMZN", 0.04), ("GOOGL", 0.04),
    ("META", 0.03), ("AVGO", 0.027), ("TSLA", 0.022), ("BRK.B", 0.016), ("JPM", 0.015),
)  # fmt: skip


def _scaled(top: tuple[tuple[str, float], ...], factor: float) -> tuple[tuple[str, float], ...]:
    return tuple((symbol, weight * factor) for symbol, weight in top)


INDEXES: dict[str, IndexProfile] = {
    "sp500": IndexProfile(_SP500_TOP, 120, "us_large", 1.7),
    "us_total": IndexProfile(_scaled(_SP500_TOP, 0.87), 250, "us_large", 1.8),
    "nasdaq100": IndexProfile(
        (("NVDA", 0.09), ("MSFT", 0.08), ("AAPL", 0.08), ("AMZN", 0.055), ("GOOGL", 0.055),
         ("AVGO", 0.05), ("META", 0.035), ("TSLA", 0.03), ("NFLX", 0.025), ("COST", 0.025)),
        50, "us_large", 1.5),
    "us_growth": IndexProfile(
        (("NVDA", 0.12), ("MSFT", 0.11), ("AAPL", 0.11), ("AMZN", 0.07), ("GOOGL", 0.07),
         ("META", 0.05), ("AVGO", 0.045), ("TSLA", 0.035), ("LLY", 0.02), ("V", 0.018)),
        60, "us_large", 1.5),
    "us_value": IndexProfile((("BRK.B", 0.035), ("JPM", 0.03)), 150, "us_large", 1.7),
    "us_dividend": IndexProfile((), 40, "us_dividend", 1.6),
    "us_high_dividend": IndexProfile((("JPM", 0.04), ("XOM", 0.025)), 150, "us_large", 1.7),
    "us_small": IndexProfile((), 1000, "us_small", 2.0),
    "us_mid": IndexProfile((), 300, "us_mid", 1.8),
    "intl_developed": IndexProfile((), 300, "intl_developed", 1.8),
    "intl_emerging": IndexProfile((("TSM", 0.09),), 150, "intl_emerging", 1.8),
    "intl_total": IndexProfile((("TSM", 0.025),), 500, "intl", 1.9),
    "world": IndexProfile(
        (("NVDA", 0.045), ("MSFT", 0.038), ("AAPL", 0.038), ("AMZN", 0.024), ("GOOGL", 0.024),
         ("META", 0.018), ("AVGO", 0.016), ("TSLA", 0.013), ("TSM", 0.011), ("BRK.B", 0.009)),
        600, "world", 1.9),
    "innovation": IndexProfile((("TSLA", 0.10), ("COIN", 0.08), ("ROKU", 0.07)), 20,
                               "innovation", 1.3),
    # Sector funds: their sector's biggest names, then a thinner rest.
    "sector_tech": IndexProfile((("NVDA", 0.14), ("AAPL", 0.13), ("MSFT", 0.12), ("AVGO", 0.05)),
                                25, "sector_tech", 1.3),
    "sector_semis": IndexProfile((("NVDA", 0.20), ("AVGO", 0.10), ("TSM", 0.08)), 15,
                                 "sector_semis", 1.3),
    "sector_financials": IndexProfile((("BRK.B", 0.12), ("JPM", 0.10), ("V", 0.08), ("MA", 0.06)),
                                      25, "sector_financials", 1.3),
    "sector_health": IndexProfile((("LLY", 0.13), ("JNJ", 0.07), ("UNH", 0.05), ("ABBV", 0.05)),
                                  25, "sector_health", 1.3),
    "sector_biotech": IndexProfile((), 60, "sector_biotech", 1.4),
    "sector_energy": IndexProfile((("XOM", 0.23), ("CVX", 0.17), ("COP", 0.07)), 10,
                                  "sector_energy", 1.2),
    "sector_comm": IndexProfile((("META", 0.22), ("GOOGL", 0.22), ("NFLX", 0.06)), 10,
                                "sector_comm", 1.3),
    "sector_disc": IndexProfile((("AMZN", 0.22), ("TSLA", 0.15), ("HD", 0.07)), 15,
                                "sector_disc", 1.3),
    "sector_staples": IndexProfile((("COST", 0.10), ("WMT", 0.10), ("PG", 0.09)), 15,
                                   "sector_staples", 1.3),
    "sector_industrials": IndexProfile((), 40, "sector_industrials", 1.4),
    "sector_materials": IndexProfile((("LIN", 0.16),), 15, "sector_materials", 1.3),
    "sector_utilities": IndexProfile((("NEE", 0.12),), 15, "sector_utilities", 1.3),
    "sector_real_estate": IndexProfile((("PLD", 0.08), ("AMT", 0.07)), 30, "sector_real_estate",
                                       1.3),
    "us_bonds": IndexProfile((), 1000, "us_bonds", 1.3),
    "us_treasuries": IndexProfile((), 30, "us_treasuries", 1.05),
    "us_corporate_bonds": IndexProfile((), 500, "us_corporate_bonds", 1.3),
    "intl_bonds": IndexProfile((), 800, "intl_bonds", 1.3),
    "allocation": IndexProfile((), 800, "allocation", 1.6),
}  # fmt: skip


@dataclass(frozen=True)
class FundEntry:
    """One ETF: asset-class split, sector mix (a profile key or one sector), look-through index."""

    name: str
    classes: tuple[tuple[str, float], ...]
    sectors: str
    index: str | None
    proxy_vol: float
    issuer: str | None = None


def _equity(name: str, profile: str, index: str, vol: float, intl: bool = False) -> FundEntry:
    return FundEntry(name, ((INTL_STOCKS if intl else US_STOCKS, 1.0),), profile, index, vol)


def _sector(name: str, sector: str, index: str, vol: float) -> FundEntry:
    return FundEntry(name, ((US_STOCKS, 1.0),), sector, index, vol)


def _bond(name: str, index: str, vol: float) -> FundEntry:
    return FundEntry(name, ((BONDS, 1.0),), FIXED_INCOME, index, vol)


def _alloc(name: str, stocks: float, vol: float) -> FundEntry:
    us, intl = stocks * 0.6, stocks * 0.4
    return FundEntry(name, ((US_STOCKS, us), (INTL_STOCKS, intl), (BONDS, 1.0 - stocks)),
                     "allocation", "allocation", vol)  # fmt: skip


def _commodity(name: str, issuer: str, vol: float) -> FundEntry:
    return FundEntry(name, ((COMMODITIES, 1.0),), COMMODITIES, None, vol, issuer=issuer)


def _coin_fund(name: str, coin: str, vol: float) -> FundEntry:
    return FundEntry(name, ((CRYPTO, 1.0),), CRYPTO, None, vol, issuer=f"coin:{coin}")


FUNDS: dict[str, FundEntry] = {
    # Broad US stock funds.
    "SPY": _equity("SPDR S&P 500 ETF Trust", "sp500", "sp500", 0.16),
    "VOO": _equity("Vanguard S&P 500 ETF", "sp500", "sp500", 0.16),
    "IVV": _equity("iShares Core S&P 500 ETF", "sp500", "sp500", 0.16),
    "SPLG": _equity("SPDR Portfolio S&P 500 ETF", "sp500", "sp500", 0.16),
    "RSP": _equity("Invesco S&P 500 Equal Weight ETF", "sp500", "us_mid", 0.17),
    "VTI": _equity("Vanguard Total Stock Market ETF", "us_total", "us_total", 0.165),
    "ITOT": _equity("iShares Core S&P Total U.S. Stock Market ETF", "us_total", "us_total", 0.165),
    "SCHB": _equity("Schwab U.S. Broad Market ETF", "us_total", "us_total", 0.165),
    "SCHX": _equity("Schwab U.S. Large-Cap ETF", "sp500", "sp500", 0.16),
    "VV": _equity("Vanguard Large-Cap ETF", "sp500", "sp500", 0.16),
    "QQQ": _equity("Invesco QQQ Trust", "nasdaq100", "nasdaq100", 0.22),
    "QQQM": _equity("Invesco NASDAQ 100 ETF", "nasdaq100", "nasdaq100", 0.22),
    "VUG": _equity("Vanguard Growth ETF", "us_growth", "us_growth", 0.21),
    "SCHG": _equity("Schwab U.S. Large-Cap Growth ETF", "us_growth", "us_growth", 0.21),
    "IWF": _equity("iShares Russell 1000 Growth ETF", "us_growth", "us_growth", 0.21),
    "MGK": _equity("Vanguard Mega Cap Growth ETF", "us_growth", "us_growth", 0.22),
    "VTV": _equity("Vanguard Value ETF", "us_value", "us_value", 0.15),
    "IWD": _equity("iShares Russell 1000 Value ETF", "us_value", "us_value", 0.15),
    "SCHD": _equity("Schwab U.S. Dividend Equity ETF", "us_dividend", "us_dividend", 0.15),
    "VYM": _equity("Vanguard High Dividend Yield ETF", "us_high_dividend", "us_high_dividend",
                   0.15),
    "DGRO": _equity("iShares Core Dividend Growth ETF", "us_high_dividend", "us_high_dividend",
                    0.15),
    "VIG": _equity("Vanguard Dividend Appreciation ETF", "us_high_dividend", "us_high_dividend",
                   0.15),
    "IWM": _equity("iShares Russell 2000 ETF", "us_small", "us_small", 0.22),
    "VB": _equity("Vanguard Small-Cap ETF", "us_small", "us_small", 0.21),
    "IJR": _equity("iShares Core S&P Small-Cap ETF", "us_small", "us_small", 0.22),
    "AVUV": _equity("Avantis U.S. Small Cap Value ETF", "us_small", "us_small", 0.24),
    "VO": _equity("Vanguard Mid-Cap ETF", "us_mid", "us_mid", 0.18),
    "IJH": _equity("iShares Core S&P Mid-Cap ETF", "us_mid", "us_mid", 0.19),
    "ARKK": _equity("ARK Innovation ETF", "innovation", "innovation", 0.50),
    # International stock funds.
    "VXUS": _equity("Vanguard Total International Stock ETF", "intl_total", "intl_total", 0.16,
                    intl=True),
    "IXUS": _equity("iShares Core MSCI Total International Stock ETF", "intl_total",
                    "intl_total", 0.16, intl=True),
    "VEA": _equity("Vanguard FTSE Developed Markets ETF", "intl_developed", "intl_developed",
                   0.16, intl=True),
    "IEFA": _equity("iShares Core MSCI EAFE ETF", "intl_developed", "intl_developed", 0.16,
                    intl=True),
    "EFA": _equity("iShares MSCI EAFE ETF", "intl_developed", "intl_developed", 0.16, intl=True),
    "SCHF": _equity("Schwab International Equity ETF", "intl_developed", "intl_developed", 0.16,
                    intl=True),
    "VWO": _equity("Vanguard FTSE Emerging Markets ETF", "intl_emerging", "intl_emerging", 0.19,
                   intl=True),
    "IEMG": _equity("iShares Core MSCI Emerging Markets ETF", "intl_emerging", "intl_emerging",
                    0.19, intl=True),
    "EEM": _equity("iShares MSCI Emerging Markets ETF", "intl_emerging", "intl_emerging", 0.19,
                   intl=True),
    # Global stock funds: about 62% US, 38% elsewhere.
    "VT": FundEntry("Vanguard Total World Stock ETF", ((US_STOCKS, 0.62), (INTL_STOCKS, 0.38)),
                    "world", "world", 0.155),
    "ACWI": FundEntry("iShares MSCI ACWI ETF", ((US_STOCKS, 0.63), (INTL_STOCKS, 0.37)), "world",
                      "world", 0.155),
    # Sector funds.
    "XLK": _sector("Technology Select Sector SPDR Fund", TECH, "sector_tech", 0.24),
    "VGT": _sector("Vanguard Information Technology ETF", TECH, "sector_tech", 0.24),
    "SMH": _sector("VanEck Semiconductor ETF", TECH, "sector_semis", 0.33),
    "SOXX": _sector("iShares Semiconductor ETF", TECH, "sector_semis", 0.33),
    "XLF": _sector("Financial Select Sector SPDR Fund", FIN, "sector_financials", 0.20),
    "VFH": _sector("Vanguard Financials ETF", FIN, "sector_financials", 0.20),
    "KRE": _sector("SPDR S&P Regional Banking ETF", FIN, "sector_financials", 0.30),
    "XLV": _sector("Health Care Select Sector SPDR Fund", HLTH, "sector_health", 0.16),
    "VHT": _sector("Vanguard Health Care ETF", HLTH, "sector_health", 0.16),
    "IBB": _sector("iShares Biotechnology ETF", HLTH, "sector_biotech", 0.25),
    "XBI": _sector("SPDR S&P Biotech ETF", HLTH, "sector_biotech", 0.35),
    "XLE": _sector("Energy Select Sector SPDR Fund", ENER, "sector_energy", 0.27),
    "VDE": _sector("Vanguard Energy ETF", ENER, "sector_energy", 0.28),
    "XLC": _sector("Communication Services Select Sector SPDR Fund", COMM, "sector_comm", 0.21),
    "VOX": _sector("Vanguard Communication Services ETF", COMM, "sector_comm", 0.21),
    "XLY": _sector("Consumer Discretionary Select Sector SPDR Fund", DISC, "sector_disc", 0.22),
    "VCR": _sector("Vanguard Consumer Discretionary ETF", DISC, "sector_disc", 0.22),
    "XLP": _sector("Consumer Staples Select Sector SPDR Fund", STAP, "sector_staples", 0.13),
    "VDC": _sector("Vanguard Consumer Staples ETF", STAP, "sector_staples", 0.13),
    "XLI": _sector("Industrial Select Sector SPDR Fund", INDU, "sector_industrials", 0.19),
    "VIS": _sector("Vanguard Industrials ETF", INDU, "sector_industrials", 0.19),
    "ITA": _sector("iShares U.S. Aerospace & Defense ETF", INDU, "sector_industrials", 0.21),
    "XLB": _sector("Materials Select Sector SPDR Fund", MATS, "sector_materials", 0.20),
    "VAW": _sector("Vanguard Materials ETF", MATS, "sector_materials", 0.20),
    "XLU": _sector("Utilities Select Sector SPDR Fund", UTIL, "sector_utilities", 0.17),
    "VPU": _sector("Vanguard Utilities ETF", UTIL, "sector_utilities", 0.17),
    "XLRE": _sector("Real Estate Select Sector SPDR Fund", REAL, "sector_real_estate", 0.20),
    "VNQ": _sector("Vanguard Real Estate ETF", REAL, "sector_real_estate", 0.20),
    # Bond funds.
    "BND": _bond("Vanguard Total Bond Market ETF", "us_bonds", 0.055),
    "AGG": _bond("iShares Core U.S. Aggregate Bond ETF", "us_bonds", 0.055),
    "SCHZ": _bond("Schwab U.S. Aggregate Bond ETF", "us_bonds", 0.055),
    "BNDX": _bond("Vanguard Total International Bond ETF", "intl_bonds", 0.045),
    "TLT": _bond("iShares 20+ Year Treasury Bond ETF", "us_treasuries", 0.15),
    "IEF": _bond("iShares 7-10 Year Treasury Bond ETF", "us_treasuries", 0.07),
    "VGIT": _bond("Vanguard Intermediate-Term Treasury ETF", "us_treasuries", 0.05),
    "SHY": _bond("iShares 1-3 Year Treasury Bond ETF", "us_treasuries", 0.02),
    "VGSH": _bond("Vanguard Short-Term Treasury ETF", "us_treasuries", 0.02),
    "BSV": _bond("Vanguard Short-Term Bond ETF", "us_bonds", 0.025),
    "SGOV": _bond("iShares 0-3 Month Treasury Bond ETF", "us_treasuries", 0.003),
    "BIL": _bond("SPDR Bloomberg 1-3 Month T-Bill ETF", "us_treasuries", 0.003),
    "TIP": _bond("iShares TIPS Bond ETF", "us_treasuries", 0.06),
    "VTIP": _bond("Vanguard Short-Term Inflation-Protected Securities ETF", "us_treasuries",
                  0.03),
    "LQD": _bond("iShares iBoxx $ Investment Grade Corporate Bond ETF", "us_corporate_bonds",
                 0.09),
    "VCIT": _bond("Vanguard Intermediate-Term Corporate Bond ETF", "us_corporate_bonds", 0.07),
    "HYG": _bond("iShares iBoxx $ High Yield Corporate Bond ETF", "us_corporate_bonds", 0.08),
    "JNK": _bond("SPDR Bloomberg High Yield Bond ETF", "us_corporate_bonds", 0.08),
    "MUB": _bond("iShares National Muni Bond ETF", "us_bonds", 0.05),
    "EMB": _bond("iShares J.P. Morgan USD Emerging Markets Bond ETF", "intl_bonds", 0.09),
    # Allocation funds (stocks split about 60% US / 40% international).
    "AOA": _alloc("iShares Core 80/20 Aggressive Allocation ETF", 0.8, 0.13),
    "AOR": _alloc("iShares Core 60/40 Balanced Allocation ETF", 0.6, 0.10),
    "AOM": _alloc("iShares Core 40/60 Moderate Allocation ETF", 0.4, 0.075),
    "AOK": _alloc("iShares Core 30/70 Conservative Allocation ETF", 0.3, 0.06),
    # Commodities: one "issuer" per underlying.
    "GLD": _commodity("SPDR Gold Shares", "commodity:gold", 0.15),
    "IAU": _commodity("iShares Gold Trust", "commodity:gold", 0.15),
    "GLDM": _commodity("SPDR Gold MiniShares Trust", "commodity:gold", 0.15),
    "SLV": _commodity("iShares Silver Trust", "commodity:silver", 0.28),
    "USO": _commodity("United States Oil Fund", "commodity:oil", 0.35),
    "DBC": _commodity("Invesco DB Commodity Index Tracking Fund", "commodity:basket", 0.18),
    "PDBC": _commodity("Invesco Optimum Yield Diversified Commodity Strategy", "commodity:basket",
                       0.18),
    # Spot crypto funds look through to their coin.
    "IBIT": _coin_fund("iShares Bitcoin Trust ETF", "BTC", 0.55),
    "FBTC": _coin_fund("Fidelity Wise Origin Bitcoin Fund", "BTC", 0.55),
    "GBTC": _coin_fund("Grayscale Bitcoin Trust ETF", "BTC", 0.55),
    "BITO": _coin_fund("ProShares Bitcoin Strategy ETF", "BTC", 0.55),
    "ETHA": _coin_fund("iShares Ethereum Trust ETF", "ETH", 0.70),
}  # fmt: skip

# Stocks outside the S&P 500: symbol -> (name, sector, international?, speculative?).
# Speculative names (small, unprofitable or meme-prone) fall back to a 60% volatility.
OTHER_STOCKS: dict[str, tuple[str, str, bool, bool]] = {
    # ADRs and foreign listings.
    "TSM": ("Taiwan Semiconductor Manufacturing", TECH, True, False),
    "ASML": ("ASML Holding", TECH, True, False),
    "SAP": ("SAP", TECH, True, False),
    "ARM": ("Arm Holdings", TECH, True, False),
    "INFY": ("Infosys", TECH, True, False),
    "SHOP": ("Shopify", TECH, True, False),
    "SONY": ("Sony Group", DISC, True, False),
    "TM": ("Toyota Motor", DISC, True, False),
    "BABA": ("Alibaba Group", DISC, True, False),
    "PDD": ("PDD Holdings", DISC, True, False),
    "JD": ("JD.com", DISC, True, False),
    "MELI": ("MercadoLibre", DISC, True, False),
    "NIO": ("NIO", DISC, True, True),
    "SE": ("Sea Limited", DISC, True, False),
    "BIDU": ("Baidu", COMM, True, False),
    "SPOT": ("Spotify Technology", COMM, True, False),
    "NVO": ("Novo Nordisk", HLTH, True, False),
    "AZN": ("AstraZeneca", HLTH, True, False),
    "NVS": ("Novartis", HLTH, True, False),
    "SNY": ("Sanofi", HLTH, True, False),
    "GSK": ("GSK", HLTH, True, False),
    "UL": ("Unilever", STAP, True, False),
    "DEO": ("Diageo", STAP, True, False),
    "BUD": ("Anheuser-Busch InBev", STAP, True, False),
    "SHEL": ("Shell", ENER, True, False),
    "BP": ("BP", ENER, True, False),
    "TTE": ("TotalEnergies", ENER, True, False),
    "HSBC": ("HSBC Holdings", FIN, True, False),
    "RY": ("Royal Bank of Canada", FIN, True, False),
    "TD": ("Toronto-Dominion Bank", FIN, True, False),
    "NU": ("Nu Holdings", FIN, True, False),
    "BHP": ("BHP Group", MATS, True, False),
    "RIO": ("Rio Tinto", MATS, True, False),
    "VALE": ("Vale", MATS, True, False),
    # Popular US names outside the index.
    "MSTR": ("Strategy", TECH, False, True),
    "SNOW": ("Snowflake", TECH, False, False),
    "NET": ("Cloudflare", TECH, False, False),
    "U": ("Unity Software", TECH, False, True),
    "AFRM": ("Affirm Holdings", FIN, False, True),
    "UPST": ("Upstart Holdings", FIN, False, True),
    "RBLX": ("Roblox", COMM, False, False),
    "RDDT": ("Reddit", COMM, False, True),
    "PINS": ("Pinterest", COMM, False, False),
    "SNAP": ("Snap", COMM, False, True),
    "ROKU": ("Roku", COMM, False, True),
    "DKNG": ("DraftKings", DISC, False, False),
    "RIVN": ("Rivian Automotive", DISC, False, True),
    "LCID": ("Lucid Group", DISC, False, True),
    "LYFT": ("Lyft", INDU, False, False),
    "ZM": ("Zoom Communications", TECH, False, False),
    "DOCU": ("Docusign", TECH, False, False),
    "MARA": ("MARA Holdings", TECH, False, True),
    # The sandbox's small caps.
    "PLUG": ("Plug Power", INDU, False, True),
    "SOFI": ("SoFi Technologies", FIN, False, True),
    "AMC": ("AMC Entertainment", COMM, False, True),
    "GME": ("GameStop", DISC, False, True),
    "BYND": ("Beyond Meat", STAP, False, True),
    "RIOT": ("Riot Platforms", TECH, False, True),
    "FUBO": ("fuboTV", COMM, False, True),
    "LMND": ("Lemonade", FIN, False, True),
    "RUN": ("Sunrun", INDU, False, True),
    "CLNE": ("Clean Energy Fuels", ENER, False, True),
    "MP": ("MP Materials", MATS, False, True),
    "OPEN": ("Opendoor Technologies", REAL, False, True),
    "NOVA": ("Sunnova Energy International", UTIL, False, True),
    "ORA": ("Ormat Technologies", UTIL, False, False),
    "TDOC": ("Teladoc Health", HLTH, False, True),
}  # fmt: skip

# Crypto coins: base symbol -> (name, fallback volatility).
COINS: dict[str, tuple[str, float]] = {
    "BTC": ("Bitcoin", 0.55),
    "ETH": ("Ethereum", 0.70),
    "SOL": ("Solana", 0.90),
    "XRP": ("XRP", 0.90),
    "DOGE": ("Dogecoin", 0.95),
    "ADA": ("Cardano", 0.90),
    "AVAX": ("Avalanche", 0.95),
    "LINK": ("Chainlink", 0.90),
    "LTC": ("Litecoin", 0.80),
    "BCH": ("Bitcoin Cash", 0.85),
    "DOT": ("Polkadot", 0.90),
    "UNI": ("Uniswap", 0.95),
    "AAVE": ("Aave", 0.95),
    "SHIB": ("Shiba Inu", 1.00),
    "PEPE": ("Pepe", 1.20),
    "USDC": ("USD Coin", 0.01),
    "USDT": ("Tether", 0.01),
}

# Fallback volatilities for single stocks (annualised), used without 60 days of prices.
LARGE_CAP_VOL = 0.30
OTHER_STOCK_VOL = 0.40
SPECULATIVE_VOL = 0.60
UNKNOWN_VOL = 0.45
UNKNOWN_COIN_VOL = 1.00
