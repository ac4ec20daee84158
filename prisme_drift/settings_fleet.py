"""``[fleet]``: where this site copies its state for the provider's central view (docs/fleet.md).

A bottom-layer module: ``config`` reads these settings without importing ``fleet``. No ``[fleet]``
section: the site syncs nothing and the daemon plans no ``fleet-sync`` job.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from prisme_drift.durations import format_duration, parse_duration

#: The file looked for in ``$CREDENTIALS_DIRECTORY`` when ``password_file`` is not set.
CREDENTIAL_NAME = "fleet-db-password"
_PG_SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://")


class FleetSettings(BaseModel):
    """The provider's central PostgreSQL and git server this site copies itself to; the site
    works alone without them (docs/fleet.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    url: Annotated[str, Field(examples=["postgresql://site_dupont@fleet.example.net/fleet"])]
    """the central PostgreSQL, as this site's own role, no password"""
    password_file: Annotated[Path | None, Field(examples=["$CREDENTIALS_DIRECTORY/fleet-db"])] = (
        None
    )
    """the role's password alone in a file (default: $CREDENTIALS_DIRECTORY/fleet-db-password)"""
    git_remote: Annotated[
        str | None, Field(examples=["ssh://git@git.example.net/sites/cabinet-dupont.git"])
    ] = None
    """this site's own repository on the provider's git server (observed and approved)"""
    git_ssh_key_file: Annotated[
        Path | None, Field(examples=["$CREDENTIALS_DIRECTORY/fleet-deploy-key"])
    ] = None
    """SSH deploy key for an ssh:// remote"""
    git_token_file: Annotated[Path | None, Field(examples=["$CREDENTIALS_DIRECTORY/fleet-git"])] = (
        None
    )
    """token for an https:// remote"""
    sync_every: str = "1h"
    """how often the daemon copies what changed"""
    timeout: str = "60s"
    """a sync that takes longer gives up (and resumes at the next one)"""
    max_report_bytes: Annotated[int, Field(ge=1)] = 20_000_000
    """a document bigger than this (bytes) is not copied for download from the web page"""

    @model_validator(mode="before")
    @classmethod
    def _no_secret_in_settings(cls, data: Any) -> Any:
        if isinstance(data, dict) and {"password", "token"} & set(data):
            raise ValueError(
                "never write a password or token in the settings file: put it alone in a file "
                "(mode 0600, or a systemd credential) and set password_file / git_token_file"
            )
        return data

    @field_validator("url")
    @classmethod
    def _postgres_without_password(cls, value: str) -> str:
        if not value.startswith(_PG_SCHEMES):
            raise ValueError("url is a PostgreSQL URL: postgresql://ROLE@HOST[:PORT]/DATABASE")
        parts = urllib.parse.urlsplit(value)
        if parts.password is not None or "password=" in parts.query:
            raise ValueError(
                "no password in url: put it alone in a file and set password_file to its path"
            )
        return value

    @field_validator("sync_every", "timeout", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValueError("a duration is a text such as '1h' or a number of seconds")
        seconds = parse_duration(value)
        if seconds < 1:
            raise ValueError(f"{value!r}: at least one second")
        return format_duration(seconds)

    @property
    def sync_seconds(self) -> float:
        """The interval of the daemon's ``fleet-sync`` job, in seconds."""
        return parse_duration(self.sync_every)

    @property
    def timeout_seconds(self) -> float:
        """The time one sync may take, in seconds."""
        return parse_duration(self.timeout)
