"""Pydantic schemas for accounts (names differ from the ORM classes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from tumbuh.accounts.roles import Role


class UserCreate(BaseModel):
    username: str = Field(
        min_length=3,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.@-]+$",
        description="Login name",
    )
    password: str = Field(
        min_length=8, max_length=256, description="At least 8 characters"
    )
    role: Role
    region_code: str = Field(
        description="Kemendagri code the user works in, e.g. 64.71"
    )


def _utc(at: datetime) -> datetime:
    # SQLite hands back naive datetimes (stored in UTC); RFC 3339 needs the offset.
    return at if at.tzinfo else at.replace(tzinfo=UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: Role
    region_code: str
    active: bool
    created_at: UtcDatetime
    last_login_at: UtcDatetime | None


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: UtcDatetime
    username: str
    action: str
    object_type: str
    object_id: str | None
    region_code: str | None
    ip: str | None
    detail: str | None


class Token(BaseModel):
    access_token: str = Field(description="Signed bearer token")
    token_type: str = Field(default="bearer")
    expires_in: int = Field(description="Seconds until the token expires")
