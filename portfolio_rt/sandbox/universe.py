"""The sandbox's tradable instruments: real tickers, their classification and price inputs."""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from types import MappingProxyType
from uuid import UUID, uuid5

from ..core.gics import GICS_SECTORS
from ..core.symbols import is_crypto

SANDBOX_NAMESPACE = UUID("6f1c7f0e-5b7a-4c4e-9d47-2f3b8a5e9c01")

SECTORS = GICS_SECTORS


@dataclass(frozen=True)
class Instrument:
    """One tradable symbol and the parameters of its simulated price path."""

    symbol: str
    name: str
    asset_class: str
    exchange: str
    kind: str
    sector: str | None
    industry: str | None
    annual_vol: float
    start_price: Decimal
    dividend_yield: float
    fractionable: bool
    # Approximate recent real price: the market pins the path near it at construction day, so
    # familiar tickers look familiar. None lets the path wander freely.
    target_price: Decimal | None = None

    @property
    def asset_id(self) -> UUID:
        """A stable id, the same in every sandbox run."""
        return uuid5(SANDBOX_NAMESPACE, self.symbol)


class Universe:
    """Instruments looked up by symbol (any case, `BTCUSD` or `BTC/USD`) or by asset id."""

    def __init__(self, instruments: Sequence[Instrument]) -> None:
        self._items = tuple(instruments)
        self._by_key: dict[str, Instrument] = {}
        for inst in self._items:
            self._by_key[inst.symbol.upper()] = inst
            self._by_key[str(inst.asset_id)] = inst
            if is_crypto(inst.symbol):
                self._by_key.setdefault(inst.symbol.replace("/", "").upper(), inst)
        self.symbols: tuple[str, ...] = tuple(inst.symbol for inst in self._items)

    def get(self, symbol_or_asset_id: str) -> Instrument | None:
        """The instrument for a symbol or an asset id string, or None."""
        key = symbol_or_asset_id.strip()
        return self._by_key.get(key.upper()) or self._by_key.get(key.lower())

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, symbol_or_asset_id: object) -> bool:
        return isinstance(symbol_or_asset_id, str) and self.get(symbol_or_asset_id) is not None


# Hand-picked S&P 500 stocks: symbol, approximate split-adjusted price in late 2020, annualised
# volatility, dividend yield, approximate recent price (the path is pinned near it at "today").
# Name, sector and industry come from the CSV.
_PICKED = """
AAPL 118 .28 .006 270  MSFT 215 .26 .010 480  NVDA 13.4 .50 .001 180  CSCO 41 .24 .035 75
TXN 160 .26 .026 160  IBM 120 .24 .052 300  ORCL 58 .28 .016 220  ADBE 480 .32 0 330
CRM 240 .34 0 240  INTC 48 .32 .020 38  AVGO 37 .35 .030 380  AMD 85 .48 0 220
QCOM 150 .33 .018 170  ACN 240 .24 .015 250  GOOGL 88 .30 .004 300  META 275 .38 .003 600
NFLX 49 .40 0 105  DIS 140 .30 0 110  T 28 .24 .060 25  VZ 59 .20 .045 40  CMCSA 50 .25 .025 27
TMUS 120 .24 .012 210  AMZN 158 .33 0 225  TSLA 133 .60 0 420  HD 270 .24 .024 350
MCD 215 .20 .024 310  NKE 130 .28 .015 62  SBUX 98 .28 .025 85  LOW 160 .27 .016 240
TGT 170 .25 .025 90  KO 53 .17 .031 71  PEP 140 .17 .030 150  PG 140 .16 .024 148
WMT 50 .18 .013 105  COST 380 .20 .006 900  MO 40 .22 .080 58  PM 78 .22 .055 150
CL 80 .17 .023 78  KMB 135 .18 .036 105  GIS 60 .18 .035 47  XOM 38 .32 .050 118
CVX 88 .30 .042 152  COP 40 .38 .030 88  SLB 20 .42 .025 36  EOG 50 .40 .030 108
JPM 115 .27 .025 310  BAC 27 .29 .024 52  WFC 27 .30 .025 85  GS 220 .30 .020 800
MS 60 .30 .032 160  V 205 .24 .007 330  MA 330 .25 .006 550  BLK 680 .27 .024 1050
AXP 115 .28 .014 360  BRK.B 230 .20 0 500  C 50 .32 .033 100  USB 42 .28 .042 48
PNC 130 .27 .037 190  JNJ 145 .16 .030 205  PFE 37 .22 .050 25  MRK 80 .20 .032 100
ABBV 100 .24 .038 225  UNH 340 .25 .016 330  LLY 145 .28 .008 1050  ABT 108 .22 .017 128
TMO 470 .25 .003 590  AMGN 230 .24 .034 340  BMY 62 .21 .042 48  MDT 112 .22 .030 100
CVS 70 .25 .035 78  MMM 170 .22 .040 170  CAT 170 .28 .018 580  HON 200 .22 .021 195
UPS 165 .26 .045 95  BA 200 .40 0 200  GE 60 .35 .005 300  LMT 370 .20 .028 470
RTX 70 .25 .024 175  DE 250 .28 .012 480  UNP 200 .23 .022 230  LIN 250 .23 .013 410
APD 280 .24 .025 250  SHW 240 .25 .008 340  NEM 63 .35 .020 90  FCX 20 .45 .012 42
DOW 52 .30 .050 23  NUE 53 .33 .015 150  O 60 .22 .055 57  PLD 100 .24 .030 125
AMT 235 .25 .030 180  SPG 80 .35 .055 180  PSA 220 .21 .040 275  EQIX 740 .25 .020 780
VICI 25 .24 .055 29  NEE 74 .19 .028 85  DUK 90 .17 .041 123  SO 60 .17 .040 90
D 80 .18 .047 60  AEP 85 .17 .037 118  EXC 40 .19 .035 45  XEL 68 .17 .031 80
"""

