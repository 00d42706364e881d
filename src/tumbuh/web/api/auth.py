"""OAuth2 password flow: POST username+password (form fields) → a signed, expiring bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from tumbuh.accounts import service as accounts
from tumbuh.accounts.schemas import Token, UserRead
from tumbuh.accounts.security import issue_token
from tumbuh.web.deps import ApiUser, DbDep, SettingsDep, client_ip, signing_secret

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/token",
    response_model=Token,
    summary="Get a bearer token (OAuth2 password flow; throttled after 5 failures in 15 minutes)",
)
def token(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Token:
    outcome = accounts.login(
        db, username=username, password=password, ip=client_ip(request)
    )
    # The attempt is recorded whatever the outcome, so it must outlive an error response.
    db.commit()
    if outcome.error is not None:
        raise outcome.error
    assert outcome.user is not None
    session_id = accounts.start_session(
        db, user=outcome.user, kind="token", max_age_s=settings.session_max_age_s
    )
    return Token(
        access_token=issue_token(
            signing_secret(request), user_id=outcome.user.id, session_id=session_id
        ),
        expires_in=settings.session_max_age_s,
    )


@router.post(
    "/auth/logout",
    status_code=204,
    summary="Revoke this bearer token on the server (it stops working at once)",
)
def logout(request: Request, user: ApiUser, db: DbDep) -> Response:
    accounts.end_session(db, session_id=request.state.session_id)
    return Response(status_code=204)


@router.get("/me", response_model=UserRead, summary="The user the token belongs to")
def me(user: ApiUser) -> UserRead:
    return UserRead.model_validate(user)
