"""Settings: one schema, loaded from TOML, every error reported at once with file and key.

The file is found via ``-c PATH``, else ``$PRISME_DRIFT_CONFIG``, else ``./prisme-drift.toml``.
Relative paths in it resolve from the file's own folder, so a site folder can move as a whole.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from prisme_drift.durations import format_duration, parse_duration
from prisme_drift.errors import ConfigError
from prisme_drift.secretpaths import expand_credentials_directory
from prisme_drift.secreturls import check_url
from prisme_drift.settings_fleet import FleetSettings
from prisme_drift.settings_glpi import GlpiSettings
from prisme_drift.timefmt import DEFAULT_TIMEZONE
from prisme_drift.validators import TimezoneName

ENV_VAR = "PRISME_DRIFT_CONFIG"
DEFAULT_NAME = "prisme-drift.toml"
#: Polls run this often when neither ``poll_every`` nor ``poll_cron`` is set.
DEFAULT_POLL_EVERY = "15m"


class _Section(BaseModel):
    # Each field's docstring is its description: ``settings_file`` writes it as the comment
    # beside the key in the file ``init`` writes.
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class SiteSettings(_Section):
    """Who and where: the site name is used in the baseline paths and every message."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
    """lower-case letters, digits, '.', '_' or '-'"""
    client: str = ""
    """the clinic, as alerts and documents name it"""
    timezone: TimezoneName = DEFAULT_TIMEZONE
    """IANA name; every time people read is shown in it"""


class InventorySettings(_Section):
    """Nornir SimpleInventory folder and an optional credentials file or folder."""

    path: Path = Path("inventory")
    """Nornir SimpleInventory: hosts.yaml, groups.yaml, defaults.yaml"""
    credentials: Annotated[Path | None, Field(examples=["credentials.yaml"])] = None
    """passwords out of the inventory, mode 0600; under systemd:
    $CREDENTIALS_DIRECTORY/devices.yaml"""


class BaselineSettings(_Section):
    """The git repository holding the observed and approved histories."""

    path: Path = Path("baselines")
    """git repository (observed / approved branches), created if missing"""


class DatabaseSettings(_Section):
    """Any SQLAlchemy URL; SQLite by default, PostgreSQL for a central fleet view."""

    url: str = "sqlite:///state/prisme-drift.sqlite"
    """or postgresql://user@host/db"""


class StateSettings(_Section):
    """Local state: host keys, the secret-fingerprint key, locks."""

    path: Path = Path("state")
    """host keys, fingerprint key, locks"""


class CollectSettings(_Section):
    """How devices are polled."""

    workers: Annotated[int, Field(ge=1, le=200)] = 10
    """devices polled in parallel"""
    timeout: Annotated[float, Field(gt=0, le=3600)] = 120
    """hard wall-clock seconds per device"""
    connect_timeout: Annotated[float, Field(gt=0, le=600)] = 15
    """TCP, SSH banner and login timeout, seconds"""
    retries: Annotated[int, Field(ge=0, le=10)] = 2
    """transport errors only; authentication failures are never retried"""
    backoff: Annotated[float, Field(ge=0, le=300)] = 2.0
    """first delay between retries, seconds (then doubled)"""
    min_share_of_last_good: Annotated[float, Field(ge=0, le=1)] = 0.5
    """shorter than this share of the last good fetch: quarantined"""
    host_key_policy: Literal["tofu", "strict", "ignore"] = "tofu"


class NotifySettings(_Section):
    """Alerts: language, thresholds, storm limit and retries (docs/alerts.md)."""

    language: Literal["fr", "en"] = "fr"
    unreachable_after: Annotated[int, Field(ge=1, le=1000)] = 3
    """consecutive failed polls before the "device unreachable" alert"""
    max_per_hour: Annotated[int, Field(ge=1, le=10_000)] = 20
    """emails per hour and site; the rest goes in one digest"""
    retry_for_hours: Annotated[float, Field(ge=1, le=24 * 365)] = 72
    """an undelivered alert is retried (with backoff) this long"""
    retry_min_delay: Annotated[float, Field(gt=0, le=86_400)] = 60
    retry_max_delay: Annotated[float, Field(gt=0, le=86_400)] = 3600
    heartbeat: Literal["off", "daily", "weekly"] = "weekly"
    """the "still watching" message"""
    templates: Path = Path("templates")
    """site overrides of the email templates (email*.html/txt), relative to the site folder"""
    urls: tuple[Annotated[str, AfterValidator(check_url)], ...] = ()
    """chat channels (Apprise URLs); secrets as {file:PATH} or {credential:NAME}"""


_SMTP_DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}
_Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]


