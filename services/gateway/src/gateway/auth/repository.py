"""SQL of users, organizations and refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.models import Organization, RefreshToken, User


class AuthRepository:
    """All auth queries, on one request's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_user_by_email(self, email: str) -> User | None:
        """The user with this email (emails are stored lower-case)."""
        return (await self.session.execute(select(User).where(User.email == email))).scalar_one_or_none()

    async def get_user(self, user_id: uuid.UUID) -> User | None:
        """The user with this id."""
        return await self.session.get(User, user_id)

    async def get_organization(self, organization_id: uuid.UUID) -> Organization | None:
        """The organization with this id."""
        return await self.session.get(Organization, organization_id)

    async def create_user_with_organization(self, email: str, name: str, password_hash: str) -> User:
        """A new organization with its first user, the owner."""
        org = Organization(name=name)
        self.session.add(org)
        await self.session.flush()
        user = User(organization_id=org.id, email=email, name=name, password_hash=password_hash, role="owner")
        self.session.add(user)
        await self.session.flush()
        return user

    async def add_member(
        self, organization_id: uuid.UUID, email: str, name: str, password_hash: str, role: str
    ) -> User:
        """A new user in an existing organization."""
        user = User(
            organization_id=organization_id, email=email, name=name, password_hash=password_hash, role=role
        )
        self.session.add(user)
        await self.session.flush()
        return user

    async def members(self, organization_id: uuid.UUID) -> list[User]:
        """Everyone in the organization."""
        return list(
            (
                await self.session.execute(
                    select(User).where(User.organization_id == organization_id).order_by(User.created_at)
                )
            )
            .scalars()
            .all()
        )

    async def add_refresh_token(
        self, token_id: uuid.UUID, user_id: uuid.UUID, family_id: uuid.UUID, expires_at: datetime
    ) -> None:
        """Record an issued refresh token."""
        self.session.add(
            RefreshToken(id=token_id, user_id=user_id, family_id=family_id, expires_at=expires_at)
        )
        await self.session.flush()

    async def get_refresh_token_for_update(self, token_id: uuid.UUID) -> RefreshToken | None:
        """A refresh token, row-locked so two refreshes cannot both rotate it."""
        return (
            await self.session.execute(
                select(RefreshToken).where(RefreshToken.id == token_id).with_for_update()
            )
        ).scalar_one_or_none()

    async def revoke_family(self, family_id: uuid.UUID, when: datetime) -> None:
        """Revoke every token of a login session."""
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=when)
        )
