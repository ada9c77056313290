"""Password hashing and token checks shared by the gateway and every service.

Ref: RFC 8725 (JWT best current practices): one pinned algorithm, and `iss`, `aud`, `typ`, `exp`
checked on every token.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request

from common.errors import Forbidden, Unauthorized
from common.settings import Settings, get_settings

ALGORITHM = "HS256"
ACCESS = "access"
REFRESH = "refresh"
SERVICE = "service"

# OWASP password storage cheat sheet, argon2id minimum: m=19 MiB, t=2, p=1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Identity:
    """Who is calling: verified from a token, never taken from client-sent fields."""

    user_id: uuid.UUID
    organization_id: uuid.UUID
    role: str = "owner"
    scopes: frozenset[str] = field(default_factory=frozenset)

    def claims(self) -> dict[str, Any]:
        """The identity as JWT claims."""
        return {
            "sub": str(self.user_id),
            "org": str(self.organization_id),
            "role": self.role,
            "scopes": sorted(self.scopes),
        }


def _encode(
    claims: dict[str, Any], secret: str, typ: str, ttl_s: int, audience: str, settings: Settings
) -> str:
    now = datetime.now(UTC)
    payload = {
        **claims,
        "iss": settings.jwt_issuer,
        "aud": audience,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_s),
        "jti": claims.get("jti", str(uuid.uuid4())),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM, headers={"typ": typ})


def create_access_token(identity: Identity, settings: Settings | None = None) -> str:
    """A short-lived user access token."""
    s = settings or get_settings()
    return _encode(identity.claims(), s.jwt_secret, ACCESS, s.access_token_ttl_s, s.jwt_audience, s)


def create_refresh_token(
    identity: Identity, token_id: uuid.UUID, family_id: uuid.UUID, settings: Settings | None = None
) -> str:
    """A refresh token whose id the gateway records for rotation and revocation."""
    s = settings or get_settings()
    claims = {**identity.claims(), "jti": str(token_id), "fam": str(family_id)}
    return _encode(claims, s.jwt_secret, REFRESH, s.refresh_token_ttl_s, s.jwt_audience, s)


def create_service_token(identity: Identity, settings: Settings | None = None) -> str:
    """The gateway's short-lived statement of a verified identity, for one upstream call."""
    s = settings or get_settings()
    return _encode(
        identity.claims(), s.service_token_secret, SERVICE, s.service_token_ttl_s, s.service_audience, s
    )


def decode_token(token: str, typ: str, settings: Settings | None = None) -> dict[str, Any]:
    """Verify signature, algorithm, typ, iss, aud and exp; raise Unauthorized otherwise."""
    s = settings or get_settings()
    secret, audience = (
        (s.service_token_secret, s.service_audience) if typ == SERVICE else (s.jwt_secret, s.jwt_audience)
    )
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM or header.get("typ") != typ:
            raise Unauthorized("invalid token")
        return jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=s.jwt_issuer,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid token") from exc


def identity_from_claims(claims: dict[str, Any]) -> Identity:
    """Build an Identity from verified claims."""
    try:
        return Identity(
            user_id=uuid.UUID(claims["sub"]),
            organization_id=uuid.UUID(claims["org"]),
            role=str(claims.get("role", "analyst")),
            scopes=frozenset(claims.get("scopes") or ()),
        )
    except (KeyError, ValueError) as exc:
        raise Unauthorized("invalid token") from exc


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("missing bearer token")
    return token.strip()


async def current_identity(request: Request) -> Identity:
    """FastAPI dependency for domain services: a gateway service token or a user access token."""
    token = _bearer(request)
    try:
        typ = jwt.get_unverified_header(token).get("typ")
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid token") from exc
    claims = decode_token(token, SERVICE if typ == SERVICE else ACCESS)
    return identity_from_claims(claims)


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


def require_owner(identity: Identity) -> None:
    """Refuse write operations to read-only roles."""
    if identity.role != "owner":
        raise Forbidden("this action needs the owner role; your role is read-only")
