"""Sign-up, sign-in, token rotation and sign-out."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from common import ratelimit
from common.auth import (
    REFRESH,
    Identity,
    create_access_token,
    create_refresh_token,
    decode_token,
    hash_password,
    require_user_owner,
    verify_password,
)
from common.errors import AppError, Unauthorized
from common.settings import get_settings
from gateway.auth import schemas
from gateway.auth.repository import AuthRepository

LOGIN_WINDOW_S = 15 * 60
# Verifying against a real hash when the email is unknown keeps the timing the same.
_DUMMY_HASH = hash_password("timing-equaliser-password")


class AuthService:
    """Business rules of accounts and tokens."""

    def __init__(self, repository: AuthRepository) -> None:
        self.repository = repository

    async def register(self, data: schemas.UserCreate) -> schemas.User:
        """Create an organization and its owner."""
        email = data.email.lower()
        if await self.repository.get_user_by_email(email) is not None:
            raise AppError("this email cannot be registered; sign in instead or use another email", 409)
        try:
            user = await self.repository.create_user_with_organization(
                email, data.name.strip(), hash_password(data.password)
            )
        except IntegrityError as exc:
            raise AppError(
                "this email cannot be registered; sign in instead or use another email", 409
            ) from exc
        return schemas.User(
            id=user.id, email=user.email, name=user.name, organization_id=user.organization_id
        )

    async def login(self, data: schemas.Login, address: str) -> schemas.TokenPair:
        """Check the password and issue a new token family; throttle repeated failures."""
        settings = get_settings()
        email = data.email.lower()
        account_key = "login:acct:" + hashlib.sha256(email.encode()).hexdigest()[:32]
        address_key = f"login:addr:{address}"
        for key, limit in (
            (account_key, settings.login_failures_per_account),
            (address_key, settings.login_failures_per_address),
        ):
            wait = await ratelimit.retry_after(key, limit, LOGIN_WINDOW_S)
            if wait is not None:
                error = AppError(f"too many failed sign-ins; try again in {wait} seconds", 429)
                error.headers = {"Retry-After": str(wait)}
                raise error
        user = await self.repository.get_user_by_email(email)
        valid = verify_password(user.password_hash if user else _DUMMY_HASH, data.password)
        if user is None or not valid:
            await ratelimit.hit(account_key, 10**9, LOGIN_WINDOW_S)
            await ratelimit.hit(address_key, 10**9, LOGIN_WINDOW_S)
            raise Unauthorized("wrong email or password")
        identity = Identity(user_id=user.id, organization_id=user.organization_id, role=user.role)
        return await self._issue(identity, family_id=uuid.uuid4())

    async def refresh(self, refresh_token: str) -> schemas.TokenPair:
        """Rotate a refresh token; presenting a used one revokes its whole family."""
        claims = decode_token(refresh_token, REFRESH)
        try:
            token_id = uuid.UUID(claims["jti"])
        except (KeyError, ValueError) as exc:
            raise Unauthorized("invalid token") from exc
        stored = await self.repository.get_refresh_token_for_update(token_id)
        now = datetime.now(UTC)
        if stored is None or stored.revoked_at is not None:
            raise Unauthorized("refresh token revoked; sign in again")
        if stored.used_at is not None:
            # Reuse means the token leaked: end the whole session (RFC 6819 5.2.2.3).
            await self.repository.revoke_family(stored.family_id, now)
            # The request ends in an error, which rolls the session back: keep the revocation.
            await self.repository.session.commit()
            raise Unauthorized("refresh token reused; the session was ended, sign in again")
        stored.used_at = now
        user = await self.repository.get_user(stored.user_id)
        if user is None:
            raise Unauthorized("account no longer exists")
        identity = Identity(user_id=user.id, organization_id=user.organization_id, role=user.role)
        return await self._issue(identity, family_id=stored.family_id)

    async def logout(self, refresh_token: str) -> None:
        """Revoke the session the refresh token belongs to."""
        claims = decode_token(refresh_token, REFRESH)
        stored = await self.repository.get_refresh_token_for_update(uuid.UUID(claims["jti"]))
        if stored is not None:
            await self.repository.revoke_family(stored.family_id, datetime.now(UTC))

    async def add_member(self, identity: Identity, data: schemas.MemberCreate) -> schemas.Member:
        """An owner adds a person (owner, or analyst with read-only access)."""
        require_user_owner(identity)
        email = data.email.lower()
        if await self.repository.get_user_by_email(email) is not None:
            raise AppError("this email cannot be added; it already has an account", 409)
        user = await self.repository.add_member(
            identity.organization_id, email, data.name.strip(), hash_password(data.password), data.role
        )
        return schemas.Member(id=user.id, email=user.email, name=user.name, role=user.role)

    async def members(self, identity: Identity) -> list[schemas.Member]:
        """Everyone in the caller's organization."""
        return [
            schemas.Member(id=u.id, email=u.email, name=u.name, role=u.role)
            for u in await self.repository.members(identity.organization_id)
        ]

    async def me(self, identity: Identity) -> schemas.Me:
        """The signed-in user."""
        user = await self.repository.get_user(identity.user_id)
        org = await self.repository.get_organization(identity.organization_id)
        if user is None or org is None:
            raise Unauthorized("account no longer exists")
        return schemas.Me(
            id=user.id,
            email=user.email,
            name=user.name,
            organization_id=org.id,
            organization_name=org.name,
            role=user.role,
        )

    async def _issue(self, identity: Identity, family_id: uuid.UUID) -> schemas.TokenPair:
        settings = get_settings()
        token_id = uuid.uuid4()
        await self.repository.add_refresh_token(
            token_id,
            identity.user_id,
            family_id,
            datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl_s),
        )
        return schemas.TokenPair(
            access_token=create_access_token(identity),
            refresh_token=create_refresh_token(identity, token_id, family_id),
        )
