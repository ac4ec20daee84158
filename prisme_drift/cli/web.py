"""Web commands, on the provider's central database: ``web serve`` and the web page's users
(docs/web.md)."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from prisme_drift.cli.app import cli, err, new_table, out, styled
from prisme_drift.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Engine

url_option = click.option("--url", help="The central database (default: $PRISME_FLEET_URL).")
password_option = click.option(
    "--password-file",
    "db_password_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file holding only the database role's password (default: peer or ~/.pgpass).",
)
db_password_option = click.option(
    "--db-password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file holding only the database role's password (default: peer or ~/.pgpass).",
)


def _url(url: str | None) -> str:
    from prisme_drift.fleet.central import URL_ENV

    found = url or os.environ.get(URL_ENV)
    if not found:
        raise ConfigError(
            f"no central fleet database: give --url postgresql://ROLE@HOST/DATABASE or set "
            f"${URL_ENV}"
        )
    return found


def _engine(url: str | None, password_file: Path | None) -> Engine:
    from prisme_drift.fleet.central import central_engine, read_password

    return central_engine(_url(url), read_password(password_file))


@cli.group()
def web() -> None:
    """The web page on the central fleet database: serve it, manage its users."""


@web.command("serve")
@url_option
@password_option
@click.option("--listen", default="127.0.0.1:8080", show_default=True, help="HOST:PORT.")
@click.option(
    "--git-root",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder holding one bare repository per site, <git-root>/<site>.git.",
)
@click.option(
    "--insecure-cookies",
    is_flag=True,
    help="Send the session cookie over plain HTTP too (local use without TLS only).",
)
@click.option("--session-hours", type=float, default=12.0, show_default=True)
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    help="An address whose X-Forwarded-For is believed (repeat; default 127.0.0.1).",
)
def web_serve(
    url: str | None,
    db_password_file: Path | None,
    listen: str,
    git_root: Path | None,
    insecure_cookies: bool,
    session_hours: float,
    lang: str,
    trusted_proxies: tuple[str, ...],
) -> None:
    """Serve the web page (behind the provider's reverse proxy with TLS in production)."""
    from prisme_drift.store.urls import mask_url
    from prisme_drift.web.app import create_app, server
    from prisme_drift.web.config import WebConfig

    config = WebConfig(
        url=_url(url),
        password_file=db_password_file,
        listen=listen,
        git_root=git_root,
        cookie_secure=not insecure_cookies,
        session_hours=session_hours,
        lang=lang,
        trusted_proxies=trusted_proxies or ("127.0.0.1",),
    )
    if insecure_cookies:
        err.print(
            "warning: --insecure-cookies: the session cookie also travels over plain HTTP; "
            "use it only on this machine, never across a network"
        )
    host, port = config.host_port()
    app = create_app(config)
    out.print(f"web page on http://{host}:{port}/ (central database {mask_url(config.url)})")
    server(config, app).run()


@web.group("user")
def web_user() -> None:
    """The web page's accounts."""


@web_user.command("add")
@click.argument("login")
@click.option("--role", type=click.Choice(["admin", "technician", "client"]), required=True)
@click.option("--client", help="The client whose sites this user sees (role client only).")
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="A file holding only the user's password (never on the command line).",
)
@click.option("--display-name", default="", help="The name shown on the pages.")
@click.option(
    "--reset-password",
    is_flag=True,
    help="The login exists: set its password (role and client unchanged; its sessions end).",
)
@url_option
@db_password_option
def web_user_add(
    login: str,
    role: str,
    client: str | None,
    password_file: Path,
    display_name: str,
    reset_password: bool,
    url: str | None,
    db_password_file: Path | None,
) -> None:
    """Create a web page account, its password read from a file and hashed with argon2id."""
    from prisme_drift.web.users import add_user, check_account, read_user_password

    check_account(login, role, client)
    password = read_user_password(password_file)
    engine = _engine(url, db_password_file)
    try:
        added = add_user(engine, login, role, client, password, display_name, reset_password)
    finally:
        engine.dispose()
    if added:
        out.print(f"web user {login} added ({role}{f', client {client}' if client else ''})")
    else:
        out.print(f"web user {login}: password reset, its sessions ended")


@web_user.command("list")
@url_option
@db_password_option
@click.option("--json", "as_json", is_flag=True)
def web_user_list(url: str | None, db_password_file: Path | None, as_json: bool) -> None:
    """The web page's accounts (never their password hashes)."""
    from prisme_drift.timefmt import iso, local_time
    from prisme_drift.web.users import list_users

    engine = _engine(url, db_password_file)
    try:
        accounts = list_users(engine)
    finally:
        engine.dispose()
    if as_json:
        rows = [
            {**dataclasses.asdict(a), "created_at": iso(a.created_at),
             "last_login_at": iso(a.last_login_at), "disabled_at": iso(a.disabled_at)}
            for a in accounts
        ]  # fmt: skip
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not accounts:
        out.print("web: no user yet ('prisme-drift web user add' creates one)")
        return
    table = new_table(title="web users", title_justify="left")
    for column in ("login", "role", "client", "name", "last login", "disabled"):
        table.add_column(column, overflow="fold")
    for a in accounts:
        table.add_row(
            a.login, a.role, a.client or "", a.display_name,
            local_time(a.last_login_at, "UTC", empty="never"),
            styled(local_time(a.disabled_at, "UTC"), "red") if a.disabled_at else "",
        )  # fmt: skip
    out.print(table)


@web_user.command("disable")
@click.argument("login")
@url_option
@db_password_option
def web_user_disable(login: str, url: str | None, db_password_file: Path | None) -> None:
    """Disable an account: it can no longer log in, its sessions end at once."""
    from prisme_drift.web.users import disable_user

    engine = _engine(url, db_password_file)
    try:
        disable_user(engine, login)
    finally:
        engine.dispose()
    out.print(f"web user {login} disabled, its sessions ended")


@web.command("grant")
@click.argument("role")
@url_option
@password_option
def web_grant(role: str, url: str | None, db_password_file: Path | None) -> None:
    """Let the existing database ROLE run the web page (run as the central database's owner):
    read every site's rows, read and write the web page's tables. Never a site's role."""
    from prisme_drift.fleet.central import grant_web

    engine = _engine(url, db_password_file)
    try:
        grant_web(engine, role)
    finally:
        engine.dispose()
    out.print(f"role {role} now runs the web page: it reads every site and writes the web tables")
