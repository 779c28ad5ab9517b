"""The Broker API's per-account extras, as alpaca-py's `BrokerClient` calls them: closing
positions, trade configurations, watchlists, trade documents and recipient banks.

Each handler validates its request (`params`), then calls the ledger or the store that keeps
the feature (`closing`, `trade_config`, `watchlists`, `documents`, `recipient_banks`), and
answers Alpaca's shapes or its `{"code", "message"}` errors (`broker_http`).

A document download answers 301 with a pre-signed link to the PDF, as Alpaca's does; the link
(`/files/trade-documents/…`) is served here too, without credentials while its signature holds.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from aiohttp import web

from . import closing, documents, signed_links
from .broker_http import (
    api_route,
    json_body,
    json_response,
    no_content,
    path_account,
    query_value,
    sandbox_of,
)
from .params import (
    ApiError,
    invalid,
    parse_bool,
    parse_choice,
    parse_date,
    parse_uuid,
    required_str,
    to_decimal,
)
from .recipient_banks import LIST_STATUSES, bank_json, parse_bank
from .records import QTY_STEP, AccountRecord
from .reference_api import LastPrices, asset_json
from .serialize import order_json
from .trade_config import parse_changes
from .watchlists import WatchlistRecord, watchlist_json

TRADING = "/v1/trading/accounts/{account_id}"
FUNDING = "/v1/accounts/{account_id}"
FILE_PATH = "/files/trade-documents/{account_id}/{document_id}.pdf"


# ------------------------------------------------------------------------ closing positions


def _close_amount(
    request: web.Request, name: str, maximum: Decimal | None = None
) -> Decimal | None:
    raw = query_value(request, name)
    if raw is None:
        return None
    value = to_decimal(raw, name)
    if value <= 0 or (maximum is not None and value > maximum):
        bound = f" and at most {maximum}" if maximum is not None else ""
        raise invalid(f"{name} must be greater than 0{bound}")
    if value != value.quantize(QTY_STEP):
        raise invalid(f"{name} must have at most 9 decimal places")
    return value.normalize()


@api_route
async def close_position(request: web.Request) -> web.StreamResponse:
    """DELETE …/positions/{symbol_or_asset_id}?qty=|percentage= → the market sell order."""
    record = path_account(request)
    symbol_or_id = request.match_info["symbol_or_asset_id"].strip()
    qty = _close_amount(request, "qty")
    percentage = _close_amount(request, "percentage", Decimal(100))
    if qty is not None and percentage is not None:
        raise invalid("only one of qty or percentage can be given")
    ledger = sandbox_of(request).ledger
    order = closing.close_position(ledger, record.id, symbol_or_id, qty=qty, percentage=percentage)
    return json_response(order_json(order))


@api_route
async def close_all_positions(request: web.Request) -> web.StreamResponse:
    """DELETE …/positions?cancel_orders= → 207, one result per position."""
    record = path_account(request)
    raw = query_value(request, "cancel_orders")
    cancel_orders = raw is not None and parse_bool(raw, "cancel_orders")
    results = closing.close_all_positions(
        sandbox_of(request).ledger, record.id, cancel_orders=cancel_orders
    )
    return json_response([result.json() for result in results], status=207)


# ---------------------------------------------------------------------- trade configurations


@api_route
async def get_configurations(request: web.Request) -> web.StreamResponse:
    """GET …/account/configurations."""
    record = path_account(request)
    return json_response(sandbox_of(request).trade_configs.get(record.id).json())


@api_route
async def patch_configurations(request: web.Request) -> web.StreamResponse:
    """PATCH …/account/configurations — the settings given change; the answer is all of them."""
    record = path_account(request)
    changes = parse_changes(await json_body(request))
    return json_response(sandbox_of(request).trade_configs.update(record.id, changes).json())


# ------------------------------------------------------------------------------- watchlists


def _watchlist_id(request: web.Request) -> UUID:
    return parse_uuid(request.match_info["watchlist_id"], "watchlist_id")


def _symbols(body: Mapping[str, Any]) -> list[str] | None:
    value = body.get("symbols")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise invalid("symbols must be a list of symbols")
    return value


def _with_assets(request: web.Request, record: WatchlistRecord) -> web.Response:
    sandbox = sandbox_of(request)
    prices = LastPrices(sandbox)
    assets = [asset_json(inst, prices.of(inst)) for inst in sandbox.watchlists.instruments(record)]
    return json_response(watchlist_json(record, assets))


@api_route
async def list_watchlists(request: web.Request) -> web.StreamResponse:
    """GET …/watchlists — without their assets."""
    record = path_account(request)
    return json_response([watchlist_json(w) for w in sandbox_of(request).watchlists.all(record.id)])


@api_route
async def create_watchlist(request: web.Request) -> web.StreamResponse:
    """POST …/watchlists {name, symbols}."""
    record = path_account(request)
    body = await json_body(request)
    name = required_str(body, "name", max_length=1024)
    sandbox = sandbox_of(request)
    created = sandbox.watchlists.create(record.id, name, _symbols(body) or [], sandbox.now())
    return _with_assets(request, created)


@api_route
async def get_watchlist(request: web.Request) -> web.StreamResponse:
    """GET …/watchlists/{watchlist_id}."""
    record = path_account(request)
    return _with_assets(
        request, sandbox_of(request).watchlists.get(record.id, _watchlist_id(request))
    )


@api_route
async def update_watchlist(request: web.Request) -> web.StreamResponse:
    """PUT …/watchlists/{watchlist_id} {name?, symbols?} — symbols replace the whole list."""
    record = path_account(request)
    watchlist_id = _watchlist_id(request)
    body = await json_body(request)
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise invalid("name must be a string")
    symbols = _symbols(body)
    if name is None and symbols is None:
        raise invalid("one of name or symbols is required")
    sandbox = sandbox_of(request)
    updated = sandbox.watchlists.update(
        record.id, watchlist_id, sandbox.now(), name=name, symbols=symbols
    )
    return _with_assets(request, updated)


@api_route
async def add_to_watchlist(request: web.Request) -> web.StreamResponse:
    """POST …/watchlists/{watchlist_id} {symbol} — appended at the end."""
    record = path_account(request)
    watchlist_id = _watchlist_id(request)
    symbol = required_str(await json_body(request), "symbol", max_length=64)
    sandbox = sandbox_of(request)
    updated = sandbox.watchlists.add(record.id, watchlist_id, symbol, sandbox.now())
    return _with_assets(request, updated)


@api_route
async def delete_watchlist(request: web.Request) -> web.StreamResponse:
    """DELETE …/watchlists/{watchlist_id} → 204."""
    record = path_account(request)
    sandbox_of(request).watchlists.delete(record.id, _watchlist_id(request))
    return no_content()


@api_route
async def remove_from_watchlist(request: web.Request) -> web.StreamResponse:
    """DELETE …/watchlists/{watchlist_id}/{symbol} → the watchlist without it."""
    record = path_account(request)
    watchlist_id = _watchlist_id(request)
    symbol = request.match_info["symbol"]
    sandbox = sandbox_of(request)
    updated = sandbox.watchlists.remove(record.id, watchlist_id, symbol, sandbox.now())
    return _with_assets(request, updated)


# -------------------------------------------------------------------------- trade documents


def _opt_date(request: web.Request, name: str) -> date | None:
    raw = query_value(request, name)
    return None if raw is None else parse_date(raw, name)


@api_route
async def list_documents(request: web.Request) -> web.StreamResponse:
    """GET /v1/accounts/{account_id}/documents?start=&end=&type= (dates inclusive)."""
    record = path_account(request)
    start, end = _opt_date(request, "start"), _opt_date(request, "end")
    raw_type = query_value(request, "type")
    kind = None
    if raw_type is not None:
        kind = parse_choice(raw_type, "type", documents.DOCUMENT_TYPES, fold=False)
    if start is not None and end is not None and start > end:
        raise invalid("start must not be after end")
    found = [
        d.json()
        for d in documents.trade_documents(sandbox_of(request), record)
        if (start is None or d.day >= start)
        and (end is None or d.day <= end)
        and (kind is None or d.type == kind)
    ]
    return json_response(found)


def _document(request: web.Request) -> tuple[AccountRecord, documents.TradeDocument]:
    record = path_account(request)
    document_id = parse_uuid(request.match_info["document_id"], "document_id")
    return record, documents.find_document(sandbox_of(request), record, document_id)


@api_route
async def get_document(request: web.Request) -> web.StreamResponse:
    """GET /v1/accounts/{account_id}/documents/{document_id} (alpaca-py's
    `get_trade_document_for_account_by_id`; not in the Broker document)."""
    _, document = _document(request)
    return json_response(document.json())


@api_route
async def download_document(request: web.Request) -> web.StreamResponse:
    """GET …/documents/{document_id}/download → 301 to the PDF's pre-signed link."""
    _, document = _document(request)
    sandbox = sandbox_of(request)
    path = FILE_PATH.format(account_id=document.account_id, document_id=document.id)
    query = signed_links.sign(sandbox.config.secret, path, sandbox.now())
    location = str(request.url.with_path(path).with_query(query))
    text = f'<a href="{html.escape(location)}">Moved Permanently</a>.\n'
    return web.Response(
        status=301, text=text, content_type="text/html", headers={"Location": location}
    )