# Small caps outside the S&P 500:
# symbol | name | exchange | sector | sub-industry | late-2020 price | vol | recent price
_SMALL_CAPS = """
PLUG | Plug Power Inc. | NASDAQ | Industrials | Electrical Components & Equipment | 20 | .85 | 2.2
SOFI | SoFi Technologies, Inc. | NASDAQ | Financials | Consumer Finance | 10 | .65 | 28
AMC | AMC Entertainment Holdings, Inc. | NYSE | Communication Services | Movies & Entertainment
    | 30 | .95 | 3
GME | GameStop Corp. | NYSE | Consumer Discretionary | Computer & Electronics Retail | 3.5 | .9 | 22
BYND | Beyond Meat, Inc. | NASDAQ | Consumer Staples | Packaged Foods & Meats | 120 | .75 | 1.5
RIOT | Riot Platforms, Inc. | NASDAQ | Information Technology | Application Software | 10 | .95 | 15
FUBO | fuboTV Inc. | NYSE | Communication Services | Movies & Entertainment | 25 | .9 | 3.5
LMND | Lemonade, Inc. | NYSE | Financials | Property & Casualty Insurance | 70 | .8 | 75
RUN | Sunrun Inc. | NASDAQ | Industrials | Electrical Components & Equipment | 60 | .7 | 18
CLNE | Clean Energy Fuels Corp. | NASDAQ | Energy | Oil & Gas Refining & Marketing | 4 | .6 | 2.5
MP | MP Materials Corp. | NYSE | Materials | Diversified Metals & Mining | 25 | .7 | 60
OPEN | Opendoor Technologies Inc. | NASDAQ | Real Estate | Real Estate Services | 20 | .9 | 7
ORA | Ormat Technologies, Inc. | NYSE | Utilities | Renewable Electricity | 85 | .38 | 100
TDOC | Teladoc Health, Inc. | NYSE | Health Care | Health Care Services | 200 | .65 | 8
"""

# ETFs: symbol | name | exchange | kind | sector | late-2020 price | vol | yield | recent price
_ETFS = """
SPY | SPDR S&P 500 ETF Trust | ARCA | broad_etf | - | 360 | .17 | .013 | 670
VOO | Vanguard S&P 500 ETF | ARCA | broad_etf | - | 330 | .17 | .013 | 615
VTI | Vanguard Total Stock Market ETF | ARCA | broad_etf | - | 190 | .175 | .013 | 330
QQQ | Invesco QQQ Trust, Series 1 | NASDAQ | broad_etf | - | 295 | .22 | .006 | 600
SCHD | Schwab U.S. Dividend Equity ETF | ARCA | broad_etf | - | 21 | .15 | .036 | 27
IWM | iShares Russell 2000 ETF | ARCA | broad_etf | - | 180 | .23 | .011 | 245
VXUS | Vanguard Total International Stock ETF | NASDAQ | intl_etf | - | 58 | .16 | .03 | 72
VEA | Vanguard FTSE Developed Markets ETF | ARCA | intl_etf | - | 45 | .16 | .03 | 60
VWO | Vanguard FTSE Emerging Markets ETF | ARCA | intl_etf | - | 48 | .19 | .03 | 54
BND | Vanguard Total Bond Market ETF | NASDAQ | bond_etf | - | 88 | .05 | .035 | 74
AGG | iShares Core U.S. Aggregate Bond ETF | ARCA | bond_etf | - | 118 | .05 | .035 | 100
TLT | iShares 20+ Year Treasury Bond ETF | NASDAQ | bond_etf | - | 160 | .14 | .04 | 89
GLD | SPDR Gold Shares | ARCA | commodity_etf | - | 175 | .15 | 0 | 380
XLK | Technology Select Sector SPDR Fund | ARCA | sector_etf | Information Technology
    | 125 | .24 | .007 | 290
XLE | Energy Select Sector SPDR Fund | ARCA | sector_etf | Energy | 37 | .28 | .033 | 90
XLF | Financial Select Sector SPDR Fund | ARCA | sector_etf | Financials | 28 | .21 | .015 | 53
XLV | Health Care Select Sector SPDR Fund | ARCA | sector_etf | Health Care | 110 | .16 | .016 | 150
ARKK | ARK Innovation ETF | ARCA | sector_etf | Information Technology | 110 | .5 | 0 | 80
"""

