"""US bank details: routing-number check digits and masking for display and logs."""

from __future__ import annotations

import re

# ASCII digits only: `\d` would also take other scripts' digits, which int() reads.
_ROUTING = re.compile(r"[0-9]{9}")
_ACCOUNT = re.compile(r"[0-9]{4,17}")


def aba_checksum_ok(routing_number: str) -> bool:
    """The ABA routing-number check: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10)."""
    if not _ROUTING.fullmatch(routing_number):
        return False
    d = [int(c) for c in routing_number]
    total = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
    return total % 10 == 0


def account_number_ok(account_number: str) -> bool:
    """US bank account numbers are 4 to 17 digits."""
    return bool(_ACCOUNT.fullmatch(account_number))


def mask(number: str) -> str:
    """Only the last four digits are ever shown: '••••6789'."""
    return "••••" + number[-4:] if len(number) > 4 else "••••"
