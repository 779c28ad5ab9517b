"""The published OpenAPI document: valid, public, complete, named for generated clients, and
derived from the models that check requests (so the two cannot drift)."""

from __future__ import annotations

import re

import orjson
from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate

from portfolio_rt.api.openapi import DOCUMENT, TAGS, build_openapi, operations
from portfolio_rt.app import create_app
from portfolio_rt.config import Settings
from portfolio_rt.state import SETTINGS
from tests.fixtures.settings import make_settings


def _document(settings: Settings | None = None) -> dict:  # type: ignore[type-arg]
    return build_openapi(settings or make_settings(alpaca={"mode": "sandbox"}))


def test_document_is_valid_openapi_31() -> None:
    document = _document()
    validate(document)
    assert document["openapi"].startswith("3.1")


async def test_document_is_served_without_credentials(api: TestClient) -> None:
    response = await api.get("/api/openapi.json")  # no Authorization, no cookie
    assert response.status == 200
    assert response.content_type == "application/json"
    assert await response.json() == build_openapi(api.app[SETTINGS])
    operation = (await response.json())["paths"]["/api/openapi.json"]["get"]
    assert operation["security"] == []


async def test_document_lists_every_route(api: TestClient) -> None:
    documented = {(m.upper(), p) for p, ops in _document()["paths"].items() for m in ops}
    served = set()
    for route in api.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter", "")
        if route.method != "HEAD" and (path.startswith("/api/") or path in ("/health", "/ready")):
            served.add((route.method, path))
    assert served == documented


def test_every_operation_has_a_stable_id_and_one_known_tag() -> None:
    ids = []
    tag_names = {t["name"] for t in TAGS}
    for ops in _document()["paths"].values():
        for op in ops.values():
            ids.append(op["operationId"])
            assert re.fullmatch(r"[a-z][a-z_]*[a-z]", op["operationId"]), op["operationId"]
            assert len(op["tags"]) == 1
            assert op["tags"][0] in tag_names
    assert len(ids) == len(set(ids)) == 20
    assert {"get_summary", "list_orders", "create_deposit", "login", "get_asyncapi"} <= set(ids)


def test_every_tag_is_used() -> None:
    used = {op["tags"][0] for ops in _document()["paths"].values() for op in ops.values()}
    assert used == {t["name"] for t in TAGS}


def test_the_session_cookie_is_named_as_configured() -> None:
    settings = make_settings(alpaca={"mode": "sandbox"}, auth={"cookie_name": "__Host-pf"})
    document = build_openapi(settings)
    scheme = document["components"]["securitySchemes"]["session"]
    assert scheme == {"type": "apiKey", "in": "cookie", "name": "__Host-pf"}
    assert "__Host-pf" in document["paths"]["/api/auth/login"]["post"]["description"]


def test_parameters_and_bodies_are_the_models_own() -> None:
    """Every field of a request model is in the document, and nothing else is."""
    settings = make_settings(alpaca={"mode": "sandbox"})
    document = build_openapi(settings)
    for op in operations(settings):
        operation = document["paths"][op.path][op.method]
        listed = {p["name"]: p for p in operation.get("parameters", ())}
        for model, where in ((op.query, "query"), (op.path_params, "path")):
            fields = set(model.model_fields) if model else set()
            assert {n for n, p in listed.items() if p["in"] == where} == fields, op.operation_id
        if op.body is None:
            assert "requestBody" not in operation
            continue
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert set(schema["properties"]) == set(op.body.model_fields)
        assert schema["additionalProperties"] is False  # the model refuses unknown members


def test_the_deposit_limit_in_the_schema_is_the_configured_one() -> None:
    settings = make_settings(alpaca={"mode": "sandbox"}, funds={"max_deposit": "2500"})
    amount = build_openapi(settings)["components"]["schemas"]["DepositRequest"]["properties"][
        "amount"
    ]
    written, whole = amount["anyOf"]
    assert re.fullmatch(written["pattern"], "2500.00")
    assert not re.fullmatch(written["pattern"], "2500.01")
    assert whole["maximum"] == 2500


def test_allowed_values_are_in_the_schemas_not_only_in_prose() -> None:
    document = _document()

    def param(path: str, name: str) -> dict:  # type: ignore[type-arg]
        (found,) = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
        return found["schema"]  # type: ignore[no-any-return]

    assert re.fullmatch(param("/api/portfolio/history", "period")["pattern"], "ytd")
    assert not re.fullmatch(param("/api/portfolio/history", "period")["pattern"], "2Y")
    assert param("/api/portfolio/realized", "year") == {
        "type": "integer",
        "minimum": 2000,
        "maximum": 2100,
    }
    types = param("/api/portfolio/activities", "types")["pattern"]
    assert re.fullmatch(types, "FILL,DIV")
    assert re.fullmatch(types, "fill,dividend")
    assert not re.fullmatch(types, "FILL,")
    assert not re.fullmatch(types, "SPLIT")
    assert re.fullmatch(types, "journal,JNLC,JNLS")
    symbols = param("/api/portfolio/orders", "symbols")["pattern"]
    assert re.fullmatch(symbols, "AAPL,BRK.B,BTC/USD")
    assert not re.fullmatch(symbols, "AAPL,,VTI")
    assert not re.fullmatch(symbols, "../v1")
    assert param("/api/portfolio/orders", "status")["enum"] == ["all", "open", "closed"]
    bank = document["components"]["schemas"]["BankAccountRequest"]["properties"]
    assert bank["routing_number"]["format"] == "aba-routing-number"
    assert bank["nickname"]["anyOf"][1] == {"type": "null"}


def test_app_serves_the_document_built_from_its_own_settings() -> None:
    settings = make_settings(alpaca={"mode": "sandbox"}, auth={"cookie_name": "other"})
    app = create_app(settings)
    assert orjson.loads(app[DOCUMENT]) == build_openapi(settings)
