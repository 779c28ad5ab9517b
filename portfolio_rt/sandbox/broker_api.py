"""The Broker API routes (`/v1/...`) of the sandbox, as alpaca-py's `BrokerClient` calls them.

Each handler parses and validates its whole request first (`params`), then makes one ledger
call and serialises the records (`serialize`). Bad input never reaches the ledger; refusals
come back as Alpaca's `{"code": …, "message": …}` with Alpaca's status. Assets, clock and
calendar live in `data_api`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from aiohttp import web

from ..core.banking import aba_checksum_ok
from . import serialize as ser
from .broker_http import (
    Handler,
    api_route,
    error_response,
    json_body,
    json_response,
    ledger_of,
    no_content,
    path_account,
    query_value,
    sandbox_of,
)
from .params import (
    CODE_NOT_FOUND,
    NY,
    ApiError,
    invalid,
    optional_str,
    parse_bool,
    parse_choice,
    parse_csv,
    parse_date,
    parse_date_or_datetime,
    parse_int,
    parse_uuid,
    required_str,
    to_decimal,
)
from .records import AccountRecord, LedgerError

if TYPE_CHECKING:
    from .ledger import Ledger
    from .world import Sandbox

# alpaca-py's enums (reference Appendix A): emitting or accepting anything else breaks the SDK.
ACCOUNT_STATUSES = (
    "ACCOUNT_CLOSED",
    "ACCOUNT_UPDATED",
    "ACTION_REQUIRED",
    "ACTIVE",
    "AML_REVIEW",
    "APPROVAL_PENDING",
    "APPROVED",
    "DISABLED",
    "DISABLE_PENDING",
    "EDITED",
    "INACTIVE",
    "KYC_SUBMITTED",
    "LIMITED",
    "ONBOARDING",
    "PAPER_ONLY",
    "REAPPROVAL_PENDING",
    "REJECTED",
    "RESUBMITTED",
    "SIGNED_UP",
    "SUBMISSION_FAILED",
    "SUBMITTED",
)
ACCOUNT_ENTITIES = (
    "contact",
    "identity",
    "disclosures",
    "agreements",
    "documents",
    "trusted_contact",
    "trading_configurations",
)
ACTIVITY_TYPES = (
    "FILL",
    "ACATC",
    "ACATS",
    "CFEE",
    "CIL",
    "CSD",
    "CSW",
    "DIV",
    "DIVCGL",
    "DIVCGS",
    "DIVNRA",
    "DIVROC",
    "DIVTXEX",
    "DIVWH",
    "EXTRD",
    "FEE",
    "FXTRD",
    "INT",
    "INTPNL",
    "JNLC",
    "JNLS",
    "MA",
    "MEM",
    "NC",
    "OCT",
    "OPASN",
    "OPCSH",
    "OPEXC",
    "OPEXP",
    "OPTRD",
    "PTC",
    "REORG",
    "SPIN",
    "SPLIT",
    "SWP",
    "VOF",
    "WH",
)
ACH_STATUSES = ("QUEUED", "APPROVED", "PENDING", "REJECTED", "CANCEL_REQUESTED")
TIMES_IN_FORCE = ("day", "gtc", "opg", "cls", "ioc", "fok")
ORDER_TYPES = ("market", "limit")
UNSUPPORTED_ORDER_TYPES = ("trailing_stop",)
TIMEFRAMES = ("1Min", "5Min", "15Min", "1H", "1D")
INTRADAY_REPORTING = ("market_hours", "extended_hours", "continuous")

LIST_ACCOUNTS_LIMIT = 1000
BULK_POSITIONS_PAGE_SIZE = 500
ACTIVITIES_PAGE_SIZE = 100
ORDERS_LIMIT_MAX = 500


# --------------------------------------------------------------------------- plumbing

# The shared plumbing (`broker_http`) under the short names the handlers here use.
_api = api_route
_json = json_response
_error = error_response
_body = json_body
_query = query_value
_no_content = no_content
_account = path_account
_sandbox = sandbox_of
_ledger = ledger_of


@web.middleware
async def json_route_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unmatched `/v1` paths and methods answer Alpaca's JSON, not aiohttp's text 404/405.

    Only the router's own misses are rewritten; a route's deliberate 404 passes unchanged.
    """
    routing_error = getattr(request.match_info, "http_exception", None)
    if routing_error is None or not request.path.startswith("/v1/"):
        return await handler(request)
    if isinstance(routing_error, web.HTTPMethodNotAllowed):
        return _error(405, 40510000, "method not allowed")
    return _error(404, CODE_NOT_FOUND, "endpoint not found")