# Crypto pairs: symbol | name | late-2020 price | vol | recent price
_CRYPTO = """
BTC/USD | Bitcoin / US Dollar | 18500 | .65 | 90000
ETH/USD | Ethereum / US Dollar | 580 | .78 | 3000
SOL/USD | Solana / US Dollar | 2.2 | .95 | 140
"""


def _table(text: str) -> list[list[str]]:
    """Rows of a `|`-separated table; a line starting with `|` continues the previous row."""
    rows: list[list[str]] = []
    for line in text.strip().splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if line.strip().startswith("|") and rows:
            rows[-1].extend(cells[1:])
        else:
            rows.append(cells)
    return rows


# S&P 500 members listed on Nasdaq (the rest are given NYSE).
_NASDAQ_LISTED = """
    AAPL MSFT NVDA AMZN META GOOGL GOOG AVGO TSLA COST NFLX PEP ADBE CSCO TMUS AMD INTC QCOM TXN
    INTU AMGN HON AMAT ISRG BKNG SBUX MDLZ ADP GILD VRTX ADI REGN LRCX MU PANW SNPS CDNS KLAC MAR
    PYPL CSX ORLY ABNB CTAS MNST CHTR NXPI WDAY PCAR ROP CPRT PAYX KDP AEP ODFL FAST ROST EXC KHC
    DXCM IDXX VRSK CTSH BKR EA XEL GEHC CSGP ON TTWO CDW FANG BIIB WBD MRNA ZBRA SWKS NTAP STX
    WDC TER AKAM JBHT CHRW EXPE FFIV FITB HBAN NDAQ NTRS TROW LKQ POOL ENPH FSLR SMCI TSCO ULTA
    LULU HOLX HAS INCY ALGN VRSN GEN TRMB PODD CINF ERIE LNT EVRG CEG APP AXON COIN CRWD DDOG
    FTNT PLTR DASH HOOD TTD CME MPWR NWS NWSA FOX FOXA MCHP SBAC EQIX REG HST PTC WYNN CZR MTCH
    UAL JKHY TECH STLD VTRS EXPD NDSN PFG ACGL HSIC LIN MRVL DLTR IEX CSGP SNDK COHR LITE CIEN
    FLEX DELL Q FISV XYZ PSKY GEV TKO VEEV ARES CASY IBKR MDB
"""

# Dividend habits of S&P 500 members not hand-picked: (probability of paying, mean yield).
_SECTOR_DIVIDENDS = MappingProxyType(
    {
        "Communication Services": (0.5, 0.015),
        "Consumer Discretionary": (0.5, 0.015),
        "Consumer Staples": (0.95, 0.028),
        "Energy": (0.95, 0.035),
        "Financials": (0.9, 0.025),
        "Health Care": (0.6, 0.018),
        "Industrials": (0.8, 0.016),
        "Information Technology": (0.5, 0.010),
        "Materials": (0.9, 0.022),
        "Real Estate": (0.97, 0.038),
        "Utilities": (1.0, 0.034),
    }
)

_SECTOR_VOL = MappingProxyType(
    {
        "Communication Services": 0.30,
        "Consumer Discretionary": 0.31,
        "Consumer Staples": 0.19,
        "Energy": 0.32,
        "Financials": 0.26,
        "Health Care": 0.25,
        "Industrials": 0.26,
        "Information Technology": 0.32,
        "Materials": 0.27,
        "Real Estate": 0.25,
        "Utilities": 0.19,
    }
)


