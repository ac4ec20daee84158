"""Is a device's login configured? Said before any login attempt, with where to put it.

A device with no password would otherwise be tried with an empty one and reported as
"Authentication failed", which sends the technician to the device instead of the settings (and
costs a failed login on an account that may lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nornir.core.inventory import Host

from prisme_drift.collect.session import Target
from prisme_drift.config import Settings
from prisme_drift.errors import CollectError

#: Netmiko / NAPALM options meaning "log in with an SSH key": no password is needed then.
KEY_OPTIONS = ("use_keys", "key_file")


@dataclass(frozen=True)
class CredentialSource:
    """Where the site's device passwords go: ``[inventory] credentials`` (file or folder)."""

    path: Path | None
    settings_file: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> CredentialSource:
        """The credentials file or folder the settings name, and the settings file itself."""
        return cls(settings.credentials_path, settings.source)

    def where(self, host: Host, missing: list[str]) -> str:
        """Where the missing username or password goes, for this host."""
        name = host.name
        group = host.groups[0].name if host.groups else None
        if self.path is None:
            settings = self.settings_file or "prisme-drift.toml"
            return (
                f"[inventory] credentials is not set in {settings}: uncomment "
                "'credentials = \"credentials.yaml\"' there, then add "
                f"'hosts: {{{name}: {{{', '.join(f'{m}: ...' for m in missing)}}}}}' "
                "to that file (or under 'groups:' or 'defaults:')"
            )
        if self.path.is_dir():
            targets = [str(self.path / name)]
            targets += [str(self.path / f"group-{group}")] if group else []
            text = f"create {' or '.join(targets)} or {self.path / 'default'} holding the password"
            if "username" in missing:
                text += "; a username goes in the inventory (host, group or defaults.yaml)"
            return text
        keys = ", ".join(f"{m}: ..." for m in missing)
        alternatives = f"'groups: {{{group}: ...}}' or 'defaults:'" if group else "'defaults:'"
        return f"add 'hosts: {{{name}: {{{keys}}}}}' to {self.path} (or under {alternatives})"


def uses_ssh_key(target: Target) -> bool:
    """The inventory asks Netmiko or NAPALM to log in with a key rather than a password."""
    napalm_optional: Any = target.napalm_args.get("optional_args") or {}
    options = [target.netmiko_args, napalm_optional if isinstance(napalm_optional, dict) else {}]
    return any(opts.get(key) for opts in options for key in KEY_OPTIONS)


def missing_login(host: Host, target: Target, source: CredentialSource) -> CollectError | None:
    """A ``config`` CollectError naming what is missing and where it goes; None when complete."""
    missing = [] if target.username else ["username"]
    if not target.password and not uses_ssh_key(target):
        missing.append("password")
    if not missing:
        return None
    what = " and no ".join(missing)
    return CollectError(
        f"no {what} configured for {host.name}, so no login was attempted: "
        f"{source.where(host, missing)}",
        kind="config",
    )
