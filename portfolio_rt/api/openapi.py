"""The OpenAPI 3.1 document of the JSON API, published at `/api/openapi.json`.

Query parameters, path parameters and request bodies come from the pydantic models the
handlers validate with (`params`), so the document and the checks accept the same requests;
answers' shapes are in `response_schemas`. Every operation has a stable `operationId` and a
tag per area, which generated clients use as function and module names. The document holds no
account data and needs no credentials, so tools and browsers can load it as they find it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from pydantic import BaseModel

from .. import __version__
from ..config import Settings
from ..state import SETTINGS
from .params import (
    ActivitiesParams,
    AssetPath,
    BankAccountBody,
    HistoryParams,
    LoginBody,
    OrdersParams,
    RealizedParams,
    deposit_body,
)
from .response_schemas import SCHEMAS, Schema, ref

routes = web.RouteTableDef()
DOCUMENT = web.AppKey("openapi_document", bytes)

BEARER: dict[str, list[str]] = {"bearer": []}
COOKIE: dict[str, list[str]] = {"session": []}
SIGNED_IN = [BEARER, COOKIE]
"""Either credential: a bearer token (scripts) or the session cookie (the page)."""

TAGS = [
    {"name": "session", "description": "Log in and out."},
    {"name": "portfolio", "description": "Value, returns, history, holdings and scores."},
    {"name": "activity", "description": "Orders and account activities."},
    {"name": "assets", "description": "Asset details, with sector and industry."},
    {"name": "funds", "description": "Linked bank accounts, deposits and transfers."},
    {"name": "service", "description": "Health, readiness and this document."},
]


def _error(description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


BAD_REQUEST = {"400": _error("Invalid input; `details.field` names it.")}
NOT_JSON = {"415": _error("The body must be sent as application/json.")}
AUTH_ERRORS = {
    "401": _error("Missing, expired, invalid or ended credentials."),
    "429": _error("Too many requests for this account (Retry-After says when to retry)."),
}
UPSTREAM_ERRORS = {
    "502": _error("Alpaca answered with an error or an unexpected response."),
    "503": _error("Alpaca is unreachable or the circuit is open (Retry-After)."),
    "504": _error("Alpaca did not answer in time."),
}
WRITE_ERRORS = {"403": _error("A read-only token, or a cookie request from another site.")}


@dataclass(frozen=True)
class Operation:
    """One route as the document states it."""

    method: str
    path: str
    operation_id: str
    tag: str
    summary: str
    answer: str
    status: int = 200
    description: str = ""
    query: type[BaseModel] | None = None
    path_params: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    headers: tuple[Schema, ...] = ()
    security: list[dict[str, list[str]]] = field(default_factory=lambda: SIGNED_IN)
    errors: Mapping[str, Schema] = field(default_factory=dict)


IDEMPOTENCY_KEY: Schema = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{8,128}$"},
    "description": "One key per deposit attempt (a UUID is a good one); a retry with the "
    "same key and body replays the first answer and moves no more money.",
}


def operations(settings: Settings) -> list[Operation]:
    """Every route of the JSON API, in the order the document lists them."""
    read = AUTH_ERRORS | UPSTREAM_ERRORS
    checked_read = read | BAD_REQUEST
    write = AUTH_ERRORS | UPSTREAM_ERRORS | BAD_REQUEST | NOT_JSON | WRITE_ERRORS
    return [
        Operation(
            "post",
            "/api/auth/login",
            "login",
            "session",
            "Log in as a demo user (sandbox mode)",
            "Login",
            description="Answers a bearer token and sets the session cookie "
            f"(`{settings.auth.cookie_name}`, HttpOnly, SameSite=Strict).",
            body=LoginBody,
            security=[],
            errors=BAD_REQUEST
            | NOT_JSON
            | {
                "401": _error("Wrong username or password."),
                "403": _error("Password login is not enabled, or a request from another site."),
                "429": _error(
                    "Too many failed attempts for this user from this address, from this "
                    "address, or too many logins from it (Retry-After)."
                ),
            },
        ),
        Operation(
            "post",
            "/api/auth/logout",
            "logout",
            "session",
            "End the session presented (cookie and bearer), on every instance",
            "LoggedOut",
            description="Open live sockets of the session close with 4401. Succeeds and "
            "clears the cookie even when no valid session was presented.",
            security=[{}, *SIGNED_IN],
            errors={"403": _error("A cookie logout from another site.")},
        ),
        Operation(
            "post",
            "/api/auth/logout-everywhere",
            "logout_everywhere",
            "session",
            "End every session of the account issued until now",
            "LoggedOutEverywhere",
            description="Every token of the account issued before this moment is refused from "
            "now on, on every instance, and its live sockets close with 4401; this session "
            "ends too. Needs the write scope.",
            errors=AUTH_ERRORS | WRITE_ERRORS,
        ),
        Operation(
            "get", "/api/portfolio/summary", "get_summary", "portfolio",
            "Total value and returns", "Summary", errors=read,
        ),
        Operation(
            "get", "/api/portfolio/history", "get_history", "portfolio",
            "Value history for a range", "History", query=HistoryParams, errors=checked_read,
        ),
        Operation(
            "get", "/api/portfolio/positions", "get_positions", "portfolio",
            "Holdings", "Positions", errors=read,
        ),
        Operation(
            "get", "/api/portfolio/realized", "get_realized", "portfolio",
            "Realised gains and losses for a year (FIFO)", "Realized",
            query=RealizedParams, errors=checked_read,
        ),
        Operation(
            "get", "/api/portfolio/income", "get_income", "portfolio",
            "Dividend income", "Income", errors=read,
        ),
        Operation(
            "get", "/api/portfolio/analytics", "get_analytics", "portfolio",
            "Risk and diversification scores, exposures", "Analytics", errors=read,
        ),
        Operation(
            "get", "/api/portfolio/orders", "list_orders", "activity",
            "Orders, newest first", "Orders", query=OrdersParams, errors=checked_read,
        ),
        Operation(
            "get", "/api/portfolio/activities", "list_activities", "activity",
            "Deposits, withdrawals, dividends, fees, journals and fills, newest first",
            "Activities",
            query=ActivitiesParams, errors=checked_read,
        ),
        Operation(
            "get", "/api/assets/{symbol_or_id}", "get_asset", "assets",
            "One asset, with sector and industry", "Asset", path_params=AssetPath,
            errors=checked_read | {"404": _error("No such asset.")},
        ),
        Operation(
            "get", "/api/funds/bank-accounts", "list_bank_accounts", "funds",
            "Linked bank accounts (numbers masked)", "BankAccounts", errors=read,
        ),
        Operation(
            "post", "/api/funds/bank-accounts", "link_bank_account", "funds",
            "Link a bank account (ACH)", "BankAccount", status=201, body=BankAccountBody,
            errors=write | {"409": _error("Alpaca reported a conflict.")},
        ),
        Operation(
            "post", "/api/funds/deposits", "create_deposit", "funds",
            "Deposit from a linked bank (idempotent)", "Transfer", status=201,
            body=deposit_body(settings.funds.max_deposit),
            headers=(IDEMPOTENCY_KEY,),
            errors=write
            | {
                "404": _error("No such bank account on this account."),
                "409": _error(
                    "The first request with this key is in flight, or its outcome is uncertain."
                ),
                "422": _error("Key reused with a different body, or Alpaca refused the transfer."),
            },
        ),
        Operation(
            "get", "/api/funds/transfers", "list_transfers", "funds",
            "Transfers with their status", "Transfers", errors=read,
        ),
        Operation(
            "get", "/health", "get_health", "service", "Liveness", "Health", security=[],
        ),
        Operation(
            "get", "/ready", "get_readiness", "service",
            "Readiness: Alpaca reachable, Redis when configured", "Ready", security=[],
            errors={
                "503": {
                    "description": "Not ready",
                    "content": {"application/json": {"schema": ref("Ready")}},
                }
            },
        ),
        Operation(
            "get", "/api/openapi.json", "get_openapi", "service", "This document",
            "OpenAPIDocument", security=[],
        ),
        Operation(
            "get", "/api/asyncapi.json", "get_asyncapi", "service",
            "The live socket's messages (AsyncAPI 3.0)", "AsyncAPIDocument", security=[],
            description="The socket `/ws/portfolio/{account_id}`: its messages each way, "
            "topics and close codes.",
        ),
    ]  # fmt: skip


def build_openapi(settings: Settings) -> dict[str, Any]:
    """The document: every route, parameter, body, answer and error of the JSON API."""
    schemas: dict[str, Schema] = dict(SCHEMAS)
    schemas["OpenAPIDocument"] = {"type": "object", "required": ["openapi", "paths"]}
    schemas["AsyncAPIDocument"] = {"type": "object", "required": ["asyncapi", "channels"]}
    paths: dict[str, dict[str, Schema]] = {}
    for op in operations(settings):
        paths.setdefault(op.path, {})[op.method] = _operation(op, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "portfolio_rt",
            "version": __version__,
            "description": "The portfolio page's JSON API. Money and quantities are decimal "
            "strings; percentages and scores are numbers; times are RFC 3339 UTC; chart "
            "timestamps are epoch seconds. The account is always the caller's own. Every "
            "error is a JSON object `{error: {code, message, request_id, details}}`.",
        },
        "tags": TAGS,
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "session": {"type": "apiKey", "in": "cookie", "name": settings.auth.cookie_name},
            },
        },
    }


def _operation(op: Operation, schemas: dict[str, Schema]) -> Schema:
    answer = {
        str(op.status): {
            "description": op.summary,
            "content": {"application/json": {"schema": ref(op.answer)}},
        }
    }
    out: Schema = {
        "operationId": op.operation_id,
        "tags": [op.tag],
        "summary": op.summary,
        "security": op.security,
        "responses": answer | dict(op.errors),
    }
    if op.description:
        out["description"] = op.description
    parameters = [
        *(_parameters(op.path_params, "path") if op.path_params else []),
        *(_parameters(op.query, "query") if op.query else []),
        *op.headers,
    ]
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        name = _component_name(op.body)
        schemas[name] = _model_schema(op.body, schemas)
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(name)}},
        }
    return out


def _component_name(model: type[BaseModel]) -> str:
    return model.__name__.removesuffix("Body") + "Request"


def _model_schema(model: type[BaseModel], schemas: dict[str, Schema]) -> Schema:
    """The model's JSON Schema with its nested definitions moved to the components."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, nested in schema.pop("$defs", {}).items():
        schemas[name] = _untitled(nested)
    untitled: Schema = _untitled(schema)
    return untitled


