"""Tokens: forged, expired, edited and alg-none tokens fail; every token has an id and a capped
lifetime; scopes, logouts and "log out everywhere" hold."""

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

SECRET = "Uc12c_xLkmiw2NQSmgnCmwAc9LJ56BeR0hbG2g7aWUL1ZOKN"
OTHER_SECRET = "e7xq5VSwd5HeuQrhPsQoor8rbkMQDtKdw700A588skPAKnVb"
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
    forged = mint(TokenService(AuthSettings(), OTHER_SECRET))
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
    claims = {
        "sub": "x",
        "iss": "portfolio_rt",
        "aud": "portfolio_rt",
        "iat": now,
        "exp": now + 60,
        "jti": "t1",
    }
    with pytest.raises(Unauthorized, match="account"):
        tokens.verify(jwt.encode(claims, SECRET, algorithm="HS256"), "bearer")


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
        "jti": "idp-token-1",
        "alpaca_account": str(ACCOUNT),
    }
    good = jwt.encode(claims, private, algorithm="ES256")
    assert tokens.verify(good, "bearer").account_id == ACCOUNT
    assert tokens.verify(good, "bearer").scopes == {READ}
    hs = jwt.encode(claims, OTHER_SECRET, algorithm="HS256")  # algorithm confusion
    with pytest.raises(Unauthorized):
        tokens.verify(hs, "bearer")


def _signed(**claims: object) -> str:
    now = int(time.time())
    base: dict[str, object] = {
        "sub": "script",
        "iss": "portfolio_rt",
        "aud": "portfolio_rt",
        "iat": now,
        "exp": now + 600,
        "jti": "a-token-id",
        "account_id": str(ACCOUNT),
    }
    return jwt.encode({k: v for k, v in (base | claims).items() if v is not None}, SECRET)


def test_a_token_without_an_id_is_rejected(tokens: TokenService) -> None:
    """Without `jti` a logout could not end it, so it is no session at all."""
    assert tokens.verify(_signed(), "bearer").token_id == "a-token-id"
    with pytest.raises(Unauthorized):
        tokens.verify(_signed(jti=None), "bearer")
    with pytest.raises(Unauthorized):
        tokens.verify(_signed(jti=12345), "bearer")


def test_a_token_that_lives_longer_than_the_cap_is_rejected() -> None:
    tokens = TokenService(AuthSettings(max_token_ttl_s=86400, token_ttl_s=3600), SECRET)
    now = int(time.time())
    assert tokens.verify(_signed(exp=now + 86400), "bearer")
    with pytest.raises(Unauthorized, match="lives longer"):
        tokens.verify(_signed(exp=now + 86401), "bearer")
    with pytest.raises(ValueError, match="at most 1 days"):
        tokens.mint(account_id=ACCOUNT, subject="s", scopes=frozenset({READ}), ttl_s=86401)


def test_a_login_lifetime_above_the_cap_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="token_ttl_s"):
        TokenService(AuthSettings(max_token_ttl_s=3600, token_ttl_s=7200), SECRET)


def test_a_logout_ends_only_that_token(tokens: TokenService) -> None:
    first, second = mint(tokens), mint(tokens)
    end = tokens.revoke(first)
    assert end is not None
    assert end.kind == "token"
    with pytest.raises(Unauthorized, match="ended"):
        tokens.verify(first, "bearer")
    assert tokens.verify(second, "bearer").account_id == ACCOUNT
    assert tokens.revoke("not-a-token") is None


def test_log_out_everywhere_ends_every_earlier_token_of_the_account_only(
    tokens: TokenService,
) -> None:
    other_account = uuid4()
    mine = [mint(tokens), mint(tokens, scopes=frozenset({READ}))]
    theirs = mint(tokens, account_id=other_account)
    tokens.end_everywhere(ACCOUNT)
    for token in mine:
        with pytest.raises(Unauthorized, match="ended"):
            tokens.verify(token, "bearer")
    assert tokens.verify(theirs, "bearer").account_id == other_account
    # A login right after it (even within the same second) is a new session that works.
    fresh = mint(tokens)
    assert tokens.verify(fresh, "bearer").account_id == ACCOUNT


def test_tokens_issued_before_a_start_that_forgot_logouts_are_rejected(
    tokens: TokenService,
) -> None:
    before = mint(tokens)
    tokens.revocations.end_all_before(time.time())
    with pytest.raises(Unauthorized, match="ended"):
        tokens.verify(before, "bearer")
    assert tokens.verify(mint(tokens), "bearer").account_id == ACCOUNT
