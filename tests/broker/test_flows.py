"""Today's money in: transfers by the moment they completed, journals by their date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from alpaca.broker.models import Transfer

from portfolio_rt.broker.flows import moved_since, with_share_journals
from portfolio_rt.core.money import CashFlow
from portfolio_rt.core.periods import NEW_YORK

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


def _ny_midnight(day: int) -> datetime:
    """A journal's time as the activities give it: its date, at midnight in New York."""
    return datetime(2026, 11, day, tzinfo=NEW_YORK).astimezone(UTC)


def test_share_journals_land_on_the_first_point_of_their_day_and_only_in_the_range() -> None:
    # Daily points at the 16:00 New York close of Mon 16, Tue 17, Wed 18 and Mon 23 November.
    stamps = [int(datetime(2026, 11, d, 16, tzinfo=NEW_YORK).timestamp()) for d in (16, 17, 18, 23)]
    cash = [Decimal("100"), Decimal("0"), Decimal("-20"), Decimal("0")]
    flows = [
        CashFlow(_ny_midnight(13), Decimal("999"), "JNLS"),  # before the range: not its own
        CashFlow(_ny_midnight(17), Decimal("250.50"), "JNLS"),  # Tuesday's point
        CashFlow(_ny_midnight(17), Decimal("7"), "JNLC"),  # cash: the history's map has it
        CashFlow(_ny_midnight(21), Decimal("-40"), "JNLS"),  # a Saturday: Monday's point
        CashFlow(_ny_midnight(24), Decimal("5"), "JNLS"),  # after the last point
    ]

    got = with_share_journals(stamps, cash, flows)

    # Worked by hand: 100 | 0 + 250.50 | -20 | 0 - 40.
    assert got == [Decimal("100"), Decimal("250.50"), Decimal("-20"), Decimal("-40")]
    assert cash == [Decimal("100"), Decimal("0"), Decimal("-20"), Decimal("0")]  # untouched


def test_without_share_journals_the_points_flows_are_the_historys() -> None:
    stamps = [int(datetime(2026, 11, 16, 16, tzinfo=NEW_YORK).timestamp())]
    flows = [CashFlow(_ny_midnight(16), Decimal("10"), "CSD")]
    assert with_share_journals(stamps, [Decimal("10")], flows) == [Decimal("10")]
    assert with_share_journals([], [], [CashFlow(_ny_midnight(16), Decimal("1"), "JNLS")]) == []
