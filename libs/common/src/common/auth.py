"""Password hashing and token checks shared by the gateway and every service.

Ref: RFC 8725 (JWT best current practices): one pinned algorithm, and `iss`, `aud`, `typ`, `exp`
checked on every token.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request
from sqlalchemy import select

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


# What each scope lets a caller do; API keys carry a subset, user roles imply theirs.
SCOPES: dict[str, str] = {
    "sales:write": "upload sales, products, plans and stock history",
    "sales:read": "read sales history",
    "jobs:read": "read upload jobs and their error reports",
    "forecast:read": "read forecasts",
    "segments:read": "read customer segments and export customers",
    "pricing:read": "read pricing suggestions and simulate prices",
    "inventory:read": "read inventory recommendations, purchase orders and stock-outs",
    "scenarios:read": "read price and promotion scenarios",
    "scenarios:write": "create and delete scenarios (adopting one also needs sales:write)",
    "calendar:read": "read stores and events (holidays, retail events, the retailer's own)",
    "calendar:write": "upload and change stores and events",
}
READ_SCOPES = frozenset(s for s in SCOPES if s.endswith(":read"))
ROLE_SCOPES: dict[str, frozenset[str]] = {"owner": frozenset(SCOPES), "analyst": READ_SCOPES}
# Function-level authorization (OWASP API5) in one table: (method, path prefix) -> scope needed.
# Every data route of every service is covered here; the first match wins.
POLICY: tuple[tuple[str, str, str], ...] = (
    ("POST", "/upload-stores", "calendar:write"),
    ("POST", "/upload-events", "calendar:write"),
    ("PUT", "/stores", "calendar:write"),
    ("DELETE", "/events", "calendar:write"),
    ("GET", "/stores", "calendar:read"),
    ("GET", "/events", "calendar:read"),
    ("POST", "/upload-", "sales:write"),
    ("GET", "/jobs", "jobs:read"),
    ("GET", "/sales", "sales:read"),
    ("GET", "/forecast", "forecast:read"),
    ("GET", "/customer-segments", "segments:read"),
    ("GET", "/pricing-suggestions", "pricing:read"),
    ("GET", "/inventory-recommendations", "inventory:read"),
    ("GET", "/stockouts", "inventory:read"),
    ("GET", "/scenarios", "scenarios:read"),
    ("POST", "/scenarios", "scenarios:write"),
    ("DELETE", "/scenarios", "scenarios:write"),
)


@dataclass(frozen=True)
class Identity:
    """Who is calling: verified from a token, never taken from client-sent fields."""

    user_id: uuid.UUID
    organization_id: uuid.UUID
    role: str = "owner"
    scopes: frozenset[str] = field(default_factory=frozenset)
    api_key_id: uuid.UUID | None = None

    def claims(self) -> dict[str, Any]:
        """The identity as JWT claims."""
        claims: dict[str, Any] = {
            "sub": str(self.user_id),
            "org": str(self.organization_id),
            "role": self.role,
            "scopes": sorted(self.scopes),
        }
        if self.api_key_id is not None:
            claims["key"] = str(self.api_key_id)
        return claims

    def allows(self, scope: str) -> bool:
        """Users get their role's scopes; API keys only the scopes they were created with."""
        if self.role in ROLE_SCOPES:
            return scope in ROLE_SCOPES[self.role]
        return scope in self.scopes


def required_scope(method: str, path: str) -> str | None:
    """The scope a route needs, from the policy table (None: any authenticated caller)."""
    method = "GET" if method == "HEAD" else method
    for policy_method, prefix, scope in POLICY:
        if method == policy_method and path.startswith(prefix):
            return scope
    return None


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
            api_key_id=uuid.UUID(claims["key"]) if claims.get("key") else None,
        )
    except (KeyError, ValueError) as exc:
        raise Unauthorized("invalid token") from exc


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("missing bearer token")
    return token.strip()


API_KEY_HEADER = "x-api-key"
API_KEY_PREFIX = "sr_"


