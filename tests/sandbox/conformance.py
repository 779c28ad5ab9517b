"""The sandbox's conformance table: every operation of Alpaca's Broker API and Market Data API
OpenAPI documents (`openapi/broker-api.json`, `openapi/market-data-api.json`), and whether the
sandbox serves it.

An operation is served when the sandbox's aiohttp router has a route for its method whose path
template equals the document's, `{…}` segments compared as wildcards (the parameter names
differ). Broker and market-data routes live in one app on one port (`create_sandbox_app`), so
both documents are checked against the same router. The reason an operation is not served
comes from `conformance_reasons.toml`. The sandbox's routes that no document has are listed
here, in `UNDOCUMENTED_ROUTES` and `CONTROL_ROUTES`, so a made-up route shows.

    python -m tests.sandbox.conformance           # print the generated region
    python -m tests.sandbox.conformance --write   # rewrite it in docs/sandbox.md
    python -m tests.sandbox.conformance --check   # exit 1 when docs/sandbox.md is out of date

`tests/sandbox/test_conformance.py` fails when the page's table is not what this produces.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from portfolio_rt.sandbox.app import create_sandbox_app
from portfolio_rt.sandbox.settings import SandboxConfig
from portfolio_rt.sandbox.world import Sandbox

from .openapi_check import load_spec

DOCUMENTS: tuple[str, ...] = ("broker-api", "market-data-api")
TITLES: Mapping[str, str] = {
    "broker-api": "Broker API (`broker-api.json`)",
    "market-data-api": "Market Data API (`market-data-api.json`)",
}
REASONS_FILE = Path(__file__).with_name("conformance_reasons.toml")
REPO_ROOT = Path(__file__).resolve().parents[2]
DOC_PAGE = REPO_ROOT / "docs" / "sandbox.md"
START = "<!-- conformance:start -->"
END = "<!-- conformance:end -->"
COMMAND = ".venv/bin/python -m tests.sandbox.conformance --write"
PLANNED = "not yet served (planned)"

HTTP_METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_PARAM = re.compile(r"\{[^{}]*\}")

UNDOCUMENTED_ROUTES: Mapping[tuple[str, str], str] = {
    (
        "GET",
        "/v1/trading/accounts/{account_id}/orders:by_client_order_id",
    ): "alpaca-py's `BrokerClient.get_order_for_account_by_client_id` asks this path; "
    "broker-api.json omits it (trading-api.json has `/v2/orders:by_client_order_id`)",
    (
        "GET",
        "/v2/clock",
    ): "the Trading API's clock (trading-api.json), which alpaca-py's `TradingClient.get_clock` "
    "asks; the same answer as `/v1/clock`",
    (
        "GET",
        "/v1/trading/accounts/{account_id}/account/configurations",
    ): "alpaca-py's `BrokerClient.get_trade_configuration_for_account` asks this path; "
    "broker-api.json documents only its PATCH (trading-api.json has "
    "`GET /v2/account/configurations`)",
    (
        "GET",
        "/v1/accounts/{account_id}/documents/{document_id}",
    ): "alpaca-py's `BrokerClient.get_trade_document_for_account_by_id` asks this path; "
    "broker-api.json has only the list and the download",
    (
        "GET",
        "/files/trade-documents/{account_id}/{document_id}.pdf",
    ): "the pre-signed link a trade document's download redirects to (Alpaca's points at its file "
    "store): signed with the sandbox's secret, valid 15 minutes, served without credentials",
    ("GET", "/v2/iex"): "market-data stream (WebSocket), IEX feed: Alpaca documents its streams "
    "outside the OpenAPI documents",
    ("GET", "/v2/sip"): "market-data stream (WebSocket), SIP feed",
    ("GET", "/v2/delayed_sip"): "market-data stream (WebSocket), SIP feed 15 minutes delayed",
    ("GET", "/v2/test"): "market-data test stream (WebSocket): `FAKEPACA` at every hour",
    ("GET", "/v1beta3/crypto/us"): "crypto market-data stream (WebSocket)",
}
"""Routes under Alpaca's prefixes that neither document has, each with why it is served."""

