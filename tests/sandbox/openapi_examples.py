"""The examples in Alpaca's OpenAPI documents, and a field-by-field comparison of a real answer
with one.

    for source, example in operation_examples("market-data-api", "GET", "/v2/stocks/bars"):
        problems = compare_with_example(example, answer, response_schema(...), rules)

Where an operation's example comes from, first found wins: the response's own `example` or
`examples` (every one of them); else its schema's `example` or `x-examples` (every one),
following `$ref`s and array items; else an example assembled from the properties' own
`example`s. Each example comes with a sentence naming its source (document, operation, where).

The comparison walks the example: every key it has must be in the answer (unless `Rules.absent`
says why not), with a value of the same JSON type (a `null` in the example says nothing about
the type; a `null` in the answer is accepted where the schema says `nullable`), recursively
into objects and into the first element of arrays. Times (RFC 3339 date-times) must have the
same form: the same zone style (`Z` or an offset) and the same precision class. Alpaca writes
times as Go's RFC3339Nano, which drops the trailing zeros of the fraction, so the classes are
`none` (never a fraction: bars, closes), `micro` (at most 6 digits; a whole second shows none)
and `nano` (7 to 9 digits).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .openapi_check import deref, load_spec

TimeForm = Literal["none", "micro", "nano"]

_DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


@dataclass(frozen=True)
class Rules:
    """What a comparison tolerates, each with its reason.

    Paths are dotted keys from the compared object, `[]` for an array's elements
    (`documents[].content`); `absent_anywhere` names keys skipped at any depth.
    """

    absent: Mapping[str, str] = field(default_factory=dict)
    absent_anywhere: Mapping[str, str] = field(default_factory=dict)
    time_forms: Mapping[str, tuple[TimeForm, str]] = field(default_factory=dict)
    """path -> (the form real answers have, why the example's form is not the one to match)."""


# ------------------------------------------------------------------------------ the examples


def _resolve(spec: Mapping[str, Any], node: Any) -> Any:
    """`openapi_check.deref` for schema nodes that may not be objects (`true`, a list)."""
    return deref(spec, node) if isinstance(node, Mapping) else node


def _operation(spec_name: str, method: str, path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = load_spec(spec_name)
    operation = spec["paths"].get(path, {}).get(method.lower())
    if operation is None:
        raise AssertionError(f"{spec_name}: {method.upper()} {path} is not documented")
    return spec, operation


def _json_content(spec: Mapping[str, Any], operation: Mapping[str, Any]) -> dict[str, Any]:
    responses = operation.get("responses", {})
    response = _resolve(spec, responses.get("200") or responses.get("201") or {})
    content = response.get("content", {})
    media = next((m for m in content if "json" in m), None)
    if media is None:
        raise AssertionError("the operation documents no JSON answer")
    return dict(content[media])


def response_schema(spec_name: str, method: str, path: str) -> dict[str, Any]:
    """The JSON schema of an operation's 200 answer (`$ref`s resolved at the top)."""
    spec, operation = _operation(spec_name, method, path)
    return dict(_resolve(spec, _json_content(spec, operation).get("schema", {})))


def _schema_examples(spec: Mapping[str, Any], schema: Any, where: str) -> Iterator[tuple[str, Any]]:
    if isinstance(schema, Mapping) and "$ref" in schema:
        where = str(schema["$ref"]).rsplit("/", 1)[-1]
    schema = _resolve(spec, schema)
    if not isinstance(schema, Mapping):
        return
    title = where
    if "example" in schema:
        yield f"the `example` of schema {title}", schema["example"]
        return
    if "x-examples" in schema:
        for name, value in schema["x-examples"].items():
            yield f"`x-examples` {name!r} of schema {title}", value
        return
    if schema.get("type") == "array" and "items" in schema:
        for source, item in _schema_examples(spec, schema["items"], f"{where}[]"):
            yield f"{source}, as an array's element", [item]
        return
    properties = schema.get("properties") or {}
    assembled: dict[str, Any] = {}
    for key, prop in properties.items():
        found = next(_schema_examples(spec, prop, key), None)
        if found is not None:
            assembled[key] = found[1]
    if assembled:
        yield f"assembled from the properties' examples of schema {title}", assembled


def operation_examples(spec_name: str, method: str, path: str) -> list[tuple[str, Any]]:
    """Every example of an operation's 200 answer, each with a sentence naming its source."""
    spec, operation = _operation(spec_name, method, path)
    content = _json_content(spec, operation)
    label = f"{spec_name}.json {method.upper()} {path} ({operation.get('operationId')})"
    found: list[tuple[str, Any]] = []
    if "example" in content:
        found.append(("the response `example`", content["example"]))
    for name, value in (content.get("examples") or {}).items():
        found.append((f"response example {name!r}", _resolve(spec, value).get("value")))
    if not found:
        found = list(_schema_examples(spec, content.get("schema", {}), "answer"))
    if not found:
        raise AssertionError(f"{label}: no example")
    return [(f"{label}: {source}", example) for source, example in found]


def pick(value: Any, keys: tuple[str | int, ...]) -> Any:
    """`value[k0][k1]...`."""
    for key in keys:
        value = value[key]
    return value


# ------------------------------------------------------------------------------ the comparison


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def time_form(text: str) -> tuple[TimeForm, str] | None:
    """(precision class, zone style) of an RFC 3339 date-time; None for any other string."""
    match = _DATE_TIME.match(text)
    if match is None:
        return None
    digits = len(match.group(1) or "")
    form: TimeForm = "none" if digits == 0 else "micro" if digits <= 6 else "nano"
    return form, "Z" if match.group(2) == "Z" else "offset"


def _form_admits(expected: TimeForm, got: TimeForm) -> bool:
    if expected == "micro":  # trailing zeros dropped: a whole second has no fraction
        return got in ("none", "micro")
    return got == expected


def child_schema(spec_name: str, schema: Any, key: str | int) -> Any:
    """The schema of `key` (an object's property, a map's value, an array's element at int)."""
    return _child(load_spec(spec_name), schema, key)


def _child(spec: Mapping[str, Any], schema: Any, key: str | int) -> Any:
    schema = _resolve(spec, schema)
    if not isinstance(schema, Mapping):
        return {}
    if isinstance(key, int):
        return _resolve(spec, schema.get("items", {}))
    for part in schema.get("allOf", []):
        found = _child(spec, part, key)
        if found:
            return found
    properties = schema.get("properties") or {}
    if key in properties:
        return _resolve(spec, properties[key])
    extra = schema.get("additionalProperties")
    return _resolve(spec, extra) if isinstance(extra, Mapping) else {}


def _nullable(spec: Mapping[str, Any], schema: Any) -> bool:
    schema = _resolve(spec, schema)
    if not isinstance(schema, Mapping):
        return False
    kind = schema.get("type")
    return bool(schema.get("nullable")) or (isinstance(kind, list) and "null" in kind)


def compare_with_example(
    example: Any,
    answer: Any,
    *,
    spec_name: str,
    schema: Any,
    rules: Rules | None = None,
) -> list[str]:
    """Every way `answer` differs from `example` (see the module's docstring); [] when none."""
    spec = load_spec(spec_name)
    rules = rules or Rules()
    problems: list[str] = []

    def walk(ex: Any, got: Any, node: Any, path: str) -> None:
        where = path or "<root>"
        if isinstance(ex, dict):
            if not isinstance(got, dict):
                problems.append(f"{where}: {json_type(got)} where the example has an object")
                return
            for key, value in ex.items():
                sub = f"{path}.{key}" if path else key
                if sub in rules.absent or key in rules.absent_anywhere:
                    continue
                if key not in got:
                    problems.append(f"{sub}: missing (example: {value!r})")
                    continue
                walk(value, got[key], _child(spec, node, key), sub)
            return
        if isinstance(ex, list):
            if not isinstance(got, list):
                problems.append(f"{where}: {json_type(got)} where the example has an array")
            elif ex and not got:
                problems.append(f"{where}: empty, the example has elements to compare")
            elif ex:
                walk(ex[0], got[0], _child(spec, node, 0), f"{path}[]")
            return
        if ex is None:
            return  # the example shows no value: any type
        if got is None:
            if not _nullable(spec, node):
                problems.append(f"{where}: null where the example has {ex!r} (not nullable)")
            return
        if json_type(ex) != json_type(got):
            problems.append(f"{where}: {json_type(got)} {got!r} where the example has {ex!r}")
            return
        if isinstance(ex, str):
            ex_form, got_form = time_form(ex), time_form(got)
            if ex_form is None:
                return
            if got_form is None:
                problems.append(f"{where}: {got!r} is not a date-time like {ex!r}")
                return
            expected = rules.time_forms[path][0] if path in rules.time_forms else ex_form[0]
            if not _form_admits(expected, got_form[0]) or got_form[1] != ex_form[1]:
                problems.append(
                    f"{where}: {got!r} is a {got_form[0]}/{got_form[1]} time, "
                    f"real answers are {expected}/{ex_form[1]} (example {ex!r})"
                )

    walk(example, answer, schema, "")
    return problems
