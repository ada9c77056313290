"""Token and password checks (RFC 8725): what must be refused is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from common.auth import (
    ACCESS,
    REFRESH,
    SERVICE,
    Identity,
    create_access_token,
    create_refresh_token,
    create_service_token,
    decode_token,
    hash_password,
    identity_from_claims,
    verify_password,
)
from common.errors import Unauthorized
from common.settings import Settings, get_settings

IDENTITY = Identity(user_id=uuid.uuid4(), organization_id=uuid.uuid4(), role="owner")


def test_password_hash_is_argon2id_and_verifies() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in hashed
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "wrong")
    assert not verify_password("not-a-hash", "wrong")


def test_access_token_round_trip() -> None:
    claims = decode_token(create_access_token(IDENTITY), ACCESS)
    assert identity_from_claims(claims) == IDENTITY


def _forge(payload: dict[str, object], secret: str, alg: str = "HS256", typ: str = ACCESS) -> str:
    return jwt.encode(payload, secret, algorithm=alg, headers={"typ": typ})


def _claims(**overrides: object) -> dict[str, object]:
    s = get_settings()
    base: dict[str, object] = {
        **IDENTITY.claims(),
        "iss": s.jwt_issuer,
        "aud": s.jwt_audience,
        "exp": datetime.now(UTC) + timedelta(minutes=5),
    }
    base.update(overrides)
    return base


def test_unsigned_token_is_refused() -> None:
    token = jwt.encode(_claims(), key=None, algorithm="none", headers={"typ": ACCESS})  # type: ignore[arg-type]
    with pytest.raises(Unauthorized):
        decode_token(token, ACCESS)


def test_other_algorithm_is_refused() -> None:
    with pytest.raises(Unauthorized):
        decode_token(_forge(_claims(), get_settings().jwt_secret, alg="HS512"), ACCESS)


def test_expired_token_is_refused_with_reason() -> None:
    token = _forge(_claims(exp=datetime.now(UTC) - timedelta(seconds=1)), get_settings().jwt_secret)
    with pytest.raises(Unauthorized, match="expired"):
        decode_token(token, ACCESS)


@pytest.mark.parametrize("field, value", [("aud", "someone-else"), ("iss", "evil-issuer")])
def test_wrong_audience_or_issuer_is_refused(field: str, value: str) -> None:
    with pytest.raises(Unauthorized):
        decode_token(_forge(_claims(**{field: value}), get_settings().jwt_secret), ACCESS)


def test_wrong_signature_is_refused() -> None:
    with pytest.raises(Unauthorized):
        decode_token(_forge(_claims(), "another-secret-of-enough-length-000000"), ACCESS)


def test_refresh_token_is_not_an_access_token() -> None:
    token = create_refresh_token(IDENTITY, uuid.uuid4(), uuid.uuid4())
    with pytest.raises(Unauthorized):
        decode_token(token, ACCESS)
    assert decode_token(token, REFRESH)["sub"] == str(IDENTITY.user_id)


def test_service_token_needs_the_service_secret() -> None:
    assert decode_token(create_service_token(IDENTITY), SERVICE)["org"] == str(IDENTITY.organization_id)
    forged = _forge(_claims(aud=get_settings().service_audience), get_settings().jwt_secret, typ=SERVICE)
    with pytest.raises(Unauthorized):
        decode_token(forged, SERVICE)


def test_production_refuses_default_secrets() -> None:
    with pytest.raises(ValueError, match="JWT_SECRET"):
        Settings(app_env="production")
    ok = Settings(app_env="production", jwt_secret="x" * 40, service_token_secret="y" * 40, pii_key="z" * 40)
    assert ok.app_env == "production"


def test_verified_tokens_are_kept_briefly_never_past_exp_and_bounded() -> None:
    from common.auth import VerifiedTokens

    tokens = VerifiedTokens(ttl_s=5.0, max_entries=2)
    tokens.put("a", IDENTITY, token_exp=1000.0, now=0.0)
    assert tokens.get("a", now=4.9) == IDENTITY
    assert tokens.get("a", now=5.0) is None  # ttl over
    tokens.put("b", IDENTITY, token_exp=2.0, now=0.0)
    assert tokens.get("b", now=1.9) == IDENTITY and tokens.get("b", now=2.0) is None  # exp first
    for name in ("c", "d", "e"):
        tokens.put(name, IDENTITY, token_exp=1000.0, now=0.0)
    assert [tokens.get(name, now=1.0) for name in ("c", "d", "e")] == [None, IDENTITY, IDENTITY]
    assert tokens.get("never stored", now=0.0) is None