CONTROL_ROUTES: Mapping[tuple[str, str], str] = {
    ("POST", "/sandbox/faults"): "add a fault rule",
    ("GET", "/sandbox/faults"): "list the fault rules",
    ("DELETE", "/sandbox/faults"): "clear the fault rules",
    ("DELETE", "/sandbox/faults/{rule_id}"): "remove one fault rule",
}
"""The sandbox's own control routes (not Alpaca's)."""


# ------------------------------------------------------------------------------ operations


@dataclass(frozen=True)
class Operation:
    """One operation of one document."""

    document: str
    method: str
    path: str
    tags: tuple[str, ...]
    operation_id: str
    summary: str

    @property
    def tag(self) -> str:
        """The first tag: the one the table shows and reason rules compare."""
        return self.tags[0] if self.tags else "(untagged)"


def documented_operations(document: str) -> list[Operation]:
    """Every operation of `openapi/<document>.json`, in the document's order."""
    spec = load_spec(document)
    out: list[Operation] = []
    for path, item in spec["paths"].items():
        for key, op in item.items():
            method = key.upper()
            if method not in HTTP_METHODS or not isinstance(op, dict):
                continue
            out.append(
                Operation(
                    document=document,
                    method=method,
                    path=path,
                    tags=tuple(str(t) for t in op.get("tags", ())),
                    operation_id=str(op.get("operationId", "")),
                    summary=str(op.get("summary", "")),
                )
            )
    return out


def all_operations() -> list[Operation]:
    return [op for document in DOCUMENTS for op in documented_operations(document)]


def path_key(path: str) -> tuple[str, ...]:
    """A path template's segments with every `{…}` parameter as `{}`."""
    return tuple(_PARAM.sub("{}", segment) for segment in path.strip("/").split("/"))


def sample_path(path: str) -> str:
    """A concrete path for a template: every `{…}` parameter becomes `x`."""
    return _PARAM.sub("x", path)


# ---------------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class SandboxRoute:
    """One route of the sandbox's router: its method and path template (aiohttp's canonical)."""

    method: str
    path: str

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        return self.method, path_key(self.path)


def build_app() -> web.Application:
    """The sandbox's app as `serve_sandbox` serves it (not started: only its router is read)."""
    config = SandboxConfig(key="conformance", secret="conformance", trades_per_second=0.0)
    return create_sandbox_app(Sandbox.build(config))


def sandbox_routes(app: web.Application) -> list[SandboxRoute]:
    """The app's routes in registration order; the HEAD twin aiohttp adds to a GET is left out."""
    found: list[SandboxRoute] = []
    for route in app.router.routes():
        if route.resource is None:
            continue
        found.append(SandboxRoute(route.method.upper(), route.resource.canonical))
    gets = {r.path for r in found if r.method == "GET"}
    return [r for r in found if not (r.method == "HEAD" and r.path in gets)]


async def _dispatch(app: web.Application, method: str, path: str) -> SandboxRoute | None:
    request = make_mocked_request(method, path, app=app)
    match = await app.router.resolve(request)
    route = match.route
    if match.http_exception is not None or route.resource is None:
        return None
    return SandboxRoute(route.method.upper(), route.resource.canonical)


def dispatched(app: web.Application, operations: Iterable[Operation]) -> dict[Operation, str]:
    """For each operation, the route the router hands a concrete request for it to (`x` for
    every path parameter), or "" when it answers 404/405 itself."""

    async def resolve_all() -> dict[Operation, str]:
        out: dict[Operation, str] = {}
        for op in operations:
            route = await _dispatch(app, op.method, sample_path(op.path))
            out[op] = "" if route is None else route.path
        return out

    return asyncio.run(resolve_all())


# --------------------------------------------------------------------------------- reasons