# --------------------------------------------------------------------------- accounts


def _matches(record: AccountRecord, tokens: list[str]) -> bool:
    """Alpaca's `query`: every token appears in the number, phone, a name or the e-mail."""
    haystack = " ".join(
        (
            record.account_number,
            record.phone,
            record.given_name,
            record.family_name,
            record.email,
        )
    ).lower()
    return all(token in haystack for token in tokens)


@_api
async def list_accounts(request: web.Request) -> web.StreamResponse:
    """GET /v1/accounts — filtered, sorted by creation time, first 1000."""
    q = _query(request, "query")
    tokens = [t.lower() for t in q.split()] if q else []
    created_after = _opt_instant(request, "created_after")
    created_before = _opt_instant(request, "created_before")
    statuses: set[str] = set()
    for raw in request.query.getall("status", []):
        statuses.update(parse_choice(s, "status", ACCOUNT_STATUSES) for s in parse_csv(raw))
    sort = parse_choice(_query(request, "sort") or "desc", "sort", ("asc", "desc"))
    entities_raw = _query(request, "entities")
    entities = (
        {parse_choice(e, "entities", ACCOUNT_ENTITIES) for e in parse_csv(entities_raw)}
        if entities_raw
        else {"contact", "identity"}
    )
    ledger = _ledger(request)
    chosen = [
        record
        for record in ledger.accounts()
        if (not tokens or _matches(record, tokens))
        and (created_after is None or record.created_at > created_after)
        and (created_before is None or record.created_at < created_before)
        and (not statuses or record.status in statuses)
    ]
    chosen.sort(key=lambda r: (r.created_at, str(r.id)), reverse=sort == "desc")
    chosen = chosen[:LIST_ACCOUNTS_LIMIT]
    return _json([ser.account_json(r, ledger.balances(r.id).last_equity, entities) for r in chosen])


@_api
async def get_account(request: web.Request) -> web.StreamResponse:
    """GET /v1/accounts/{account_id} — with contact, identity and disclosures."""
    record = _account(request)
    last_equity = _ledger(request).balances(record.id).last_equity
    return _json(ser.account_json(record, last_equity))


@_api
async def get_trade_account(request: web.Request) -> web.StreamResponse:
    """GET /v1/trading/accounts/{account_id}/account — balances at live prices."""
    record = _account(request)
    sandbox = _sandbox(request)
    balances = sandbox.ledger.balances(record.id)
    configuration = sandbox.trade_configs.get(record.id).json()
    return _json(ser.trade_account_json(record, balances, configuration))


# --------------------------------------------------------------------------- positions


@_api
async def list_positions(request: web.Request) -> web.StreamResponse:
    """GET /v1/trading/accounts/{account_id}/positions."""
    record = _account(request)
    return _json([ser.position_json(v) for v in _ledger(request).positions(record.id)])


@_api
async def get_position(request: web.Request) -> web.StreamResponse:
    """GET /v1/trading/accounts/{account_id}/positions/{symbol_or_asset_id}."""
    record = _account(request)
    symbol_or_id = request.match_info["symbol_or_asset_id"].strip()
    if not symbol_or_id:
        raise invalid("symbol_or_asset_id is required")
    try:  # the ledger also takes a crypto pair without its slash (BTCUSD)
        view = _ledger(request).position(record.id, symbol_or_id)
    except LedgerError as exc:
        if exc.status == 404:
            raise ApiError(404, CODE_NOT_FOUND, "position does not exist") from None
        raise
    return _json(ser.position_json(view))


def _last_close(sandbox: Sandbox) -> datetime:
    """The most recent regular-session close at or before now (the bulk route's `as_of`)."""
    now = sandbox.now()
    day = sandbox.clock.market_date(now)
    for _ in range(30):
        session = sandbox.calendar.session(day)
        if session is not None and session[1] <= now:
            return session[1]
        day = sandbox.calendar.previous_trading_day(day)
    return now


