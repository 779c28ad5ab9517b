"""What every Broker API route handler shares: JSON answers, Alpaca's `{"code", "message"}`
errors with Alpaca's status, the account a path names, the request's body and query values.

A handler wrapped in `api_route` raises `ApiError` (bad input, from `params`) or `LedgerError`
(a refusal, from the ledger and the stores beside it) and the client gets Alpaca's error body;
anything unexpected still answers JSON, so alpaca-py's `APIError` can read it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
import structlog
from aiohttp import web

from . import serialize as ser
from .keys import SANDBOX
from .params import CODE_NOT_FOUND, ApiError, parse_json_object, parse_uuid
from .records import AccountRecord, LedgerError

if TYPE_CHECKING:
    from .ledger import Ledger
    from .world import Sandbox

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(body: Any, status: int = 200) -> web.Response:
    """`body` as JSON (decimals must already be strings: `serialize` writes them)."""
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def error_response(status: int, code: int, message: str) -> web.Response:
    """Alpaca's error body with its HTTP status."""
    return json_response(ser.error_json(code, message), status=status)


def no_content() -> web.Response:
    """204, as Alpaca answers a deletion."""
    return web.Response(status=204)


def api_route(handler: Handler) -> Handler:
    """Answer `ApiError`/`LedgerError` as Alpaca's JSON error; a ledger ValueError as a 422."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (ApiError, LedgerError) as exc:
            return error_response(exc.status, exc.code, exc.message)
        except web.HTTPException as exc:  # e.g. a body over client_max_size (413)
            return error_response(exc.status, exc.status * 100_000, exc.reason.lower())
        except ValueError as exc:  # a value the parsers let through but the ledger refused
            log.warning("broker_api.value_error", path=request.path, error=str(exc))
            return error_response(422, 42210000, str(exc) or "invalid request")
        except Exception:  # a sandbox bug: still answer JSON so alpaca-py's APIError parses
            log.exception("broker_api.internal_error", path=request.path)
            return error_response(500, 50010000, "internal server error")

    return wrapped


def sandbox_of(request: web.Request) -> Sandbox:
    """The sandbox world the app serves."""
    return request.app[SANDBOX]


def ledger_of(request: web.Request) -> Ledger:
    """The sandbox's ledger."""
    return request.app[SANDBOX].ledger


def path_account(request: web.Request) -> AccountRecord:
    """The account named by `{account_id}`: 400 when malformed, Alpaca's 404 when unknown."""
    account_id = parse_uuid(request.match_info["account_id"], "account_id")
    try:
        return ledger_of(request).account(account_id)
    except LedgerError as exc:
        if exc.status == 404:
            raise ApiError(404, CODE_NOT_FOUND, "account not found") from None
        raise


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object (numbers as `Decimal`); 400 when it is not one."""
    return parse_json_object(await request.read())


def query_value(request: web.Request, name: str) -> str | None:
    """A query parameter; an empty value counts as absent (alpaca-py drops empty fields)."""
    value = request.query.get(name)
    return value if value not in (None, "") else None