@dataclass(frozen=True)
class ReasonRule:
    """One `[[rule]]` of conformance_reasons.toml (its header says how rules match)."""

    index: int
    reason: str
    document: str | None = None
    tags: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()

    def matches(self, op: Operation) -> bool:
        if self.document is not None and op.document != self.document:
            return False
        if self.methods and op.method not in self.methods:
            return False
        key = path_key(op.path)
        return (
            op.tag in self.tags
            or any(key == path_key(p) for p in self.paths)
            or any(key[: len(path_key(p))] == path_key(p) for p in self.prefixes)
        )

    @property
    def label(self) -> str:
        return f"rule #{self.index + 1} ({self.reason[:50]}…)"


def _strings(raw: Mapping[str, Any], name: str, index: int) -> tuple[str, ...]:
    value = raw.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{REASONS_FILE.name}: rule #{index + 1}: {name} must list strings")
    return tuple(value)


def load_reasons(path: Path = REASONS_FILE) -> list[ReasonRule]:
    """The rules of `conformance_reasons.toml`, in order."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    allowed = {"reason", "document", "tags", "paths", "prefixes", "methods"}
    rules: list[ReasonRule] = []
    for index, raw in enumerate(data.get("rule", [])):
        unknown = set(raw) - allowed
        if unknown:
            raise ValueError(f"{path.name}: rule #{index + 1}: unknown keys {sorted(unknown)}")
        reason, document = raw.get("reason"), raw.get("document")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"{path.name}: rule #{index + 1}: reason is required")
        if document is not None and document not in DOCUMENTS:
            raise ValueError(f"{path.name}: rule #{index + 1}: unknown document {document!r}")
        rule = ReasonRule(
            index=index,
            reason=reason.strip(),
            document=document,
            tags=_strings(raw, "tags", index),
            paths=_strings(raw, "paths", index),
            prefixes=_strings(raw, "prefixes", index),
            methods=tuple(m.upper() for m in _strings(raw, "methods", index)),
        )
        if not (rule.tags or rule.paths or rule.prefixes):
            raise ValueError(f"{path.name}: rule #{index + 1}: needs tags, paths or prefixes")
        rules.append(rule)
    return rules


def reason_rule(op: Operation, rules: Sequence[ReasonRule]) -> ReasonRule | None:
    """The first rule that matches `op`."""
    return next((rule for rule in rules if rule.matches(op)), None)


# ------------------------------------------------------------------------------------ rows


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    operation: Operation
    served: bool
    reason: str
    """Why it is not served ("" when it is, or when no rule gives a reason)."""
    rule: ReasonRule | None
    dispatched_to: str
    """The route template a concrete request for it reaches ("" for the router's 404/405)."""

    @property
    def planned(self) -> bool:
        return self.reason.startswith(PLANNED)


_METHOD_ORDER = {m: i for i, m in enumerate(HTTP_METHODS)}


def _sort_key(row: Row) -> tuple[str, str, int]:
    op = row.operation
    return op.tag.lower(), op.path, _METHOD_ORDER[op.method]


@dataclass(frozen=True)
class Conformance:
    """The sandbox against both documents."""

    rows: tuple[Row, ...]
    routes: tuple[SandboxRoute, ...]

    def for_document(self, document: str) -> list[Row]:
        return sorted((r for r in self.rows if r.operation.document == document), key=_sort_key)

    def undocumented(self) -> list[SandboxRoute]:
        """Routes that match no operation of either document."""
        documented = {(op.method, path_key(op.path)) for op in (r.operation for r in self.rows)}
        return [r for r in self.routes if r.key not in documented]

    def caught(self) -> list[Row]:
        """Unserved operations whose requests a wider route (a `{…}` or `.+` one) answers."""
        return sorted((r for r in self.rows if not r.served and r.dispatched_to), key=_sort_key)


def conformance(
    app: web.Application | None = None, rules: Sequence[ReasonRule] | None = None
) -> Conformance:
    """Every operation of both documents against the sandbox's router and the reasons file."""
    app = build_app() if app is None else app
    rules = load_reasons() if rules is None else rules
    routes = sandbox_routes(app)
    served_keys = {r.key for r in routes}
    operations = all_operations()
    reached = dispatched(app, operations)
    rows: list[Row] = []
    for op in operations:
        served = (op.method, path_key(op.path)) in served_keys
        rule = None if served else reason_rule(op, rules)
        rows.append(
            Row(
                operation=op,
                served=served,
                reason="" if rule is None else rule.reason,
                rule=rule,
                dispatched_to=reached[op],
            )
        )
    return Conformance(rows=tuple(rows), routes=tuple(routes))


# -------------------------------------------------------------------------------- markdown


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(result: Conformance) -> str:
    """The Markdown between the markers (markers excluded), ending in a newline."""
    lines = [
        f"<!-- Generated by `{COMMAND}` from tests/sandbox/openapi/ and "
        "tests/sandbox/conformance_reasons.toml: edit those, not this table. -->",
        "",
        "| document | operations | served | not yet served (planned) | left out |",
        "|---|---:|---:|---:|---:|",
    ]
    for document in DOCUMENTS:
        rows = result.for_document(document)
        served = sum(r.served for r in rows)
        planned = sum(1 for r in rows if not r.served and r.planned)
        left_out = len(rows) - served - planned
        lines.append(f"| {TITLES[document]} | {len(rows)} | {served} | {planned} | {left_out} |")
    for document in DOCUMENTS:
        lines += [
            "",
            f"### {TITLES[document]}",
            "",
            "| tag | method | path | served | reason |",
            "|---|---|---|---|---|",
        ]
        for row in result.for_document(document):
            op = row.operation
            mark = "yes" if row.served else "no"
            reason = "" if row.served else _cell(row.reason or "(no reason given)")
            lines.append(f"| {_cell(op.tag)} | {op.method} | `{op.path}` | {mark} | {reason} |")
    lines += [
        "",
        "### Served, not in these documents",
        "",
        "| method | path | why |",
        "|---|---|---|",
    ]
    for route in result.undocumented():
        why = UNDOCUMENTED_ROUTES.get((route.method, route.path)) or CONTROL_ROUTES.get(
            (route.method, route.path), "(not listed)"
        )
        if (route.method, route.path) in CONTROL_ROUTES:
            why = f"the sandbox's own control route: {why}"
        lines.append(f"| {route.method} | `{route.path}` | {_cell(why)} |")
    caught = result.caught()
    if caught:
        lines += [
            "",
            "### Not served, but answered by a wider route",
            "",
            "A request for these reaches a route whose path parameter takes it in, so the "
            "answer is that route's error (`asset not found`, `account_id is not a valid "
            "UUID`) rather than the router's `endpoint not found`.",
            "",
            "| document | method | path | answered by |",
            "|---|---|---|---|",
        ]
        for row in caught:
            op = row.operation
            lines.append(f"| {op.document} | {op.method} | `{op.path}` | `{row.dispatched_to}` |")
    return "\n".join(lines) + "\n"


def replace_region(text: str, region: str) -> str:
    """`text` with everything between the markers replaced by `region`."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{DOC_PAGE.name} has no {START} … {END} region")
    return f"{text[: start + len(START)]}\n{region}{text[end:]}"


def current_region(text: str) -> str:
    """What the page holds between the markers (the form `render` produces)."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{DOC_PAGE.name} has no {START} … {END} region")
    return text[start + len(START) : end].removeprefix("\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.sandbox.conformance")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help=f"rewrite the table in {DOC_PAGE}")
    group.add_argument("--check", action="store_true", help="exit 1 if the page is out of date")
    args = parser.parse_args(argv)
    region = render(conformance())
    if args.write:
        page = DOC_PAGE.read_text(encoding="utf-8")
        DOC_PAGE.write_text(replace_region(page, region), encoding="utf-8")
        print(f"wrote {DOC_PAGE.relative_to(REPO_ROOT)}")
        return 0
    if args.check:
        if current_region(DOC_PAGE.read_text(encoding="utf-8")) != region:
            print(f"{DOC_PAGE.relative_to(REPO_ROOT)} is out of date: run `{COMMAND}`")
            return 1
        return 0
    sys.stdout.write(region)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
