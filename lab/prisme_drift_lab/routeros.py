"""The RouterOS personality: a MikroTik router for Netmiko's ``mikrotik_routeros`` driver.

Logins may carry terminal flags (``admin+ct511w4098h``, as Netmiko sends); the session is a
colourless dumb terminal whatever the flags. Prompt ``[admin@rb01] > ``, or
``[admin@rb01] /ip/firewall/nat> `` after moving into a menu (RouterOS 7 writes menu paths
with slashes; commands accept both ``/ip firewall nat`` and ``/ip/firewall/nat``). Commands:
``/export [terse] [show-sensitive]`` (at the root or under a menu), ``print``, ``add``,
``set``, ``remove``, ``enable``, ``disable``, ``move`` on config menus, ``/system resource
print``, ``/system routerboard print``, ``/quit``. Menu and command names may be abbreviated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from prisme_drift_lab.common import duration_parts, read_data, stable_bytes, utc_now
from prisme_drift_lab.personality import OutputKind, Reply
from prisme_drift_lab.routeros_config import (
    Config,
    Item,
    Token,
    add_entry,
    bad_command,
    canonical,
    end_expected,
    items,
    move_entries,
    parse_export,
    render_export,
    render_terse,
    schema,
    select,
    set_props,
    set_single,
    split_property,
    tokenize,
)

if TYPE_CHECKING:
    from prisme_drift_lab.device import LabDevice

NO_SUCH_ITEM = "no such item"
_LIST_COMMANDS = ("add", "set", "remove", "enable", "disable", "move", "print", "export")
_COMMANDS = {
    "list": _LIST_COMMANDS,
    "items": ("set", "enable", "disable", "print", "export"),
    "single": ("set", "print", "export"),
    "info": ("print",),
    "menu": ("export",),
}


def kv_lines(pairs: Sequence[tuple[str, str]]) -> str:
    """``print`` of a single menu: keys right-aligned on the colon."""
    width = max(len(k) for k, _ in pairs) + 2
    return "\n".join(f"{k:>{width}}: {v}" for k, v in pairs)


def ros_uptime(seconds: float) -> str:
    """``3w2d4h12m5s``."""
    weeks, days, hours, minutes, secs = duration_parts(seconds)
    units = zip((weeks, days, hours, minutes), "wdhm", strict=True)
    return "".join(f"{n}{u}" for n, u in units if n) + f"{secs}s"


def _hardware(device: LabDevice) -> dict[str, str]:
    models = schema().models
    return models.get(device.model, models["RB750Gr3"])


def routerboard(device: LabDevice) -> str:
    """``/system routerboard print``."""
    hw = _hardware(device)
    return kv_lines(
        [
            ("routerboard", "yes"),
            ("board-name", hw["board-name"]),
            ("model", device.model),
            ("revision", "r2"),
            ("serial-number", device.serial),
            ("firmware-type", hw["firmware-type"]),
            ("factory-firmware", hw["factory-firmware"]),
            ("current-firmware", device.os_version),
            ("upgrade-firmware", device.os_version),
        ]
    )


def resource(device: LabDevice) -> str:
    """``/system resource print`` (the uptime moves; the rest is the model's)."""
    hw = _hardware(device)
    return kv_lines(
        [
            ("uptime", ros_uptime((utc_now() - device.boot_time).total_seconds())),
            ("version", f"{device.os_version} (stable)"),
            ("build-time", "2024-11-27 10:21:15"),
            ("factory-software", hw["factory-firmware"]),
            ("free-memory", "187.2MiB"),
            ("total-memory", hw["total-memory"]),
            ("cpu", hw["cpu"]),
            ("cpu-count", hw["cpu-count"]),
            ("cpu-frequency", hw["cpu-frequency"]),
            ("cpu-load", "1%"),
            ("free-hdd-space", "2.5MiB"),
            ("total-hdd-space", hw["total-hdd-space"]),
            ("write-sect-since-reboot", "1021"),
            ("write-sect-total", "52113"),
            ("bad-blocks", "0%"),
            ("architecture-name", hw["architecture-name"]),
            ("board-name", hw["board-name"]),
            ("platform", "MikroTik"),
        ]
    )


def _mac(chassis_id: str) -> str:
    digits = chassis_id.replace(".", "").replace(":", "").upper()
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def neighbors(device: LabDevice) -> str:
    """``/ip neighbor print detail``: what MNDP/LLDP/CDP heard on the lab's cables."""
    lines = ["Flags: X - disabled"]
    for number, (port, end) in enumerate(sorted(device.links.items())):
        lines.append(
            f" {number} interface={port} mac-address={_mac(end.chassis_id)} "
            f'identity="{end.device}" platform="{end.platform}" interface-name="{end.port}" '
            "system-caps=bridge,router system-caps-enabled=bridge,router discovered-by=lldp"
        )
    return "\n".join(lines)


def export_header(device: LabDevice, now: datetime) -> str:
    """The ``#`` lines of ``/export`` (the date changes at every call)."""
    code = stable_bytes("software-id", device.serial, length=8)
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    soft = "".join(alphabet[b % len(alphabet)] for b in code)
    return (
        f"# {now:%Y-%m-%d %H:%M:%S} by RouterOS {device.os_version}\n"
        f"# software id = {soft[:4]}-{soft[4:]}\n"
        "#\n"
        f"# model = {device.model}\n"
        f"# serial number = {device.serial}\n"
    )


def print_items(found: list[Item]) -> str:
    """``print`` of a list menu: numbered items, ``X`` for disabled ones, comments as ``;;;``."""
    lines = ["Flags: X - disabled, I - invalid; D - dynamic "]
    for number, item in enumerate(found):
        props = {k: v for k, v in item.props.items() if k not in ("comment", "disabled")}
        flag = "X" if item.props.get("disabled") == "yes" else " "
        first = [k for k in ("name", "chain", "action") if k in props]
        shown = " ".join(f"{k}={props[k]}" for k in [*first, *(k for k in props if k not in first)])
        lead = f"{number:>2} {flag}  "
        if number:
            lines.append("")
        if "comment" in item.props:
            lines.append(f"{lead};;; {item.props['comment']}")
            lead = " " * len(lead)
        lines.append(f"{lead}{shown}")
    return "\n".join(lines)


# -- the console ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one console line did."""

    output: str = ""
    kind: OutputKind = OutputKind.OTHER
    error: bool = False
    path: tuple[str, ...] | None = None  # the new current menu after a move into a menu
    close: bool = False


def _error(text: str) -> Outcome:
    return Outcome(text, error=True)


@dataclass
class Command:
    """A resolved console line: the menu, the command name and its arguments."""

    menu: tuple[str, ...]
    name: str
    args: list[Token] = field(default_factory=list)

    @property
    def path(self) -> str:
        """The menu as a section path, ``/ip firewall nat``."""
        return "/" + " ".join(self.menu)


def _kind(menu: tuple[str, ...]) -> str:
    path = "/" + " ".join(menu)
    section = schema().sections.get(path)
    if section is not None:
        return section.kind
    return "info" if path in schema().info else "menu"


def _match(word: str, choices: Sequence[str]) -> str | None:
    """``word`` or the one choice it abbreviates."""
    if word in choices:
        return word
    hits = [c for c in choices if c.startswith(word)]
    return hits[0] if len(hits) == 1 else None


def resolve(tokens: list[Token], current: tuple[str, ...]) -> Command | Outcome:
    """Walk the menu words of a line (``/``, ``..``, ``ip firewall nat``, ``/ip/firewall/nat``)
    to a command, or to a menu (the line only moves there)."""
    first = tokens[0]
    menu = [] if first.text.startswith("/") else list(current)
    head = [first] if "=" in first.text else [Token(p, first.column) for p in first.text.split("/")]
    words = [w for w in head if w.text] + tokens[1:]
    while words:
        word = words.pop(0)
        if word.text == "..":
            menu = menu[:-1]
            continue
        depth = len(menu)
        below = sorted(
            {m[depth] for m in schema().menus if len(m) > depth and m[:depth] == tuple(menu)}
        )
        choice = _match(word.text, [*below, *_COMMANDS[_kind(tuple(menu))], "quit"])
        if choice is None:
            return _error(bad_command(word.text, word.column))
        if choice not in below:
            return Command(tuple(menu), choice, words)
        menu.append(choice)
    return Outcome(path=tuple(menu))


class Console:
    """Runs console lines against a device's config (shared by SSH sessions and configure)."""

    def __init__(self, device: LabDevice, username: str) -> None:
        self.device = device
        self.username = username

    def run(self, line: str, current: tuple[str, ...]) -> Outcome:
        """Run one line typed in menu ``current``."""
        if not line.strip():
            return Outcome()
        tokens = tokenize(line)
        if isinstance(tokens, int):
            return _error(f"syntax error (line 1 column {tokens})")
        found = resolve(tokens, current)
        if isinstance(found, Outcome):
            return found
        if found.name == "quit":
            return Outcome(close=True)
        handler: Callable[[Command], Outcome] = getattr(self, f"do_{found.name}")
        return handler(found)

    def _edit(self, change: Callable[[Config], str]) -> Outcome:
        """Apply ``change`` atomically; it returns an error text (and then nothing changes)."""
        error = ""

        def apply(text: str) -> str:
            nonlocal error
            config = parse_export(text)
            error = change(config)
            return text if error else canonical(config)

        self.device.edit_running(apply, self.username)
        return _error(error) if error else Outcome()

    def _split_args(
        self, command: Command, flags: Sequence[str] = (), positional: int = 0
    ) -> tuple[list[str], dict[str, str], list[str]] | Outcome:
        """(flags, key=value properties, positional words) or the RouterOS error."""
        seen: list[str] = []
        props: dict[str, str] = {}
        words: list[str] = []
        for token in command.args:
            prop = split_property(token.text)
            flag = _match(token.text, flags) if prop is None else None
            if prop is not None:
                props[prop[0]] = prop[1]
            elif flag is not None:
                seen.append(flag)
            elif len(words) < positional:
                words.append(token.text)
            else:
                return _error(end_expected(token.column))
        return seen, props, words

    def _selection(
        self, config: Config, command: Command, props: dict[str, str], words: list[str]
    ) -> list[Item] | str:
        selector = props.pop("numbers", words[0] if words else "")
        found = items(config, command.path)
        chosen = select(found, selector) if selector else None
        if chosen is None:
            return NO_SUCH_ITEM
        return [found[i] for i in chosen]

    # -- commands --

    def do_export(self, command: Command) -> Outcome:
        """``export [terse] [show-sensitive] [file=x]``, for the whole config or a menu."""
        parsed = self._split_args(command, ("terse", "show-sensitive", "compact", "verbose"))
        if isinstance(parsed, Outcome):
            return parsed
        flags, props, _ = parsed
        unknown = next(
            (t for t in command.args if t.text.split("=")[0] in set(props) - {"file"}), None
        )
        if unknown is not None:
            return _error(end_expected(unknown.column))
        if "file" in props:
            return Outcome()
        config = parse_export(self.device.running_config())
        render = render_terse if "terse" in flags else render_export
        body = render(config, sensitive="show-sensitive" in flags, under=command.path.rstrip("/"))
        header = export_header(self.device, utc_now())
        kind = OutputKind.RUNNING_CONFIG if not command.menu else OutputKind.SHOW
        return Outcome(header + body, kind)

    def do_print(self, command: Command) -> Outcome:
        """``print`` (extra words such as ``detail`` or ``without-paging`` are accepted)."""
        parsed = self._split_args(command, ("detail", "without-paging", "terse"))
        if isinstance(parsed, Outcome):
            return parsed
        path = command.path
        if path == "/system routerboard":
            return Outcome(routerboard(self.device), OutputKind.SHOW)
        if path == "/system resource":
            return Outcome(resource(self.device), OutputKind.SHOW)
        if path == "/ip neighbor":
            return Outcome(neighbors(self.device), OutputKind.SHOW)
        config = parse_export(self.device.running_config())
        if _kind(command.menu) == "single":
            entry = next((e for e in config.get(path, []) if e.verb == "set"), None)
            pairs = list(entry.props.items()) if entry else []
            return Outcome(kv_lines(pairs) if pairs else "", OutputKind.SHOW)
        return Outcome(print_items(items(config, path)), OutputKind.SHOW)

    def do_add(self, command: Command) -> Outcome:
        """``add key=value ... [place-before=N]``."""
        parsed = self._split_args(command)
        if isinstance(parsed, Outcome):
            return parsed
        _, props, _ = parsed
        place = props.pop("place-before", None)

        def change(config: Config) -> str:
            before = None
            if place is not None:
                chosen = self._selection(config, command, {"numbers": place}, [])
                if isinstance(chosen, str) or not chosen:
                    return NO_SUCH_ITEM
                before = chosen[0]
            add_entry(config, command.path, props, before)
            return ""

        return self._edit(change)

    def do_set(self, command: Command) -> Outcome:
        """``set <selector> key=value ...`` (``set key=value`` on a single menu)."""
        single = _kind(command.menu) == "single"
        parsed = self._split_args(command, positional=0 if single else 1)
        if isinstance(parsed, Outcome):
            return parsed
        _, props, words = parsed
        if single:

            def change_single(config: Config) -> str:
                set_single(config, command.path, props)
                return ""

            return self._edit(change_single)
        selector = {"numbers": props.pop("numbers")} if "numbers" in props else {}
        return self._change_items(command, selector, words, props)

    def _change_items(
        self, command: Command, selector: dict[str, str], words: list[str], changes: dict[str, str]
    ) -> Outcome:
        def change(config: Config) -> str:
            chosen = self._selection(config, command, dict(selector), words)
            if isinstance(chosen, str):
                return chosen
            for item in chosen:
                set_props(config, command.path, item, changes)
            return ""

        return self._edit(change)

    def do_enable(self, command: Command) -> Outcome:
        """``enable <selector>``."""
        return self._toggle(command, "no")

    def do_disable(self, command: Command) -> Outcome:
        """``disable <selector>``."""
        return self._toggle(command, "yes")

    def _toggle(self, command: Command, disabled: str) -> Outcome:
        parsed = self._split_args(command, positional=1)
        if isinstance(parsed, Outcome):
            return parsed
        _, props, words = parsed
        return self._change_items(command, props, words, {"disabled": disabled})

    def do_remove(self, command: Command) -> Outcome:
        """``remove <selector>`` (numbers, names or ``[find ...]``)."""
        parsed = self._split_args(command, positional=1)
        if isinstance(parsed, Outcome):
            return parsed
        _, props, words = parsed

        def change(config: Config) -> str:
            chosen = self._selection(config, command, props, words)
            if isinstance(chosen, str):
                return chosen
            if any(item.builtin is not None for item in chosen):
                return "failure: default item can not be removed"
            doomed = [item.entry for item in chosen]
            config[command.path] = [
                e for e in config.get(command.path, []) if all(e is not d for d in doomed)
            ]
            return ""

        return self._edit(change)

    def do_move(self, command: Command) -> Outcome:
        """``move <selector> [destination=]<N>``: before item N (at the end without N)."""
        parsed = self._split_args(command, positional=2)
        if isinstance(parsed, Outcome):
            return parsed
        _, props, words = parsed
        destination = props.pop("destination", words[1] if len(words) > 1 else None)

        def change(config: Config) -> str:
            chosen = self._selection(config, command, props, words[:1])
            if isinstance(chosen, str):
                return chosen
            before = None
            if destination is not None:
                target = self._selection(config, command, {"numbers": destination}, [])
                if isinstance(target, str):
                    return target
                before = target[0] if target else None
            move_entries(config, command.path, chosen, before)
            return ""

        return self._edit(change)


# -- the shell ------------------------------------------------------------------------------------


class RouterosShell:
    """One RouterOS console session."""

    def __init__(self, device: LabDevice, username: str) -> None:
        self.device = device
        self.username = username
        self.console = Console(device, username)
        self.menu: tuple[str, ...] = ()

    def greeting(self) -> str:
        """The MikroTik logo banner."""
        return read_data("routeros_banner.txt").format(version=self.device.os_version)

    def prompt(self) -> str:
        """``[admin@rb01] > `` or ``[admin@rb01] /ip/firewall/nat> ``."""
        where = "/" + "/".join(self.menu) if self.menu else ""
        return f"[{self.username}@{self.identity()}] {where}> "

    def identity(self) -> str:
        """``/system identity`` name (``MikroTik`` if unset)."""
        m = re.search(
            r"^/system identity set (?:.* )?name=(\"(?:[^\"\\]|\\.)*\"|\S+)",
            self.device.running_config(),
            flags=re.M,
        )
        return m.group(1).strip('"') if m else "MikroTik"

    def handle_line(self, line: str) -> Reply:
        """Run one console line."""
        outcome = self.console.run(line, self.menu)
        if outcome.path is not None:
            self.menu = outcome.path
        return Reply(outcome.output, outcome.kind, close=outcome.close)

    def interrupt(self) -> Reply:
        """Ctrl-Z does nothing here."""
        return Reply()

    def error_reply(self, line: str) -> str:
        """``bad command name`` on the first word."""
        m = re.search(r"[^\s/]+", line)
        return bad_command(m.group(0) if m else "", m.start() + 1 if m else 1)


# -- the personality ------------------------------------------------------------------------------


class RouterosPersonality:
    """MikroTik RouterOS 7 (hEX router of a dental clinic)."""

    platform = "mikrotik_routeros"
    ssh_server_version = "ROSSSH"
    default_model = "RB750Gr3"
    default_os_version = "7.16.1"

    def default_config(self, device: LabDevice) -> str:
        """``lab/data/routeros_router.rsc`` with this device's identity and bridge MAC."""
        mac = stable_bytes("mac", device.name, length=3).hex().upper()
        return (
            read_data("routeros_router.rsc")
            .replace("{hostname}", device.name)
            .replace("{mac}", "48:A9:8A:" + ":".join(mac[i : i + 2] for i in range(0, 6, 2)))
            .replace("{psk_staff}", "Sourire-Staff-2024")
            .replace("{psk_guest}", "Bienvenue-Patients")
        )

    def load_config(self, device: LabDevice, text: str) -> str:
        """A given export (terse or not, with ``\\`` continuations) in the stored terse form."""
        return canonical(parse_export(text))

    def default_serial(self, name: str) -> str:
        """``HEX`` and eight hex digits, stable per device name."""
        return "HEX" + stable_bytes("serial", name, length=4).hex().upper()

    def login_user(self, username: str) -> str:
        """``admin+ct511w4098h`` -> ``admin``: the part before ``+`` is the user."""
        return username.split("+", 1)[0]

    def new_shell(self, device: LabDevice, username: str) -> RouterosShell:
        """A new console session."""
        return RouterosShell(device, username)

    def configure(self, device: LabDevice, lines: Sequence[str], username: str) -> list[str]:
        """Run console lines (moving into menus is allowed); return the errors."""
        console, errors = Console(device, username), []
        menu: tuple[str, ...] = ()
        for line in lines:
            outcome = console.run(line, menu)
            if outcome.path is not None:
                menu = outcome.path
            if outcome.error:
                errors.append(f"{line.strip()}: {outcome.output}")
        return errors
