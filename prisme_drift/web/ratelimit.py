"""The login rate limit: failed attempts in the last 15 minutes, per login and per address.

Every attempt is recorded in ``web_login_attempts`` (who, from where, when, whether it
succeeded); records older than :data:`KEEP` are deleted on the way.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, delete, func, select

from prisme_drift.fleet.schema import web_login_attempts
from prisme_drift.timefmt import utcnow

WINDOW = timedelta(minutes=15)
#: Failures in WINDOW after which a login is refused (whoever tries it).
PER_LOGIN = 5
#: Failures in WINDOW after which an address is refused (whatever login it tries): a clinic
#: behind one address has several people, so this one is looser.
PER_ADDRESS = 10
KEEP = timedelta(days=90)


def blocked(connection: Connection, login: str, ip: str) -> bool:
    """Whether a new attempt for ``login`` from ``ip`` must be refused."""
    a = web_login_attempts.c
    since = utcnow() - WINDOW
    per_login, per_address = func.count().filter(a.login == login), func.count().filter(a.ip == ip)
    failures = select(per_login, per_address).where(a.at > since, a.ok.is_(False))
    by_login, by_address = connection.execute(failures).one()
    return bool(by_login >= PER_LOGIN or by_address >= PER_ADDRESS)


def record(connection: Connection, login: str, ip: str, ok: bool) -> None:
    """Record one attempt (and forget the ones older than KEEP)."""
    now = utcnow()
    connection.execute(delete(web_login_attempts).where(web_login_attempts.c.at < now - KEEP))
    connection.execute(web_login_attempts.insert().values(login=login[:64], ip=ip, at=now, ok=ok))
