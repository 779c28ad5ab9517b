"""The sandbox refuses requests without its key and secret, with Alpaca's JSON errors."""

from __future__ import annotations

import base64
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from portfolio_rt.sandbox.auth import auth_middleware, basic_credentials, route_family
from portfolio_rt.sandbox.faults import FaultTable
from portfolio_rt.sandbox.keys import SANDBOX
from portfolio_rt.sandbox.settings import SandboxConfig, utc_now

if TYPE_CHECKING:
    from portfolio_rt.sandbox.app import RunningSandbox

SANDBOX_KEY = "auth-key"
SANDBOX_SECRET = "auth-secret"

GOOD_BASIC = "Basic " + base64.b64encode(f"{SANDBOX_KEY}:{SANDBOX_SECRET}".encode()).decode()
WRONG_BASIC = "Basic " + base64.b64encode(f"{SANDBOX_KEY}:nope".encode()).decode()
GOOD_HEADERS = {"APCA-API-KEY-ID": SANDBOX_KEY, "APCA-API-SECRET-KEY": SANDBOX_SECRET}
WRONG_HEADERS = {"APCA-API-KEY-ID": "someone", "APCA-API-SECRET-KEY": "else"}


async def _ok(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, "path": request.path})


@pytest.fixture
async def client(aiohttp_client: Any) -> TestClient[web.Request, web.Application]:
    """An app with the auth middleware in front of one route per route family."""
    app = web.Application(middlewares=[auth_middleware])
    app[SANDBOX] = SimpleNamespace(  # type: ignore[assignment]
        config=SandboxConfig(key=SANDBOX_KEY, secret=SANDBOX_SECRET),
        faults=FaultTable(seed=1),
        now=utc_now,
    )
    for path in (
        "/v1/accounts",
        "/v1/clock",
        "/v2/stocks/bars",
        "/v1beta3/crypto/us/bars",
        "/sandbox/faults",
        "/v2/iex",
        "/v1beta3/crypto/us",
        "/healthz",
    ):
        app.router.add_get(path, _ok)
    result: TestClient[web.Request, web.Application] = await aiohttp_client(app)
    return result


async def test_broker_route_without_credentials_is_401_with_alpaca_body(client: TestClient) -> None:
    response = await client.get("/v1/accounts")
    assert response.status == 401
    assert await response.json() == {"code": 40110000, "message": "request is not authorized"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": WRONG_BASIC},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Bearer " + SANDBOX_KEY},
        GOOD_HEADERS,  # the Broker API takes HTTP Basic only
    ],
)
async def test_broker_route_rejects_wrong_or_non_basic_credentials(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = await client.get("/v1/clock", headers=headers)
    assert response.status == 401
    assert (await response.json())["code"] == 40110000


async def test_broker_route_accepts_basic_key_and_secret(client: TestClient) -> None:
    response = await client.get("/v1/accounts", headers={"Authorization": GOOD_BASIC})
    assert response.status == 200
    assert (await response.json())["ok"] is True


@pytest.mark.parametrize("path", ["/v2/stocks/bars", "/v1beta1/news"])
async def test_data_route_without_credentials_is_401(client: TestClient, path: str) -> None:
    response = await client.get(path)
    assert response.status == 401
    body = await response.json()
    assert body["code"] == 40110000
    assert isinstance(body["message"], str)


@pytest.mark.parametrize("headers", [WRONG_HEADERS, {"Authorization": WRONG_BASIC}])
async def test_data_route_with_wrong_credentials_is_403(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = await client.get("/v2/stocks/bars", headers=headers)
    assert response.status == 403
    assert await response.json() == {"code": 40310000, "message": "forbidden"}


@pytest.mark.parametrize("headers", [GOOD_HEADERS, {"Authorization": GOOD_BASIC}])
async def test_data_route_accepts_apca_headers_and_basic(
    client: TestClient, headers: dict[str, str]
) -> None:
    for path in ("/v2/stocks/bars", "/v1beta3/crypto/us/bars"):
        response = await client.get(path, headers=headers)
        assert response.status == 200, path


async def test_sandbox_control_routes_need_the_keys(client: TestClient) -> None:
    assert (await client.get("/sandbox/faults")).status == 401
    assert (await client.get("/sandbox/faults", headers=WRONG_HEADERS)).status == 403
    assert (await client.get("/sandbox/faults", headers=GOOD_HEADERS)).status == 200


@pytest.mark.parametrize("path", ["/v2/iex", "/v1beta3/crypto/us", "/healthz"])
async def test_stream_endpoints_pass_through_to_authenticate_by_message(
    client: TestClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status == 200


def test_basic_credentials_keep_colons_in_the_secret() -> None:
    header = "Basic " + base64.b64encode(b"key:sec:ret").decode()
    assert basic_credentials(header) == ("key", "sec:ret")
    assert basic_credentials("Basic " + base64.b64encode(b"no-colon").decode()) is None
    assert basic_credentials(None) is None


def test_route_families_do_not_confuse_v1beta3_with_the_broker_v1() -> None:
    assert route_family("/v1/accounts") == "broker"
    assert route_family("/v1beta3/crypto/us/bars") == "data"
    assert route_family("/v1beta3/crypto/us") == "open"
    assert route_family("/v2/stocks/AAPL/bars") == "data"
    assert route_family("/sandbox/faults/x") == "sandbox"


async def test_real_sandbox_routes_refuse_missing_and_wrong_keys(
    sandbox_server: RunningSandbox,
) -> None:
    import aiohttp

    config = sandbox_server.sandbox.config
    good = {"APCA-API-KEY-ID": config.key, "APCA-API-SECRET-KEY": config.secret}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{sandbox_server.broker_url}/v1/clock") as response:
            assert response.status == 401
            assert (await response.json())["code"] == 40110000
        async with session.get(
            f"{sandbox_server.data_url}/v2/stocks/bars/latest?symbols=AAPL",
            headers=WRONG_HEADERS,
        ) as response:
            assert response.status == 403
            assert (await response.json())["code"] == 40310000
        async with session.get(
            f"{sandbox_server.data_url}/v2/stocks/bars/latest?symbols=AAPL",
            headers=good,
        ) as response:
            assert response.status == 200
