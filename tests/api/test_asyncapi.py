"""The published AsyncAPI document of the live socket: public, valid AsyncAPI 3.0, and true
to the socket: every message a real socket sends, and every message a client sends it,
matches the document's schema for its `type`."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, get_args

import orjson
from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient
from jsonschema import Draft7Validator, Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import portfolio_rt
from portfolio_rt.api.asyncapi import DOCUMENT, build_asyncapi
from portfolio_rt.app import create_app
from portfolio_rt.live import close_codes, messages
from portfolio_rt.state import SETTINGS
from tests.fixtures.live import Live, next_message, settle, until
from tests.fixtures.settings import make_settings

Document = dict[str, Any]
Message = dict[str, Any]

SERVER_TYPES = {"snapshot", "update", "status", "changed", "error", "subscribed", "positions"}
"""Every message the service sends: the document lists exactly these."""
CLIENT_TYPES = {"auth", "snapshot", "subscribe", "unsubscribe"}
"""Every message a client may send."""
NOT_TRIGGERED = {"status"}
"""Sent only when the feed or the market hours change, which the live test does not do."""

META_SCHEMA = (
    Path(__file__).parents[2]
    / "web"
    / "node_modules"
    / "@asyncapi"
    / "specs"
    / "schemas"
    / "3.0.0.json"
)
"""The AsyncAPI Initiative's JSON Schema of a 3.0.0 document (npm `@asyncapi/specs`, a
development dependency of `web/`, installed with the page's libraries)."""
BASE = "urn:portfolio-rt:asyncapi"


def _document() -> Document:
    return build_asyncapi(make_settings(alpaca={"mode": "sandbox"}))


def _components(document: Document, action: str) -> dict[str, str]:
    """The component names of the messages `action` operations carry, by the messages'
    `type`, found through the operations and the channel as a reader would."""
    channel = document["channels"]["portfolio"]
    out: dict[str, str] = {}
    for operation in document["operations"].values():
        if operation["action"] != action:
            continue
        assert operation["channel"] == {"$ref": "#/channels/portfolio"}
        for pointer in operation["messages"]:
            name = pointer["$ref"].removeprefix("#/channels/portfolio/messages/")
            component = channel["messages"][name]["$ref"].removeprefix("#/components/messages/")
            payload = document["components"]["messages"][component]["payload"]
            kind = payload["properties"]["type"]["const"]
            assert out.get(kind, component) == component, f"two {action} messages of type {kind}"
            out[kind] = component
    return out


class Checker:
    """Validates messages against the document's payload schemas, `$ref`s resolved within
    the document."""

    def __init__(self, document: Document) -> None:
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(BASE, resource)
        self.server = _components(document, "send")
        self.client = _components(document, "receive")
        self.seen: set[str] = set()

    def errors(self, message: Message, components: dict[str, str]) -> list[str]:
        kind = message.get("type")
        if kind not in components:
            return [f"no message of type {kind!r} in the document"]
        validator = Draft202012Validator(
            {"$ref": f"{BASE}#/components/messages/{components[kind]}/payload"},
            registry=self.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(message)]

    def server_message(self, message: Message) -> Message:
        """A message the socket sent: it must match its schema."""
        errors = self.errors(message, self.server)
        assert not errors, (message, errors)
        self.seen.add(message["type"])
        return message

    def client_message(self, message: Message) -> Message:
        """A message to send: it must match its schema."""
        errors = self.errors(message, self.client)
        assert not errors, (message, errors)
        return message


# -- the document ---------------------------------------------------------------------------


async def test_document_is_served_without_credentials(api: TestClient) -> None:
    response = await api.get("/api/asyncapi.json")  # no Authorization, no cookie
    assert response.status == 200
    assert response.content_type == "application/json"
    document = await response.json()
    assert document == build_asyncapi(api.app[SETTINGS])
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["version"] == portfolio_rt.__version__
    assert document["channels"]["portfolio"]["address"] == "/ws/portfolio/{account_id}"


def test_document_is_valid_asyncapi_3() -> None:
    meta = orjson.loads(META_SCHEMA.read_bytes())
    errors = [
        f"{list(e.absolute_path)}: {e.message[:200]}"
        for e in Draft7Validator(meta).iter_errors(_document())
    ]
    assert not errors, errors


