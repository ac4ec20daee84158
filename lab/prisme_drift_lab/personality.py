"""What the SSH engine needs from a platform "personality" (IOS, FortiOS, RouterOS).

The engine (:mod:`prisme_drift_lab.server`) owns everything generic: SSH, authentication, line
editing and echo, UTF-8, faults and byte-by-byte output. A personality only turns one input line
into a :class:`Reply` and knows its prompt and its config grammar. Personalities register
themselves in :data:`_FACTORIES` below, keyed by the ``platform`` string of a :class:`LabDevice`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from prisme_drift_lab.device import LabDevice


class OutputKind(Enum):
    """How the engine may alter a reply when a fault is injected on the device."""

    OTHER = "other"  # prompts, mode changes, config lines: never altered
    SHOW = "show"  # a show command: replaced by the platform's error text under fault "error"
    RUNNING_CONFIG = "running_config"  # the running config dump: also hit by "truncate"/"empty"


@dataclass(frozen=True)
class Reply:
    """What a shell answers to one input line (the engine has already echoed the line)."""

    output: str = ""
    kind: OutputKind = OutputKind.OTHER
    close: bool = False  # end the session after sending ``output``
    secret_input: bool = False  # do not echo the next line (a password prompt)


class Shell(Protocol):
    """One interactive CLI session on a device."""

    def greeting(self) -> str:
        """Text sent right after login, before the first prompt (banner...)."""
        ...

    def prompt(self) -> str:
        """The prompt to show now, e.g. ``sw01#`` or ``sw01(config-if)#``."""
        ...

    def handle_line(self, line: str) -> Reply:
        """Execute one line typed by the user."""
        ...

    def interrupt(self) -> Reply:
        """Ctrl-Z (leave config mode on most platforms)."""
        ...

    def error_reply(self, line: str) -> str:
        """The platform's "invalid command" text for ``line`` (used by the "error" fault)."""
        ...


class Personality(Protocol):
    """A platform: its default config, its CLI sessions and its config grammar."""

    platform: str
    ssh_server_version: str  # what follows "SSH-2.0-" in the server's banner
    default_model: str
    default_os_version: str

    def default_config(self, device: LabDevice) -> str:
        """The built-in running config of a device created without ``config=``."""
        ...

    def load_config(self, device: LabDevice, text: str) -> str:
        """A config given with ``config=``, in the form :meth:`LabDevice.running_config` keeps."""
        ...

    def default_serial(self, name: str) -> str:
        """A serial number in the platform's format, stable for a device name."""
        ...

    def login_user(self, username: str) -> str:
        """The device user behind an SSH login name (MikroTik logins carry ``+flags``)."""
        ...

    def new_shell(self, device: LabDevice, username: str) -> Shell:
        """A fresh CLI session for ``username`` (already authenticated)."""
        ...

    def configure(self, device: LabDevice, lines: Sequence[str], username: str) -> list[str]:
        """Apply config-mode lines to the device; return the error messages (empty: all ok)."""
        ...


def _load_ios() -> Personality:
    from prisme_drift_lab.ios import IosPersonality  # here: avoids an import cycle

    return IosPersonality()


def _load_fortinet() -> Personality:
    from prisme_drift_lab.fortios import FortiosPersonality

    return FortiosPersonality()


def _load_routeros() -> Personality:
    from prisme_drift_lab.routeros import RouterosPersonality

    return RouterosPersonality()


_FACTORIES: dict[str, Callable[[], Personality]] = {
    "ios": _load_ios,
    "fortinet": _load_fortinet,
    "mikrotik_routeros": _load_routeros,
}
_CACHE: dict[str, Personality] = {}

#: The ``platform`` values a :class:`LabDevice` accepts.
KNOWN_PLATFORMS: tuple[str, ...] = tuple(sorted(_FACTORIES))


def get_personality(platform: str) -> Personality:
    """The personality for ``platform``; ValueError listing the known ones if there is none."""
    if platform not in _FACTORIES:
        known = ", ".join(KNOWN_PLATFORMS)
        raise ValueError(f"unknown lab platform {platform!r}; known platforms: {known}")
    if platform not in _CACHE:
        _CACHE[platform] = _FACTORIES[platform]()
    return _CACHE[platform]
