"""ACH deposits that move money once: a retry with the same idempotency key (double click,
lost answer) returns the first result, and an attempt whose answer was lost is reconciled
with the transfers Alpaca has before anything is sent again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import structlog
from alpaca.broker.models import Transfer

from ..broker.gateway import BrokerGateway, decimal_of, enum_value
from ..core.errors import BrokerTimeout, BrokerUnavailable, Conflict, NotFound, ServiceError
from .idempotency import IdempotencyStore, fingerprint, still_in_flight

log = structlog.get_logger("portfolio_rt.funds")
_CLOCK_SLACK_S = 60.0

Render = Callable[[Transfer], dict[str, Any]]
"""A transfer as the API answers it (what a replay returns)."""


@dataclass(frozen=True)
class DepositAnswer:
    status: int
    body: dict[str, Any]
    replayed: bool


async def deposit(
    store: IdempotencyStore,
    gateway: BrokerGateway,
    render: Render,
    *,
    account_id: UUID,
    key: str,
    amount: Decimal,
    relationship_id: UUID,
) -> DepositAnswer:
    """Start an ACH deposit under `key`, or answer as the first attempt with that key did."""
    scope = f"deposit:{account_id}:{key}"
    print_ = fingerprint({"amount": str(amount), "relationship_id": str(relationship_id)})
    earlier = await store.begin(scope, print_)
    if earlier is not None:
        if earlier.state == "done":
            return DepositAnswer(earlier.status, earlier.body, replayed=True)
        # The first attempt's answer was lost: find the transfer it may have made.
        found = await _reconcile(
            store, gateway, account_id, amount, relationship_id, earlier.started_at, scope
        )
        if found is not None:
            body = render(found)
            await store.complete(scope, 201, body)
            log.info("funds.deposit_reconciled", transfer_id=str(found.id))
            return DepositAnswer(201, body, replayed=True)
        if not store.settled(earlier):
            raise Conflict(
                "We are still confirming whether this deposit went through; "
                "try again in a few seconds with the same key.",
                details={"idempotency": "uncertain"},
                retry_after=5,
            )
        # It never reached Alpaca: safe to send now, by whichever retry takes it over first.
        if not await store.restart(scope, earlier):
            raise still_in_flight()
    try:
        linked = await gateway.is_linked(account_id, relationship_id)
    except BaseException:
        await store.release(scope)  # nothing was sent
        raise
    if not linked:
        await store.release(scope)
        raise NotFound(
            "No such bank account is linked to this account.",
            details={"field": "relationship_id"},
        )
    try:
        transfer = await gateway.create_deposit(
            account_id, amount=amount, relationship_id=relationship_id
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
    body = render(transfer)
    await store.complete(scope, 201, body)
    log.info("funds.deposit_created", transfer_id=str(transfer.id), amount=str(amount))
    return DepositAnswer(201, body, replayed=False)


async def _reconcile(
    store: IdempotencyStore,
    gateway: BrokerGateway,
    account_id: UUID,
    amount: Decimal,
    relationship_id: UUID,
    started_at: float,
    scope: str,
) -> Transfer | None:
    """The deposit an unanswered attempt made, if Alpaca has it: same bank, same amount,
    created since the attempt began (with slack for clock skew), not owned by another key."""
    gateway.invalidate_account(account_id)
    transfers = (await gateway.transfers(account_id)).value
    since = started_at - _CLOCK_SLACK_S
    candidates = sorted(
        (
            t
            for t in transfers
            if t.relationship_id == relationship_id
            and enum_value(t.direction) == "INCOMING"
            and decimal_of(t.amount) == amount
            and t.created_at.timestamp() >= since
        ),
        key=lambda t: t.created_at,
    )
    for transfer in candidates:
        if await store.claim(str(transfer.id), scope):
            return transfer
    return None