@_api
async def all_accounts_positions(request: web.Request) -> web.StreamResponse:
    """GET /v1/accounts/positions?page=N — the account→positions map, paged; empty past the end."""
    raw_page = _query(request, "page")
    page = 1 if raw_page is None else parse_int(raw_page, "page", minimum=1)
    sandbox = _sandbox(request)
    ledger = sandbox.ledger
    account_ids = ledger.accounts_with_positions()
    start = (page - 1) * BULK_POSITIONS_PAGE_SIZE
    chosen = account_ids[start : start + BULK_POSITIONS_PAGE_SIZE]
    positions = {account_id: ledger.positions(account_id) for account_id in chosen}
    return _json(ser.all_positions_json(_last_close(sandbox), positions))


# --------------------------------------------------------------------------- portfolio history


def _period(value: str) -> str:
    """`<n><D|W|M|A>` (e.g. 1D, 1W, 3M, 1A), normalised to an upper-case unit."""
    text = value.strip()
    if len(text) < 2 or not text[:-1].isdigit() or text[-1].upper() not in "DWMA":
        raise invalid("period must be a number followed by D, W, M or A (e.g. 1D, 3M, 1A)")
    count = int(text[:-1])
    if count < 1 or count > 100:
        raise invalid("period must be between 1 and 100 units")
    return f"{count}{text[-1].upper()}"


@_api
async def portfolio_history(request: web.Request) -> web.StreamResponse:
    """GET /v1/trading/accounts/{account_id}/account/portfolio/history."""
    record = _account(request)
    raw_period = _query(request, "period")
    period = None if raw_period is None else _period(raw_period)
    raw_timeframe = _query(request, "timeframe")
    timeframe = None
    if raw_timeframe is not None:
        timeframe = parse_choice(raw_timeframe, "timeframe", TIMEFRAMES, fold=False)
    start = _opt_instant(request, "start")
    end = _opt_instant(request, "end")
    raw_date_end = _query(request, "date_end")
    if end is None and raw_date_end is not None:
        day = parse_date(raw_date_end, "date_end")
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=NY).astimezone(UTC)
        end = min(end - timedelta(microseconds=1), _sandbox(request).now())
    if period is not None and start is not None and end is not None:
        raise invalid("only two of start, end and period can be specified")
    if start is not None and end is not None and start > end:
        raise invalid("start must not be after end")
    raw_reporting = _query(request, "intraday_reporting")
    raw_extended = _query(request, "extended_hours")
    if raw_reporting is not None:
        reporting = parse_choice(raw_reporting, "intraday_reporting", INTRADAY_REPORTING)
    elif raw_extended is not None and parse_bool(raw_extended, "extended_hours"):
        reporting = "extended_hours"  # the deprecated flag maps onto intraday_reporting
    else:
        reporting = "market_hours"
    pnl_reset = parse_choice(
        _query(request, "pnl_reset") or "per_day", "pnl_reset", ("per_day", "no_reset")
    )
    cashflow_types = _cashflow_types(_query(request, "cashflow_types"))
    history = _ledger(request).portfolio_history(
        record.id,
        period=period,
        timeframe=timeframe,
        start=start,
        end=end,
        intraday_reporting=reporting,
        pnl_reset=pnl_reset,
        cashflow_types=cashflow_types,
    )
    return _json(ser.portfolio_history_json(history))


def _cashflow_types(value: str | None) -> str | None:
    """`ALL`, `NONE` or a comma list of activity types, normalised to upper case."""
    if value is None:
        return None
    upper = value.strip().upper()
    if upper in ("ALL", "NONE"):
        return upper
    kinds = [parse_choice(k, "cashflow_types", ACTIVITY_TYPES) for k in parse_csv(value)]
    if not kinds:
        raise invalid("cashflow_types must be ALL, NONE or a list of activity types")
    return ",".join(kinds)


# --------------------------------------------------------------------------- orders


def _opt_instant(request: web.Request, name: str) -> datetime | None:
    raw = _query(request, name)
    return None if raw is None else parse_date_or_datetime(raw, name)


def _order_id(request: web.Request) -> UUID:
    return parse_uuid(request.match_info["order_id"], "order_id")