@api_route
async def document_file(request: web.Request) -> web.StreamResponse:
    """GET /files/trade-documents/{account_id}/{document_id}.pdf?expires=&signature= — the
    PDF, for whoever holds an unexpired link (no credentials: the signature is the key)."""
    sandbox = sandbox_of(request)
    query = request.query
    if not signed_links.valid(
        sandbox.config.secret,
        request.path,
        query.get("expires"),
        query.get("signature"),
        sandbox.now(),
    ):
        raise ApiError(403, 40310000, "the download link is invalid or has expired")
    record, document = _document(request)
    body = documents.document_pdf(sandbox, record, document)
    disposition = f'inline; filename="{document.file_name}"'
    return web.Response(
        body=body, content_type="application/pdf", headers={"Content-Disposition": disposition}
    )


# -------------------------------------------------------------------------- recipient banks


@api_route
async def list_recipient_banks(request: web.Request) -> web.StreamResponse:
    """GET /v1/accounts/{account_id}/recipient_banks?status=ACTIVE|INACTIVE&bank_name="""
    record = path_account(request)
    raw_status = query_value(request, "status")
    status = None if raw_status is None else parse_choice(raw_status, "status", LIST_STATUSES)
    banks = sandbox_of(request).recipient_banks.banks(
        record.id, status, query_value(request, "bank_name")
    )
    return json_response([bank_json(bank) for bank in banks])


