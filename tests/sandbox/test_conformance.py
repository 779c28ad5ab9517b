"""The conformance table in docs/sandbox.md: up to date, a reason for every operation the sandbox
does not serve, no route outside Alpaca's documents unlisted, and no served route lost.

The table and its rules are in `tests/sandbox/conformance.py` and `conformance_reasons.toml`.
"""

from __future__ import annotations

import difflib

import pytest

from .conformance import (
    COMMAND,
    CONTROL_ROUTES,
    DOC_PAGE,
    PLANNED,
    REASONS_FILE,
    UNDOCUMENTED_ROUTES,
    Conformance,
    Row,
    conformance,
    current_region,
    load_reasons,
    path_key,
    render,
)

# What the sandbox served when the table was written; unmounting a route group fails here.
SERVED_AT_LEAST = {"broker-api": 33, "market-data-api": 15}

# Inside the page's scope: an unserved operation here must say "not yet served (planned)".
# (document, method or None for any, path prefix; `{}` stands for any path parameter)
IN_SCOPE = [
    ("broker-api", None, "/v1/journals"),
    ("broker-api", "DELETE", "/v1/trading/accounts/{}/positions"),
    ("broker-api", None, "/v1/trading/accounts/{}/watchlists"),
    ("broker-api", None, "/v1/trading/accounts/{}/account/configurations"),
    ("broker-api", "GET", "/v1/accounts/{}/documents/{}"),  # trade documents (not w8ben/...)
    ("broker-api", None, "/v1/accounts/{}/recipient_banks"),
    ("market-data-api", None, "/v2/stocks"),
    ("market-data-api", None, "/v1beta3/crypto"),
    ("market-data-api", None, "/v1beta1/news"),
]
TRADE_DOCUMENTS = ("broker-api", "GET", path_key("/v1/accounts/{}/documents"))


@pytest.fixture(scope="module")
def result() -> Conformance:
    return conformance()


def _name(row: Row) -> str:
    op = row.operation
    return f"{op.document}: {op.method} {op.path} [{op.tag}] {op.operation_id}"


def test_the_page_shows_what_the_generator_produces(result: Conformance) -> None:
    page = current_region(DOC_PAGE.read_text(encoding="utf-8"))
    expected = render(result)
    if page != expected:
        diff = difflib.unified_diff(
            page.splitlines(), expected.splitlines(), "docs/sandbox.md", "generated", lineterm=""
        )
        shown = "\n".join(list(diff)[:60])
        pytest.fail(f"docs/sandbox.md's conformance table is out of date: run `{COMMAND}`\n{shown}")


def test_every_unserved_operation_has_a_reason(result: Conformance) -> None:
    missing = [_name(row) for row in result.rows if not row.served and not row.reason]
    assert not missing, (
        f"no reason for {len(missing)} unserved operation(s); add a rule to "
        f"{REASONS_FILE.name}, then run `{COMMAND}`:\n  " + "\n  ".join(missing)
    )


def test_every_reason_rule_is_used(result: Conformance) -> None:
    used = {row.rule.index for row in result.rows if row.rule is not None}
    unused = [rule.label for rule in load_reasons() if rule.index not in used]
    assert not unused, f"{REASONS_FILE.name} rules that match no unserved operation: {unused}"


def test_gaps_inside_the_page_scope_say_planned(result: Conformance) -> None:
    def in_scope(row: Row) -> bool:
        op = row.operation
        key = path_key(op.path)
        if (op.document, op.method, key) == TRADE_DOCUMENTS:
            return True
        return any(
            op.document == document
            and method in (None, op.method)
            and key[: len(path_key(prefix))] == path_key(prefix)
            for document, method, prefix in IN_SCOPE
        )

    wrong = [
        f"{_name(row)}: {row.reason!r}"
        for row in result.rows
        if not row.served and in_scope(row) and not row.reason.startswith(PLANNED)
    ]
    assert not wrong, f"in the page's scope, so the reason must start {PLANNED!r}:\n  " + (
        "\n  ".join(wrong)
    )


def test_routes_outside_the_documents_are_listed(result: Conformance) -> None:
    undocumented = {(route.method, route.path) for route in result.undocumented()}
    listed = set(UNDOCUMENTED_ROUTES) | set(CONTROL_ROUTES)
    unlisted = sorted(undocumented - listed)
    assert not unlisted, (
        "the sandbox serves routes that neither Alpaca document has; list each in "
        f"conformance.UNDOCUMENTED_ROUTES with why (or CONTROL_ROUTES if it is the sandbox's "
        f"own), then run `{COMMAND}`: {unlisted}"
    )
    stale = sorted(listed - undocumented)
    assert not stale, f"listed as undocumented but not served, or now documented: {stale}"
    assert all(path.startswith("/sandbox/") or path == "/sandbox" for _, path in CONTROL_ROUTES)
    assert not any(path.startswith("/sandbox") for _, path in UNDOCUMENTED_ROUTES)


def test_served_operations_reach_their_own_route(result: Conformance) -> None:
    """A served template is no use if a wider route registered before it takes its requests."""
    shadowed = [
        f"{_name(row)} -> {row.dispatched_to or 'router 404/405'}"
        for row in result.rows
        if row.served and path_key(row.dispatched_to) != path_key(row.operation.path)
    ]
    assert not shadowed, "served routes the router never reaches:\n  " + "\n  ".join(shadowed)


@pytest.mark.parametrize("document", sorted(SERVED_AT_LEAST))
def test_served_count_does_not_drop(result: Conformance, document: str) -> None:
    rows = result.for_document(document)
    served = sum(row.served for row in rows)
    assert served >= SERVED_AT_LEAST[document], (
        f"{document}: the sandbox serves {served} of {len(rows)} operations, fewer than "
        f"{SERVED_AT_LEAST[document]}: was a route group unmounted?"
    )
