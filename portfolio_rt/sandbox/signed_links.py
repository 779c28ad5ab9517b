"""Pre-signed download links, as Alpaca's document downloads redirect to: a path with an expiry
time and an HMAC of both, keyed by the sandbox's secret. Whoever has the link may fetch the
file without credentials until it expires; changing the path or the expiry breaks it."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

LINK_LIFETIME = timedelta(minutes=15)


def _signature(secret: str, path: str, expires: int) -> str:
    message = f"{path}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, path: str, now: datetime) -> dict[str, str]:
    """The query that makes `path` a link valid for `LINK_LIFETIME` from `now`."""
    expires = int((now + LINK_LIFETIME).timestamp())
    return {"expires": str(expires), "signature": _signature(secret, path, expires)}


def valid(
    secret: str, path: str, expires: str | None, signature: str | None, now: datetime
) -> bool:
    """Whether the link's signature matches and it has not expired."""
    if expires is None or signature is None or not expires.isdigit() or len(expires) > 12:
        return False
    expected = _signature(secret, path, int(expires))
    return hmac.compare_digest(expected, signature) and now.timestamp() <= int(expires)