def _unit(*parts: str) -> float:
    """A stable uniform number in [0, 1) from strings (sha256, not the salted `hash()`)."""
    digest = hashlib.sha256(":".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _stock_name(security: str) -> str:
    """Alpaca-style name: 'Apple Inc.' -> 'Apple Inc. Common Stock'."""
    name = security.strip()
    if name.endswith("(The)"):
        name = "The " + name.removesuffix("(The)").strip()
    return name.replace("(", "").replace(")", "") + " Common Stock"


def load_sp500() -> list[dict[str, str]]:
    """The S&P 500 classification table shipped in `portfolio_rt/data`."""
    text = (
        resources.files("portfolio_rt")
        .joinpath("data", "sp500_constituents.csv")
        .read_text(encoding="utf-8")
    )
    return list(csv.DictReader(io.StringIO(text)))


def _picked() -> dict[str, tuple[float, float, float, float | None]]:
    tokens = _PICKED.split()
    return {
        tokens[i]: (
            float(tokens[i + 1]),
            float(tokens[i + 2]),
            float(tokens[i + 3]),
            float(tokens[i + 4]),
        )
        for i in range(0, len(tokens), 5)
    }


def _generated_stock(symbol: str, sector: str) -> tuple[float, float, float, float | None]:
    """Deterministic price, vol and yield for a member that is not hand-picked."""
    price = math.exp(math.log(90.0) + 1.6 * (_unit("price", symbol) - 0.5) * 2.0)
    vol = _SECTOR_VOL.get(sector, 0.28) * (0.8 + 0.4 * _unit("vol", symbol))
    pays, mean_yield = _SECTOR_DIVIDENDS.get(sector, (0.5, 0.015))
    dividend = 0.0
    if _unit("pays", symbol) < pays:
        dividend = round(mean_yield * (0.4 + 1.2 * _unit("yield", symbol)), 4)
    return price, vol, dividend, None


def default_universe() -> Universe:
    """Hand-picked stocks, every other S&P 500 member, small caps, ETFs and three crypto pairs."""
    picked = _picked()
    nasdaq = frozenset(_NASDAQ_LISTED.split())
    stocks: list[Instrument] = []
    for row in load_sp500():
        symbol = row["Symbol"].strip()
        sector = row["GICS Sector"].strip()
        price, vol, dividend, target = picked.get(symbol) or _generated_stock(symbol, sector)
        stocks.append(
            Instrument(
                symbol=symbol,
                name=_stock_name(row["Security"]),
                asset_class="us_equity",
                exchange="NASDAQ" if symbol in nasdaq else "NYSE",
                kind="large_cap",
                sector=sector,
                industry=row["GICS Sub-Industry"].strip(),
                annual_vol=vol,
                start_price=_money(price),
                dividend_yield=dividend,
                fractionable=True,
                target_price=None if target is None else _money(target),
            )
        )
    known = {inst.symbol for inst in stocks}
    missing = sorted(set(picked) - known)
    if missing:
        raise ValueError(f"hand-picked symbols missing from the S&P 500 table: {missing}")
    # Hand-picked names first, so listings start with familiar tickers.
    stocks.sort(key=lambda inst: (inst.symbol not in picked, inst.symbol))
    small = [
        Instrument(
            symbol=symbol,
            name=name,
            asset_class="us_equity",
            exchange=exchange,
            kind="small_cap",
            sector=sector,
            industry=industry,
            annual_vol=float(vol),
            start_price=_money(float(price)),
            dividend_yield=0.0,
            fractionable=True,
            target_price=_money(float(target)),
        )
        for symbol, name, exchange, sector, industry, price, vol, target in _table(_SMALL_CAPS)
        if symbol not in known
    ]
    etfs = [
        Instrument(
            symbol=symbol,
            name=name,
            asset_class="us_equity",
            exchange=exchange,
            kind=kind,
            sector=None if sector == "-" else sector,
            industry=None,
            annual_vol=float(vol),
            start_price=_money(float(price)),
            dividend_yield=float(dividend),
            fractionable=True,
            target_price=_money(float(target)),
        )
        for symbol, name, exchange, kind, sector, price, vol, dividend, target in _table(_ETFS)
    ]
    crypto = [
        Instrument(
            symbol=symbol,
            name=name,
            asset_class="crypto",
            exchange="CRYPTO",
            kind="crypto",
            sector=None,
            industry=None,
            annual_vol=float(vol),
            start_price=_money(float(price)),
            dividend_yield=0.0,
            fractionable=True,
            target_price=_money(float(target)),
        )
        for symbol, name, price, vol, target in _table(_CRYPTO)
    ]
    return Universe([*etfs, *stocks, *small, *crypto])
