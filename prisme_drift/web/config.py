"""The web application's settings, given by ``prisme-drift web serve``'s options."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prisme_drift.errors import ConfigError
from prisme_drift.i18n import check_language


@dataclass(frozen=True)
class WebConfig:
    """How the web page reaches the central database and serves its pages.

    - ``url``: the central database (the web role's, without its password);
    - ``password_file``: a file holding only that role's password (None: peer, ``~/.pgpass``);
    - ``listen``: ``HOST:PORT`` uvicorn binds;
    - ``git_root``: the folder holding one bare repository per site, ``<git_root>/<site>.git``;
    - ``cookie_secure``: the session cookie is sent over HTTPS only (False for plain-http
      local use, ``--insecure-cookies``);
    - ``session_hours``: a session ends this long after the login;
    - ``lang``: the pages' language;
    - ``trusted_proxies``: addresses whose ``X-Forwarded-For`` is believed (the reverse proxy).
    """

    url: str
    password_file: Path | None = None
    listen: str = "127.0.0.1:8080"
    git_root: Path | None = None
    cookie_secure: bool = True
    session_hours: float = 12
    lang: str = "fr"
    trusted_proxies: tuple[str, ...] = ("127.0.0.1",)

    def __post_init__(self) -> None:
        check_language(self.lang)
        if not self.session_hours > 0:
            raise ConfigError(f"session hours {self.session_hours}: give a positive number")
        self.host_port()

    def host_port(self) -> tuple[str, int]:
        """``listen`` split into its host and port; ConfigError naming the option when bad."""
        host, sep, port = self.listen.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"--listen {self.listen!r}: give HOST:PORT, e.g. 127.0.0.1:8080")
        return host.strip("[]"), int(port)
