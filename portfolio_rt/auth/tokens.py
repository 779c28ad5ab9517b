"""Identities and tokens: who a request is, and the one account it may read.

The account a request may read is the one its token names, never one the request names.
Tokens are JWTs: HS256 signed with `PORTFOLIO_RT_SECRET` (logins, script tokens), or
RS256/ES256 from the host app's identity provider, checked with its public key.
"""

from __future__ import annotations

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
