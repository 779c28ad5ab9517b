"""Watchlists: each account's named, ordered lists of assets (`…/watchlists` routes).

Alpaca's rules: a name is 1 to 64 characters and unique within the account ("watchlist name
must be unique", 422); a symbol must be a known asset ("asset not found: XYZ", 422); a
watchlist holds each asset once, in the order added; another account's watchlist is not found
(404). Ids are the account's id and a count of the watchlists it has made, so the same requests
make the same ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID, uuid5

from .order_rules import find_instrument
from .records import LedgerError, not_found
from .serialize import JSON, timestamp

if TYPE_CHECKING:
    from .universe import Instrument, Universe

MAX_NAME = 64
MAX_SYMBOLS = 1000
CODE_INVALID = 40010001


def _invalid(message: str) -> LedgerError:
    return LedgerError(422, CODE_INVALID, message)


@dataclass(slots=True)
class WatchlistRecord:
    """One watchlist; `symbols` in the order they were added."""

    id: UUID
    account_id: UUID
    name: str
    created_at: datetime
    updated_at: datetime
    symbols: list[str] = field(default_factory=list)


def watchlist_json(record: WatchlistRecord, assets: Sequence[JSON] | None = None) -> JSON:
    """`Watchlist` with its `assets`, or `WatchlistWithoutAsset` (the list route) without."""
    body: JSON = {
        "id": str(record.id),
        "account_id": str(record.account_id),
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at),
        "name": record.name,
    }
    if assets is not None:
        body["assets"] = list(assets)
    return body


class Watchlists:
    """Every account's watchlists."""

    def __init__(self, universe: Universe) -> None:
        self._universe = universe
        self._lists: dict[UUID, list[WatchlistRecord]] = {}
        self._made: dict[UUID, int] = {}

    def instruments(self, record: WatchlistRecord) -> list[Instrument]:
        """The watchlist's assets, in order."""
        found = (self._universe.get(symbol) for symbol in record.symbols)
        return [inst for inst in found if inst is not None]

    def all(self, account_id: UUID) -> list[WatchlistRecord]:
        """The account's watchlists, oldest first."""
        return list(self._lists.get(account_id, ()))

    def get(self, account_id: UUID, watchlist_id: UUID) -> WatchlistRecord:
        """One of the account's watchlists; 404 for an unknown id or another account's."""
        for record in self._lists.get(account_id, ()):
            if record.id == watchlist_id:
                return record
        raise not_found("watchlist")

    def create(
        self, account_id: UUID, name: str, symbols: Iterable[str], at: datetime
    ) -> WatchlistRecord:
        name = self._name(account_id, name)
        resolved = self._resolve(symbols)
        number = self._made.get(account_id, 0) + 1
        record = WatchlistRecord(
            id=uuid5(account_id, f"watchlist:{number}"),
            account_id=account_id,
            name=name,
            created_at=at,
            updated_at=at,
            symbols=resolved,
        )
        self._made[account_id] = number
        self._lists.setdefault(account_id, []).append(record)
        return record

    def update(
        self,
        account_id: UUID,
        watchlist_id: UUID,
        at: datetime,
        *,
        name: str | None = None,
        symbols: Iterable[str] | None = None,
    ) -> WatchlistRecord:
        """Rename and/or replace the whole list of assets (PUT)."""
        record = self.get(account_id, watchlist_id)
        new_name = None if name is None else self._name(account_id, name, record)
        resolved = None if symbols is None else self._resolve(symbols)
        if new_name is not None:
            record.name = new_name
        if resolved is not None:
            record.symbols = resolved
        record.updated_at = at
        return record

    def add(
        self, account_id: UUID, watchlist_id: UUID, symbol: str, at: datetime
    ) -> WatchlistRecord:
        """Append one asset (POST); 422 when it is already there."""
        record = self.get(account_id, watchlist_id)
        (resolved,) = self._resolve([symbol])
        if resolved in record.symbols:
            raise _invalid(f"{resolved} is already in the watchlist")
        if len(record.symbols) >= MAX_SYMBOLS:
            raise _invalid(f"a watchlist holds at most {MAX_SYMBOLS} assets")
        record.symbols.append(resolved)
        record.updated_at = at
        return record

    def remove(
        self, account_id: UUID, watchlist_id: UUID, symbol: str, at: datetime
    ) -> WatchlistRecord:
        """Take one asset out (DELETE …/{symbol}); 404 when it is not in the watchlist."""
        record = self.get(account_id, watchlist_id)
        inst = find_instrument(self._universe, symbol.strip())
        if inst is None or inst.symbol not in record.symbols:
            raise not_found("asset in the watchlist")
        record.symbols.remove(inst.symbol)
        record.updated_at = at
        return record

    def delete(self, account_id: UUID, watchlist_id: UUID) -> None:
        record = self.get(account_id, watchlist_id)
        self._lists[account_id].remove(record)

    def _name(self, account_id: UUID, name: str, renamed: WatchlistRecord | None = None) -> str:
        text = name.strip()
        if not text:
            raise _invalid("name is required")
        if len(text) > MAX_NAME:
            raise _invalid(f"name must be at most {MAX_NAME} characters")
        for other in self._lists.get(account_id, ()):
            if other.name == text and other is not renamed:
                raise _invalid("watchlist name must be unique")
        return text

    def _resolve(self, symbols: Iterable[str]) -> list[str]:
        """Known assets' symbols, each once, in order (`BTCUSD` finds `BTC/USD`)."""
        out: list[str] = []
        for raw in symbols:
            inst = find_instrument(self._universe, raw.strip().upper()) if raw.strip() else None
            if inst is None:
                raise _invalid(f"asset not found: {raw}")
            if inst.symbol not in out:
                out.append(inst.symbol)
        if len(out) > MAX_SYMBOLS:
            raise _invalid(f"a watchlist holds at most {MAX_SYMBOLS} assets")
        return out
