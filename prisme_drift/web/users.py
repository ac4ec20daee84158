"""The web page's accounts, managed from the command line (``prisme-drift web user ...``).

Every change is recorded in the web audit trail with the actor ``cli`` (the command runs on the
provider's server, as its administrator)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from prisme_drift.errors import ConfigError, RefusedError
from prisme_drift.fleet import webaudit
from prisme_drift.fleet.central import check_schema, unreachable
from prisme_drift.fleet.schema import web_sessions, web_users
from prisme_drift.secretpaths import read_secret
from prisme_drift.timefmt import utcnow
from prisme_drift.web.auth import ROLES, hash_password

log = logging.getLogger(__name__)
MIN_PASSWORD = 12
LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
ACTOR = "cli"


@dataclass(frozen=True)
class Account:
    """A web page account as ``web user list`` shows it (never its password hash)."""

    login: str
    role: str
    client: str | None
    display_name: str
    created_at: datetime
    last_login_at: datetime | None
    disabled_at: datetime | None


def read_user_password(path: Path) -> str:
    """The password written alone in ``path``; ConfigError naming the file when unusable."""
    try:
        password = read_secret(path)
    except OSError as exc:
        raise ConfigError(
            f"--password-file {path}: cannot read it ({exc.strerror}); write the user's "
            "password alone in that file"
        ) from None
    if len(password) < MIN_PASSWORD:
        raise ConfigError(
            f"--password-file {path}: the password has fewer than {MIN_PASSWORD} characters; "
            "write a longer one"
        )
    return password


def check_account(login: str, role: str, client: str | None) -> None:
    """ConfigError naming the option when the login, role or client is wrong."""
    if not LOGIN.fullmatch(login):
        raise ConfigError(f"login {login!r}: use 1 to 64 letters, digits, '.', '_', '@' or '-'")
    if role not in ROLES:
        raise ConfigError(f"--role {role!r}: use one of {', '.join(ROLES)}")
    if role == "client" and not client:
        raise ConfigError("--client is required for --role client: name the client's sites")
    if role != "client" and client:
        raise ConfigError(f"--client is for --role client only, not {role}")


def add_user(
    engine: Engine,
    login: str,
    role: str,
    client: str | None,
    password: str,
    display_name: str = "",
    reset_password: bool = False,
) -> bool:
    """Create the account ``login``; True. When it exists: RefusedError, or with
    ``reset_password`` its new password (role and client unchanged, which must be the ones
    given; its sessions end); False."""
    check_account(login, role, client)
    check_schema(engine)
    try:
        with engine.begin() as connection:
            row = connection.execute(select(web_users).where(web_users.c.login == login)).first()
            if row is not None and not reset_password:
                raise RefusedError(
                    f"web user {login!r} exists already; give --reset-password to set its password"
                )
            if row is not None:
                if (row.role, row.client) != (role, client):
                    raise RefusedError(
                        f"web user {login!r} is {row.role}"
                        f"{f' of client {row.client!r}' if row.client else ''}: "
                        "--reset-password changes the password only, give its own --role "
                        "and --client"
                    )
                _set_password(connection, login, password)
                return False
            connection.execute(
                web_users.insert().values(
                    login=login,
                    role=role,
                    client=client,
                    display_name=display_name,
                    password_hash=hash_password(password),
                    created_at=utcnow(),
                )
            )
            details = {"role": role, "client": client}
            webaudit.append(connection, ACTOR, "admin", "", "user_added", login, details)
    except SQLAlchemyError as exc:
        raise unreachable(engine, "add a web user to", exc) from None
    log.info("web: user %s added (%s)", login, role)
    return True


def _set_password(connection: Connection, login: str, password: str) -> None:
    values = {"password_hash": hash_password(password)}
    connection.execute(update(web_users).where(web_users.c.login == login).values(values))
    connection.execute(delete(web_sessions).where(web_sessions.c.login == login))
    webaudit.append(connection, ACTOR, "admin", "", "password_reset", login, {})
    log.info("web: password of user %s reset, its sessions ended", login)


def list_users(engine: Engine) -> list[Account]:
    """Every account, by login."""
    check_schema(engine)
    u = web_users.c
    columns = (u.login, u.role, u.client, u.display_name, u.created_at, u.last_login_at,
               u.disabled_at)  # fmt: skip
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(*columns).order_by(u.login)).all()
    except SQLAlchemyError as exc:
        raise unreachable(engine, "read the web users of", exc) from None
    return [Account(*row) for row in rows]


def disable_user(engine: Engine, login: str) -> None:
    """Disable ``login`` (it can no longer log in) and end its sessions; RefusedError when
    there is no such account."""
    check_schema(engine)
    try:
        with engine.begin() as connection:
            found = connection.execute(
                update(web_users)
                .where(web_users.c.login == login)
                .values(disabled_at=utcnow())
                .returning(web_users.c.login)
            ).first()
            if found is None:
                raise RefusedError(
                    f"no web user {login!r}: 'prisme-drift web user list' names them"
                )
            connection.execute(delete(web_sessions).where(web_sessions.c.login == login))
            webaudit.append(connection, ACTOR, "admin", "", "user_disabled", login, {})
    except SQLAlchemyError as exc:
        raise unreachable(engine, "disable a web user in", exc) from None
    log.info("web: user %s disabled, its sessions ended", login)
