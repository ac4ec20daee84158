"""The web page's accounts, managed from the command line (``prisme-drift web user ...``)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from prisme_drift.errors import ConfigError, RefusedError
from prisme_drift.fleet import webaudit
from prisme_drift.fleet.central import check_schema, unreachable
from prisme_drift.fleet.schema import web_users
from prisme_drift.secretpaths import read_secret
from prisme_drift.timefmt import utcnow
from prisme_drift.web.auth import ROLES, hash_password

log = logging.getLogger(__name__)
MIN_PASSWORD = 12
LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


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


def add_user(
    engine: Engine,
    login: str,
    role: str,
    client: str | None,
    password: str,
    display_name: str = "",
) -> None:
    """Create the account ``login``; RefusedError when it exists already."""
    if not LOGIN.fullmatch(login):
        raise ConfigError(f"login {login!r}: use 1 to 64 letters, digits, '.', '_', '@' or '-'")
    if role not in ROLES:
        raise ConfigError(f"--role {role!r}: use one of {', '.join(ROLES)}")
    if role == "client" and not client:
        raise ConfigError("--client is required for --role client: name the client's sites")
    if role != "client" and client:
        raise ConfigError(f"--client is for --role client only, not {role}")
    check_schema(engine)
    try:
        with engine.begin() as connection:
            if connection.scalar(select(web_users.c.login).where(web_users.c.login == login)):
                raise RefusedError(f"web user {login!r} exists already")
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
            webaudit.append(connection, "cli", "admin", "", "user_added", login, details)
    except SQLAlchemyError as exc:
        raise unreachable(engine, "add a web user to", exc) from None
    log.info("web: user %s added (%s)", login, role)