def test_every_message_has_a_closed_payload_that_is_valid_json_schema() -> None:
    document = _document()
    components = document["components"]
    assert components["messages"]
    for name, message in components["messages"].items():
        payload = message["payload"]
        Draft202012Validator.check_schema(payload)
        assert payload["type"] == "object", name
        assert payload["additionalProperties"] is False, name
        assert "type" in payload["required"], name
        assert set(payload["properties"]["type"]) == {"type", "const"}, name
    for schema in components["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for name, schema in components["schemas"].items():
        if schema.get("type") == "object":
            assert schema["additionalProperties"] is False, name


def test_every_example_matches_its_schema() -> None:
    document = _document()
    checker = Checker(document)
    sent = set(checker.server.values())
    for name, message in document["components"]["messages"].items():
        (example,) = message["examples"]
        errors = checker.errors(
            example["payload"], checker.server if name in sent else checker.client
        )
        assert not errors, (name, errors)
    assert len(document["components"]["messages"]) == len(SERVER_TYPES) + len(CLIENT_TYPES)


def test_every_message_type_is_documented_each_way() -> None:
    checker = Checker(_document())
    assert set(checker.server) == SERVER_TYPES
    assert set(checker.client) == CLIENT_TYPES
    # The live package builds every server message in `messages`: a type added there and
    # missing here (or dropped there and still listed here) fails.
    source = Path(messages.__file__).read_text()
    assert set(re.findall(r'"type":\s*"(\w+)"', source)) == SERVER_TYPES


def test_enums_and_close_codes_are_the_live_packages_own() -> None:
    document = _document()
    schemas = document["components"]["schemas"]
    assert schemas["Status"]["enum"] == list(get_args(messages.Status))
    assert set(schemas["Status"]["enum"]) == {"live", "stale", "market_closed", "reconnecting"}
    assert sorted(schemas["Topic"]["enum"]) == ["positions", "value"]
    codes = document["channels"]["portfolio"]["x-close-codes"]
    ours = {value for name, value in vars(close_codes).items() if name.isupper()}
    assert ours == {4401, 4403, 4408, 4429}
    assert set(codes) == {str(code) for code in ours | {1001, 1008, 1013}}
    assert all(codes.values())  # each with its meaning


def test_the_session_cookie_and_limits_are_the_configured_ones() -> None:
    settings = make_settings(
        alpaca={"mode": "sandbox"},
        auth={"cookie_name": "__Host-pf"},
        realtime={"auth_timeout_s": 7.0},
    )
    document = build_asyncapi(settings)
    scheme = document["components"]["securitySchemes"]["session"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("httpApiKey", "cookie", "__Host-pf")
    assert "7 s" in document["channels"]["portfolio"]["x-close-codes"]["4408"]


def test_app_serves_the_document_built_from_its_own_settings() -> None:
    settings = make_settings(alpaca={"mode": "sandbox"}, auth={"cookie_name": "other"})
    app = create_app(settings)
    assert orjson.loads(app[DOCUMENT]) == build_asyncapi(settings)


# -- real messages --------------------------------------------------------------------------


async def _expect(
    ws: ClientWebSocketResponse, checker: Checker, kind: str, within_s: float = 8.0, **members: Any
) -> Message:
    """Read messages, each checked against the document, until one of `kind` (with these
    `members`) arrives."""
    seen: list[Message] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while True:
        left = deadline - loop.time()
        assert left > 0, f"no {kind} {members}; last seen: {seen[-3:]}"
        message = checker.server_message(await next_message(ws, left))
        seen.append(message)
        if message["type"] == kind and all(message.get(k) == v for k, v in members.items()):
            return message


async def _send(ws: ClientWebSocketResponse, checker: Checker, message: Message) -> None:
    await ws.send_str(orjson.dumps(checker.client_message(message)).decode())


async def test_real_messages_match_the_document(live: Live) -> None:
    checker = Checker(orjson.loads(live.client.app[DOCUMENT]))
    maya = live.sandbox.personas["maya"]
    events = live.engine.events
    assert events is not None
    await until(lambda: events.healthy, within_s=10)
    ws = await live.socket(maya)
    assert checker.server_message(await next_message(ws))["type"] == "snapshot"

    await settle(live, maya, 4)
    live.publish({"VTI": "300.00", "QQQ": "500.00", "BND": "70.00", "VXUS": "60.00"})
    await _expect(ws, checker, "update")

    await _send(ws, checker, {"type": "snapshot"})
    await _expect(ws, checker, "snapshot")

    unknown = {"type": "subscribe", "topics": ["nope"]}
    assert checker.errors(unknown, checker.client)  # the document refuses it as the server does
    await ws.send_str(orjson.dumps(unknown).decode())
    await _expect(ws, checker, "error", code="bad_request")

    await _send(ws, checker, {"type": "subscribe", "topics": ["positions"]})
    await _expect(ws, checker, "subscribed", topics=["positions", "value"])
    first = await _expect(ws, checker, "positions")
    assert first["complete"] is True
    live.publish({"VTI": "310.00"})
    await _expect(ws, checker, "positions")

    await live.buy_at_the_broker(maya, "NVDA", "1")
    await _expect(ws, checker, "changed")
    await _expect(ws, checker, "positions", complete=True)

    await _send(ws, checker, {"type": "unsubscribe", "topics": ["positions"]})
    await _expect(ws, checker, "subscribed", topics=["value"])
    await ws.close()
    assert checker.seen == SERVER_TYPES - NOT_TRIGGERED


async def test_the_auth_message_matches_the_document(live: Live) -> None:
    checker = Checker(orjson.loads(live.client.app[DOCUMENT]))
    maya = live.sandbox.personas["maya"]
    ws = await live.client.ws_connect(f"/ws/portfolio/{maya}")
    await _send(ws, checker, {"type": "auth", "token": live.token(maya)})
    assert checker.server_message(await next_message(ws))["type"] == "snapshot"
    await ws.close()

    late = await live.client.ws_connect(f"/ws/portfolio/{maya}")
    error = checker.server_message(await next_message(late))  # no auth message in time
    assert error["type"] == "error"
    await late.receive(timeout=5)
    assert late.close_code == close_codes.AUTH_TIMEOUT