@_api
async def list_orders(request: web.Request) -> web.StreamResponse:
    """GET /v1/trading/accounts/{account_id}/orders."""
    record = _account(request)
    status = parse_choice(_query(request, "status") or "open", "status", ("open", "closed", "all"))
    raw_limit = _query(request, "limit")
    limit = 50 if raw_limit is None else parse_int(raw_limit, "limit", minimum=1)
    limit = min(limit, ORDERS_LIMIT_MAX)
    after = _opt_instant(request, "after")
    until = _opt_instant(request, "until")
    direction = parse_choice(_query(request, "direction") or "desc", "direction", ("asc", "desc"))
    raw_nested = _query(request, "nested")
    if raw_nested is not None:
        parse_bool(raw_nested, "nested")  # validated; sandbox orders never have legs
    raw_side = _query(request, "side")
    side = None if raw_side is None else parse_choice(raw_side, "side", ("buy", "sell"))
    raw_symbols = _query(request, "symbols")
    symbols = [s.upper() for s in parse_csv(raw_symbols)] if raw_symbols else None
    raw_class = _query(request, "asset_class")
    asset_class = None
    if raw_class is not None and raw_class != "all":
        asset_class = parse_choice(raw_class, "asset_class", ("us_equity", "crypto", "us_option"))
    orders = _ledger(request).orders(
        record.id,
        status=status,
        after=after,
        until=until,
        direction=direction,
        symbols=symbols,
        side=side,
        limit=ORDERS_LIMIT_MAX if asset_class else limit,
    )
    if asset_class is not None:
        orders = [o for o in orders if o.asset_class == asset_class][:limit]
    return _json([ser.order_json(o) for o in orders])


@_api
async def get_order(request: web.Request) -> web.StreamResponse:
    """GET /v1/trading/accounts/{account_id}/orders/{order_id}."""
    record = _account(request)
    order_id = _order_id(request)
    raw_nested = _query(request, "nested")
    if raw_nested is not None:
        parse_bool(raw_nested, "nested")
    return _json(ser.order_json(_ledger(request).order(record.id, order_id)))


@_api
async def get_order_by_client_id(request: web.Request) -> web.StreamResponse:
    """GET /v1/trading/accounts/{account_id}/orders:by_client_order_id?client_order_id=…"""
    record = _account(request)
    client_order_id = _query(request, "client_order_id")
    if client_order_id is None:
        raise invalid("client_order_id is required")
    return _json(ser.order_json(_ledger(request).order_by_client_id(record.id, client_order_id)))


def _positive(body: Mapping[str, Any], name: str) -> Decimal | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    number = to_decimal(value, name)
    if number <= 0:
        raise invalid(f"{name} must be greater than 0")
    return number.normalize()  # 250.0 from alpaca-py's float becomes 250, as Alpaca echoes it


def _order_request(body: Mapping[str, Any]) -> dict[str, Any]:
    """The ledger's `submit_order` keyword arguments from an Alpaca order body."""
    symbol = required_str(body, "symbol", max_length=32).strip().upper()
    side = parse_choice(required_str(body, "side"), "side", ("buy", "sell"))
    order_type = required_str(body, "type")
    if order_type.lower() in UNSUPPORTED_ORDER_TYPES:
        raise invalid(f"order type {order_type.lower()} is not supported by the sandbox")
    order_type = parse_choice(order_type, "type", ORDER_TYPES)
    tif = parse_choice(required_str(body, "time_in_force"), "time_in_force", TIMES_IN_FORCE)
    order_class = optional_str(body, "order_class")
    if order_class is not None and order_class != "simple":
        raise invalid(f"order_class {order_class} is not supported by the sandbox")
    extended = body.get("extended_hours")
    if extended is not None and not isinstance(extended, bool):
        raise invalid("extended_hours must be a boolean")
    qty = _positive(body, "qty")
    notional = _positive(body, "notional")
    if (qty is None) == (notional is None):
        raise invalid("exactly one of qty or notional is required")
    if notional is not None and order_type != "market":
        raise invalid("notional orders must be market orders")
    limit_price = _positive(body, "limit_price")
    if order_type in ("limit", "stop_limit") and limit_price is None:
        raise invalid(f"limit_price is required for {order_type} orders")
    if order_type in ("market", "stop"):
        limit_price = None
    stop_price = _positive(body, "stop_price")
    if order_type in ("stop", "stop_limit") and stop_price is None:
        raise invalid(f"stop_price is required for {order_type} orders")
    if order_type in ("market", "limit"):
        stop_price = None
    return {
        "symbol": symbol,
        "side": side,
        "type": order_type,
        "time_in_force": tif,
        "qty": qty,
        "notional": notional,
        "limit_price": limit_price,
        "stop_price": stop_price,
        "client_order_id": optional_str(body, "client_order_id", max_length=128),
    }


