"""Identities and tokens: who a request is, and the one account it may read.

The account a request may read is the one its token names, never one the request names.
Tokens are JWTs: HS256 signed with `PORTFOLIO_RT_SECRET` (logins, script tokens), or
RS256/ES256 from the host app's identity provider, checked with its public key. Every token
must carry an id (`jti`, so a logout can end it) and live no longer than
`auth.max_token_ttl_s`; a token that was logged out, or issued before its account's "log out
everywhere", is refused (`Revocations`).
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import jwt

from ..config import AuthSettings, ConfigError
from ..core.errors import Forbidden, Unauthorized
from .revocations import Revocations, SessionEnd
from .secret_strength import MIN_SECRET_BITS, estimated_bits

READ = "read"
WRITE = "write"
ALL_SCOPES = frozenset({READ, WRITE})

_LEEWAY_S = 30
VERIFIED_KEPT = 10_000
"""Verified tokens remembered (the oldest go first)."""


@dataclass(frozen=True)
class Identity:
    """Who is calling and which single Alpaca account they own."""

    account_id: UUID
    subject: str
    scopes: frozenset[str]
    via: Literal["bearer", "cookie", "message"]
    token_id: str = ""
    issued_at: float = 0.0
    expires_at: float = 0.0

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"This token may not {scope}; it is limited to {sorted(self.scopes)}.")


class TokenService:
    """Mints and verifies bearer tokens; anything else than the configured algorithm is 401."""

    def __init__(
        self, settings: AuthSettings, secret: str, revocations: Revocations | None = None
    ) -> None:
        self.settings = settings
        self.algorithm = settings.algorithm
        self._secret = secret
        self.revocations = revocations or Revocations()
        self._verified: OrderedDict[tuple[str, str], Identity] = OrderedDict()
        if settings.token_ttl_s > settings.max_token_ttl_s:
            raise ConfigError(
                f"auth.token_ttl_s: must be at most auth.max_token_ttl_s "
                f"({settings.max_token_ttl_s}); got {settings.token_ttl_s}"
            )
        if self.algorithm == "HS256":
            check_secret(secret)
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
        if ttl_s > self.settings.max_token_ttl_s:
            raise ValueError(
                f"a token may live at most {_days(self.settings.max_token_ttl_s)} "
                f"(auth.max_token_ttl_s); asked for {_days(ttl_s)}"
            )
        # `iat` keeps its fraction: a token made the instant after a "log out everywhere"
        # must not count as issued before it. Never earlier than that moment either (a clock
        # stepped back).
        issued = max(
            now if now is not None else time.time(),
            self.revocations.not_before(str(account_id)) + 0.001,
        )
        expires = int(issued) + ttl_s
        claims = {
            "sub": subject,
            "iss": self.settings.issuer,
            "aud": self.settings.audience,
            "iat": issued,
            "nbf": int(issued),
            "exp": expires,
            "jti": secrets.token_hex(8),
            "scope": " ".join(sorted(scopes)),
            self.settings.account_claim: str(account_id),
        }
        token = jwt.encode(claims, self._secret, algorithm="HS256")
        return token, datetime.fromtimestamp(expires, UTC)

    def revoke(self, token: str) -> SessionEnd | None:
        """End one session before it expires (logout); remembered until the token's expiry.

        Returns the end (for other instances and restarts to remember too), or None for a
        token that is not valid anyway."""
        try:
            identity = self.verify(token, "bearer")
        except Unauthorized:
            return None
        return self.revocations.end_token(identity.token_id, identity.expires_at + _LEEWAY_S)

    def end_everywhere(self, account_id: UUID) -> SessionEnd:
        """End every session of the account issued so far ("log out everywhere")."""
        return self.revocations.end_account(
            str(account_id), self.settings.max_token_ttl_s + _LEEWAY_S
        )

    def verify(self, token: str, via: Literal["bearer", "cookie", "message"]) -> Identity:
        """The token's identity, or 401. A token verified once is remembered (until it
        expires, `VERIFIED_KEPT` at most): its signature cannot change, and decoding it again
        on every request was a fifth of a warm request's time. Expiry and ended sessions are
        checked every time."""
        key = (token, via)
        known = self._verified.get(key)
        if known is not None:
            if time.time() < known.expires_at + _LEEWAY_S:
                if self.revocations.ended(known.token_id, str(known.account_id), known.issued_at):
                    raise Unauthorized("This session has ended; please log in again.")
                return known
            del self._verified[key]
        identity = self._verify(token, via)
        self._verified[key] = identity
        if len(self._verified) > VERIFIED_KEPT:
            self._verified.popitem(last=False)
        return identity

    def _verify(self, token: str, via: Literal["bearer", "cookie", "message"]) -> Identity:
        try:
            claims = self._decode(token)
        except jwt.ExpiredSignatureError:
            raise Unauthorized("Your session has expired; please log in again.") from None
        except jwt.PyJWTError:
            raise Unauthorized("The token is not valid.") from None
        identity = self._identity(claims, via)
        lifetime = identity.expires_at - identity.issued_at
        if lifetime > self.settings.max_token_ttl_s:
            raise Unauthorized(
                f"This token lives longer than the {_days(self.settings.max_token_ttl_s)} "
                "this service accepts; ask for a new one."
            )
        if self.revocations.ended(identity.token_id, str(identity.account_id), identity.issued_at):
            raise Unauthorized("This session has ended; please log in again.")
        return identity

    def _decode(self, token: str) -> dict[str, Any]:
        """Signature, algorithm, expiry, issuer, audience and an id checked; raises
        PyJWTError."""
        claims: dict[str, Any] = jwt.decode(
            token,
            self._verify_key,
            algorithms=[self.algorithm],
            audience=self.settings.audience,
            issuer=self.settings.issuer,
            leeway=_LEEWAY_S,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
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
        token_id = claims["jti"]
        if not isinstance(token_id, str) or not 1 <= len(token_id) <= 256:
            raise Unauthorized("The token is not valid.")
        try:
            issued_at, expires_at = float(claims["iat"]), float(claims["exp"])
        except (TypeError, ValueError):
            raise Unauthorized("The token is not valid.") from None
        return Identity(
            account_id, str(claims["sub"]), scopes, via, token_id, issued_at, expires_at
        )


def check_secret(secret: str) -> None:
    """Refuse a signing secret that is short or guessable (one letter repeated, a sequence, a
    repeated word): anyone who guesses it can sign tokens for every account."""
    advice = "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
    if len(secret) < 32:
        raise ConfigError(f"PORTFOLIO_RT_SECRET: must be at least 32 characters; {advice}")
    bits = estimated_bits(secret)
    if bits < MIN_SECRET_BITS:
        raise ConfigError(
            f"PORTFOLIO_RT_SECRET: too easy to guess (about {bits:.0f} bits of randomness; "
            f"{MIN_SECRET_BITS} needed); {advice}"
        )


def _days(seconds: float) -> str:
    days = seconds / 86400
    return f"{days:g} days" if days >= 1 else f"{seconds:g} s"
