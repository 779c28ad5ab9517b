"""Today's money in: transfers by the moment they completed, journals by their date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from alpaca.broker.models import Transfer

from portfolio_rt.broker.flows import moved_since
from portfolio_rt.core.money import CashFlow

CLOSE = datetime(2026, 11, 18, 21, 0, tzinfo=UTC)  # Wednesday 16:00 New York


def transfer(amount: str, direction: str, status: str, done: datetime) -> Transfer:
    return Transfer.model_validate(
        {
            "id": str(uuid4()),
            "account_id": str(uuid4()),
            "created_at": (done - timedelta(minutes=5)).isoformat(),
            "updated_at": done.isoformat(),
            "amount": amount,
            "type": "ach",
            "status": status,
            "direction": direction,
        }
    )


def test_completed_transfers_count_from_the_moment_they_completed() -> None:
    transfers = [
        transfer("1234.56", "INCOMING", "COMPLETE", CLOSE + timedelta(hours=3)),  # evening
        transfer("200.00", "OUTGOING", "COMPLETE", CLOSE + timedelta(hours=4)),
        transfer("500.00", "INCOMING", "COMPLETE", CLOSE - timedelta(hours=2)),  # before close
        transfer("999.00", "INCOMING", "QUEUED", CLOSE + timedelta(hours=1)),  # not in yet
    ]
    assert moved_since(transfers, [], CLOSE) == Decimal("1034.56")


def test_cash_journals_count_when_dated_after_the_close_day() -> None:
    wednesday = datetime(2026, 11, 18, 5, 0, tzinfo=UTC)  # midnight New York
    thursday = wednesday + timedelta(days=1)
    flows = [
        CashFlow(wednesday, Decimal("10"), "JNLC"),
        CashFlow(thursday, Decimal("25"), "JNLC"),
        CashFlow(thursday, Decimal("1000"), "CSD"),  # deposits come from the transfers
    ]
    assert moved_since([], flows, CLOSE) == Decimal("25")
