"""Request and response bodies of partner API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from common.auth import SCOPES


class ApiKeyCreate(BaseModel):
    """A new key's name and the scopes it grants."""

    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1, max_length=len(SCOPES))

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, scopes: list[str]) -> list[str]:
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise ValueError(f"unknown scope(s) {unknown}; known: {sorted(SCOPES)}")
        return sorted(set(scopes))


class ApiKeyCreated(BaseModel):
    """The new key: shown this once, stored only as a hash."""

    id: uuid.UUID
    key: str
    name: str
    prefix: str
    scopes: list[str]


class ApiKey(BaseModel):
    """A key as listed (never the key itself)."""

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None


class ApiKeyList(BaseModel):
    """The organization's active keys."""

    items: list[ApiKey]
    scopes: dict[str, str]
