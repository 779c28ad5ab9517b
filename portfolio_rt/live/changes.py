"""What a broker event changed for one account, in the form every instance applies.

The instance that reads Alpaca's events turns each into an `AccountChange`: which parts of the
page it touches (`what`, sent to the account's sockets as a `changed` message), the position
it sets when it is a fill, and whether the account's cash and positions must be read again.
With Redis the change travels to every instance on the price channel, as a small dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..broker.events import BrokerEvent

What = Literal["positions", "orders", "activities", "transfers"]
Refresh = Literal["", "cash", "all"]
WHAT: tuple[What, ...] = ("positions", "orders", "activities", "transfers")

_CASH_TRANSFER_STATUSES = frozenset({"COMPLETE", "RETURNED"})
_POSITION_ACTIVITIES = frozenset({"JNLS", "SPLIT", "SPIN", "MA", "NC", "ACATS", "REORG"})
_MONEY_IN_OR_OUT = frozenset({"CSD", "CSW", "JNLC"})
"""Cash activities that count as money in or out (today's flows), not as gains."""


@dataclass(frozen=True)
class AccountChange:
    stream: str
    event_id: str
    at: float
    """When it happened (epoch seconds), for the event lag."""
    account_id: str
    kind: str
    what: tuple[What, ...]
    symbol: str | None = None
    position_qty: float | None = None
    """A fill's whole position in `symbol` afterwards: the index takes it at once."""
    refresh: Refresh = ""
    """What of a watched account must be read again: `cash` (a fill, a dividend: its
    positions come with the event), `all` (money in or out: today's flows changed too)."""

    def to_wire(self) -> dict[str, Any]:
        return {
            "s": self.stream,
            "e": self.event_id,
            "t": self.at,
            "a": self.account_id,
            "k": self.kind,
            "w": list(self.what),
            "y": self.symbol,
            "q": self.position_qty,
            "r": self.refresh,
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> AccountChange:
        what = tuple(w for w in WHAT if w in data["w"])
        qty = data.get("q")
        return cls(
            stream=str(data["s"]),
            event_id=str(data["e"]),
            at=float(data["t"]),
            account_id=str(data["a"]),
            kind=str(data["k"]),
            what=what,
            symbol=data.get("y"),
            position_qty=None if qty is None else float(qty),
            refresh=_refresh(data.get("r")),
        )


def _refresh(value: object) -> Refresh:
    return "cash" if value == "cash" else "all" if value == "all" else ""


def change_of(event: BrokerEvent) -> AccountChange:
    """The page's view of one event."""
    what: tuple[What, ...]
    refresh: Refresh = ""
    if event.stream == "trades":
        traded = event.kind in ("fill", "partial_fill")
        what = ("positions", "orders", "activities") if traded else ("orders",)
        refresh = "cash" if traded else ""
    elif event.stream == "funding":
        entity, _, status = event.kind.partition(":")
        moved = entity == "Transfer" and status in _CASH_TRANSFER_STATUSES
        what = ("transfers", "activities") if moved else ("transfers",)
        refresh = "all" if moved else ""
    elif event.kind in _MONEY_IN_OR_OUT:
        what = ("activities", "transfers")
        refresh = "all"
    else:
        shares = event.kind in _POSITION_ACTIVITIES
        what = ("positions", "activities") if shares else ("activities",)
        refresh = "all" if shares else "cash"
    qty = event.position_qty
    return AccountChange(
        stream=event.stream,
        event_id=event.event_id,
        at=event.at.timestamp(),
        account_id=str(event.account_id),
        kind=event.kind,
        what=what,
        symbol=event.symbol if qty is not None else None,
        position_qty=float(qty) if qty is not None else None,
        refresh=refresh,
    )
