"""The AsyncAPI 3.0 document of the live socket, published at `/api/asyncapi.json`.

OpenAPI describes requests and answers, not a socket's messages, so `/api/openapi.json`
stops at the upgrade; this document covers the rest: the channel `/ws/portfolio/{account_id}`,
every message each way, the topics and the close codes. It describes the service, so a
`send` operation is a message the service sends and `receive` one the client sends. Every
message's payload is closed (`additionalProperties: false`) and the contract test checks
real messages against it, so a member added or renamed on one side fails there. The status
values, the sections a `changed` names and the close codes are the live package's own
constants. The document holds no account data and needs no credentials; it is the same for
every caller, so it is built once at start-up and served as bytes.
"""

from __future__ import annotations

from typing import Any, get_args

import orjson
from aiohttp import WSCloseCode, web

from .. import __version__
from ..config import Settings
from ..live import close_codes
from ..live.changes import WHAT
from ..live.connection import TOPICS
from ..live.messages import Status
from ..state import SETTINGS
from .response_schemas import MONEY, PCT, QTY, Schema, obj, ref

routes = web.RouteTableDef()
DOCUMENT = web.AppKey("asyncapi_document", bytes)

CHANNEL = "portfolio"
ADDRESS = "/ws/portfolio/{account_id}"

TIME: Schema = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$",
    "description": "RFC 3339, UTC, ending in Z.",
}
DECIMAL: Schema = {
    "type": "string",
    "pattern": r"^-?\d+(\.\d+)?$",
    "description": 'A decimal number as a string, never in exponent notation (e.g. "0.00001").',
}
NULLABLE_MONEY: Schema = {"anyOf": [ref("Money"), {"type": "null"}]}


def close_code_meanings(settings: Settings) -> dict[str, str]:
    """Every close code the service ends a socket with, and why."""
    realtime = settings.realtime
    return {
        str(int(WSCloseCode.GOING_AWAY)): "The service is shutting down; reconnect (to "
        "another instance, or to this one once it is back).",
        str(int(WSCloseCode.POLICY_VIOLATION)): "A slow client: more messages waited for it "
        f"than the {realtime.max_pending} a socket may have queued (one whose write stays "
        f"stuck for {realtime.send_timeout_s:g} s is dropped without a close frame). "
        "Reconnect; the new socket starts with a snapshot.",
        str(int(WSCloseCode.TRY_AGAIN_LATER)): "The first snapshot could not be built (Alpaca "
        "unavailable); an `error` message says why. Reconnect after a moment.",
        str(close_codes.UNAUTHORIZED): "No valid credentials, or the session ended (logout, "
        '"log out everywhere") or expired. Log in again before reconnecting.',
        str(close_codes.FORBIDDEN): "The account in the address is not the caller's.",
        str(close_codes.AUTH_TIMEOUT): "No auth message arrived within "
        f"{realtime.auth_timeout_s:g} s of the upgrade.",
        str(close_codes.TOO_MANY): f"The account already has {realtime.max_sockets_per_account}"
        " live sockets open on this instance; close one.",
    }


def _type(name: str) -> Schema:
    return {"type": "string", "const": name}


def _closed(properties: dict[str, Schema], description: str | None = None) -> Schema:
    """An object of exactly these members, all required: a drift on either side fails."""
    schema = obj(properties) | {"additionalProperties": False}
    return schema if description is None else schema | {"description": description}


def _payload(name: str, properties: dict[str, Schema]) -> Schema:
    """A message's payload: a closed object whose `type` is `name`."""
    return _closed({"type": _type(name), **properties})


