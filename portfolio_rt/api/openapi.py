"""The OpenAPI 3.1 document of the JSON API, served at `/api/openapi.json`.

Written by hand from the same contract the handlers implement; a test fuzzes every route
against it (schemathesis) so the two cannot drift apart silently.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import __version__
from ..core.periods import PERIODS
from .activity import ACTIVITY_TYPES, ORDER_STATUSES, SIDES
from .identity import identify
from .responses import json_response

routes = web.RouteTableDef()

Schema = dict[str, Any]

MONEY: Schema = {
    "type": "string",
    "pattern": r"^-?\d+(\.\d+)?$",
    "description": 'A decimal amount in dollars, as a string (e.g. "1234.56").',
}
QTY: Schema = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": "Decimal quantity."}
NULLABLE_MONEY: Schema = {"anyOf": [MONEY, {"type": "null"}]}
PCT: Schema = {"type": ["number", "null"], "description": "Percent (12.5 means 12.5%)."}
TIME: Schema = {"type": "string", "format": "date-time"}
NULLABLE_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
UUID_: Schema = {"type": "string", "format": "uuid"}
TEXT: Schema = {"type": "string"}
NULLABLE_TEXT: Schema = {"type": ["string", "null"]}


def obj(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


RETURN = obj({"amount": MONEY, "pct": PCT})

SCHEMAS: dict[str, Schema] = {
    "Error": obj(
        {
            "error": obj(
                {
                    "code": TEXT,
                    "message": TEXT,
                    "request_id": TEXT,
                    "details": {"type": "object"},
                },
                ["code", "message", "request_id"],
            )
        }
    ),
    "Login": obj({"token": TEXT, "expires_at": TIME, "account_id": UUID_}),
    "Summary": obj(
        {
            "equity": MONEY,
            "cash": MONEY,
            "last_equity": MONEY,
            "today_return": RETURN,
            "all_time_return": RETURN,
            "net_deposits": MONEY,
            "twr_cumulative_pct": {
                **PCT,
                "description": "Investment return (time-weighted) since the account opened, "
                "cumulative (not a yearly rate), in %.",
            },
            "twr_cumulative_reason": NULLABLE_TEXT,
            "twr_annual_pct": {
                **PCT,
                "description": "The same return as a rate a year, in %; null (with a reason) "
                "for an account less than a year old.",
            },
            "twr_annual_reason": NULLABLE_TEXT,
            "mwr_cumulative_pct": {
                **PCT,
                "description": "Your personal return (money-weighted, XIRR) since your first "
                "deposit, cumulative, in %.",
            },
            "mwr_cumulative_reason": NULLABLE_TEXT,
            "mwr_annual_pct": {
                **PCT,
                "description": "The money-weighted return as a rate a year (the XIRR), in %; "
                "null (with a reason) for less than a year since the first deposit.",
            },
            "mwr_annual_reason": NULLABLE_TEXT,
            "market_open": {"type": "boolean"},
            "as_of": TIME,
            "stale": {"type": "boolean"},
        }
    ),
    "History": obj(
        {
            "period": {"enum": list(PERIODS)},
            "timeframe": TEXT,
            "base_value": NULLABLE_MONEY,
            "timestamp": {"type": "array", "items": {"type": "integer"}},
            "equity": {"type": "array", "items": MONEY},
            "profit_loss": {
                "type": "array",
                "items": MONEY,
                "description": "Gain at each point: value minus the money put in (from the "
                "account's opening, or from the first point's value for a later range).",
            },
            "profit_loss_pct": {
                "type": "array",
                "items": PCT,
                "description": "That gain over the money it is measured against, in %.",
            },
            "net_deposits": {
                "type": "array",
                "items": MONEY,
                "description": "Money put in, net of withdrawals, as of each point.",
            },
            "twr_pct": {
                "type": "array",
                "items": PCT,
                "description": "Investment return (time-weighted) from the first point, in %.",
            },
            "benchmark": obj(
                {
                    "symbol": TEXT,
                    "return_pct": {"anyOf": [{"type": "array", "items": PCT}, {"type": "null"}]},
                    "reason": NULLABLE_TEXT,
                }
            ),
            "change": obj(
                {"amount": MONEY, "pct": PCT, "direction": {"enum": ["up", "down", "flat"]}}
            ),
            "reason": {
                **NULLABLE_TEXT,
                "description": "Why the range has no line to draw (no points, nothing invested "
                "yet, one point); null when it has one.",
            },
            "stats": obj(
                {
                    "twr_pct": PCT,
                    "volatility_pct": PCT,
                    "max_drawdown": obj({"pct": PCT, "from": NULLABLE_TIME, "to": NULLABLE_TIME}),
                    "return_per_risk": {"type": ["number", "null"]},
                }
            ),
            "as_of": TIME,
            "stale": {"type": "boolean"},
        }
    ),
    "Position": obj(
        {
            "symbol": TEXT,
            "name": TEXT,
            "asset_class": TEXT,
            "sector": TEXT,
            "qty": QTY,
            "avg_entry_price": MONEY,
            "current_price": MONEY,
            "market_value": MONEY,
            "cost_basis": MONEY,
            "unrealized_pl": MONEY,
            "unrealized_plpc": {"type": "number"},
            "change_today": {"type": "number"},
            "today_pl": MONEY,
            "today_plpc": {"type": "number"},
            "weight_pct": {"type": "number"},
            "first_bought_at": NULLABLE_TIME,
        }
    ),
    "Positions": obj(
        {
            "positions": {"type": "array", "items": ref("Position")},
            "total_market_value": MONEY,
            "cash": MONEY,
            "as_of": TIME,
            "stale": {"type": "boolean"},
        }
    ),
    "Score": obj(
        {
            "score": {"type": "number", "minimum": 1, "maximum": 10},
            "label": TEXT,
            "summary": TEXT,
            "factors": {
                "type": "array",
                "items": obj({"name": TEXT, "value": TEXT, "explanation": TEXT}),
            },
        }
    ),
    "Exposure": obj({"name": TEXT, "market_value": MONEY, "pct": {"type": "number"}}),
    "Analytics": obj(
        {
            "risk": ref("Score"),
            "diversification": ref("Score"),
            "exposures": obj(
                {
                    "asset_class": {"type": "array", "items": ref("Exposure")},
                    "sector": {"type": "array", "items": ref("Exposure")},
                }
            ),
            "methodology_version": TEXT,
            "as_of": TIME,
            "stale": {"type": "boolean"},
        }
    ),
    "Realized": obj(
        {
            "year": {"type": "integer"},
            "years": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "Every year with a sale, newest first.",
            },
            "method": {"const": "FIFO"},
            "lots": {
                "type": "array",
                "items": obj(
                    {
                        "symbol": TEXT,
                        "qty": QTY,
                        "bought_at": TIME,
                        "sold_at": TIME,
                        "proceeds": MONEY,
                        "cost": MONEY,
                        "gain": MONEY,
                        "term": {"enum": ["short", "long"]},
                    }
                ),
            },
            "totals": obj(
                {
                    "proceeds": MONEY,
                    "cost": MONEY,
                    "gain": MONEY,
                    "short_term_gain": MONEY,
                    "long_term_gain": MONEY,
                }
            ),
            "stale": {"type": "boolean"},
        }
    ),
    "Income": obj(
        {
            "by_month": {"type": "array", "items": obj({"month": TEXT, "amount": MONEY})},
            "by_holding": {"type": "array", "items": obj({"symbol": TEXT, "amount": MONEY})},
            "trailing_12m": MONEY,
            "yield_on_cost_pct": PCT,
            "as_of": TIME,
            "stale": {"type": "boolean"},
        }
    ),
    "Order": obj(
        {
            "id": UUID_,
            "client_order_id": TEXT,
            "symbol": NULLABLE_TEXT,
            "asset_class": NULLABLE_TEXT,
            "side": NULLABLE_TEXT,
            "type": NULLABLE_TEXT,
            "time_in_force": NULLABLE_TEXT,
            "status": NULLABLE_TEXT,
            "qty": {"anyOf": [QTY, {"type": "null"}]},
            "notional": NULLABLE_MONEY,
            "filled_qty": {"anyOf": [QTY, {"type": "null"}]},
            "filled_avg_price": NULLABLE_MONEY,
            "limit_price": NULLABLE_MONEY,
            "submitted_at": TIME,
            "filled_at": NULLABLE_TIME,
            "canceled_at": NULLABLE_TIME,
        }
    ),
    "Orders": obj(
        {
            "orders": {"type": "array", "items": ref("Order")},
            "next_cursor": NULLABLE_TEXT,
            "stale": {"type": "boolean"},
        }
    ),
    "Activity": obj(
        {
            "id": TEXT,
            "type": {"enum": [*ACTIVITY_TYPES, "other"]},
            "code": TEXT,
            "date": TIME,
            "symbol": NULLABLE_TEXT,
            "side": NULLABLE_TEXT,
            "qty": {"anyOf": [QTY, {"type": "null"}]},
            "price": NULLABLE_MONEY,
            "amount": NULLABLE_MONEY,
            "status": TEXT,
            "description": TEXT,
        }
    ),
    "Activities": obj(
        {
            "activities": {"type": "array", "items": ref("Activity")},
            "next_cursor": NULLABLE_TEXT,
            "stale": {"type": "boolean"},
        }
    ),
    "Asset": obj(
        {
            "id": UUID_,
            "symbol": TEXT,
            "name": NULLABLE_TEXT,
            "class": TEXT,
            "exchange": TEXT,
            "tradable": {"type": "boolean"},
            "fractionable": {"type": "boolean"},
            "sector": TEXT,
            "industry": NULLABLE_TEXT,
            "stale": {"type": "boolean"},
        }
    ),
    "BankAccount": obj(
        {
            "id": UUID_,
            "nickname": NULLABLE_TEXT,
            "owner_name": TEXT,
            "account_type": NULLABLE_TEXT,
            "account_number": {"type": "string", "pattern": "^••••[0-9A-Za-z]{0,4}$"},
            "routing_number": {"type": "string", "pattern": "^••••[0-9]{0,4}$"},
            "status": TEXT,
            "created_at": TIME,
        }
    ),
    "BankAccounts": obj(
        {
            "bank_accounts": {"type": "array", "items": ref("BankAccount")},
            "stale": {"type": "boolean"},
        }
    ),
    "LinkBankAccount": obj(
        {
            "owner_name": {"type": "string", "minLength": 1, "maxLength": 100},
            "account_type": {"enum": ["checking", "savings"]},
            "account_number": {"type": "string", "pattern": "^[0-9]{4,17}$"},
            "routing_number": {"type": "string", "pattern": "^[0-9]{9}$"},
            "nickname": {"type": "string", "maxLength": 60},
        },
        ["owner_name", "account_type", "account_number", "routing_number"],
    ),
    "Deposit": obj(
        {
            "amount": {**MONEY, "description": "Dollars, more than 0, at most two decimals."},
            "relationship_id": UUID_,
        }
    ),
    "Transfer": obj(
        {
            "id": UUID_,
            "relationship_id": {"anyOf": [UUID_, {"type": "null"}]},
            "amount": MONEY,
            "direction": NULLABLE_TEXT,
            "type": NULLABLE_TEXT,
            "status": NULLABLE_TEXT,
            "reason": NULLABLE_TEXT,
            "created_at": TIME,
            "updated_at": NULLABLE_TIME,
        }
    ),
    "Transfers": obj(
        {"transfers": {"type": "array", "items": ref("Transfer")}, "stale": {"type": "boolean"}}
    ),
    "Health": obj({"status": {"const": "ok"}, "version": TEXT}),
    "Ready": obj({"status": {"enum": ["ready", "not_ready"]}, "checks": {"type": "object"}}),
}


def _error(description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


def _ok(schema: str, description: str = "OK", status: str = "200") -> dict[str, Schema]:
    return {
        status: {
            "description": description,
            "content": {"application/json": {"schema": ref(schema)}},
        }
    }


UPSTREAM_ERRORS = {
    "429": _error("Too many requests (Retry-After says when to retry)."),
    "502": _error("Alpaca answered with an error or an unexpected response."),
    "503": _error("Alpaca is unreachable or the circuit is open (Retry-After)."),
    "504": _error("Alpaca did not answer in time."),
}
AUTH_ERRORS = {
    "401": _error("Missing, expired, invalid or ended credentials."),
    "429": _error("Too many requests for this account (Retry-After says when to retry)."),
}


def _read(
    summary: str,
    schema: str,
    parameters: list[Schema] | None = None,
    extra: dict[str, Schema] | None = None,
) -> Schema:
    responses = _ok(schema) | AUTH_ERRORS | UPSTREAM_ERRORS | (extra or {})
    op: Schema = {"summary": summary, "responses": responses, "security": [{"bearer": []}]}
    if parameters:
        op["parameters"] = parameters
    return op


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


BAD_REQUEST = {"400": _error("Invalid input; `details.field` names it.")}


def build_openapi() -> dict[str, Any]:
    """The document: every route, parameter, response and error of the JSON API."""
    cursor = _query("cursor", {"type": "string"}, "Opaque cursor from `next_cursor`.")
    write_errors = AUTH_ERRORS | BAD_REQUEST | {"403": _error("Not allowed for this token.")}
    paths: dict[str, Any] = {
        "/health": {"get": {"summary": "Liveness", "responses": _ok("Health")}},
        "/ready": {
            "get": {
                "summary": "Readiness: Alpaca reachable, Redis when configured",
                "responses": _ok("Ready")
                | {
                    "503": {
                        "description": "Not ready",
                        "content": {"application/json": {"schema": ref("Ready")}},
                    }
                },
            }
        },
        "/api/auth/login": {
            "post": {
                "summary": "Log in as a demo user (sandbox mode)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": obj({"username": TEXT, "password": TEXT})}
                    },
                },
                "responses": _ok("Login")
                | BAD_REQUEST
                | {
                    "401": _error("Wrong username or password."),
                    "403": _error("Password login is not enabled, or another site."),
                    "415": _error("The body must be JSON."),
                    "429": _error(
                        "Too many failed attempts for this user from this address, from this "
                        "address, or too many logins from it (Retry-After)."
                    ),
                },
            }
        },
        "/api/auth/logout": {
            "post": {
                "summary": "End the session presented (cookie and bearer), on every instance",
                "description": "Open live sockets of the session close with 4401. Succeeds and "
                "clears the cookie even when no valid session was presented.",
                "responses": {
                    "200": {
                        "description": "Logged out",
                        "content": {
                            "application/json": {
                                "schema": obj(
                                    {
                                        "logged_out": {"type": "boolean"},
                                        "sessions_ended": {"type": "integer", "minimum": 0},
                                    }
                                )
                            }
                        },
                    },
                    "403": _error("A cookie logout from another site."),
                },
            }
        },
        "/api/auth/logout-everywhere": {
            "post": {
                "summary": "End every session of the account issued until now",
                "description": "Every token of the account issued before this moment is "
                "refused from now on, on every instance, and its live sockets close with "
                "4401; this session ends too. Needs the write scope.",
                "security": [{"bearer": []}],
                "responses": {
                    "200": {
                        "description": "Logged out everywhere",
                        "content": {
                            "application/json": {
                                "schema": obj(
                                    {
                                        "logged_out": {"type": "boolean"},
                                        "everywhere": {"type": "boolean"},
                                    }
                                )
                            }
                        },
                    },
                    "403": _error("A read-only token, or a cookie request from another site."),
                    "429": _error("Too many requests for this account (Retry-After)."),
                }
                | AUTH_ERRORS,
            }
        },
        "/api/portfolio/summary": {"get": _read("Total value and returns", "Summary")},
        "/api/portfolio/history": {
            "get": _read(
                "Value history for a range",
                "History",
                [
                    _query(
                        "period",
                        {"type": "string", "default": "1M"},
                        "One of " + ", ".join(PERIODS) + " (any case).",
                    )
                ],
                BAD_REQUEST,
            )
        },
        "/api/portfolio/positions": {"get": _read("Holdings", "Positions")},
        "/api/portfolio/realized": {
            "get": _read(
                "Realised gains and losses for a year (FIFO)",
                "Realized",
                [
                    _query(
                        "year",
                        {"type": "integer", "minimum": 2000, "maximum": 2100},
                        "Default: the latest year with a sale (this year when none).",
                    )
                ],
                BAD_REQUEST,
            )
        },
        "/api/portfolio/income": {"get": _read("Dividend income", "Income")},
        "/api/portfolio/analytics": {
            "get": _read("Risk and diversification scores, exposures", "Analytics")
        },
        "/api/portfolio/orders": {
            "get": _read(
                "Orders, newest first",
                "Orders",
                [
                    _query("status", {"enum": list(ORDER_STATUSES)}, "Default all."),
                    _query("side", {"enum": list(SIDES)}, "Only buys or sells."),
                    _query("symbols", {"type": "string"}, "Comma-separated tickers."),
                    _query("after", TIME, "Submitted after this time (exclusive)."),
                    _query("until", TIME, "Submitted before this time (exclusive)."),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": 500},
                        "Page size, default 50.",
                    ),
                    cursor,
                ],
                BAD_REQUEST,
            )
        },
        "/api/portfolio/activities": {
            "get": _read(
                "Deposits, withdrawals, dividends, fees and fills, newest first",
                "Activities",
                [
                    _query(
                        "types",
                        {"type": "string"},
                        "Comma-separated: " + ", ".join(ACTIVITY_TYPES) + ".",
                    ),
                    _query("after", TIME, "On or after this date."),
                    _query("until", TIME, "On or before this date."),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": 100},
                        "Page size, default 50.",
                    ),
                    cursor,
                ],
                BAD_REQUEST,
            )
        },
        "/api/assets/{symbol_or_id}": {
            "get": _read(
                "One asset, with sector and industry",
                "Asset",
                [
                    {
                        "name": "symbol_or_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                BAD_REQUEST | {"404": _error("No such asset.")},
            )
        },
        "/api/funds/bank-accounts": {
            "get": _read("Linked bank accounts (numbers masked)", "BankAccounts"),
            "post": {
                "summary": "Link a bank account (ACH)",
                "security": [{"bearer": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("LinkBankAccount")}},
                },
                "responses": _ok("BankAccount", "Linked", "201")
                | write_errors
                | UPSTREAM_ERRORS
                | {
                    "409": _error("Alpaca reported a conflict."),
                    "415": _error("The body must be JSON."),
                    "422": _error("Alpaca refused the details."),
                },
            },
        },
        "/api/funds/deposits": {
            "post": {
                "summary": "Deposit from a linked bank (idempotent)",
                "security": [{"bearer": []}],
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string", "minLength": 8, "maxLength": 128},
                        "description": "One key per deposit attempt; a retry replays the answer.",
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("Deposit")}},
                },
                "responses": _ok("Transfer", "Deposit started", "201")
                | write_errors
                | UPSTREAM_ERRORS
                | {
                    "404": _error("No such bank account."),
                    "409": _error(
                        "The first request with this key is in flight, or its outcome is uncertain."
                    ),
                    "415": _error("The body must be JSON."),
                    "422": _error("Key reused with a different body, or Alpaca refused."),
                },
            }
        },
        "/api/funds/transfers": {"get": _read("Transfers with their status", "Transfers")},
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [{"bearer": []}],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                }
                | AUTH_ERRORS,
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "portfolio_rt",
            "version": __version__,
            "description": "The portfolio page's JSON API. Money and quantities are decimal "
            "strings; percentages and scores are numbers; times are RFC 3339 UTC; chart "
            "timestamps are epoch seconds. The account is always the caller's own.",
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "session": {"type": "apiKey", "in": "cookie", "name": "prt_session"},
            },
        },
    }


@routes.get("/api/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    identify(request)  # every /api route but login needs credentials, this one too
    return json_response(build_openapi())
