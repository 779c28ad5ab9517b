"""Each event stream's JSON, as the Broker API's OpenAPI document has it: `TradeUpdateEvent`
(v1, integer `event_id` and `event_ulid`) and `TradeUpdateEventV2` (ULID `event_id`),
`TransferStatusEvent` (v1) and `StatusFundingEvent` (v2), `AccountStatusEvent`,
`JournalStatusEvent` (v1) and `JournalStatusEventV2`, and `NonTradeActivityEvent`."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .events import Event
from .records import AccountRecord, ActivityRecord, OrderRecord
from .serialize import JSON, money, order_json, timestamp

CORRESPONDENT = "SBOX"
"""The correspondent code funding events carry (the sandbox's own)."""


def _trade(event: Event) -> JSON:
    body = event.body
    order = body["order"]
    assert isinstance(order, OrderRecord)
    out: JSON = {
        "account_id": str(event.account_id),
        "at": timestamp(event.at),
        "event": body["event"],
        "execution_id": str(body["execution_id"]),
        "order": order_json(order),
        "timestamp": timestamp(body["timestamp"]),
    }
    if "price" in body:
        out["price"] = money(body["price"])
        out["qty"] = money(body["qty"])
        out["position_qty"] = money(body["position_qty"])
    return out


def trade_v1(event: Event) -> JSON:
    return _trade(event) | {"event_id": event.seq, "event_ulid": event.ulid}


def trade_v2(event: Event) -> JSON:
    return _trade(event) | {"event_id": event.ulid}


def transfer_v1(event: Event) -> JSON | None:
    """Only transfers' status changes are on the v1 stream: bank relationships and a
    transfer's creation (no status before it) are v2 funding events only."""
    body = event.body
    if body["entity_type"] != "Transfer" or body["status_from"] is None:
        return None
    return {
        "account_id": str(event.account_id),
        "at": timestamp(event.at),
        "event_id": event.seq,
        "event_ulid": event.ulid,
        "status_from": body["status_from"],
        "status_to": body["status_to"],
        "transfer_id": str(body["entity_id"]),
    }


def funding_v2(event: Event) -> JSON:
    body = event.body
    return {
        "event_id": event.ulid,
        "at": timestamp(event.at),
        "account_id": str(event.account_id),
        "correspondent": CORRESPONDENT,
        "entity_id": str(body["entity_id"]),
        "entity_type": body["entity_type"],
        "status_from": body["status_from"],
        "status_to": body["status_to"],
    }


def account_v1(event: Event) -> JSON:
    record = event.body["record"]
    assert isinstance(record, AccountRecord)
    return {
        "account_id": str(event.account_id),
        "account_number": record.account_number,
        "at": timestamp(event.at),
        "event_id": event.seq,
        "event_ulid": event.ulid,
        "status_from": event.body["status_from"],
        "status_to": event.body["status_to"],
    }


def _journal(event: Event) -> JSON:
    body = event.body
    return {
        "at": timestamp(event.at),
        "entry_type": body["entry_type"],
        "journal_id": str(body["journal_id"]),
        "status_from": body["status_from"],
        "status_to": body["status_to"],
    }


def journal_v1(event: Event) -> JSON:
    return _journal(event) | {"event_id": event.seq, "event_ulid": event.ulid}


def journal_v2(event: Event) -> JSON:
    return _journal(event) | {"event_id": event.ulid}


def nta_v1(event: Event) -> JSON:
    activity = event.body["activity"]
    assert isinstance(activity, ActivityRecord)
    out: JSON = {
        "id": activity.id.rsplit("::", 1)[-1],  # the record's UUID (the REST id's last part)
        "account_id": str(event.account_id),
        "at": timestamp(event.at),
        "event_id": event.seq,
        "event_ulid": event.ulid,
        "entry_type": activity.activity_type,
        "status": activity.status,
        "symbol": activity.symbol or "",
        "qty": _number(activity.qty),
        "net_amount": _number(activity.net_amount),
        "description": activity.description,
        "settle_date": activity.date.isoformat(),
        "system_date": activity.date.isoformat(),
    }
    if activity.price is not None:
        out["price"] = _number(activity.price)
    if activity.per_share_amount is not None:
        out["per_share_amount"] = _number(activity.per_share_amount)
    return out


def _number(value: Decimal | None) -> Any:
    """The NTA schema's decimals are JSON numbers (`"format": "decimal"`)."""
    if value is None:
        return 0
    return int(value) if value == value.to_integral_value() else float(value)


Serializer = Callable[[Event], "JSON | None"]
