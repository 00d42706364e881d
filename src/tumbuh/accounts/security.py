"""Password hashing (argon2id) and signed, expiring API tokens."""

from __future__ import annotations

import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from tumbuh.errors import Unauthorized

_HASHER = PasswordHasher()
HASH_SLOTS = 4
_HASH_SLOTS = threading.BoundedSemaphore(HASH_SLOTS)
_TOKEN_SALT = "tumbuh.api-token.v1"
MIN_PASSWORD_LENGTH = 8


def configure_hasher(
    *, time_cost: int, memory_cost_kib: int, parallelism: int = 1
) -> None:
    """Change the argon2id cost (tests use a cheap one; production keeps argon2-cffi's
    RFC 9106 "low memory" defaults: t=3, m=64 MiB, p=4). Old hashes still verify and are
    upgraded on the next login (needs_rehash)."""
    global _HASHER
    _HASHER = PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism
    )


def hash_password(password: str) -> str:
    with _HASH_SLOTS:
        return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches; False for a wrong password or an unreadable hash.

    At most HASH_SLOTS verifications run at once in a process (each takes 64 MiB with the
    production cost): a burst of logins waits instead of taking the server's memory."""
    with _HASH_SLOTS:
        try:
            return _HASHER.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def issue_token(secret_key: str, *, user_id: int, session_id: str) -> str:
    """A signed, timestamped bearer token naming the user and its server-side session
    (checked on each request, so that it can be revoked)."""
    return URLSafeTimedSerializer(secret_key, salt=_TOKEN_SALT).dumps(
        {"uid": user_id, "sid": session_id}
    )


def read_token(secret_key: str, token: str, *, max_age_s: int) -> tuple[int, str]:
    """(user id, session id) of a token; Unauthorized when the token is forged, malformed
    or expired (a revoked session is checked by the caller)."""
    serializer = URLSafeTimedSerializer(secret_key, salt=_TOKEN_SALT)
    try:
        payload = serializer.loads(token, max_age=max_age_s)
    except SignatureExpired as exc:
        raise Unauthorized("token expired", code="token_expired") from exc
    except BadSignature as exc:
        raise Unauthorized("invalid token", code="invalid_token") from exc
    uid = payload.get("uid") if isinstance(payload, dict) else None
    sid = payload.get("sid") if isinstance(payload, dict) else None
    if not isinstance(uid, int) or not isinstance(sid, str):
        raise Unauthorized("invalid token", code="invalid_token")
    return uid, sid