class SmtpSettings(_Section):
    """The mail relay; the password is read from ``password_file`` at send time, never stored."""

    model_config = ConfigDict(populate_by_name=True)

    host: Annotated[str, Field(min_length=1, examples=["smtp.example.net"])]
    port: Annotated[int | None, Field(ge=1, le=65535, examples=[587])] = None
    """default 25, 587 or 465 by security"""
    security: Literal["none", "starttls", "tls"] = "starttls"
    username: Annotated[str | None, Field(examples=["alerts@example.net"])] = None
    password_file: Annotated[Path | None, Field(examples=["$CREDENTIALS_DIRECTORY/smtp"])] = None
    """only the password: 0600 or a systemd credential"""
    sender: Annotated[_Email, Field(alias="from", examples=["prisme-drift@example.net"])]
    to: Annotated[tuple[_Email, ...], Field(min_length=1, examples=[["it@example.net"]])]
    timeout: Annotated[float, Field(gt=0, le=600)] = 30
    ca_file: Annotated[Path | None, Field(examples=["smtp-ca.pem"])] = None
    """the relay's CA certificate, when not publicly signed"""

    @model_validator(mode="before")
    @classmethod
    def _no_password_in_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and "password" in data:
            raise ValueError(
                "never write the SMTP password in the settings file: put it alone in a file "
                "(mode 0600, or a systemd credential) and set password_file to its path"
            )
        return data

    @model_validator(mode="after")
    def _auth_is_complete_and_encrypted(self) -> SmtpSettings:
        if (self.username is None) != (self.password_file is None):
            raise ValueError("username and password_file go together: set both or neither")
        if self.username is not None and self.security == "none":
            raise ValueError(
                "authentication over an unencrypted connection would send the password in clear: "
                'use security = "starttls" (port 587) or "tls" (port 465)'
            )
        return self

    @property
    def effective_port(self) -> int:
        """The port, or the usual one for the security mode (25, 587 or 465)."""
        return self.port or _SMTP_DEFAULT_PORTS[self.security]


class WebhookSettings(_Section):
    """A JSON POST of every notification; the optional token is read from ``token_file``."""

    url: Annotated[
        str, Field(pattern=r"^https?://\S+$", examples=["https://chat.example.net/hooks/prisme"])
    ]
    token_file: Annotated[Path | None, Field(examples=["$CREDENTIALS_DIRECTORY/webhook"])] = None
    """the token, sent in the header below"""
    header: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]+$")] = "Authorization"
    scheme: str = "Bearer"
    """header value "<scheme> <token>"; empty: the token alone"""
    timeout: Annotated[float, Field(gt=0, le=600)] = 10
    ca_file: Annotated[Path | None, Field(examples=["/etc/ssl/private-ca.pem"])] = None
    """a private CA for the receiver's certificate (default: the system's CAs)"""