@_api
async def submit_order(request: web.Request) -> web.StreamResponse:
    """POST /v1/trading/accounts/{account_id}/orders — numbers or decimal strings accepted."""
    record = _account(request)
    order = _order_request(await _body(request))
    return _json(ser.order_json(_ledger(request).submit_order(record.id, **order)))


@_api
async def replace_order(request: web.Request) -> web.StreamResponse:
    """PATCH /v1/trading/accounts/{account_id}/orders/{order_id} — open limit and stop orders
    that have not traded. The old order ends `replaced` (with `replaced_by`); the answer is
    the new order (with `replaces`), which is accepted and routed like any other."""
    record = _account(request)
    order_id = _order_id(request)
    body = await _body(request)
    qty = _positive(body, "qty")
    limit_price = _positive(body, "limit_price")
    stop_price = _positive(body, "stop_price")
    raw_tif = optional_str(body, "time_in_force")
    tif = None if raw_tif is None else parse_choice(raw_tif, "time_in_force", TIMES_IN_FORCE)
    if body.get("trail") is not None:
        raise invalid("trail applies to trailing stop orders, which the sandbox lacks")
    client_order_id = optional_str(body, "client_order_id", max_length=128)
    if qty is None and limit_price is None and stop_price is None and tif is None:
        raise invalid("at least one of qty, limit_price, stop_price, time_in_force is required")
    ledger = _ledger(request)
    if client_order_id is not None:
        _require_unused_client_id(ledger, record.id, client_order_id)
    replaced = ledger.replace_order(
        record.id,
        order_id,
        qty=qty,
        limit_price=limit_price,
        stop_price=stop_price,
        time_in_force=tif,
        client_order_id=client_order_id,
    )
    return _json(ser.order_json(replaced))


def _require_unused_client_id(ledger: Ledger, account_id: UUID, client_order_id: str) -> None:
    try:
        ledger.order_by_client_id(account_id, client_order_id)
    except LedgerError:
        return
    raise ApiError(422, 40010001, "client_order_id must be unique")


