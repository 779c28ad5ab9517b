"""Hostile request bodies get a JSON 4xx with a request id, never a 500 or a stack trace."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.sandbox.world import Sandbox
from portfolio_rt.state import SETTINGS

Auth = Callable[..., dict[str, str]]
BANKS = "/api/funds/bank-accounts"


async def assert_json_error(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    body = await response.json()
    assert body["error"]["code"] == code
    assert body["error"]["request_id"] == response.headers["X-Request-ID"]
    text = await response.text()
    assert "Traceback" not in text
    assert 'File "' not in text


async def test_oversized_body_is_413_json(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    limit = api.app[SETTINGS].server.max_body_bytes
    headers = auth_for(api, shared_sandbox.personas["maya"]) | {"Content-Type": "application/json"}
    body = b'{"owner_name": "' + b"x" * (limit + 1) + b'"}'
    response = await api.post(BANKS, data=body, headers=headers)
    await assert_json_error(response, 413, "payload_too_large")


async def test_oversized_chunked_body_is_413_json(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    limit = api.app[SETTINGS].server.max_body_bytes

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"owner_name": "'
        for _ in range(limit // 1024 + 2):
            yield b"y" * 1024
        yield b'"}'

    headers = auth_for(api, shared_sandbox.personas["maya"]) | {"Content-Type": "application/json"}
    response = await api.post(BANKS, data=chunks(), headers=headers)  # no Content-Length
    await assert_json_error(response, 413, "payload_too_large")


async def test_oversized_login_body_is_413_json(api: TestClient) -> None:
    # Before any credentials: the limit protects the unauthenticated route too.
    limit = api.app[SETTINGS].server.max_body_bytes
    response = await api.post(
        "/api/auth/login",
        data=b"{" + b" " * (limit + 10) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status in (403, 413)  # Alpaca mode refuses password logins outright
    assert response.content_type == "application/json"


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"owner_name": "x",}',
        b"\xff\xfe\x00{}",
        b"[" * 10_000 + b"]" * 10_000,
        b'{"a": NaN}',
        b"",
    ],
    ids=["truncated", "trailing-comma", "not-utf8", "deeply-nested", "nan", "empty"],
)
async def test_malformed_json_is_400_json(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, body: bytes
) -> None:
    headers = auth_for(api, shared_sandbox.personas["maya"]) | {"Content-Type": "application/json"}
    response = await api.post(BANKS, data=body, headers=headers)
    await assert_json_error(response, 400, "bad_request")


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b"null"])
async def test_json_that_is_not_an_object_is_400(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, body: bytes
) -> None:
    headers = auth_for(api, shared_sandbox.personas["maya"]) | {"Content-Type": "application/json"}
    response = await api.post(BANKS, data=body, headers=headers)
    await assert_json_error(response, 400, "bad_request")


async def test_wrong_content_type_is_415_json(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    headers = auth_for(api, shared_sandbox.personas["maya"]) | {"Content-Type": "text/xml"}
    response = await api.post(BANKS, data=b"<bank/>", headers=headers)
    await assert_json_error(response, 415, "unsupported_media_type")


async def test_wrong_types_in_fields_are_400_not_500(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    headers = auth_for(api, shared_sandbox.personas["maya"])
    for body in (
        {"owner_name": ["a"], "account_type": "checking"},
        {"owner_name": "A", "account_type": {"x": 1}},
        {"owner_name": "A", "account_type": "checking", "account_number": 123456789},
    ):
        response = await api.post(BANKS, json=body, headers=headers)
        await assert_json_error(response, 400, "bad_request")
