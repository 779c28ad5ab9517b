"""The Broker API's journal routes: `/v1/journals` (create, list), `/v1/journals/{journal_id}`
(read, delete a pending one), `/v1/journals/batch` (cash from one account to many) and
`/v1/journals/reverse_batch` (cash from many into one), in the shapes alpaca-py's `Journal` and
`BatchJournalResponse` parse. The lifecycle is `journals.JournalDesk`'s."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aiohttp import web

from .broker_http import api_route, json_body, json_response, no_content, query_value
from .journals import (
    ENTRY_TYPES,
    STATUSES,
    TRANSMITTER_FIELDS,
    JournalDesk,
    JournalRecord,
    JournalRequest,
    parse_journal,
)
from .keys import SANDBOX
from .params import ApiError, malformed, parse_choice, parse_date, parse_int, parse_uuid
from .records import unprocessable
from .serialize import JSON, money, opt_money, timestamp

MAX_BATCH = 1000
"""Entries in one batch request."""


def _desk(request: web.Request) -> JournalDesk:
    return request.app[SANDBOX].journals


def journaljson_response(journal: JournalRecord, error_message: str | None = None) -> JSON:
    """`Journal` (and `BatchJournalResponse` with `error_message`): a cash journal has an
    amount and the transmitter fields, a share journal a symbol, quantity and price, as the
    document's examples do (`symbol` "" and `price` "0" on a cash journal, and on a share
    journal not executed yet)."""
    cash = journal.entry_type == "JNLC"
    body: JSON = {
        "id": str(journal.id),
        "entry_type": journal.entry_type,
        "from_account": str(journal.from_account),
        "to_account": str(journal.to_account),
        "symbol": "" if cash else journal.symbol,
        "qty": None if cash else opt_money(journal.qty),
        "price": money(journal.price) if journal.price is not None else "0",
        "status": journal.status,
        "settle_date": journal.settle_date.isoformat(),
        "system_date": journal.system_date.isoformat(),
        "net_amount": opt_money(journal.net_amount) if cash else None,
        "description": journal.description,
        "currency": "USD",
        "created_at": timestamp(journal.created_at),
    }
    if cash:  # those given only: the document types them as strings, never null
        body.update(
            {
                name: journal.transmitter[name]
                for name in TRANSMITTER_FIELDS
                if name in journal.transmitter
            }
        )
    if error_message is not None:
        body["error_message"] = error_message
    return body


@api_route
async def create_journal(request: web.Request) -> web.StreamResponse:
    """POST /v1/journals — one journal; an `Idempotency-Key` makes a retry return the first."""
    journal = _desk(request).create(
        parse_journal(await json_body(request)),
        idempotency_key=request.headers.get("Idempotency-Key") or None,
    )
    return json_response(journaljson_response(journal))


def _optional_uuid(request: web.Request, name: str) -> UUID | None:
    value = query_value(request, name)
    return None if value is None else parse_uuid(value, name)


@api_route
async def list_journals(request: web.Request) -> web.StreamResponse:
    """GET /v1/journals — newest first, filtered by creation date, status, type and accounts;
    a parameter out of its range is a 400 here, as the document says."""
    try:
        return json_response([journaljson_response(j) for j in _listed(request)])
    except ApiError as exc:
        raise malformed(exc.message) from None


def _listed(request: web.Request) -> list[JournalRecord]:
    after, before = query_value(request, "after"), query_value(request, "before")
    status, entry_type = query_value(request, "status"), query_value(request, "entry_type")
    limit = query_value(request, "limit")
    return _desk(request).journals(
        after=None if after is None else parse_date(after, "after"),
        before=None if before is None else parse_date(before, "before"),
        status=None if status is None else parse_choice(status, "status", STATUSES),
        entry_type=None
        if entry_type is None
        else parse_choice(entry_type, "entry_type", ENTRY_TYPES, fold=False),
        to_account=_optional_uuid(request, "to_account"),
        from_account=_optional_uuid(request, "from_account"),
        limit=None if limit is None else parse_int(limit, "limit", minimum=1, maximum=100_000),
    )


def _journal_id(request: web.Request) -> UUID:
    return parse_uuid(request.match_info["journal_id"], "journal_id")


@api_route
async def get_journal(request: web.Request) -> web.StreamResponse:
    """GET /v1/journals/{journal_id}"""
    return json_response(journaljson_response(_desk(request).journal(_journal_id(request))))


@api_route
async def delete_journal(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/journals/{journal_id} — only a pending journal; 204."""
    _desk(request).delete(_journal_id(request))
    return no_content()


def _entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    if body.get("entry_type") != "JNLC":
        raise unprocessable("batch journals move cash only: entry_type must be JNLC")
    entries = body.get("entries")
    if not isinstance(entries, list) or not entries:
        raise unprocessable("entries must be a non-empty list")
    if len(entries) > MAX_BATCH:
        raise unprocessable(f"at most {MAX_BATCH} entries in one batch")
    if not all(isinstance(e, dict) for e in entries):
        raise unprocessable("each entry must be an object")
    return entries


def _batch_answer(desk: JournalDesk, requests: list[JournalRequest]) -> web.StreamResponse:
    """Every entry was valid, so the batch goes ahead; an entry the accounts cannot make
    (an unknown account, too little cash) is answered rejected with its reason."""
    booked = desk.create_batch(requests)
    return json_response([journaljson_response(journal, error) for journal, error in booked])


@api_route
async def create_batch(request: web.Request) -> web.StreamResponse:
    """POST /v1/journals/batch — cash from `from_account` to each entry's `to_account`."""
    body = await json_body(request)
    shared = {"entry_type": "JNLC", "from_account": body.get("from_account")}
    default_text = body.get("description")
    requests = [
        parse_journal({"description": default_text, **entry, **shared}) for entry in _entries(body)
    ]
    return _batch_answer(_desk(request), requests)


@api_route
async def create_reverse_batch(request: web.Request) -> web.StreamResponse:
    """POST /v1/journals/reverse_batch — cash from each entry's `from_account` into
    `to_account` (typically the firm account)."""
    body = await json_body(request)
    shared = {"entry_type": "JNLC", "to_account": body.get("to_account")}
    requests = [parse_journal({**entry, **shared}) for entry in _entries(body)]
    return _batch_answer(_desk(request), requests)


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/v1/journals", list_journals, allow_head=False)
    r.add_post("/v1/journals", create_journal)
    r.add_post("/v1/journals/batch", create_batch)
    r.add_post("/v1/journals/reverse_batch", create_reverse_batch)
    r.add_get("/v1/journals/{journal_id}", get_journal, allow_head=False)
    r.add_delete("/v1/journals/{journal_id}", delete_journal)
