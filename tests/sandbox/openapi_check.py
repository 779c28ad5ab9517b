"""Validate sandbox responses against Alpaca's published OpenAPI documents.

The documents live next to this file in `openapi/` (copies of Alpaca's broker-api.json,
trading-api.json and market-data-api.json; see `openapi/README.md`). Usage:

    validate_response("broker-api", "GET", "/v1/accounts/{account_id}", 200, body)
    validate_component("broker-api", "TradeActivity", body)

Both raise `AssertionError` listing every schema violation (with the JSON path of each), so a
test failure says exactly which field is wrong. `$ref`s (schemas and whole responses) are
resolved against the document itself; formats (uuid, date-time, date, ...) are checked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS31Validator,
    oas30_format_checker,
    oas31_format_checker,
)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

SPEC_DIR = Path(__file__).parent / "openapi"


def _spec_uri(spec_name: str) -> str:
    return f"urn:alpaca-openapi:{spec_name}"


def _normalise(spec_name: str) -> str:
    return spec_name.removesuffix(".json")


@cache
def load_spec(spec_name: str) -> dict[str, Any]:
    """The parsed OpenAPI document `openapi/<spec_name>.json`."""
    path = SPEC_DIR / f"{_normalise(spec_name)}.json"
    with path.open(encoding="utf-8") as fh:
        spec: dict[str, Any] = json.load(fh)
    return spec


def _is_oas31(spec: dict[str, Any]) -> bool:
    return str(spec.get("openapi", "3.0")).startswith("3.1")


@cache
def _registry(spec_name: str) -> Registry[Any]:
    spec = load_spec(spec_name)
    spec_kind = DRAFT202012 if _is_oas31(spec) else DRAFT4
    resource: Resource[Any] = spec_kind.create_resource(spec)
    registry: Registry[Any] = Registry().with_resource(_spec_uri(spec_name), resource)
    return registry


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def deref(spec: Mapping[str, Any], node: Mapping[str, Any]) -> dict[str, Any]:
    """Follow local `$ref`s (responses, examples and schemas: `openapi_examples` uses it)."""
    while "$ref" in node:
        ref = str(node["$ref"])
        if not ref.startswith("#/"):
            raise AssertionError(f"non-local $ref {ref!r} is not supported")
        target: Any = spec
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return dict(node)


def response_schema_ref(spec_name: str, method: str, path_template: str, status: int) -> str:
    """A `$ref` URI pointing at the JSON schema of one documented response."""
    spec_name = _normalise(spec_name)
    spec = load_spec(spec_name)
    paths = spec["paths"]
    if path_template not in paths:
        raise AssertionError(f"{spec_name}: path {path_template!r} is not documented")
    operation = paths[path_template].get(method.lower())
    if operation is None:
        raise AssertionError(f"{spec_name}: {method.upper()} {path_template} is not documented")
    responses = operation.get("responses", {})
    key = str(status) if str(status) in responses else "default"
    if key not in responses:
        raise AssertionError(
            f"{spec_name}: {method.upper()} {path_template} documents no {status} response"
        )
    response = deref(spec, responses[key])
    content = response.get("content", {})
    media = next((m for m in content if "json" in m), None)
    if media is None or "schema" not in content[media]:
        raise AssertionError(
            f"{spec_name}: {method.upper()} {path_template} {status} has no JSON schema"
        )
    if "$ref" in responses[key]:
        base = str(responses[key]["$ref"])[2:].split("/")
        pointer = "/".join([*base, _pointer("content", media, "schema")])
    else:
        pointer = _pointer(
            "paths", path_template, method.lower(), "responses", key, "content", media, "schema"
        )
    return f"{_spec_uri(spec_name)}#/{pointer}"


def _validate(spec_name: str, ref: str, body: Any, what: str) -> None:
    spec = load_spec(spec_name)
    schema = {"$ref": ref}
    if _is_oas31(spec):
        validator: Any = OAS31Validator(
            schema, registry=_registry(spec_name), format_checker=oas31_format_checker
        )
    else:
        validator = OAS30ReadValidator(
            schema, registry=_registry(spec_name), format_checker=oas30_format_checker
        )
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{what}: {len(errors)} schema violation(s)"]
        for error in errors[:25]:
            location = "/".join(str(p) for p in error.absolute_path) or "<root>"
            lines.append(f"  at {location}: {error.message[:300]}")
        raise AssertionError("\n".join(lines))


def validate_response(
    spec_name: str, method: str, path_template: str, status: int, body: Any
) -> None:
    """Assert that `body` (parsed JSON) matches the documented response schema."""
    spec_name = _normalise(spec_name)
    ref = response_schema_ref(spec_name, method, path_template, status)
    _validate(spec_name, ref, body, f"{method.upper()} {path_template} {status}")


def validate_component(spec_name: str, component: str, body: Any) -> None:
    """Assert that `body` matches `#/components/schemas/<component>` of the document."""
    spec_name = _normalise(spec_name)
    if component not in load_spec(spec_name)["components"]["schemas"]:
        raise AssertionError(f"{spec_name}: no component schema {component!r}")
    ref = f"{_spec_uri(spec_name)}#/components/schemas/{_pointer(component)}"
    _validate(spec_name, ref, body, f"component {component}")
