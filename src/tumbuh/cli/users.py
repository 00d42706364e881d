"""`tumbuh users create|list|deactivate|passwd`: user accounts with a role and a region scope."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import Engine, inspect

from tumbuh.accounts import service as accounts
from tumbuh.accounts.models import (
    AuditEvent,
    AuthSession,
    InstanceSecret,
    LoginAttempt,
    User,
)
from tumbuh.accounts.roles import Role
from tumbuh.cli._app import t, users_app
from tumbuh.config import get_settings
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.errors import NotFound, TumbuhError
from tumbuh.models import Base

DbOption = Annotated[
    str | None, typer.Option("--db", help="Database URL (default: TUMBUH_DATABASE_URL)")
]


def open_accounts_db(db: str | None) -> Engine:
    """An engine whose database has the accounts tables.

    A database without Alembic's bookkeeping (first use) gets the schema from the models;
    a migrated database that lacks the tables is an error: run the migrations.
    """
    engine = make_engine(db or get_settings().database_url)
    tables = set(inspect(engine).get_table_names())
    needed = {
        t.__tablename__
        for t in (User, LoginAttempt, AuditEvent, AuthSession, InstanceSecret)
    }
    if needed <= tables:
        return engine
    if "alembic_version" in tables:
        raise TumbuhError(
            "the database has no users/login_attempts/audit_log tables: "
            "run the database migrations (tumbuh db upgrade) first",
            code="schema_missing",
        )
    create_schema(engine, Base.metadata)
    return engine


@users_app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Login name")],
    role: Annotated[Role, typer.Option("--role", help="Role of the user")],
    region: Annotated[
        str,
        typer.Option("--region", help="Kemendagri code of the user's area, e.g. 64.71"),
    ],
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            help="At least 8 characters. Prompted when omitted; prefer the prompt or "
            "--stdin (an argument is visible to other users in the process list)",
        ),
    ] = None,
    stdin: Annotated[
        bool,
        typer.Option("--stdin", help="Read the password from standard input"),
    ] = False,
    db: DbOption = None,
) -> None:
    """Create a user (the first province_admin is made this way)."""
    if stdin:
        import sys

        password = sys.stdin.readline().rstrip("\r\n")
    elif password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = open_accounts_db(db)
    with unit_of_work(engine) as session:
        user = accounts.create_user(
            session,
            username=username,
            password=password,
            role=role.value,
            region_code=region,
        )
        accounts.record(
            session,
            actor=None,
            action="change",
            object_type="user",
            object_id=str(user.id),
            region_code=user.region_code,
            detail=f"created {user.username} as {user.role} from the command line",
        )
        typer.echo(
            t(
                "cli.users.created",
                username=user.username,
                role=t(f"role.{user.role}"),
                region=user.region_code,
            )
        )
    engine.dispose()


@users_app.command("list")
def list_(db: DbOption = None) -> None:
    """List every user with role, region and status."""
    engine = open_accounts_db(db)
    with unit_of_work(engine) as session:
        for user in accounts.all_users(session):
            state = t("cli.users.active" if user.active else "cli.users.inactive")
            typer.echo(
                f"{user.username}\t{t(f'role.{user.role}')}\t{user.region_code}\t{state}"
            )
    engine.dispose()


@users_app.command("deactivate")
def deactivate(
    username: Annotated[str, typer.Argument(help="Login name")], db: DbOption = None
) -> None:
    """Deactivate a user (they can no longer log in; their audit trail stays)."""
    engine = open_accounts_db(db)
    with unit_of_work(engine) as session:
        user = accounts.get_by_username(session, username)
        if user is None:
            raise NotFound(f"user {username!r} does not exist")
        user.active = False
        accounts.end_all_sessions(session, user_id=user.id)
        accounts.record(
            session, actor=None, action="change", object_type="user",
            object_id=str(user.id), region_code=user.region_code,
            detail="deactivated from the command line",
        )  # fmt: skip
        typer.echo(t("cli.users.deactivated", username=username))
    engine.dispose()


@users_app.command("passwd")
def passwd(
    username: Annotated[str, typer.Argument(help="Login name")],
    stdin: Annotated[
        bool,
        typer.Option(
            "--stdin",
            help="Read the new password from the first line of standard input",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Set a user's password (prompted twice, or read from standard input; never an
    argument, which other users could see in the process list). Every session and API
    token of the user ends."""
    import sys

    if stdin:
        new = sys.stdin.readline().rstrip("\r\n")
    else:
        new = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    engine = open_accounts_db(db)
    with unit_of_work(engine) as session:
        user = accounts.get_by_username(session, username)
        if user is None:
            raise NotFound(f"user {username!r} does not exist")
        accounts.set_password(session, user=user, new=new)
        typer.echo(t("cli.users.password_changed", username=username))
    engine.dispose()
