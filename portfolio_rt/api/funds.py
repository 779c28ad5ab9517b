"""Add funds: linked bank accounts, deposits with idempotency keys, transfer status.

Full bank numbers are accepted once, passed to Alpaca, and never returned or logged: every
response shows only the last four digits.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from uuid import UUID

import structlog
from aiohttp import web
from alpaca.broker.models import ACHRelationship, Transfer

from ..auth.tokens import WRITE
from ..broker.gateway import decimal_of, enum_value
from ..core.banking import aba_checksum_ok, account_number_ok, mask
from ..core.errors import BadRequest
from ..funds.deposits import deposit as deposit_once
from ..funds.idempotency import validate_key
from ..state import IDEMPOTENCY, RUNTIME, SETTINGS
from .identity import identify
from .request_body import json_object
from .responses import json_response
from .view_cache import VIEWS, fresh_view, stamp_of

log = structlog.get_logger("portfolio_rt.funds")
_REPLAYED = {"Idempotent-Replayed": "true"}
routes = web.RouteTableDef()

_ACCOUNT_TYPES = {"checking": "CHECKING", "savings": "SAVINGS"}


def bank_json(rel: ACHRelationship) -> dict[str, Any]:
    return {
        "id": rel.id,
        "nickname": rel.nickname,
        "owner_name": rel.account_owner_name,
        "account_type": (enum_value(rel.bank_account_type) or "").lower() or None,
        "account_number": mask(rel.bank_account_number),
        "routing_number": mask(rel.bank_routing_number),
        "status": enum_value(rel.status),
        "created_at": rel.created_at,
    }


def transfer_json(transfer: Transfer) -> dict[str, Any]:
    return {
        "id": transfer.id,
        "relationship_id": transfer.relationship_id,
        "amount": decimal_of(transfer.amount),
        "direction": enum_value(transfer.direction),
        "type": enum_value(transfer.type),
        "status": enum_value(transfer.status),
        "reason": transfer.reason,
        "created_at": transfer.created_at,
        "updated_at": transfer.updated_at,
    }


@routes.get("/api/funds/bank-accounts")
async def list_bank_accounts(request: web.Request) -> web.Response:
    identity = identify(request)
    key = ("bank-accounts", identity.account_id)
    hit, version = fresh_view(request, key, identity.account_id)
    if hit is not None:
        return hit
    fetched = await request.app[RUNTIME].gateway.ach_relationships(identity.account_id)
    return request.app[VIEWS].render(
        key,
        stamp_of(fetched),
        lambda: {"bank_accounts": [bank_json(r) for r in fetched.value], "stale": fetched.stale},
        inputs=(fetched,),
        version=version,
    )


@routes.post("/api/funds/bank-accounts")
async def link_bank_account(request: web.Request) -> web.Response:
    identity = identify(request)
    identity.require(WRITE)
    body = await json_object(request)
    owner = _text(body, "owner_name", 100)
    kind = _text(body, "account_type", 20).lower()
    if kind not in _ACCOUNT_TYPES:
        raise BadRequest(
            "'account_type' must be checking or savings.", details={"field": "account_type"}
        )
    number = _text(body, "account_number", 32).replace(" ", "")
    routing = _text(body, "routing_number", 32).replace(" ", "")
    if not account_number_ok(number):
        raise BadRequest(
            "'account_number' must be 4 to 17 digits.", details={"field": "account_number"}
        )
    if not aba_checksum_ok(routing):
        raise BadRequest(
            "'routing_number' is not a valid 9-digit US routing number.",
            details={"field": "routing_number"},
        )
    nickname = body.get("nickname")
    if nickname is not None and (not isinstance(nickname, str) or len(nickname) > 60):
        raise BadRequest(
            "'nickname' must be text of at most 60 characters.", details={"field": "nickname"}
        )
    rel = await request.app[RUNTIME].gateway.create_ach_relationship(
        identity.account_id,
        owner_name=owner,
        bank_account_type=_ACCOUNT_TYPES[kind],
        account_number=number,
        routing_number=routing,
        nickname=nickname or None,
    )
    log.info("funds.bank_linked", relationship_id=str(rel.id), account_number=mask(number))
    return json_response(bank_json(rel), status=201)


@routes.post("/api/funds/deposits")
async def deposit(request: web.Request) -> web.Response:
    """Start an ACH deposit. The Idempotency-Key makes a retry (double click, lost answer)
    return the first result and move no more money."""
    identity = identify(request)
    identity.require(WRITE)
    key = validate_key(request.headers.get("Idempotency-Key"))
    body = await json_object(request)
    amount = _amount(body.get("amount"), request.app[SETTINGS].funds.max_deposit)
    relationship_id = _uuid(body.get("relationship_id"), "relationship_id")

    answer = await deposit_once(
        request.app[IDEMPOTENCY],
        request.app[RUNTIME].gateway,
        transfer_json,
        account_id=identity.account_id,
        key=key,
        amount=amount,
        relationship_id=relationship_id,
    )
    return json_response(
        answer.body, status=answer.status, headers=_REPLAYED if answer.replayed else None
    )


@routes.get("/api/funds/transfers")
async def list_transfers(request: web.Request) -> web.Response:
    identity = identify(request)
    key = ("transfers", identity.account_id)
    hit, version = fresh_view(request, key, identity.account_id)
    if hit is not None:
        return hit
    fetched = await request.app[RUNTIME].gateway.transfers(identity.account_id)
    return request.app[VIEWS].render(
        key,
        stamp_of(fetched),
        lambda: {"transfers": [transfer_json(t) for t in fetched.value], "stale": fetched.stale},
        inputs=(fetched,),
        version=version,
    )


def _text(body: dict[str, Any], name: str, max_length: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"'{name}' is required.", details={"field": name})
    if len(value) > max_length:
        raise BadRequest(f"'{name}' is too long.", details={"field": name})
    return value.strip()


# Plain decimal notation in ASCII digits: no exponent ("1e2"), no digit separators ("1_000"),
# no other scripts' digits, no spaces; at most 15 digits before the point, so no figure can
# outgrow Decimal's precision before the limit is checked.
_PLAIN_AMOUNT = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]+)?")


def _amount(raw: Any, limit: Decimal) -> Decimal:
    """A positive amount in dollars with at most two decimals, up to the configured limit.
    Sent as a string ("100.00"); a JSON integer is accepted as it is exact."""
    text = str(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else None
    if text is None or not _PLAIN_AMOUNT.fullmatch(text):
        raise BadRequest(
            "'amount' must be a decimal string such as \"100.00\".", details={"field": "amount"}
        )
    amount = Decimal(text)
    if amount <= 0:
        raise BadRequest("'amount' must be more than zero.", details={"field": "amount"})
    if amount != amount.quantize(Decimal("0.01")):
        raise BadRequest(
            "'amount' can have at most two decimals (cents).", details={"field": "amount"}
        )
    if amount > limit:
        raise BadRequest(
            f"'amount' can be at most {limit} per deposit.",
            details={"field": "amount", "max": str(limit)},
        )
    return amount.quantize(Decimal("0.01"))


def _uuid(raw: Any, name: str) -> UUID:
    try:
        return UUID(str(raw))
    except (ValueError, TypeError):
        raise BadRequest(
            f"'{name}' must be the id of a linked bank account.", details={"field": name}
        ) from None
