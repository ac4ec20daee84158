"""Settings: one schema, loaded from TOML, every error reported at once with file and key.

The file is found via ``-c PATH``, else ``$PRISME_DRIFT_CONFIG``, else ``./prisme-drift.toml``.
Relative paths in it resolve from the file's own folder, so a site folder can move as a whole.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from prisme_drift.errors import ConfigError

ENV_VAR = "PRISME_DRIFT_CONFIG"
DEFAULT_NAME = "prisme-drift.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteSettings(_Section):
    """Who and where: the site name is used in the baseline paths and every message."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
    client: str = ""
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown timezone {value!r}, use an IANA name such as 'Indian/Reunion'"
            ) from exc
        return value


class InventorySettings(_Section):
    """Nornir SimpleInventory folder and an optional credentials file or folder."""

    path: Path = Path("inventory")
    credentials: Path | None = None


class BaselineSettings(_Section):
    """The git repository holding the observed and approved histories."""

    path: Path = Path("baselines")
    remote: str | None = None


class DatabaseSettings(_Section):
    """Any SQLAlchemy URL; SQLite by default, PostgreSQL for a central fleet view."""

    url: str = "sqlite:///state/prisme-drift.sqlite"


class StateSettings(_Section):
    """Local state: host keys, the secret-fingerprint key, locks."""

    path: Path = Path("state")


class CollectSettings(_Section):
    """How devices are polled."""

    workers: Annotated[int, Field(ge=1, le=200)] = 10
    timeout: Annotated[float, Field(gt=0, le=3600)] = 120
    connect_timeout: Annotated[float, Field(gt=0, le=600)] = 15
    retries: Annotated[int, Field(ge=0, le=10)] = 2
    backoff: Annotated[float, Field(ge=0, le=300)] = 2.0
    min_share_of_last_good: Annotated[float, Field(ge=0, le=1)] = 0.5
    host_key_policy: Literal["tofu", "strict", "ignore"] = "tofu"


class Settings(_Section):
    """The whole settings file."""

    site: SiteSettings
    inventory: InventorySettings = InventorySettings()
    baseline: BaselineSettings = BaselineSettings()
    database: DatabaseSettings = DatabaseSettings()
    state: StateSettings = StateSettings()
    collect: CollectSettings = CollectSettings()
    source: Path = Path(DEFAULT_NAME)

    def resolve(self, path: Path) -> Path:
        """A path from the file, made absolute from the file's folder."""
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
        ) from exc


def render_default(site: str, client: str = "", timezone: str = "Indian/Reunion") -> str:
    """The settings file written by ``prisme-drift init``: every section, with comments."""
    return f'''# prisme-drift settings. Relative paths resolve from this file's folder.
# Every key is described in docs/configuration.md.

[site]
name = "{site}"                  # lower-case letters, digits, '.', '_' or '-'
client = "{client}"
timezone = "{timezone}"

[inventory]
path = "inventory"               # Nornir SimpleInventory: hosts.yaml, groups.yaml, defaults.yaml
# credentials = "credentials.yaml"   # passwords kept out of the inventory (mode 0600)

[baseline]
path = "baselines"               # git repository (observed / approved branches), created if missing

[database]
url = "sqlite:///state/prisme-drift.sqlite"   # or postgresql://user@host/db

[state]
path = "state"                   # host keys, fingerprint key, locks

[collect]
workers = 10
timeout = 120                    # hard wall-clock seconds per device
connect_timeout = 15
retries = 2                      # transport errors only; authentication failures are never retried
min_share_of_last_good = 0.5     # shorter than this share of the last good fetch: quarantined
host_key_policy = "tofu"         # tofu | strict | ignore
'''
