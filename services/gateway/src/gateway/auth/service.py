"""Sign-up, sign-in, token rotation and sign-out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from common.auth import (
    REFRESH,
    Identity,
    create_access_token,
    create_refresh_token,
    decode_token,
    hash_password,
    verify_password,
)
from common.errors import AppError, Unauthorized
from common.settings import get_settings
from gateway.auth import schemas
from gateway.auth.repository import AuthRepository

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

    async def login(self, data: schemas.Login) -> schemas.TokenPair:
        """Check the password and issue a new token family."""
        user = await self.repository.get_user_by_email(data.email.lower())
        if user is None:
            verify_password(_DUMMY_HASH, data.password)
            raise Unauthorized("wrong email or password")
        if not verify_password(user.password_hash, data.password):
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