def schemas() -> dict[str, Schema]:
    """The shapes several messages share."""
    return {
        "Decimal": DECIMAL,
        "Money": MONEY,
        "Quantity": QTY,
        "Percent": PCT,
        "Time": TIME,
        "Status": {
            "type": "string",
            "enum": list(get_args(Status)),
            "description": "`live`: prices are flowing; `stale`: the market-data feed "
            "cannot be read, the figures are at the last prices known; `market_closed`: the "
            "stock market is closed and the account holds no crypto; `reconnecting`: the "
            "feed is reconnecting, the figures may be behind until it is back.",
        },
        "Topic": {
            "type": "string",
            "enum": sorted(TOPICS),
            "description": "`value`: `update` messages (on from the start); `positions`: "
            "`positions` messages (off until subscribed).",
        },
        "TodayReturn": _closed(
            {"amount": ref("Money"), "pct": ref("Percent")},
            "Today's gain or loss against the last close, deposits and withdrawals excluded; "
            "`pct` is null when nothing was at stake.",
        ),
        "PositionRow": _closed(
            {
                "symbol": {"type": "string", "description": "Ticker or crypto pair (BTC/USD)."},
                "qty": ref("Quantity"),
                "current_price": ref("Decimal"),
                "market_value": {
                    "allOf": [ref("Money")],
                    "description": "qty × current_price, rounded to the cent.",
                },
                "today_pl": {
                    **NULLABLE_MONEY,
                    "description": "Today's gain or loss on the position (null: unknown).",
                },
                "today_plpc": {
                    "allOf": [ref("Percent")],
                    "description": "today_pl in percent of the position's value at the start "
                    "of today.",
                },
                "unrealized_pl": {
                    **NULLABLE_MONEY,
                    "description": "Gain or loss against the cost basis (null: unknown).",
                },
                "unrealized_plpc": {
                    "allOf": [ref("Percent")],
                    "description": "unrealized_pl in percent of the cost basis.",
                },
                "weight_pct": {
                    "type": "number",
                    "description": "market_value in percent of the message's total_market_value.",
                },
            },
            "One held position at its latest price.",
        ),
    }


Message = dict[str, Any]


def server_messages(settings: Settings) -> dict[str, Message]:
    """What the service sends, by channel message name."""
    return {
        "snapshot": {
            "summary": "The account's figures in full",
            "description": "First on every socket, and the answer to a snapshot request.",
            "payload": _payload(
                "snapshot",
                {
                    "account_id": {"type": "string", "format": "uuid"},
                    "equity": ref("Money"),
                    "cash": ref("Money"),
                    "last_equity": {
                        "allOf": [ref("Money")],
                        "description": "The account's value at the last close.",
                    },
                    "today_return": ref("TodayReturn"),
                    "market_open": {"type": "boolean"},
                    "status": ref("Status"),
                    "as_of": ref("Time"),
                    "seq": {
                        "type": "integer",
                        "minimum": 1,
                        "description": "The socket's counter of snapshots and updates, from 1.",
                    },
                },
            ),
            "example": {
                "type": "snapshot",
                "account_id": "8f4e2f0a-3a57-4d4c-9bde-0d5cbb8f2f71",
                "equity": "104512.37",
                "cash": "2310.05",
                "last_equity": "103980.12",
                "today_return": {"amount": "532.25", "pct": 0.51},
                "market_open": True,
                "status": "live",
                "as_of": "2026-03-02T15:04:05.123456Z",
                "seq": 1,
            },
        },
        "update": {
            "summary": "New total value and today's return",
            "description": "While the `value` topic is on: at most once per push interval "
            f"({settings.realtime.push_interval_s:g} s), when the figures moved. `seq` follows "
            "the snapshot's; a gap means updates were missed: ask for a snapshot.",
            "payload": _payload(
                "update",
                {
                    "equity": ref("Money"),
                    "today_return": ref("TodayReturn"),
                    "as_of": ref("Time"),
                    "seq": {"type": "integer", "minimum": 2},
                },
            ),
            "example": {
                "type": "update",
                "equity": "104530.10",
                "today_return": {"amount": "549.98", "pct": 0.53},
                "as_of": "2026-03-02T15:04:06.101Z",
                "seq": 2,
            },
        },
        "status": {
            "summary": "The feed or the market changed",
            "payload": _payload("status", {"status": ref("Status")}),
            "example": {"type": "status", "status": "market_closed"},
        },
        "changed": {
            "summary": "A broker event changed parts of the account",
            "description": "A fill, a transfer, a dividend: reload those sections from the "
            "JSON API.",
            "payload": _payload(
                "changed",
                {
                    "what": {
                        "type": "array",
                        "items": {"type": "string", "enum": list(WHAT)},
                        "uniqueItems": True,
                        "minItems": 1,
                        "description": "The sections that changed, sorted.",
                    }
                },
            ),
            "example": {"type": "changed", "what": ["activities", "orders", "positions"]},
        },
        "error": {
            "summary": "Something went wrong",
            "description": "Before a close (the close code says what to do), when a "
            "requested snapshot could not be built (the socket stays open), or when a client "
            "message was invalid (`bad_request`; the socket stays open).",
            "payload": _payload(
                "error",
                {
                    "code": {
                        "type": "string",
                        "description": "The JSON API's error codes: `unauthorized`, "
                        "`forbidden`, `rate_limited`, `bad_request`, `broker_unavailable`, "
                        "`broker_timeout`, `broker_error`…",
                    },
                    "message": {"type": "string", "description": "For people."},
                },
            ),
            "example": {
                "type": "error",
                "code": "broker_unavailable",
                "message": "Alpaca is unavailable just now; please try again shortly.",
            },
        },
        "subscribed": {
            "summary": "The socket's topics now",
            "description": "The answer to every subscribe and unsubscribe.",
            "payload": _payload(
                "subscribed",
                {
                    "topics": {
                        "type": "array",
                        "items": ref("Topic"),
                        "uniqueItems": True,
                        "description": "Sorted.",
                    }
                },
            ),
            "example": {"type": "subscribed", "topics": ["positions", "value"]},
        },
        "positions": {
            "summary": "Held positions at their latest prices",
            "description": "While the `positions` topic is on. A complete message lists "
            "every position the account holds, and the client drops any it does not list: "
            "the first after subscribing is complete, and so is the first after a trade "
            "changed the holdings. Otherwise only the positions whose price moved since the "
            "last positions message; the others keep their rows, and their weights are "
            "recomputed against `total_market_value`. At most once per push interval "
            f"({settings.realtime.push_interval_s:g} s).",
            "payload": _payload(
                "positions",
                {
                    "complete": {
                        "type": "boolean",
                        "description": "True: these are all the positions held.",
                    },
                    "positions": {"type": "array", "items": ref("PositionRow")},
                    "total_market_value": {
                        "allOf": [ref("Money")],
                        "description": "The summed market value of every position held, "
                        "listed here or not.",
                    },
                    "as_of": ref("Time"),
                },
            ),
            "example": {
                "type": "positions",
                "complete": False,
                "positions": [
                    {
                        "symbol": "VTI",
                        "qty": "120",
                        "current_price": "301.25",
                        "market_value": "36150.00",
                        "today_pl": "240.00",
                        "today_plpc": 0.67,
                        "unrealized_pl": "5150.00",
                        "unrealized_plpc": 16.61,
                        "weight_pct": 35.4,
                    }
                ],
                "total_market_value": "102202.32",
                "as_of": "2026-03-02T15:04:06.101Z",
            },
        },
    }


