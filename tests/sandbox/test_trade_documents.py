"""Trade documents (`GET …/documents`, `…/documents/{id}`, `…/download`): which documents an
account has, the filters, the 301 to a pre-signed link, and the PDFs themselves: valid files
whose figures agree with the ledger."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID, uuid5

import aiohttp
import pytest
from yarl import URL

from portfolio_rt.sandbox import signed_links
from portfolio_rt.sandbox.app import RunningSandbox
from portfolio_rt.sandbox.documents import fill_amount, statement, trade_documents
from portfolio_rt.sandbox.pdf import Line, render_pdf
from portfolio_rt.sandbox.world import Sandbox

from .broker_calls import broker

DOCS = "/v1/accounts/{}/documents"
_OBJECT = re.compile(rb"(\d+) 0 obj\n")
_TEXT = re.compile(rb"\(((?:[^()\\]|\\.)*)\) Tj")


def pdf_text(content: bytes) -> list[str]:
    """Check the file's structure (header, every cross-reference offset, stream lengths,
    trailer) and return its text lines."""
    assert content.startswith(b"%PDF-1.4\n")
    assert content.endswith(b"%%EOF\n")
    startxref = int(content.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert content[startxref:].startswith(b"xref\n")
    table = content[startxref:].split(b"trailer")[0].split(b"\n")
    count = int(table[1].split()[1])
    offsets = [int(row[:10]) for row in table[3 : 2 + count]]
    for number, offset in enumerate(offsets, start=1):
        assert content[offset:].startswith(b"%d 0 obj\n" % number), number
    assert len(_OBJECT.findall(content)) == count - 1
    assert b"/Size %d /Root 1 0 R" % count in content
    for match in re.finditer(rb"<< /Length (\d+) >>\nstream\n", content):
        end = match.end() + int(match.group(1))
        assert content[end:].startswith(b"\nendstream"), "a stream's /Length is wrong"
    return [re.sub(rb"\\(.)", rb"\1", m.group(1)).decode("cp1252") for m in _TEXT.finditer(content)]


def amount(lines: list[str], label: str) -> Decimal:
    line = next(line for line in lines if line.startswith(label))
    return Decimal(line[len(label) :].strip().replace(",", ""))


# ------------------------------------------------------------------------------ the list


def month_ends(first: date, today: date) -> list[date]:
    ends: list[date] = []
    month = first.replace(day=1)
    while True:
        following = (month + timedelta(days=32)).replace(day=1)
        if following - timedelta(days=1) >= today:
            return ends
        ends.append(following - timedelta(days=1))
        month = following


async def test_an_account_has_a_statement_a_month_and_a_confirmation_a_trading_day(
    sandbox_server: RunningSandbox,
) -> None:
    sandbox = sandbox_server.sandbox
    maya = sandbox.personas["maya"]
    today = sandbox.clock.market_date(sandbox.now())
    opened = sandbox.clock.market_date(sandbox.ledger.account(maya).created_at)
    async with broker(sandbox_server) as api:
        status, found = await api.call("GET", DOCS.format(maya))
    assert status == 200
    assert [(d["date"], d["type"]) for d in found] == sorted((d["date"], d["type"]) for d in found)
    statements = [date.fromisoformat(d["date"]) for d in found if d["type"] == "account_statement"]
    assert statements == month_ends(opened, today)
    fills = sandbox.ledger.activities(account_id=maya, activity_types=["FILL"], page_size=100)
    confirmed = {date.fromisoformat(d["date"]) for d in found if d["type"] == "trade_confirmation"}
    assert {f.date for f in fills if f.date < today} <= confirmed
    assert all(d < today for d in confirmed)
    for document in found:
        assert set(document) == {"id", "name", "type", "sub_type", "date"}
        assert document["sub_type"] == ""
        key = f"trade_document:{document['type']}:{document['date']}"
        assert document["id"] == str(uuid5(maya, key))  # the same in every run
        day = date.fromisoformat(document["date"])
        if document["type"] == "account_statement":
            assert document["name"] == f"Account statement, {day.strftime('%B %Y')}"
        else:
            assert document["name"] == f"Trade confirmation, {day.isoformat()}"


async def test_filters_and_lookups(sandbox_server: RunningSandbox) -> None:
    async with broker(sandbox_server) as api:
        maya, sam = api.persona("maya"), api.persona("sam")
        _, everything = await api.call("GET", DOCS.format(maya))
        middle = everything[len(everything) // 2]["date"]
        status, from_middle = await api.call("GET", DOCS.format(maya), params={"start": middle})
        assert from_middle == [d for d in everything if d["date"] >= middle]
        status, to_middle = await api.call("GET", DOCS.format(maya), params={"end": middle})
        assert to_middle == [d for d in everything if d["date"] <= middle]
        status, one_day = await api.call(
            "GET", DOCS.format(maya), params={"start": middle, "end": middle}
        )
        assert one_day == [d for d in everything if d["date"] == middle]
        status, confirmations = await api.call(
            "GET", DOCS.format(maya), params={"type": "trade_confirmation"}
        )
        assert confirmations == [d for d in everything if d["type"] == "trade_confirmation"]
        legacy = {"type": "tax_1099_b_details"}
        assert await api.call("GET", DOCS.format(maya), params=legacy) == (200, [])
        for params, message in (
            ({"type": "bank_statement"}, "type must be one of account_application"),
            ({"start": "2024-02-30"}, "start must be a date in YYYY-MM-DD format"),
            ({"start": "2024-03-02", "end": "2024-03-01"}, "start must not be after end"),
        ):
            status, body = await api.call("GET", DOCS.format(maya), params=params)
            assert (status, body["message"][: len(message)]) == (422, message)
        first = everything[0]
        assert await api.call("GET", f"{DOCS.format(maya)}/{first['id']}") == (200, first)
        not_found = (404, {"code": 40410000, "message": "document not found"})
        assert await api.call("GET", f"{DOCS.format(sam)}/{first['id']}") == not_found
        status, _, _ = await api.raw("GET", f"{DOCS.format(maya)}/{first['id']}/download")
        assert status == 301
        assert await api.call("GET", f"{DOCS.format(sam)}/{first['id']}/download") == not_found
        status, body = await api.call("GET", f"{DOCS.format(maya)}/not-a-uuid")
        assert (status, body["message"]) == (400, "document_id is not a valid UUID")


# -------------------------------------------------------------------------- the download


async def test_the_download_redirects_to_a_link_that_needs_no_credentials(
    sandbox_server: RunningSandbox,
) -> None:
    async with broker(sandbox_server) as api:
        maya = api.persona("maya")
        _, everything = await api.call("GET", DOCS.format(maya))
        document = everything[-1]
        status, body, headers = await api.raw(
            "GET", f"{DOCS.format(maya)}/{document['id']}/download"
        )
        assert status == 301
        location = URL(headers["Location"])
        assert location.path == f"/files/trade-documents/{maya}/{document['id']}.pdf"
        assert set(location.query) == {"expires", "signature"}
        assert html.escape(headers["Location"]).encode() in body  # as Alpaca's 301 page
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(str(location)) as resp:
            assert resp.status == 200
            assert resp.content_type == "application/pdf"
            disposition = f'inline; filename="{document["type"]}_{document["date"]}.pdf"'
            assert resp.headers["Content-Disposition"] == disposition
            assert pdf_text(await resp.read())
        tampered = location.update_query(signature="0" * 64)
        async with anonymous.get(str(tampered)) as resp:
            assert resp.status == 403
            assert (await resp.json())["message"] == "the download link is invalid or has expired"
        later = location.update_query(expires=str(int(location.query["expires"]) + 3600))
        async with anonymous.get(str(later)) as resp:
            assert resp.status == 403
        async with anonymous.get(str(location.with_query({}))) as resp:
            assert resp.status == 403
        download = f"{sandbox_server.broker_url}{DOCS.format(maya)}/{document['id']}/download"
        async with anonymous.get(download, allow_redirects=False) as resp:
            assert resp.status == 401


def test_links_expire_and_are_bound_to_their_path() -> None:
    now = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)
    query = signed_links.sign("secret", "/files/a.pdf", now)
    expires, signature = query["expires"], query["signature"]
    assert signed_links.valid("secret", "/files/a.pdf", expires, signature, now)
    later = now + signed_links.LINK_LIFETIME
    assert signed_links.valid("secret", "/files/a.pdf", expires, signature, later)
    too_late = later + timedelta(seconds=1)
    assert not signed_links.valid("secret", "/files/a.pdf", expires, signature, too_late)
    assert not signed_links.valid("secret", "/files/b.pdf", expires, signature, now)
    assert not signed_links.valid("other", "/files/a.pdf", expires, signature, now)
    assert not signed_links.valid("secret", "/files/a.pdf", "soon", signature, now)
    assert not signed_links.valid("secret", "/files/a.pdf", None, None, now)


# ---------------------------------------------------------------------------- the figures


async def download(sandbox_server: RunningSandbox, account: UUID, document_id: str) -> list[str]:
    async with broker(sandbox_server) as api:
        status, _, headers = await api.raw("GET", f"{DOCS.format(account)}/{document_id}/download")
        assert status == 301
        async with api.session.get(headers["Location"]) as resp:
            assert resp.status == 200
            return pdf_text(await resp.read())


async def test_a_statement_shows_the_months_figures(sandbox_server: RunningSandbox) -> None:
    sandbox = sandbox_server.sandbox
    maya = sandbox.personas["maya"]
    documents = [
        d
        for d in trade_documents(sandbox, sandbox.ledger.account(maya))
        if d.type == "account_statement"
    ]
    previous, last = documents[-2], documents[-1]
    figures = statement(sandbox, maya, last.start, last.day)
    earlier = statement(sandbox, maya, previous.start, previous.day)
    assert (figures.opening_cash, figures.opening_equity) == (
        earlier.closing_cash,
        earlier.closing_equity,
    )
    flows = sum((figures.flow(kind) for kind in ("CSD", "CSW", "JNLC", "DIV")), Decimal(0))
    traded = figures.traded("sell") - figures.traded("buy")
    assert figures.opening_cash + flows + traded == figures.closing_cash
    history = sandbox.ledger.portfolio_history(
        maya,
        start=datetime.combine(last.day - timedelta(days=6), time(12), UTC),
        end=datetime.combine(last.day, time(23), UTC),
        timeframe="1D",
    )
    assert figures.closing_equity == history.equity[-1]  # what the page's chart shows
    lines = await download(sandbox_server, maya, str(last.id))
    assert lines[0] == "Account statement"
    assert f"Statement period: {last.start.isoformat()} to {last.day.isoformat()}" in lines
    assert amount(lines, "Opening cash") == figures.opening_cash
    assert amount(lines, "Closing cash") == figures.closing_cash
    assert amount(lines, "Opening equity") == figures.opening_equity
    assert amount(lines, "Closing equity") == figures.closing_equity
    assert amount(lines, "Deposits (CSD)") == figures.flow("CSD")
    for holding in figures.closing_holdings:
        row = next(line for line in lines if line.startswith(f"{holding.symbol} "))
        assert row.split()[-1] == f"{holding.value:,.2f}"
    trades = [line for line in lines if re.match(r"\d{4}-\d\d-\d\d  (BUY|SELL) ", line)]
    assert len(trades) == len(figures.fills)
    assert lines[-1].startswith("Page 1 of ")


async def test_a_trade_confirmation_lists_the_days_executions(
    sandbox_server: RunningSandbox,
) -> None:
    sandbox = sandbox_server.sandbox
    sam = sandbox.personas["sam"]
    confirmations = [
        d
        for d in trade_documents(sandbox, sandbox.ledger.account(sam))
        if d.type == "trade_confirmation"
    ]
    document = confirmations[-1]
    fills = sandbox.ledger.activities(
        account_id=sam, activity_types=["FILL"], date=document.day, page_size=100
    )
    assert fills
    lines = await download(sandbox_server, sam, str(document.id))
    assert lines[:2] == ["Trade confirmation", f"Trade date: {document.day.isoformat()}"]
    rows = [line for line in lines if re.match(r"\d\d:\d\d:\d\d +(BUY|SELL) ", line)]
    assert len(rows) == len(fills)
    assert {row.split()[3] for row in rows} == {f.symbol for f in fills}
    bought = sum((fill_amount(f) for f in fills if f.side == "buy"), Decimal(0))
    assert amount(lines, "Total bought") == bought
    assert any(line.startswith("Stocks and ETFs settle on ") for line in lines)


# -------------------------------------------------------------------------------- the PDF


def test_long_documents_run_over_pages_and_text_is_escaped() -> None:
    lines = [Line("Title (draft) \\ 100% — é", "bold", 16)] + [
        Line(f"row {i}", "mono", 8.5) for i in range(200)
    ]
    created = datetime(2025, 1, 1, tzinfo=UTC)
    content = render_pdf(lines, title="T", created=created, footer="footer")
    text = pdf_text(content)
    assert text[0] == "Title (draft) \\ 100% — é"  # WinAnsi has the dash and the accent
    assert content.count(b"/Type /Page ") == 4
    assert b"/Count 4" in content
    assert text.count("footer") == 4
    assert "Page 4 of 4" in text
    assert [t for t in text if t.startswith("row ")] == [f"row {i}" for i in range(200)]
    assert render_pdf(lines, title="T", created=created, footer="footer") == content
    odd = pdf_text(render_pdf([Line("日本 ok")], title="T", created=created))
    assert odd[0] == "?? ok"


def test_documents_of_a_new_account_are_none(fresh_sandbox: Sandbox) -> None:
    alex = fresh_sandbox.ledger.account(fresh_sandbox.personas["alex"])
    assert trade_documents(fresh_sandbox, alex) == []


@pytest.mark.parametrize("name", ["maya", "sam", "pat", "jordan"])
def test_every_statement_follows_on_from_the_last(shared_sandbox: Sandbox, name: str) -> None:
    account = shared_sandbox.personas[name]
    documents = [
        d
        for d in trade_documents(shared_sandbox, shared_sandbox.ledger.account(account))
        if d.type == "account_statement"
    ][-4:]
    closing = None
    for document in documents:
        figures = statement(shared_sandbox, account, document.start, document.day)
        if closing is not None:
            assert figures.opening_equity == closing
        closing = figures.closing_equity
