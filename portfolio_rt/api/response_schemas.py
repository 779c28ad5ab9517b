"""The shapes of the JSON API's answers, as JSON Schema for its OpenAPI document.

Answers are built as plain dicts and written by orjson (the hot path stays free of model
validation); the contract test checks every answer the service gives against these shapes.
"""

from __future__ import annotations

from typing import Any

from ..core.periods import PERIODS
from .params import ACTIVITY_NAMES

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
    "Share": obj({"name": TEXT, "share": {"type": "number", "minimum": 0, "maximum": 1}}),
    "HoldingExposure": obj(
        {
            "symbol": TEXT,
            "asset_class": {"type": "array", "items": ref("Share")},
            "sector": {"type": "array", "items": ref("Share")},
        }
    ),
    "Analytics": obj(
        {
            "risk": ref("Score"),
            "diversification": ref("Score"),
            "exposures": obj(
                {
                    "asset_class": {"type": "array", "items": ref("Exposure")},
                    "sector": {"type": "array", "items": ref("Exposure")},
                    "holdings": {
                        "type": "array",
                        "items": ref("HoldingExposure"),
                        "description": "How each holding splits over the asset classes and "
                        "sectors (funds looked through): the breakdowns again at live prices.",
                    },
                    "cash": MONEY,
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
            "type": {"enum": [*ACTIVITY_NAMES, "other"]},
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
SCHEMAS |= {
    "LoggedOut": obj(
        {"logged_out": {"const": True}, "sessions_ended": {"type": "integer", "minimum": 0}}
    ),
    "LoggedOutEverywhere": obj({"logged_out": {"const": True}, "everywhere": {"const": True}}),
}
