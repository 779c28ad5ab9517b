"""Add funds: linked bank accounts, deposits with idempotency keys, transfer status.

Full bank numbers are accepted once, passed to Alpaca, and never returned or logged: every
response shows only the last four digits.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import structlog
from aiohttp import web
from alpaca.broker.models import ACHRelationship, Transfer

from ..auth.tokens import WRITE
from ..broker.gateway import decimal_of
from ..core.banking import aba_checksum_ok, account_number_ok, mask
from ..core.errors import BadRequest, BrokerTimeout, BrokerUnavailable, Conflict, ServiceError
from ..funds.idempotency import IdempotencyStore, MemoryBackend, fingerprint, validate_key
from ..state import RUNTIME, SETTINGS
from .identity import identify
from .request_body import json_object
from .responses import json_response

log = structlog.get_logger("portfolio_rt.funds")
_REPLAYED = {"Idempotent-Replayed": "true"}
_CLOCK_SLACK_S = 60.0
routes = web.RouteTableDef()
IDEMPOTENCY = web.AppKey("idempotency", IdempotencyStore)

_ACCOUNT_TYPES = {"checking": "CHECKING", "savings": "SAVINGS"}


def _enum(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def bank_json(rel: ACHRelationship) -> dict[str, Any]:
    return {
        "id": rel.id,
        "nickname": rel.nickname,
        "owner_name": rel.account_owner_name,
        "account_type": (_enum(rel.bank_account_type) or "").lower() or None,
        "account_number": mask(rel.bank_account_number),
        "routing_number": mask(rel.bank_routing_number),
        "status": _enum(rel.status),
        "created_at": rel.created_at,
    }


def transfer_json(transfer: Transfer) -> dict[str, Any]:
    return {
        "id": transfer.id,
        "relationship_id": transfer.relationship_id,
        "amount": decimal_of(transfer.amount),
        "direction": _enum(transfer.direction),
        "type": _enum(transfer.type),
        "status": _enum(transfer.status),
        "reason": transfer.reason,
        "created_at": transfer.created_at,
        "updated_at": transfer.updated_at,
    }


@routes.get("/api/funds/bank-accounts")
async def list_bank_accounts(request: web.Request) -> web.Response:
    identity = identify(request)
    fetched = await request.app[RUNTIME].gateway.ach_relationships(identity.account_id)
    return json_response(
        {"bank_accounts": [bank_json(r) for r in fetched.value], "stale": fetched.stale}
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

    store = request.app[IDEMPOTENCY]
    gateway = request.app[RUNTIME].gateway
    scope = f"deposit:{identity.account_id}:{key}"
    print_ = fingerprint({"amount": str(amount), "relationship_id": str(relationship_id)})
    earlier = await store.begin(scope, print_)
    if earlier is not None:
        if earlier.state == "done":
            return json_response(earlier.body, status=earlier.status, headers=_REPLAYED)
        # The first attempt's answer was lost: find the transfer it may have made.
        found = await _reconcile(
            request, identity.account_id, amount, relationship_id, earlier.started_at, scope
        )
        if found is not None:
            body = transfer_json(found)
            await store.complete(scope, 201, body)
            log.info("funds.deposit_reconciled", transfer_id=str(found.id))
            return json_response(body, status=201, headers=_REPLAYED)
        if not store.settled(earlier):
            raise Conflict(
                "We are still confirming whether this deposit went through; "
                "try again in a few seconds with the same key.",
                details={"idempotency": "uncertain"},
                retry_after=5,
            )
        await store.restart(scope, earlier)  # it never reached Alpaca: safe to send now
    try:
        transfer = await gateway.create_deposit(
            identity.account_id, amount=amount, relationship_id=relationship_id
        )
    except (BrokerTimeout, BrokerUnavailable) as exc:
        # The request may have reached Alpaca: the next retry reconciles before sending.
        await store.mark_uncertain(scope)
        log.warning("funds.deposit_uncertain", error=exc.code)
        raise
    except ServiceError:
        await store.release(scope)  # Alpaca answered with a refusal: nothing moved
        raise
    except BaseException:
        await store.mark_uncertain(scope)
        raise
    await store.claim(str(transfer.id), scope)
    response_body = transfer_json(transfer)
    await store.complete(scope, 201, response_body)
    log.info("funds.deposit_created", transfer_id=str(transfer.id), amount=str(amount))
    return json_response(response_body, status=201)


async def _reconcile(
    request: web.Request,
    account_id: UUID,
    amount: Decimal,
    relationship_id: UUID,
    started_at: float,
    scope: str,
) -> Transfer | None:
    """The deposit an unanswered attempt made, if Alpaca has it: same bank, same amount,
    created since the attempt began (with slack for clock skew), not owned by another key."""
    gateway = request.app[RUNTIME].gateway
    gateway.invalidate_account(account_id)
    transfers = (await gateway.transfers(account_id)).value
    since = started_at - _CLOCK_SLACK_S
    candidates = sorted(
        (
            t
            for t in transfers
            if t.relationship_id == relationship_id
            and _enum(t.direction) == "INCOMING"
            and decimal_of(t.amount) == amount
            and t.created_at.timestamp() >= since
        ),
        key=lambda t: t.created_at,
    )
    for transfer in candidates:
        if await request.app[IDEMPOTENCY].claim(str(transfer.id), scope):
            return transfer
    return None


@routes.get("/api/funds/transfers")
async def list_transfers(request: web.Request) -> web.Response:
    identity = identify(request)
    fetched = await request.app[RUNTIME].gateway.transfers(identity.account_id)
    return json_response(
        {"transfers": [transfer_json(t) for t in fetched.value], "stale": fetched.stale}
    )


def _text(body: dict[str, Any], name: str, max_length: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"'{name}' is required.", details={"field": name})
    if len(value) > max_length:
        raise BadRequest(f"'{name}' is too long.", details={"field": name})
    return value.strip()


def _amount(raw: Any, limit: Decimal) -> Decimal:
    """A positive amount in dollars with at most two decimals, up to the configured limit.
    Sent as a string ("100.00"); a JSON number is accepted only if it is exact."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise BadRequest(
            "'amount' must be a decimal string such as \"100.00\".", details={"field": "amount"}
        )
    try:
        amount = Decimal(str(raw).strip())
    except InvalidOperation:
        raise BadRequest(
            "'amount' must be a decimal string such as \"100.00\".", details={"field": "amount"}
        ) from None
    if not amount.is_finite() or amount <= 0:
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


def setup(app: web.Application) -> None:
    """Keys live in memory until start-up swaps in Redis (when configured)."""
    settings = app[SETTINGS]
    app[IDEMPOTENCY] = IdempotencyStore(
        MemoryBackend(settings.funds.idempotency_ttl_s),
        settle_after_s=2 * settings.alpaca.request_timeout_s + 5,
    )
    app.add_routes(routes)