def _check_crontab(value: str, key: str) -> str:
    """A five-field crontab expression, as APScheduler reads it (ValueError otherwise)."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(
            f"{key} {value!r} is not a crontab expression (minute hour day month weekday, "
            f"e.g. '30 2 * * *'): {exc}"
        ) from None
    return value


class ScheduleSettings(_Section):
    """When the daemon works (docs/deployment.md). Cron times are in the site's timezone."""

    poll_every: str | None = None
    """s, m or h; or instead poll_cron"""
    poll_cron: Annotated[str | None, Field(examples=["*/10 7-20 * * *"])] = None
    """cron times instead of poll_every (then remove poll_every)"""
    outbox_every: str = "1m"
    """how often queued alerts are sent"""
    retry_every: str = "1m"
    """disk full or read-only: how often the daemon tries again"""
    backup_cron: str = "30 2 * * *"
    """nightly SQLite online backup into state/backups/"""
    backups_keep: Annotated[int, Field(ge=1, le=1000)] = 14
    git_maintenance_cron: str = "30 3 * * sun"
    """weekly git gc + git fsck of the baseline repository"""

    @field_validator("poll_every", "outbox_every", "retry_every", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str | int | float):
            raise ValueError("a duration is a text such as '15m' or a number of seconds")
        seconds = parse_duration(value)
        if seconds < 1:
            raise ValueError(f"{value!r}: at least one second")
        return format_duration(seconds)

    @field_validator("poll_cron", "backup_cron", "git_maintenance_cron")
    @classmethod
    def _crontab(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _check_crontab(value, str(info.field_name))

    @model_validator(mode="after")
    def _one_poll_schedule(self) -> ScheduleSettings:
        if self.poll_every is not None and self.poll_cron is not None:
            raise ValueError("poll_every and poll_cron exclude each other: keep one of them")
        return self

    @property
    def poll_seconds(self) -> float | None:
        """The poll interval in seconds; None when polls follow ``poll_cron``."""
        if self.poll_cron is not None:
            return None
        return parse_duration(self.poll_every or DEFAULT_POLL_EVERY)

    @property
    def outbox_seconds(self) -> float:
        """How often the outbox sender runs, in seconds."""
        return parse_duration(self.outbox_every)

    @property
    def retry_seconds(self) -> float:
        """How often a daemon stopped by a full or read-only disk tries again, in seconds."""
        return parse_duration(self.retry_every)


class TicketSettings(_Section):
    """Where change tickets come from, besides the CLI's own database."""

    folder: Path = Path("tickets")
    """tickets as code: one YAML file per change ticket, read every poll"""
    glpi: GlpiSettings | None = None
    """approved GLPI Changes read as tickets (docs/glpi.md)"""


class ReportSettings(_Section):
    """Documents for the client (audit, monthly, intervention): language, folders, the provider's
    identity printed on every page (docs/reports.md). Paths resolve from the settings file."""

    language: Literal["fr", "en"] = "fr"
    output: Path = Path("reports")
    """where documents are written and kept as the record"""
    templates: Path = Path("templates")
    """optional overrides: report.css, custom.css, page templates"""
    rules: Path = Path("rules")
    """optional overrides of the audit rules: <category>.yaml"""
    provider: str = "PRISME"
    """printed on every document"""
    provider_address: str = ""
    provider_contact: str = ""
    logo: Annotated[Path | None, Field(examples=["logo.png"])] = None
    """PNG, JPEG or SVG shown on the first page"""
    client_to: Annotated[tuple[_Email, ...], Field(examples=[["cabinet@example.net"]])] = ()
    """the monthly summary's recipients (IT, [smtp] to, gets a copy)"""
    client_cc: tuple[_Email, ...] = ()
    """copied on the monthly summary"""
    monthly_day: Annotated[int, Field(ge=1, le=28)] = 1
    """the daemon writes and sends last month's summary on this day of the month"""
    monthly_time: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "07:00"
    """at this local time (HH:MM)"""


class Settings(_Section):
    """The whole settings file."""

    site: SiteSettings
    inventory: InventorySettings = InventorySettings()
    baseline: BaselineSettings = BaselineSettings()
    database: DatabaseSettings = DatabaseSettings()
    state: StateSettings = StateSettings()
    collect: CollectSettings = CollectSettings()
    notify: NotifySettings = NotifySettings()
    smtp: SmtpSettings | None = None
    webhook: WebhookSettings | None = None
    schedule: ScheduleSettings = ScheduleSettings()
    tickets: TicketSettings = TicketSettings()
    report: ReportSettings = ReportSettings()
    fleet: FleetSettings | None = None
    source: Path = Path(DEFAULT_NAME)

    def resolve(self, path: Path) -> Path:
        """A path from the file, made absolute from the file's folder.

        ``$CREDENTIALS_DIRECTORY`` (systemd ``LoadCredential=``) is replaced by its value when
        the variable is set, so secret paths can read ``$CREDENTIALS_DIRECTORY/devices.yaml``.
        """
        path = expand_credentials_directory(path)
        return path if path.is_absolute() else (self.source.parent / path).resolve()

    @property
    def inventory_path(self) -> Path:
        return self.resolve(self.inventory.path)

    @property
    def credentials_path(self) -> Path | None:
        return self.resolve(self.inventory.credentials) if self.inventory.credentials else None

    @property
    def baseline_path(self) -> Path:
        return self.resolve(self.baseline.path)

    @property
    def state_path(self) -> Path:
        return self.resolve(self.state.path)

    @property
    def database_url(self) -> str:
        """SQLite relative paths resolve from the settings file's folder, like every other path."""
        url = self.database.url
        prefix = "sqlite:///"
        if (
            url.startswith(prefix)
            and not url.startswith(prefix + "/")
            and url != "sqlite:///:memory:"
        ):
            return prefix + str(self.resolve(Path(url[len(prefix) :])))
        return url


def find_config(explicit: str | os.PathLike[str] | None) -> Path:
    """Where the settings file is: ``-c``, then the environment, then the current folder."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return Path(from_env)
    return Path(DEFAULT_NAME)


def _format_problem(source: Path, error: Any) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key (typo? see docs/configuration.md for the allowed keys)"
    elif error["type"] == "missing":
        message = "required key is missing"
    return f"{source}: [{key}] {message}"


def load_settings(path: Path) -> Settings:
    """Read and validate the settings file; raise ConfigError listing every problem at once."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{path}: settings file not found; create one with 'prisme-drift init DIR', "
            f"or point to it with -c PATH or ${ENV_VAR}"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read settings file: {exc.strerror}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    if "source" in data:
        raise ConfigError(f"{path}: [source] is not a settings key")
    try:
        return Settings.model_validate({**data, "source": path.resolve()})
    except ValidationError as exc:
        problems = [_format_problem(path, err) for err in exc.errors()]
        raise ConfigError(
            f"{path}: {len(problems)} problem(s) in the settings", problems=problems
        ) from None  # pydantic's own text quotes the input, which may hold a secret