@api_route
async def create_recipient_bank(request: web.Request) -> web.StreamResponse:
    """POST /v1/accounts/{account_id}/recipient_banks — QUEUED, then APPROVED."""
    record = path_account(request)
    fields = parse_bank(await json_body(request))
    return json_response(bank_json(sandbox_of(request).recipient_banks.create(record.id, fields)))


@api_route
async def delete_recipient_bank(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/accounts/{account_id}/recipient_banks/{bank_id} → 204."""
    record = path_account(request)
    bank_id = parse_uuid(request.match_info["bank_id"], "bank_id")
    sandbox_of(request).recipient_banks.delete(record.id, bank_id)
    return no_content()


# ---------------------------------------------------------------------------------- wiring


def setup(app: web.Application) -> None:
    """Register the routes (after `broker_api.setup`, whose error middleware they rely on)."""
    r = app.router
    r.add_delete(f"{TRADING}/positions", close_all_positions)
    r.add_delete(f"{TRADING}/positions/{{symbol_or_asset_id}}", close_position)
    r.add_get(f"{TRADING}/account/configurations", get_configurations, allow_head=False)
    r.add_patch(f"{TRADING}/account/configurations", patch_configurations)
    watchlists = f"{TRADING}/watchlists"
    r.add_get(watchlists, list_watchlists, allow_head=False)
    r.add_post(watchlists, create_watchlist)
    r.add_get(f"{watchlists}/{{watchlist_id}}", get_watchlist, allow_head=False)
    r.add_put(f"{watchlists}/{{watchlist_id}}", update_watchlist)
    r.add_post(f"{watchlists}/{{watchlist_id}}", add_to_watchlist)
    r.add_delete(f"{watchlists}/{{watchlist_id}}", delete_watchlist)
    # `{symbol:.+}`: a crypto pair's slash (`BTC/USD`) spans two segments.
    r.add_delete(f"{watchlists}/{{watchlist_id}}/{{symbol:.+}}", remove_from_watchlist)
    r.add_get(f"{FUNDING}/documents", list_documents, allow_head=False)
    r.add_get(f"{FUNDING}/documents/{{document_id}}", get_document, allow_head=False)
    r.add_get(f"{FUNDING}/documents/{{document_id}}/download", download_document, allow_head=False)
    r.add_get(FILE_PATH, document_file, allow_head=False)
    r.add_get(f"{FUNDING}/recipient_banks", list_recipient_banks, allow_head=False)
    r.add_post(f"{FUNDING}/recipient_banks", create_recipient_bank)
    r.add_delete(f"{FUNDING}/recipient_banks/{{bank_id}}", delete_recipient_bank)
