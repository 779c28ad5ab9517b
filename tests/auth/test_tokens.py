"""Tokens: forged, expired, edited and alg-none tokens fail; scopes and revocation hold."""

from __future__ import annotations

import base64
import json
import time
from uuid import UUID, uuid4

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from portfolio_rt.auth.tokens import READ, WRITE, TokenService
from portfolio_rt.config import AuthSettings, ConfigError
from portfolio_rt.core.errors import Forbidden, Unauthorized

SECRET = "s" * 48
ACCOUNT = UUID("2a87c088-ffb6-472b-a4a3-cd9305c8605c")


@pytest.fixture
def tokens() -> TokenService:
    return TokenService(AuthSettings(), SECRET)


def mint(tokens: TokenService, **kw: object) -> str:
    args: dict[str, object] = {
        "account_id": ACCOUNT,
        "subject": "demo:maya",
        "scopes": frozenset({READ, WRITE}),
        "ttl_s": 600,
    }
    token, _ = tokens.mint(**(args | kw))  # type: ignore[arg-type]
    return token


def test_minted_token_verifies_to_its_account(tokens: TokenService) -> None:
    identity = tokens.verify(mint(tokens), "bearer")
    assert identity.account_id == ACCOUNT
    assert identity.scopes == {READ, WRITE}


def test_expired_token_is_rejected(tokens: TokenService) -> None:
    token = mint(tokens, now=time.time() - 7200, ttl_s=600)
    with pytest.raises(Unauthorized, match="expired"):
        tokens.verify(token, "bearer")


def test_token_signed_with_another_secret_is_rejected(tokens: TokenService) -> None:
    forged = mint(TokenService(AuthSettings(), "x" * 48))
    with pytest.raises(Unauthorized):
        tokens.verify(forged, "bearer")


def _edit_payload(token: str, **changes: object) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{edited}.{signature}"


def test_edited_token_is_rejected(tokens: TokenService) -> None:
    edited = _edit_payload(mint(tokens), account_id=str(uuid4()))
    with pytest.raises(Unauthorized):
        tokens.verify(edited, "bearer")


def test_alg_none_token_is_rejected(tokens: TokenService) -> None:
    claims = jwt.decode(mint(tokens), options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(Unauthorized):
        tokens.verify(unsigned, "bearer")


def test_wrong_audience_or_issuer_is_rejected(tokens: TokenService) -> None:
    other = TokenService(AuthSettings(audience="someone-else"), SECRET)
    with pytest.raises(Unauthorized):
        tokens.verify(mint(other), "bearer")
    other = TokenService(AuthSettings(issuer="elsewhere"), SECRET)
    with pytest.raises(Unauthorized):
        tokens.verify(mint(other), "bearer")


def test_token_without_account_claim_is_rejected(tokens: TokenService) -> None:
    now = int(time.time())
    claims = {"sub": "x", "iss": "portfolio_rt", "aud": "portfolio_rt", "iat": now, "exp": now + 60}
    with pytest.raises(Unauthorized, match="account"):
        tokens.verify(jwt.encode(claims, SECRET, algorithm="HS256"), "bearer")


def test_revoked_token_is_rejected(tokens: TokenService) -> None:
    token = mint(tokens)
    tokens.revoke(token)
    with pytest.raises(Unauthorized, match="ended"):
        tokens.verify(token, "cookie")


def test_read_only_identity_cannot_write(tokens: TokenService) -> None:
    identity = tokens.verify(mint(tokens, scopes=frozenset({READ})), "bearer")
    identity.require(READ)
    with pytest.raises(Forbidden):
        identity.require(WRITE)


def test_short_hs256_secret_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="PORTFOLIO_RT_SECRET"):
        TokenService(AuthSettings(), "short")


def test_es256_tokens_from_an_identity_provider(tmp_path) -> None:  # type: ignore[no-untyped-def]
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_file = tmp_path / "idp.pem"
    key_file.write_bytes(pem)
    settings = AuthSettings(
        algorithm="ES256", public_key_file=str(key_file), account_claim="alpaca_account"
    )
    tokens = TokenService(settings, "")
    now = int(time.time())
    claims = {
        "sub": "user-1",
        "iss": "portfolio_rt",
        "aud": "portfolio_rt",
        "iat": now,
        "exp": now + 60,
        "alpaca_account": str(ACCOUNT),
    }
    good = jwt.encode(claims, private, algorithm="ES256")
    assert tokens.verify(good, "bearer").account_id == ACCOUNT
    assert tokens.verify(good, "bearer").scopes == {READ}
    hs = jwt.encode(claims, "k" * 48, algorithm="HS256")  # algorithm confusion
    with pytest.raises(Unauthorized):
        tokens.verify(hs, "bearer")
