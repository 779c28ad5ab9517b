"""Journals in the sandbox as a team's code meets them: cash (JNLC) and shares (JNLS) moved
between accounts through `/v1/journals` and alpaca-py's `BrokerClient`, the pending journals
of Alpaca's rules (above the limit, fixtures), and what a journal leaves behind: balances,
positions, both accounts' activities, the portfolio history's cash flows (the gain unchanged)
and the journal events. The world's clock is frozen, so every figure is compared exactly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import aiohttp
import pytest
from alpaca.broker import BrokerClient
from alpaca.broker.enums import JournalEntryType, JournalStatus
from alpaca.broker.models import BatchJournalResponse, Journal
from alpaca.broker.requests import (
    BatchJournalRequestEntry,
    CreateBatchJournalRequest,
    CreateJournalRequest,
    CreateReverseBatchJournalRequest,
    GetJournalsRequest,
    ReverseBatchJournalRequestEntry,
)

from portfolio_rt.sandbox.app import RunningSandbox, serve_sandbox
from portfolio_rt.sandbox.journals import FIRM_ACCOUNT_ID, JNLC_LIMIT
from portfolio_rt.sandbox.world import Sandbox
from tests.fixtures.clock import ManualClock
from tests.fixtures.settings import SANDBOX_KEY, SANDBOX_SECRET, sandbox_config
from tests.sandbox.openapi_check import load_spec, validate_component
from tests.sandbox.openapi_examples import compare_with_example, response_schema

# Wednesday 2026-11-18, 11:00 New York: in session, the close five hours away.
IN_SESSION = datetime(2026, 11, 18, 16, 0, tzinfo=UTC)
AUTH = aiohttp.BasicAuth(SANDBOX_KEY, SANDBOX_SECRET)


class Served:
    """A sandbox on a frozen clock, served; JSON helpers for its Broker API."""

    def __init__(self, running: RunningSandbox, clock: ManualClock) -> None:
        self.running, self.clock = running, clock
        self.sandbox = running.sandbox
        self.maya = self.sandbox.personas["maya"]
        self.jordan = self.sandbox.personas["jordan"]
        self.sdk = BrokerClient(SANDBOX_KEY, SANDBOX_SECRET, url_override=running.broker_url)

    async def call(
        self, method: str, path: str, body: Any = None, **kwargs: Any
    ) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession(auth=AUTH) as session,
            session.request(method, self.running.broker_url + path, json=body, **kwargs) as r,
        ):
            return r.status, (await r.json() if r.status != 204 else None)

    async def journal(self, **body: Any) -> tuple[int, Any]:
        return await self.call("POST", "/v1/journals", body)

    def cash(self, account: UUID) -> Decimal:
        return self.sandbox.ledger.balances(account).cash

    def history(self, account: UUID) -> Any:
        return self.sandbox.ledger.portfolio_history(
            account,
            period="1M",
            timeframe="1D",
            cashflow_types="CSD,CSW,JNLC,JNLS",
            pnl_reset="no_reset",
        )

    def activities(self, account: UUID, kind: str) -> list[Any]:
        return self.sandbox.ledger.activities(account_id=account, activity_types=[kind])


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    clock = ManualClock(IN_SESSION)
    sandbox = Sandbox.build(sandbox_config(market_hours="real", trades_per_second=0.0), now=clock)
    async with serve_sandbox(sandbox) as running:
        yield Served(running, clock)


def firm_to(account: UUID, amount: str, **more: Any) -> dict[str, Any]:
    return {
        "entry_type": "JNLC",
        "from_account": str(FIRM_ACCOUNT_ID),
        "to_account": str(account),
        "amount": amount,
        **more,
    }


async def test_a_cash_reward_moves_cash_now_and_is_a_cash_flow_not_a_gain(served: Served) -> None:
    before_cash, firm_before = served.cash(served.maya), served.cash(FIRM_ACCOUNT_ID)
    history_before = served.history(served.maya)

    status, journal = await served.journal(**firm_to(served.maya, "25", description="Cash-back"))

    assert status == 200, journal
    assert journal["status"] == "executed"
    assert journal["net_amount"] == "25"
    assert journal["settle_date"] == "2026-11-18"
    assert served.cash(served.maya) == before_cash + 25
    assert served.cash(FIRM_ACCOUNT_ID) == firm_before - 25
    (into,) = served.activities(served.maya, "JNLC")
    (out_of,) = served.activities(FIRM_ACCOUNT_ID, "JNLC")
    assert (into.net_amount, out_of.net_amount) == (Decimal(25), Decimal(-25))
    assert into.description == "Cash-back"
    history = served.history(served.maya)
    assert history.equity[-1] == history_before.equity[-1] + 25
    assert history.profit_loss == history_before.profit_loss  # not a gain
    assert history.cashflow["JNLC"][-1] == Decimal(25)
    assert sum(history_before.cashflow["JNLC"]) == 0


async def test_shares_journaled_move_at_the_price_of_the_moment_and_are_flows(
    served: Served,
) -> None:
    ledger = served.sandbox.ledger
    held = ledger.positions(served.maya)[0]
    qty = Decimal("0.5")
    jordan_before = served.history(served.jordan)
    maya_before = served.history(served.maya)

    status, journal = await served.journal(
        entry_type="JNLS",
        from_account=str(served.maya),
        to_account=str(served.jordan),
        symbol=held.symbol,
        qty="0.5",
        description="Gift",
    )

    assert status == 200, journal
    assert journal["status"] == "executed"
    price = Decimal(journal["price"])
    assert price == ledger.market.price_at(held.symbol, served.clock.t)
    value = (qty * price).quantize(Decimal("0.01"))
    assert ledger.position(served.maya, held.symbol).qty == held.qty - qty
    received = ledger.position(served.jordan, held.symbol)
    assert received.qty >= qty
    (into,) = served.activities(served.jordan, "JNLS")
    (out_of,) = served.activities(served.maya, "JNLS")
    assert (into.qty, into.price, into.symbol) == (qty, price, held.symbol)
    assert out_of.qty == -qty
    for account, before, sign in (
        (served.jordan, jordan_before, 1),
        (served.maya, maya_before, -1),
    ):
        after = served.history(account)
        assert after.cashflow["JNLS"][-1] == sign * value
        # Moved, not gained or lost: the days before untouched, today's gain the same but for
        # the cent a holding valued once (not as two parts) may round to.
        assert after.profit_loss[:-1] == before.profit_loss[:-1], account
        assert abs(after.profit_loss[-1] - before.profit_loss[-1]) <= Decimal("0.01")


async def test_a_cash_journal_above_the_limit_waits_for_the_end_of_the_day(
    served: Served,
) -> None:
    cash = served.cash(served.maya)
    status, journal = await served.journal(**firm_to(served.maya, str(JNLC_LIMIT + 1)))
    assert status == 200, journal
    assert journal["status"] == "pending"
    assert served.cash(served.maya) == cash

    served.clock.advance(timedelta(hours=5, minutes=1))  # past the 16:00 close
    status, settled = await served.call("GET", f"/v1/journals/{journal['id']}")

    assert settled["status"] == "executed"
    assert served.cash(served.maya) == cash + JNLC_LIMIT + 1


async def test_fixtures_reject_at_the_end_of_the_day_or_keep_a_journal_pending(
    served: Served,
) -> None:
    _, rejected = await served.journal(
        **firm_to(served.maya, "5", description="x /fixtures/status=rejected/fixtures/")
    )
    _, stuck = await served.journal(
        **firm_to(served.maya, "5", description="/fixtures/status=pending/fixtures/")
    )
    assert (rejected["status"], stuck["status"]) == ("pending", "pending")
    cash = served.cash(served.maya)

    served.clock.advance(timedelta(days=1))
    _, rejected = await served.call("GET", f"/v1/journals/{rejected['id']}")
    _, stuck = await served.call("GET", f"/v1/journals/{stuck['id']}")

    assert (rejected["status"], stuck["status"]) == ("rejected", "pending")
    assert served.cash(served.maya) == cash


async def test_only_a_pending_journal_can_be_deleted(served: Served) -> None:
    _, pending = await served.journal(**firm_to(served.maya, "500"))
    _, executed = await served.journal(**firm_to(served.maya, "5"))

    assert (await served.call("DELETE", f"/v1/journals/{pending['id']}"))[0] == 204
    status, error = await served.call("DELETE", f"/v1/journals/{executed['id']}")
    assert status == 422
    assert "only a pending journal" in error["message"]
    served.clock.advance(timedelta(days=1))
    _, deleted = await served.call("GET", f"/v1/journals/{pending['id']}")
    assert deleted["status"] == "deleted"
    assert (await served.call("DELETE", f"/v1/journals/{uuid4()}"))[0] == 404


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"amount": "0"}, 422, "greater than 0"),
        ({"amount": "1.001"}, 422, "decimal places"),
        ({"amount": "abc"}, 422, "must be a number"),
        ({"amount": None}, 422, "amount is required"),
        ({"entry_type": "JNLX"}, 422, "entry_type"),
        ({"to_account": "not-a-uuid"}, 422, "to_account"),
        ({"to_account": str(uuid4())}, 404, "account not found"),
        ({"to_account": str(FIRM_ACCOUNT_ID)}, 422, "must differ"),
        ({"amount": "2000000"}, 403, "insufficient balance"),
        ({"symbol": "AAPL"}, 422, "not a symbol"),
        ({"description": "x" * 1025}, 422, "1024"),
    ],
)
async def test_a_journal_the_accounts_cannot_make_is_refused_and_nothing_moves(
    served: Served, change: dict[str, Any], status: int, words: str
) -> None:
    firm_cash = served.cash(FIRM_ACCOUNT_ID)
    body = {k: v for k, v in (firm_to(served.maya, "10") | change).items() if v is not None}

    got, error = await served.journal(**body)

    assert got == status, error
    assert words in error["message"]
    assert isinstance(error["code"], int)
    assert served.cash(FIRM_ACCOUNT_ID) == firm_cash


async def test_shares_an_account_does_not_hold_are_refused(served: Served) -> None:
    status, error = await served.journal(
        entry_type="JNLS",
        from_account=str(served.maya),
        to_account=str(served.jordan),
        symbol="TSLA",
        qty="100000",
    )
    assert status == 403
    assert "insufficient assets" in error["message"]
    status, error = await served.journal(
        entry_type="JNLS",
        from_account=str(served.maya),
        to_account=str(served.jordan),
        symbol="NOPE",
        qty="1",
    )
    assert (status, error["message"]) == (422, "unknown symbol NOPE")


async def test_an_idempotency_key_makes_a_retry_return_the_first_journal(served: Served) -> None:
    cash = served.cash(served.maya)
    key = {"headers": {"Idempotency-Key": "reward-42"}}
    body = firm_to(served.maya, "10")

    first = await served.call("POST", "/v1/journals", body, **key)
    again = await served.call("POST", "/v1/journals", body, **key)
    changed = await served.call("POST", "/v1/journals", firm_to(served.maya, "11"), **key)

    assert first[0] == again[0] == 200
    assert first[1]["id"] == again[1]["id"]
    assert served.cash(served.maya) == cash + 10  # once
    assert changed[0] == 422


async def test_alpaca_py_creates_lists_reads_and_cancels_journals(served: Served) -> None:
    sdk = served.sdk

    def run() -> tuple[Any, ...]:
        made = sdk.create_journal(
            CreateJournalRequest(
                from_account=FIRM_ACCOUNT_ID,
                to_account=served.maya,
                entry_type=JournalEntryType.CASH,
                amount=12.5,
                description="Referral bonus",
            )
        )
        shares = sdk.create_journal(
            CreateJournalRequest(
                from_account=served.maya,
                to_account=served.jordan,
                entry_type=JournalEntryType.SECURITY,
                symbol=served.sandbox.ledger.positions(served.maya)[0].symbol,
                qty=0.25,
            )
        )
        waiting = sdk.create_journal(
            CreateJournalRequest(
                from_account=FIRM_ACCOUNT_ID,
                to_account=served.jordan,
                entry_type=JournalEntryType.CASH,
                amount=100,
            )
        )
        listed = sdk.get_journals(GetJournalsRequest(to_account=served.maya))
        pending = sdk.get_journals(GetJournalsRequest(status=JournalStatus.PENDING))
        read = sdk.get_journal_by_id(made.id)
        sdk.cancel_journal_by_id(waiting.id)
        gone = sdk.get_journal_by_id(waiting.id)
        return made, shares, listed, pending, read, gone

    made, shares, listed, pending, read, gone = await asyncio.to_thread(run)

    assert isinstance(made, Journal)
    assert (made.status, made.net_amount) == (JournalStatus.EXECUTED, 12.5)
    assert shares.entry_type == JournalEntryType.SECURITY
    assert shares.price is not None
    assert shares.price > 0
    assert [j.id for j in listed] == [made.id]
    assert len(pending) == 1
    assert read.id == made.id
    assert gone.status == JournalStatus.DELETED


async def test_alpaca_py_batches_rewards_out_and_collects_them_back(served: Served) -> None:
    sdk, stranger = served.sdk, uuid4()

    def run() -> tuple[list[Any], list[Any]]:
        out = sdk.create_batch_journal(
            CreateBatchJournalRequest(
                entry_type=JournalEntryType.CASH,
                from_account=FIRM_ACCOUNT_ID,
                entries=[
                    BatchJournalRequestEntry(to_account=served.maya, amount=10),
                    BatchJournalRequestEntry(to_account=served.jordan, amount=20),
                    BatchJournalRequestEntry(to_account=stranger, amount=30),
                ],
            )
        )
        back = sdk.create_reverse_batch_journal(
            CreateReverseBatchJournalRequest(
                entry_type=JournalEntryType.CASH,
                to_account=FIRM_ACCOUNT_ID,
                entries=[
                    ReverseBatchJournalRequestEntry(from_account=served.maya, amount=10),
                    ReverseBatchJournalRequestEntry(from_account=served.jordan, amount=20),
                ],
            )
        )
        return out, back

    firm_cash = served.cash(FIRM_ACCOUNT_ID)
    out, back = await asyncio.to_thread(run)

    assert all(isinstance(j, BatchJournalResponse) for j in [*out, *back])
    assert [(j.status, j.error_message) for j in out] == [
        (JournalStatus.EXECUTED, ""),
        (JournalStatus.EXECUTED, ""),
        (JournalStatus.REJECTED, "account not found"),
    ]
    assert [j.status for j in back] == [JournalStatus.EXECUTED] * 2
    assert served.cash(FIRM_ACCOUNT_ID) == firm_cash


async def test_a_batch_with_one_malformed_entry_moves_nothing(served: Served) -> None:
    firm_cash = served.cash(FIRM_ACCOUNT_ID)
    status, error = await served.call(
        "POST",
        "/v1/journals/batch",
        {
            "entry_type": "JNLC",
            "from_account": str(FIRM_ACCOUNT_ID),
            "entries": [
                {"to_account": str(served.maya), "amount": "10"},
                {"to_account": str(served.jordan), "amount": "-1"},
            ],
        },
    )
    assert status == 422, error
    assert served.cash(FIRM_ACCOUNT_ID) == firm_cash


async def test_journals_list_filters(served: Served) -> None:
    await served.journal(**firm_to(served.maya, "1"))
    await served.journal(**firm_to(served.jordan, "2"))
    await served.journal(**firm_to(served.jordan, "60"))

    async def listed(**query: str) -> list[str]:
        status, found = await served.call("GET", "/v1/journals", params=query)
        assert status == 200, found
        return [j["net_amount"] for j in found]

    assert await listed() == ["60", "2", "1"]
    assert await listed(to_account=str(served.jordan)) == ["60", "2"]
    assert await listed(status="pending") == ["60"]
    assert await listed(entry_type="JNLS") == []
    assert await listed(after="2026-11-19") == []
    assert await listed(before="2026-11-18", limit="1") == ["60"]
    assert (await served.call("GET", "/v1/journals", params={"status": "nope"}))[0] == 400


async def test_journal_answers_match_the_documents_schema(served: Served) -> None:
    _, cash = await served.journal(**firm_to(served.maya, "3"))
    _, shares = await served.journal(
        entry_type="JNLS",
        from_account=str(served.maya),
        to_account=str(served.jordan),
        symbol=served.sandbox.ledger.positions(served.maya)[0].symbol,
        qty="0.1",
    )
    for journal in (cash, shares):
        validate_component("broker-api", "Journal", journal)


async def test_each_status_change_is_a_journal_event(served: Served) -> None:
    _, journal = await served.journal(**firm_to(served.maya, "70"))
    served.clock.advance(timedelta(days=1))
    await served.call("GET", f"/v1/journals/{journal['id']}")
    events = [
        e
        for e in served.sandbox.events.events("journals")
        if e.body["journal_id"] == UUID(journal["id"])
    ]
    assert [(e.body["status_from"], e.body["status_to"]) for e in events] == [
        ("", "queued"),
        ("queued", "pending"),
        ("pending", "executed"),
    ]


async def test_the_firm_account_is_not_listed_with_customers(served: Served) -> None:
    status, accounts = await served.call("GET", "/v1/accounts")
    assert status == 200
    assert str(FIRM_ACCOUNT_ID) not in {a["id"] for a in accounts}
    status, firm = await served.call("GET", f"/v1/accounts/{FIRM_ACCOUNT_ID}")
    assert (status, firm["id"]) == (200, str(FIRM_ACCOUNT_ID))


async def test_journal_answers_have_every_field_of_the_documents_examples(
    served: Served,
) -> None:
    """Field by field against the Journal examples of Alpaca's Broker API document (its
    `x-examples` of schema Journal: an executed JNLS, a pending JNLC, a queued one)."""
    examples = load_spec("broker-api")["components"]["schemas"]["Journal"]["x-examples"]
    schema = response_schema("broker-api", "get", "/v1/journals/{journal_id}")
    _, shares = await served.journal(
        entry_type="JNLS", from_account=str(served.maya), to_account=str(served.jordan),
        symbol=served.sandbox.ledger.positions(served.maya)[0].symbol, qty="2",
    )  # fmt: skip
    _, cash = await served.journal(**firm_to(served.maya, "645"))
    answers = {"example": shares, "example-pending": cash, "example-queued": cash}
    for name, example in examples.items():
        _, answer = await served.call("GET", f"/v1/journals/{answers[name]['id']}")
        problems = compare_with_example(example, answer, spec_name="broker-api", schema=schema)
        assert problems == [], (name, problems)
