"""The live socket's close codes beyond RFC 6455's, each mirroring an HTTP status."""

from __future__ import annotations

UNAUTHORIZED = 4401
"""No valid credentials, or the session ended (logout, "log out everywhere") or expired."""
FORBIDDEN = 4403
"""The account in the path is not the caller's."""
AUTH_TIMEOUT = 4408
"""No auth message arrived within `realtime.auth_timeout_s`."""
TOO_MANY = 4429
"""The account already has `realtime.max_sockets_per_account` sockets open here."""