def client_messages(settings: Settings) -> dict[str, Message]:
    """What the client sends, by channel message name."""
    topics: Schema = {"type": "array", "items": ref("Topic"), "minItems": 1}
    return {
        "auth": {
            "summary": "Authenticate on the socket",
            "description": "Only when the upgrade carried no credentials, and first, within "
            f"{settings.realtime.auth_timeout_s:g} s (else close 4408). A token from "
            "`POST /api/auth/login` or `python -m portfolio_rt token`. A wrong token closes "
            "with 4401, another account's with 4403; on an authenticated socket it is ignored.",
            "payload": _payload("auth", {"token": {"type": "string", "minLength": 1}}),
            "example": {"type": "auth", "token": "eyJhbGciOiJIUzI1NiJ9.eyJ…"},
        },
        "snapshot_request": {
            "summary": "Ask for a fresh snapshot",
            "description": "For instance after a gap in `seq`, or when the page comes back "
            "into view.",
            "payload": _payload("snapshot", {}),
            "example": {"type": "snapshot"},
        },
        "subscribe": {
            "summary": "Turn topics on",
            "description": "Answered with `subscribed`; an unknown topic with an `error` "
            "(`bad_request`), and the socket stays open.",
            "payload": _payload("subscribe", {"topics": topics}),
            "example": {"type": "subscribe", "topics": ["positions"]},
        },
        "unsubscribe": {
            "summary": "Turn topics off",
            "description": "Answered with `subscribed`; an unknown topic with an `error` "
            "(`bad_request`), and the socket stays open.",
            "payload": _payload("unsubscribe", {"topics": topics}),
            "example": {"type": "unsubscribe", "topics": ["value"]},
        },
    }


def _component_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _message(name: str, message: Message) -> Message:
    out: Message = {"name": name, "title": _component_name(name), **message}
    example = out.pop("example")
    out["examples"] = [{"payload": example}]
    return out


def _channel_message(name: str) -> Schema:
    return {"$ref": f"#/channels/{CHANNEL}/messages/{name}"}