@_api
async def cancel_order(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/trading/accounts/{account_id}/orders/{order_id} → 204."""
    record = _account(request)
    _ledger(request).cancel_order(record.id, _order_id(request))
    return _no_content()


@_api
async def cancel_all_orders(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/trading/accounts/{account_id}/orders → 207 with one result per order."""
    record = _account(request)
    canceled = _ledger(request).cancel_all_orders(record.id)
    return _json([ser.cancel_result_json(o) for o in canceled], status=207)


# --------------------------------------------------------------------------- funding


@_api
async def create_ach_relationship(request: web.Request) -> web.StreamResponse:
    """POST /v1/accounts/{account_id}/ach_relationships — routing number ABA-checked."""
    record = _account(request)
    body = await _body(request)
    if body.get("processor_token") is not None:
        raise invalid("Plaid processor tokens are not supported by the sandbox")
    owner = required_str(body, "account_owner_name", max_length=128).strip()
    kind = parse_choice(
        required_str(body, "bank_account_type"), "bank_account_type", ("CHECKING", "SAVINGS")
    )
    number = required_str(body, "bank_account_number", max_length=64).strip()
    if not (4 <= len(number) <= 17 and number.isascii() and number.isalnum()):
        raise invalid("bank_account_number must be 4 to 17 letters or digits")
    routing = required_str(body, "bank_routing_number", max_length=64).strip()
    if not aba_checksum_ok(routing):
        raise invalid("bank_routing_number must be a valid 9-digit ABA routing number")
    nickname = optional_str(body, "nickname", max_length=128)
    bank = _ledger(request).link_bank(
        record.id,
        owner_name=owner,
        bank_account_type=kind,
        account_number=number,
        routing_number=routing,
        nickname=nickname,
    )
    return _json(ser.bank_json(bank))


@_api
async def list_ach_relationships(request: web.Request) -> web.StreamResponse:
    """GET /v1/accounts/{account_id}/ach_relationships?statuses=QUEUED,APPROVED."""
    record = _account(request)
    raw = _query(request, "statuses")
    statuses = {parse_choice(s, "statuses", ACH_STATUSES) for s in parse_csv(raw)} if raw else None
    return _json([ser.bank_json(b) for b in _ledger(request).banks(record.id, statuses)])


@_api
async def delete_ach_relationship(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/accounts/{account_id}/ach_relationships/{ach_relationship_id} → 204."""
    record = _account(request)
    relationship_id = parse_uuid(request.match_info["ach_relationship_id"], "ach_relationship_id")
    _ledger(request).delete_bank(record.id, relationship_id)
    return _no_content()


def _amount(body: Mapping[str, Any]) -> Decimal:
    """A transfer amount: a decimal string (a JSON number is tolerated) > 0, at most 2 dp."""
    value = body.get("amount")
    if value is None or value == "":
        raise invalid("amount is required")
    amount = to_decimal(value, "amount")
    if amount <= 0:
        raise invalid("amount must be greater than 0")
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise invalid("amount must have at most 2 decimal places")
    return amount


@_api
async def create_transfer(request: web.Request) -> web.StreamResponse:
    """POST /v1/accounts/{account_id}/transfers — deposits and withdrawals by ACH (through an
    ACH relationship) or by wire (through a recipient bank)."""
    record = _account(request)
    body = await _body(request)
    transfer_type = parse_choice(
        optional_str(body, "transfer_type") or "ach", "transfer_type", ("ach", "wire")
    )
    source = "bank_id" if transfer_type == "wire" else "relationship_id"
    source_raw = optional_str(body, source)
    if source_raw is None:
        raise invalid(f"{source} is required for {transfer_type} transfers")
    source_id = parse_uuid(source_raw, source)
    direction = parse_choice(required_str(body, "direction"), "direction", ("INCOMING", "OUTGOING"))
    timing = optional_str(body, "timing")
    if timing is not None:
        parse_choice(timing, "timing", ("immediate",))
    fee_method = optional_str(body, "fee_payment_method")
    if fee_method is not None:
        parse_choice(fee_method, "fee_payment_method", ("user", "invoice"))
    amount = _amount(body)
    if transfer_type == "wire":
        transfer = _sandbox(request).recipient_banks.create_transfer(
            record.id,
            bank_id=source_id,
            amount=amount,
            direction=direction,
            additional_information=optional_str(body, "additional_information", max_length=1024),
        )
    else:
        transfer = _ledger(request).create_transfer(
            record.id, relationship_id=source_id, amount=amount, direction=direction
        )
    return _json(ser.transfer_json(transfer))


@_api
async def list_transfers(request: web.Request) -> web.StreamResponse:
    """GET /v1/accounts/{account_id}/transfers — offset pagination, `[]` past the end."""
    record = _account(request)
    raw_direction = _query(request, "direction")
    direction = None
    if raw_direction is not None:
        direction = parse_choice(raw_direction, "direction", ("INCOMING", "OUTGOING"))
    raw_limit = _query(request, "limit")
    limit = None if raw_limit is None else parse_int(raw_limit, "limit", minimum=1)
    raw_offset = _query(request, "offset")
    offset = 0 if raw_offset is None else parse_int(raw_offset, "offset", minimum=0)
    transfers = _ledger(request).transfers(record.id, direction)
    page = transfers[offset:] if limit is None else transfers[offset : offset + limit]
    return _json([ser.transfer_json(t) for t in page])


@_api
async def cancel_transfer(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/accounts/{account_id}/transfers/{transfer_id} → 204."""
    record = _account(request)
    transfer_id = parse_uuid(request.match_info["transfer_id"], "transfer_id")
    _ledger(request).cancel_transfer(record.id, transfer_id)
    return _no_content()


# --------------------------------------------------------------------------- activities


@_api
async def list_activities(request: web.Request) -> web.StreamResponse:
    """GET /v1/accounts/activities[/{activity_type}] — page_token pagination, `[]` at the end."""
    ledger = _ledger(request)
    path_type = request.match_info.get("activity_type")
    raw_types = _query(request, "activity_types")
    category = _query(request, "category")
    types: list[str] | None = None
    if path_type is not None:
        types = [parse_choice(path_type, "activity_type", ACTIVITY_TYPES, fold=False)]
    elif raw_types is not None:
        types = [parse_choice(t, "activity_types", ACTIVITY_TYPES) for t in parse_csv(raw_types)]
    if category is not None:
        if types is not None:
            raise invalid("category cannot be used together with activity_types")
        category = parse_choice(category, "category", ("trade_activity", "non_trade_activity"))
        trade = category == "trade_activity"
        types = ["FILL"] if trade else [t for t in ACTIVITY_TYPES if t != "FILL"]
    raw_account = _query(request, "account_id")
    account_id = None if raw_account is None else parse_uuid(raw_account, "account_id")
    raw_date = _query(request, "date")
    day = None
    if raw_date is not None:
        parse_date_or_datetime(raw_date, "date")  # validates; the calendar date is as written
        day = parse_date(raw_date.strip()[:10], "date")
    after = _opt_instant(request, "after")
    until = _opt_instant(request, "until")
    direction = parse_choice(_query(request, "direction") or "desc", "direction", ("asc", "desc"))
    raw_size = _query(request, "page_size")
    page_size = ACTIVITIES_PAGE_SIZE
    if raw_size is not None:
        page_size = parse_int(raw_size, "page_size", minimum=1, maximum=ACTIVITIES_PAGE_SIZE)
    page_token = _query(request, "page_token")
    if page_token is not None and (len(page_token) > 128 or "::" not in page_token):
        raise invalid("page_token is not a valid activity id")
    if account_id is not None:
        try:
            ledger.account(account_id)
        except LedgerError:
            return _json([])  # no such account: nothing to list
    activities = ledger.activities(
        account_id=account_id,
        activity_types=types,
        date=day,
        after=after,
        until=until,
        direction=direction,
        page_size=page_size,
        page_token=page_token,
    )
    return _json([ser.activity_json(a) for a in activities])


# --------------------------------------------------------------------------- wiring


def setup(app: web.Application) -> None:
    """Register the Broker API routes (all but /v1/assets*, /v1/clock, /v1/calendar)."""
    app.middlewares.append(json_route_errors)
    r = app.router
    trading = "/v1/trading/accounts/{account_id}"
    funding = "/v1/accounts/{account_id}"
    # Literal paths first: /v1/accounts/positions and /activities must win over {account_id}.
    r.add_get("/v1/accounts", list_accounts, allow_head=False)
    r.add_get("/v1/accounts/positions", all_accounts_positions, allow_head=False)
    r.add_get("/v1/accounts/activities", list_activities, allow_head=False)
    r.add_get("/v1/accounts/activities/{activity_type}", list_activities, allow_head=False)
    r.add_get(funding, get_account, allow_head=False)
    r.add_get(f"{funding}/ach_relationships", list_ach_relationships, allow_head=False)
    r.add_post(f"{funding}/ach_relationships", create_ach_relationship)
    r.add_delete(f"{funding}/ach_relationships/{{ach_relationship_id}}", delete_ach_relationship)
    r.add_get(f"{funding}/transfers", list_transfers, allow_head=False)
    r.add_post(f"{funding}/transfers", create_transfer)
    r.add_delete(f"{funding}/transfers/{{transfer_id}}", cancel_transfer)
    r.add_get(f"{trading}/account", get_trade_account, allow_head=False)
    r.add_get(f"{trading}/account/portfolio/history", portfolio_history, allow_head=False)
    r.add_get(f"{trading}/positions", list_positions, allow_head=False)
    r.add_get(f"{trading}/positions/{{symbol_or_asset_id}}", get_position, allow_head=False)
    r.add_get(f"{trading}/orders:by_client_order_id", get_order_by_client_id, allow_head=False)
    r.add_get(f"{trading}/orders", list_orders, allow_head=False)
    r.add_post(f"{trading}/orders", submit_order)
    r.add_delete(f"{trading}/orders", cancel_all_orders)
    r.add_get(f"{trading}/orders/{{order_id}}", get_order, allow_head=False)
    r.add_patch(f"{trading}/orders/{{order_id}}", replace_order)
    r.add_delete(f"{trading}/orders/{{order_id}}", cancel_order)
