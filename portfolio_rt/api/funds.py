"""Add funds: linked bank accounts, deposits with idempotency keys, transfer status.

Full bank numbers are accepted once, passed to Alpaca, and never returned or logged: every
response shows only the last four digits.
"""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web
from alpaca.broker.models import ACHRelationship, Transfer

from ..auth.tokens import WRITE
from ..broker.gateway import decimal_of, enum_value
from ..core.banking import mask
from ..funds.deposits import deposit as deposit_once
from ..funds.idempotency import validate_key
from ..state import IDEMPOTENCY, RUNTIME, SETTINGS
from .identity import identify
from .params import BankAccountBody, DepositBody, deposit_body, parse_body
from .responses import json_response
from .view_cache import VIEWS, fresh_view

log = structlog.get_logger("portfolio_rt.funds")
_REPLAYED = {"Idempotent-Replayed": "true"}
routes = web.RouteTableDef()

DEPOSIT_BODY: web.AppKey[type[DepositBody]] = web.AppKey("deposit_body")


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
        lambda: {"bank_accounts": [bank_json(r) for r in fetched.value], "stale": fetched.stale},
        inputs=(fetched,),
        version=version,
    )


@routes.post("/api/funds/bank-accounts")
async def link_bank_account(request: web.Request) -> web.Response:
    identity = identify(request)
    identity.require(WRITE)
    body = await parse_body(request, BankAccountBody)
    rel = await request.app[RUNTIME].gateway.create_ach_relationship(
        identity.account_id,
        owner_name=body.owner_name,
        bank_account_type=body.account_type.upper(),
        account_number=body.account_number,
        routing_number=body.routing_number,
        nickname=body.nickname or None,
    )
    log.info(
        "funds.bank_linked", relationship_id=str(rel.id), account_number=mask(body.account_number)
    )
    return json_response(bank_json(rel), status=201)


@routes.post("/api/funds/deposits")
async def deposit(request: web.Request) -> web.Response:
    """Start an ACH deposit. The Idempotency-Key makes a retry (double click, lost answer)
    return the first result and move no more money."""
    identity = identify(request)
    identity.require(WRITE)
    key = validate_key(request.headers.get("Idempotency-Key"))
    body = await parse_body(request, request.app[DEPOSIT_BODY])

    answer = await deposit_once(
        request.app[IDEMPOTENCY],
        request.app[RUNTIME].gateway,
        transfer_json,
        account_id=identity.account_id,
        key=key,
        amount=body.dollars(),
        relationship_id=body.relationship_id,
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
        lambda: {"transfers": [transfer_json(t) for t in fetched.value], "stale": fetched.stale},
        inputs=(fetched,),
        version=version,
    )


def setup(app: web.Application) -> None:
    """The deposit body states this service's limit, so it is built from the settings."""
    app[DEPOSIT_BODY] = deposit_body(app[SETTINGS].funds.max_deposit)
    app.add_routes(routes)