def build_asyncapi(settings: Settings) -> dict[str, Any]:
    """The document: the live socket's channel, its messages each way and its operations."""
    server, client = server_messages(settings), client_messages(settings)
    realtime = settings.realtime
    signed_in = [
        {"$ref": "#/components/securitySchemes/bearer"},
        {"$ref": "#/components/securitySchemes/session"},
    ]
    operations: dict[str, Schema] = {}
    for name, message in server.items():
        operations[f"send_{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{CHANNEL}"},
            "summary": message["summary"],
            "messages": [_channel_message(name)],
            "security": signed_in,
        }
    replies = {
        "snapshot_request": ["snapshot", "error"],
        "subscribe": ["subscribed", "error"],
        "unsubscribe": ["subscribed", "error"],
    }
    for name, message in client.items():
        operation: Schema = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{CHANNEL}"},
            "summary": message["summary"],
            "messages": [_channel_message(name)],
        }
        if name != "auth":
            operation["security"] = signed_in
        if name in replies:
            operation["reply"] = {
                "channel": {"$ref": f"#/channels/{CHANNEL}"},
                "messages": [_channel_message(answer) for answer in replies[name]],
            }
        operations[f"receive_{name}"] = operation
    messages = server | client
    codes = close_code_meanings(settings)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "portfolio_rt live socket",
            "version": __version__,
            "description": "An account's total value, today's return and, on request, its "
            "positions, pushed as they move. Messages are JSON text frames, each an object "
            "with a `type`. Money and quantities are decimal strings, percentages are "
            "numbers, times are RFC 3339 UTC. This document describes the service: `send` "
            "operations are what it sends, `receive` operations what it accepts. The JSON "
            "API is described at `/api/openapi.json`.",
        },
        "defaultContentType": "application/json",
        "channels": {
            CHANNEL: {
                "address": ADDRESS,
                "title": "One account's live figures",
                "description": "Open with a WebSocket upgrade (ws:// or wss:// on the host "
                "serving this document) carrying the session cookie or an `Authorization: "
                "Bearer` header; without either, send an `auth` message first, within "
                f"{realtime.auth_timeout_s:g} s. The upgrade is refused with 401 for invalid "
                "credentials, 403 for another account's address or a foreign Origin, 404 for "
                "an address that is no account id, 429 when the account has "
                f"{realtime.max_sockets_per_account} sockets open here, 503 while the service "
                "starts or stops. The socket opens with a `snapshot`, then `update`s (topic "
                "`value`), `status` and `changed` messages as they happen; subscribe to "
                "`positions` for the holdings. It lives no longer than its session. Close "
                "codes: " + "; ".join(f"{code} {why}" for code, why in codes.items()),
                "parameters": {
                    "account_id": {
                        "description": "The caller's Alpaca account id (a UUID), as "
                        "`POST /api/auth/login` answers it."
                    }
                },
                "messages": {
                    name: {"$ref": f"#/components/messages/{_component_name(name)}"}
                    for name in messages
                },
                "bindings": {
                    "ws": {
                        "method": "GET",
                        "headers": {
                            "type": "object",
                            "properties": {
                                "Authorization": {
                                    "type": "string",
                                    "pattern": "^[Bb]earer .+$",
                                    "description": "A bearer token (scripts).",
                                },
                                "Origin": {
                                    "type": "string",
                                    "description": "A browser's page must be this service's "
                                    "own origin or one in `server.allowed_origins`.",
                                },
                            },
                        },
                        "bindingVersion": "0.1.0",
                    }
                },
                "x-close-codes": codes,
            }
        },
        "operations": operations,
        "components": {
            "schemas": schemas(),
            "messages": {_component_name(name): _message(name, m) for name, m in messages.items()},
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "`Authorization: Bearer <token>` on the upgrade request.",
                },
                "session": {
                    "type": "httpApiKey",
                    "in": "cookie",
                    "name": settings.auth.cookie_name,
                    "description": "The session cookie `POST /api/auth/login` sets (the page).",
                },
            },
        },
    }


@routes.get("/api/asyncapi.json")
async def asyncapi(request: web.Request) -> web.Response:
    """Public: the document describes the socket and holds no account data."""
    return web.Response(body=request.app[DOCUMENT], content_type="application/json")


def setup(app: web.Application) -> None:
    """The document is the same for every caller: built once, served as bytes."""
    app[DOCUMENT] = orjson.dumps(build_asyncapi(app[SETTINGS]))
    app.add_routes(routes)
