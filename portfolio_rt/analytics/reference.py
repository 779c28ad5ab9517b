"""The project's own reference table: ETFs, index look-through, sector mixes, other stocks, coins.

The figures live in `portfolio_rt/data/analytics_reference.toml` (provenance and caveats in its
header) so that the yearly refresh edits data, not code. This module reads that file once at
import and checks it, so a typo in a sector, asset class or key fails at start-up with a
ValueError naming the entry instead of misclassifying holdings later.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from portfolio_rt.analytics.models import ASSET_CLASSES, BONDS, SECTORS
from portfolio_rt.core.gics import GICS_SECTORS

Mix = tuple[tuple[str, float], ...]

# A fund `sectors` value of its own: the world mix over the stock share, the rest fixed income
# (see `Classifier._classify`).
ALLOCATION = "allocation"

_FUND_KEYS = ("name", "classes", "stocks", "stock_split", "sectors", "index", "issuer", "vol")
_FALLBACK_KEYS = ("large_cap", "other_stock", "speculative", "unknown", "unknown_coin")


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


@dataclass(frozen=True)
class FundEntry:
    """One ETF: asset-class split, sector mix (a profile key or one sector), look-through index."""

    name: str
    classes: tuple[tuple[str, float], ...]
    sectors: str
    index: str | None
    proxy_vol: float
    issuer: str | None = None


@dataclass(frozen=True)
class ReferenceData:
    """One reference file, parsed and checked (the module's constants come from the shipped one)."""

    funds: dict[str, FundEntry]
    indexes: dict[str, IndexProfile]
    sector_profiles: dict[str, Mix]
    other_stocks: dict[str, tuple[str, str, bool, bool]]
    coins: dict[str, tuple[str, float]]
    fallback_vol: dict[str, float]


def parse(text: str) -> ReferenceData:
    """Parse and check reference TOML; a ValueError names the first bad entry."""
    doc = tomllib.loads(text)
    _check_keys(
        doc,
        "the file",
        required=(
            "sector_profiles", "indexes", "fund_groups", "other_stocks", "coins", "fallback_vol",
        ),
    )  # fmt: skip
    profiles = {
        key: _mix(_table(value, f"sector profile {key}"), f"sector profile {key}")
        for key, value in _table(doc["sector_profiles"], "sector_profiles").items()
    }
    indexes = _indexes(_table(doc["indexes"], "indexes"))
    funds = _funds(_table(doc["fund_groups"], "fund_groups"), profiles, indexes)
    other_stocks = {
        symbol: _other_stock(_table(value, f"other stock {symbol}"), f"other stock {symbol}")
        for symbol, value in _table(doc["other_stocks"], "other_stocks").items()
    }
    coins = {
        symbol: _coin(_table(value, f"coin {symbol}"), f"coin {symbol}")
        for symbol, value in _table(doc["coins"], "coins").items()
    }
    fallback = _table(doc["fallback_vol"], "fallback_vol")
    _check_keys(fallback, "fallback_vol", required=_FALLBACK_KEYS)
    fallback_vol = {key: _number(fallback[key], "fallback_vol", key) for key in _FALLBACK_KEYS}
    return ReferenceData(funds, indexes, profiles, other_stocks, coins, fallback_vol)


def _error(where: str, problem: str) -> ValueError:
    return ValueError(f"analytics reference, {where}: {problem}")


def _table(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _error(where, "expected a table")
    return value


def _check_keys(
    table: dict[str, object], where: str, required: Iterable[str], optional: Iterable[str] = ()
) -> None:
    required = tuple(required)
    allowed = set(required) | set(optional)
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _error(where, f"unknown key {unknown[0]!r}")
    missing = [key for key in required if key not in table]
    if missing:
        raise _error(where, f"missing key {missing[0]!r}")


def _str(value: object, where: str, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise _error(where, f"{key} must be a non-empty string")
    return value


def _number(value: object, where: str, key: str) -> float:
    # Returned as written (an int stays an int) so the tables equal the old hand-written ones.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _error(where, f"{key} must be a number")
    if not math.isfinite(value) or value < 0:
        raise _error(where, f"{key} must be a finite number >= 0, not {value!r}")
    return value


def _bool(value: object, where: str, key: str) -> bool:
    if not isinstance(value, bool):
        raise _error(where, f"{key} must be true or false")
    return value


def _gics_sector(name: str, where: str) -> str:
    if name not in GICS_SECTORS:
        raise _error(where, f"{name!r} is not a GICS sector")
    return name


def _asset_class(name: str, where: str) -> str:
    if name not in ASSET_CLASSES:
        raise _error(where, f"{name!r} is not an asset class (one of {', '.join(ASSET_CLASSES)})")
    return name


def _mix(table: dict[str, object], where: str) -> Mix:
    """Weights given in percent (any total) as fractions summing to one."""
    weights = {_gics_sector(s, where): _number(value, where, s) for s, value in table.items()}
    total = sum(weights.values())
    if total <= 0:
        raise _error(where, "the weights add up to zero")
    return tuple((sector, value / total) for sector, value in weights.items())


def _top(value: object, where: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, list):
        raise _error(where, "top must be a list of [symbol, share] pairs")
    top: list[tuple[str, float]] = []
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2:
            raise _error(where, f"top entry {pair!r} is not a [symbol, share] pair")
        symbol = _str(pair[0], where, "a top symbol")
        if any(symbol == seen for seen, _ in top):
            raise _error(where, f"{symbol} is listed twice in top")
        top.append((symbol, _number(pair[1], where, f"the share of {symbol}")))
    return tuple(top)


def _indexes(table: dict[str, object]) -> dict[str, IndexProfile]:
    entries = {key: _table(value, f"index {key}") for key, value in table.items()}
    own_tops = {key: _top(e["top"], f"index {key}") for key, e in entries.items() if "top" in e}
    indexes: dict[str, IndexProfile] = {}
    for key, entry in entries.items():
        where = f"index {key}"
        _check_keys(
            entry,
            where,
            ("rest_count", "universe", "internal_dr"),
            ("top", "top_from", "top_scale"),
        )
        if "top_from" in entry:
            source = _str(entry["top_from"], where, "top_from")
            if "top" in entry or "top_scale" not in entry:
                raise _error(where, "top_from needs top_scale and no top")
            if source not in own_tops:
                raise _error(where, f"top_from {source!r} is not an index with its own top")
            scale = _number(entry["top_scale"], where, "top_scale")
            top = tuple((symbol, weight * scale) for symbol, weight in own_tops[source])
        elif "top_scale" in entry:
            raise _error(where, "top_scale needs top_from")
        else:
            top = own_tops.get(key, ())
        if sum(weight for _, weight in top) >= 1.0:
            raise _error(where, "the top holdings add up to 100% or more")
        indexes[key] = IndexProfile(
            top,
            _number(entry["rest_count"], where, "rest_count"),
            _str(entry["universe"], where, "universe"),
            _number(entry["internal_dr"], where, "internal_dr"),
        )
    return indexes


def _funds(
    groups: dict[str, object], profiles: dict[str, Mix], indexes: dict[str, IndexProfile]
) -> dict[str, FundEntry]:
    """Funds of every group in file order; a group's keys apply unless the fund sets its own."""
    funds: dict[str, FundEntry] = {}
    for group_name, value in groups.items():
        group = _table(value, f"fund group {group_name}")
        _check_keys(group, f"fund group {group_name}", ("funds",), _FUND_KEYS)
        shared = {key: v for key, v in group.items() if key != "funds"}
        for symbol, entry in _table(group["funds"], f"fund group {group_name}").items():
            where = f"fund {symbol}"
            if symbol in funds:
                raise _error(where, "listed twice")
            merged = {**shared, **_table(entry, where)}
            funds[symbol] = _fund(merged, where, profiles, indexes)
    return funds


def _fund(
    entry: dict[str, object],
    where: str,
    profiles: dict[str, Mix],
    indexes: dict[str, IndexProfile],
) -> FundEntry:
    _check_keys(entry, where, ("name", "sectors", "vol"), _FUND_KEYS)
    if "classes" in entry:
        if "stocks" in entry or "stock_split" in entry:
            raise _error(where, "give classes, or stocks with stock_split, not both")
        classes = tuple(
            (_asset_class(name, where), _number(share, where, name))
            for name, share in _table(entry["classes"], where).items()
        )
    elif "stocks" in entry and "stock_split" in entry:
        stocks = _number(entry["stocks"], where, "stocks")
        if stocks > 1.0:
            raise _error(where, "stocks must be at most 1")
        split = _table(entry["stock_split"], where).items()
        classes = (
            *((_asset_class(name, where), stocks * _number(s, where, name)) for name, s in split),
            (BONDS, 1.0 - stocks),
        )
    else:
        raise _error(where, "needs classes, or stocks with stock_split")
    total = sum(share for _, share in classes)
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        raise _error(where, f"the asset-class shares add up to {total}, not 1")
    sectors = _str(entry["sectors"], where, "sectors")
    if sectors not in profiles and sectors != ALLOCATION and sectors not in SECTORS:
        raise _error(
            where, f"sectors {sectors!r} is not a sector profile, {ALLOCATION!r} or a sector name"
        )
    index = _str(entry["index"], where, "index") if "index" in entry else None
    if index is not None and index not in indexes:
        raise _error(where, f"index {index!r} is not in [indexes]")
    issuer = _str(entry["issuer"], where, "issuer") if "issuer" in entry else None
    if (index is None) == (issuer is None):
        raise _error(where, "needs exactly one of index and issuer")
    return FundEntry(
        _str(entry["name"], where, "name"),
        classes,
        sectors,
        index,
        _number(entry["vol"], where, "vol"),
        issuer,
    )


def _other_stock(entry: dict[str, object], where: str) -> tuple[str, str, bool, bool]:
    _check_keys(entry, where, ("name", "sector"), ("international", "speculative"))
    return (
        _str(entry["name"], where, "name"),
        _gics_sector(_str(entry["sector"], where, "sector"), where),
        _bool(entry.get("international", False), where, "international"),
        _bool(entry.get("speculative", False), where, "speculative"),
    )


def _coin(entry: dict[str, object], where: str) -> tuple[str, float]:
    _check_keys(entry, where, ("name", "vol"))
    return (_str(entry["name"], where, "name"), _number(entry["vol"], where, "vol"))


def read_shipped() -> str:
    """The text of the reference file shipped in `portfolio_rt/data`."""
    return (
        resources.files("portfolio_rt")
        .joinpath("data", "analytics_reference.toml")
        .read_text(encoding="utf-8")
    )


_DATA = parse(read_shipped())

FUNDS: dict[str, FundEntry] = _DATA.funds
INDEXES: dict[str, IndexProfile] = _DATA.indexes
SECTOR_PROFILES: dict[str, Mix] = _DATA.sector_profiles
# Stocks outside the S&P 500: symbol -> (name, sector, international?, speculative?).
OTHER_STOCKS: dict[str, tuple[str, str, bool, bool]] = _DATA.other_stocks
# Crypto coins: base symbol -> (name, fallback volatility).
COINS: dict[str, tuple[str, float]] = _DATA.coins

# Fallback volatilities for single stocks (annualised), used without 60 days of prices.
LARGE_CAP_VOL = _DATA.fallback_vol["large_cap"]
OTHER_STOCK_VOL = _DATA.fallback_vol["other_stock"]
SPECULATIVE_VOL = _DATA.fallback_vol["speculative"]
UNKNOWN_VOL = _DATA.fallback_vol["unknown"]
UNKNOWN_COIN_VOL = _DATA.fallback_vol["unknown_coin"]
