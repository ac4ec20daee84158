"""Before pass 1: rebuild the logical lines a device cut or factored out of its output.

RouterOS cuts long lines with a ``\\`` continuation, and a plain ``/export`` writes a menu path once
above the commands it applies to. A secret pattern must see whole, self-contained statements, or
a PSK split over two lines, or an SNMP community under a ``/snmp community`` header, would escape
it. So these named steps run first, inside ``redact`` (it must be safe on its own). They change
how statements are laid out, never what they say.
"""

from __future__ import annotations

from collections.abc import Callable

from prisme_drift.errors import ProfileError
from prisme_drift.profiles import Profile

Framing = Callable[[list[str], Profile], list[str]]


def _continues(line: str) -> bool:
    """A line ending in an odd run of backslashes goes on (an even run is escaped text)."""
    run = len(line) - len(line.rstrip("\\"))
    return run % 2 == 1


def join_backslash(lines: list[str], profile: Profile | None = None) -> list[str]:
    """``... protocol=\\`` + ``    tcp`` -> ``... protocol=tcp`` (continuation indent dropped)."""
    out: list[str] = []
    pending: str | None = None
    for line in lines:
        current = line if pending is None else pending + line.lstrip()
        if _continues(current):
            pending = current[:-1]
            continue
        out.append(current)
        pending = None
    if pending is not None:
        out.append(pending)
    return out


def menu_path(line: str, verbs: tuple[str, ...]) -> str | None:
    """The menu path of a terse export line (``/ip firewall filter``), None if there is none:
    the words before the first of the profile's ``menu_verbs``."""
    words = line.split(" ")
    for i, word in enumerate(words[1:], start=1):
        if word in verbs:
            return " ".join(words[:i])
    return None


def inline_menu_paths(lines: list[str], profile: Profile) -> list[str]:
    """Sections headed by a bare menu path (a RouterOS plain ``/export``) turned into terse lines
    with the menu path on each line (``/export terse``).

    The two export forms then store and compare the same, and every line stands alone.
    """
    verbs = profile.menu_verbs
    out: list[str] = []
    section: str | None = None
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("/"):
            if menu_path(stripped, verbs) is None:
                section = stripped  # a bare menu path opens a section
                continue
            out.append(stripped)
        elif section and stripped.split(" ", 1)[0] in verbs:
            out.append(f"{section} {stripped}")
        else:
            out.append(line)
    return out


FRAMINGS: dict[str, Framing] = {
    "join_backslash": join_backslash,
    "inline_menu_paths": inline_menu_paths,
}


def logical_lines(text: str, profile: Profile) -> list[str]:
    """The text's lines (any newline convention) after the profile's framing steps."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for name in profile.framing:
        try:
            lines = FRAMINGS[name](lines, profile)
        except KeyError:
            raise ProfileError(
                f"profile {profile.name!r} names unknown framing step {name!r}; "
                f"known: {', '.join(sorted(FRAMINGS))}"
            ) from None
    return lines
