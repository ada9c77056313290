"""Request and response bodies of the auth endpoints."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, EmailStr, Field


class UserCreate(BaseModel):
    """Sign-up form: the person and their organization's name."""

    email: EmailStr
    password: str = Field(min_length=8, max_length=256)
    name: str = Field(min_length=1, max_length=200)


class MemberCreate(BaseModel):
    """A person an owner adds to the organization, with their role."""

    email: EmailStr
    password: str = Field(min_length=8, max_length=256)
    name: str = Field(min_length=1, max_length=200)
    role: Literal["owner", "analyst"] = "analyst"


class Member(BaseModel):
    """A person in the organization."""

    id: uuid.UUID
    email: str
    name: str
    role: str


class Login(BaseModel):
    """Sign-in form."""

    email: EmailStr
    password: str = Field(min_length=1, max_length=256)


class RefreshRequest(BaseModel):
    """A refresh token to rotate or revoke."""

    refresh_token: str = Field(min_length=10, max_length=4096)


class TokenPair(BaseModel):
    """Access and refresh tokens."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"


class User(BaseModel):
    """A signed-up user."""

    id: uuid.UUID
    email: str
    name: str
    organization_id: uuid.UUID


class Me(User):
    """The signed-in user and their organization."""

    organization_name: str
    role: str