def _parameters(model: type[BaseModel], where: str) -> list[Schema]:
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema["properties"].items():
        prop = _not_null(_untitled(prop))
        description = prop.pop("description", None)
        parameter: Schema = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": prop,
        }
        if description:
            parameter["description"] = description
        out.append(parameter)
    return out


def _not_null(schema: Schema) -> Schema:
    """An optional parameter is simply left out: its `null` branch is no value to send."""
    branches = schema.get("anyOf")
    if not branches:
        return schema
    kept = [b for b in branches if b != {"type": "null"}]
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    if rest.get("default", ...) is None:
        del rest["default"]
    return kept[0] | rest if len(kept) == 1 else {"anyOf": kept, **rest}


def _untitled(schema: Any) -> Any:
    """Pydantic titles every property after its name; generated clients name them anyway."""
    if isinstance(schema, dict):
        # A property named "title" is a dict under "properties", and stays.
        return {
            k: _untitled(v) for k, v in schema.items() if not (k == "title" and isinstance(v, str))
        }
    if isinstance(schema, list):
        return [_untitled(v) for v in schema]
    return schema


@routes.get("/api/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    """Public: the document describes the API and holds no account data."""
    return web.Response(body=request.app[DOCUMENT], content_type="application/json")


def setup(app: web.Application) -> None:
    """The document is the same for every caller: built once, served as bytes."""
    app[DOCUMENT] = orjson.dumps(build_openapi(app[SETTINGS]))
    app.add_routes(routes)
