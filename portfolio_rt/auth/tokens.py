"""Identities, tokens and account ownership.

The account a request may read is the one its token names, never one the request names.
Tokens are JWTs: HS256 signed with `PORTFOLIO_RT_SECRET` (logins, script tokens), or
RS256/ES256 from the host app's identity provider, checked with its public key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import jwt

from ..config import AuthSettings, ConfigError
from ..core.errors import Forbidden, Unauthorized

READ = "read"
WRITE = "write"
ALL_SCOPES = frozenset({READ, WRITE})

_LEEWAY_S = 30


@dataclass(frozen=True)
class Identity:
    """Who is calling and which single Alpaca account they own."""

    account_id: UUID
    subject: str
    scopes: frozenset[str]
    via: Literal["bearer", "cookie", "message"]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"This token may not {scope}; it is limited to {sorted(self.scopes)}.")


class TokenService:
    """Mints and verifies bearer tokens; anything else than the configured algorithm is 401."""

    def __init__(self, settings: AuthSettings, secret: str) -> None:
        self.settings = settings
        self.algorithm = settings.algorithm
        self._secret = secret
        self._revoked: dict[str, float] = {}
        if self.algorithm == "HS256":
            if len(secret) < 32:
                raise ConfigError(
                    "auth: PORTFOLIO_RT_SECRET must be set to at least 32 characters for HS256"
                )
            self._verify_key: Any = secret
        else:
            if not settings.public_key_file:
                raise ConfigError(f"auth.public_key_file: required for {self.algorithm} tokens")
            try:
                self._verify_key = Path(settings.public_key_file).read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"auth.public_key_file: cannot read: {exc.strerror}") from None

    @property
    def can_mint(self) -> bool:
        """Only HS256 tokens are made here; RS256/ES256 come from the identity provider."""
        return self.algorithm == "HS256"

    def mint(
        self,
        *,
        account_id: UUID,
        subject: str,
        scopes: frozenset[str],
        ttl_s: int,
        now: float | None = None,
    ) -> tuple[str, datetime]:
        if not self.can_mint:
            raise ConfigError("auth: tokens are issued by the identity provider, not here")
        issued = int(now if now is not None else time.time())
        expires = issued + ttl_s
        claims = {
            "sub": subject,
            "iss": self.settings.issuer,
            "aud": self.settings.audience,
            "iat": issued,
            "nbf": issued,
            "exp": expires,
            "jti": secrets.token_hex(8),
            "scope": " ".join(sorted(scopes)),
            self.settings.account_claim: str(account_id),
        }
        token = jwt.encode(claims, self._secret, algorithm="HS256")
        return token, datetime.fromtimestamp(expires, UTC)

    def revoke(self, token: str) -> tuple[str, float] | None:
        """End a session before it expires (logout); remembered until the token's expiry.

        Returns the token's id and expiry (for other instances to remember too), or None for a
        token that is not valid anyway."""
        try:
            claims = self._decode(token)
        except jwt.PyJWTError:
            return None
        if "jti" not in claims:
            return None
        revoked = str(claims["jti"]), float(claims.get("exp", time.time() + 86400))
        self.remember(*revoked)
        return revoked

    def remember(self, token_id: str, expires_at: float) -> None:
        """Refuse the token `token_id` until `expires_at` (a logout here or elsewhere)."""
        now = time.time()
        if expires_at <= now:
            return
        if len(self._revoked) % 256 == 0:  # now and then, forget tokens that expired anyway
            self._revoked = {j: exp for j, exp in self._revoked.items() if exp > now}
        self._revoked[token_id] = expires_at

    def verify(self, token: str, via: Literal["bearer", "cookie", "message"]) -> Identity:
        try:
            claims = self._decode(token)
        except jwt.ExpiredSignatureError:
            raise Unauthorized("Your session has expired; please log in again.") from None
        except jwt.PyJWTError:
            raise Unauthorized("The token is not valid.") from None
        if str(claims.get("jti", "")) in self._revoked:
            raise Unauthorized("This session has ended; please log in again.")
        return self._identity(claims, via)

    def _decode(self, token: str) -> dict[str, Any]:
        """Signature, algorithm, expiry, issuer and audience checked; raises PyJWTError."""
        claims: dict[str, Any] = jwt.decode(
            token,
            self._verify_key,
            algorithms=[self.algorithm],
            audience=self.settings.audience,
            issuer=self.settings.issuer,
            leeway=_LEEWAY_S,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
        return claims

    def _identity(
        self, claims: Mapping[str, Any], via: Literal["bearer", "cookie", "message"]
    ) -> Identity:
        raw_account = claims.get(self.settings.account_claim)
        try:
            account_id = UUID(str(raw_account))
        except ValueError:
            raise Unauthorized("The token names no Alpaca account.") from None
        scope_claim = claims.get("scope")
        scopes = (
            frozenset(str(scope_claim).split()) & ALL_SCOPES
            if scope_claim is not None
            else frozenset({READ})
        )
        return Identity(account_id, str(claims["sub"]), scopes, via)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """scrypt, as `scrypt$<salt hex>$<hash hex>`; the plain password is never kept."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    salt = bytes.fromhex(salt_hex)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return hmac.compare_digest(digest.hex(), digest_hex)


@dataclass(frozen=True)
class DemoUser:
    username: str
    account_id: UUID
    password_hash: str


class UserDirectory:
    """The demo users who may log in with a password (sandbox mode, or when configured)."""

    def __init__(self, users: Mapping[str, DemoUser]) -> None:
        self._users = dict(users)
        # A hash to check against when the name is unknown, so timing does not reveal names.
        self._decoy = hash_password(secrets.token_hex(8))

    @classmethod
    def demo(cls, accounts: Mapping[str, UUID], password: str = "demo") -> UserDirectory:  # noqa: S107 - the documented demo password
        hashed = hash_password(password)
        return cls({name: DemoUser(name, acct, hashed) for name, acct in accounts.items()})

    def __len__(self) -> int:
        return len(self._users)

    def authenticate(self, username: str, password: str) -> DemoUser | None:
        user = self._users.get(username.strip().lower())
        ok = check_password(password, user.password_hash if user else self._decoy)
        return user if user is not None and ok else None


class LoginThrottle:
    """Counts failed logins per username and per client address in a sliding window;
    past the limit, further attempts are refused (429) until the window has passed."""

    MAX_TRACKED = 10_000

    def __init__(self, max_failures: int, window_s: float, clock: Any = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, list[float]] = {}

    def retry_after_s(self, *keys: str) -> float:
        """Seconds until `keys` may try again (0 when allowed now)."""
        now = self._clock()
        wait = 0.0
        for key in keys:
            recent = self._recent(key, now)
            if len(recent) >= self.max_failures:
                wait = max(wait, recent[-self.max_failures] + self.window_s - now)
        return wait

    def failed(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            self._failures[key] = [*self._recent(key, now), now]
        if len(self._failures) > self.MAX_TRACKED:
            for key in [k for k in self._failures if not self._recent(k, now)]:
                del self._failures[key]

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> list[float]:
        return [t for t in self._failures.get(key, ()) if now - t < self.window_s]