def hash_api_key(key: str) -> str:
    """SHA-256 of an API key (keys carry 256 random bits, so no salt or slow hash is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> tuple[str, str, str]:
    """A new key: (the key, shown once; its display prefix; its hash, the only thing stored)."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[:10], hash_api_key(key)


async def identity_from_api_key(key: str) -> Identity:
    """Look an API key up by its hash; refuse unknown or revoked keys."""
    from common.db import async_session_scope
    from common.models import ApiKey

    if not key.startswith(API_KEY_PREFIX) or len(key) > 200:
        raise Unauthorized("invalid API key")
    async with async_session_scope() as session:
        found = (
            await session.execute(
                select(ApiKey).where(ApiKey.key_hash == hash_api_key(key), ApiKey.revoked_at.is_(None))
            )
        ).scalar_one_or_none()
        if found is None:
            raise Unauthorized("invalid API key")
        found.last_used_at = datetime.now(UTC)
        return Identity(
            user_id=found.created_by,
            organization_id=found.organization_id,
            role="partner",
            scopes=frozenset(found.scopes),
            api_key_id=found.id,
        )


class VerifiedTokens:
    """A few seconds' memory of verified access tokens, keyed by their hash (bounded LRU).

    Verifying an HS256 token is pure CPU on every request; a hit skips it. An entry never outlives
    the token's own `exp`, and API keys are not kept (a revoked key must stop working at once).
    """

    def __init__(self, ttl_s: float = 5.0, max_entries: int = 4096) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[Identity, float]] = OrderedDict()

    def get(self, token: str, now: float | None = None) -> Identity | None:
        """The identity of a token verified within the last ttl_s seconds and not yet expired."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        entry = self._entries.get(digest)
        if entry is None:
            return None
        identity, expires_at = entry
        if (time.time() if now is None else now) >= expires_at:
            del self._entries[digest]
            return None
        self._entries.move_to_end(digest)
        return identity

    def put(self, token: str, identity: Identity, token_exp: float, now: float | None = None) -> None:
        """Remember a verified token until min(now + ttl_s, its exp)."""
        now = time.time() if now is None else now
        self._entries[hashlib.sha256(token.encode()).hexdigest()] = (
            identity,
            min(now + self.ttl_s, token_exp),
        )
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


async def authenticate(request: Request, tokens: VerifiedTokens | None = None) -> Identity:
    """Who is calling: an API key, a gateway service token or a user access token.

    With `tokens`, a user access token verified within the last seconds is answered from it (API
    keys and the one-per-call service tokens are always checked in full).
    """
    key = request.headers.get(API_KEY_HEADER)
    if key:
        return await identity_from_api_key(key.strip())
    token = _bearer(request)
    if tokens is not None and (known := tokens.get(token)) is not None:
        return known
    try:
        typ = jwt.get_unverified_header(token).get("typ")
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid token") from exc
    claims = decode_token(token, SERVICE if typ == SERVICE else ACCESS)
    identity = identity_from_claims(claims)
    if tokens is not None and typ != SERVICE:
        tokens.put(token, identity, float(claims["exp"]))
    return identity


def authorize(identity: Identity, method: str, path: str) -> None:
    """Refuse a route whose scope the caller lacks (403 names the scope)."""
    scope = required_scope(method, path)
    if scope is not None and not identity.allows(scope):
        who = "this API key" if identity.api_key_id else f"the {identity.role} role"
        raise Forbidden(f"{who} lacks the scope '{scope}' needed for {method} {path}")


async def current_identity(request: Request) -> Identity:
    """FastAPI dependency of every data route: authenticate, then check the route's scope."""
    identity = await authenticate(request)
    authorize(identity, request.method, request.url.path)
    return identity


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


def require_owner(identity: Identity) -> None:
    """Refuse data writes to read-only callers (analysts, API keys without sales:write)."""
    if not identity.allows("sales:write"):
        raise Forbidden("this action needs the owner role or the 'sales:write' scope; yours is read-only")


def require_user_owner(identity: Identity) -> None:
    """Refuse account administration to anyone but an owner signed in as a person."""
    if identity.role != "owner" or identity.api_key_id is not None:
        raise Forbidden("only an owner of the organization, signed in, can do this")
