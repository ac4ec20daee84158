"""The FortiOS personality: a FortiGate firewall for Netmiko's ``fortinet`` driver.

Prompts ``fw01 #``, ``fw01 (policy) #``, ``fw01 (3) #`` (each after a blank line, as FortiOS
prints them); ``get system status`` / ``get system console`` / ``get system performance
status``; ``show`` and ``show full-configuration`` (whole config or a path, optionally one
entry), ``| grep``; and the config grammar of :mod:`prisme_drift_lab.fortios_config`. VDOMs are
disabled, so ``config global`` is refused as on such a unit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prisme_drift_lab.common import duration_parts, read_data, stable_bytes, utc_now
from prisme_drift_lab.fortios_config import (
    ConfigSession,
    Word,
    admin_hash,
    apply_lines,
    attr_key,
    attr_words,
    entry_line,
    entry_name,
    lab_uuid,
    locate,
    not_found,
    parse_config,
    parse_error,
    render_config,
    resalt_secrets,
    schema,
    split_words,
    stored_secret,
    subtree,
    with_defaults,
)
from prisme_drift_lab.personality import OutputKind, Reply
from prisme_drift_lab.tree import Node

if TYPE_CHECKING:
    from prisme_drift_lab.device import LabDevice


@dataclass(frozen=True)
class Build:
    """A FortiOS release: build number, build date (YYMMDD) and release tag."""

    number: str
    date: str
    tag: str


_BUILDS = {
    "7.2.8": Build("1639", "240313", "GA.M"),
    "7.2.10": Build("1706", "240918", "GA.M"),
    "7.4.4": Build("2662", "240514", "GA.F"),
    "7.0.15": Build("0632", "240416", "GA.M"),
}


def build_of(version: str) -> Build:
    """The build of a FortiOS version (a made-up but stable one for unknown versions)."""
    if version in _BUILDS:
        return _BUILDS[version]
    number = int.from_bytes(stable_bytes("build", version, length=2), "big") % 3000
    return Build(f"{number:04d}", "240101", "GA")


def short_model(model: str) -> str:
    """``FortiGate-60F`` -> ``FGT60F`` (the prefix of serial numbers and config versions)."""
    for long, short in (("FortiGate-", "FGT"), ("FortiWiFi-", "FWF")):
        if model.startswith(long):
            return short + model.removeprefix(long)
    return model.replace("-", "")


def config_header(device: LabDevice, user: str) -> str:
    """The ``#`` lines ``show`` prints first; ``conf_file_ver`` changes with every change."""
    build = build_of(device.os_version)
    version = int.from_bytes(stable_bytes(device.serial, device.revision, length=6), "big")
    return (
        f"#config-version={short_model(device.model)}-{device.os_version}-FW-build{build.number}"
        f"-{build.date}:opmode=0:vdom=0:user={user}\n"
        f"#conf_file_ver={version}\n"
        f"#buildno={build.number}\n"
        "#global_vdom=1\n"
    )


def system_status(device: LabDevice, hostname: str) -> str:
    """``get system status``."""
    build = build_of(device.os_version)
    return read_data("fortios_system_status.txt").format(
        model=device.model,
        version=device.os_version,
        build=build.number,
        build_short=build.number.lstrip("0"),
        date=build.date,
        tag=build.tag,
        release=build.tag.split(".")[0],
        serial=device.serial,
        hostname=hostname,
        time=utc_now().strftime("%a %b %d %H:%M:%S %Y"),
    )


def performance_status(device: LabDevice) -> str:
    """``get system performance status`` (a quiet small-office firewall)."""
    weeks, days, hours, minutes, _ = duration_parts((utc_now() - device.boot_time).total_seconds())
    days += 7 * weeks
    cpus = [
        f"CPU{i} states: {1 + i % 2}% user 0% system 0% nice {99 - i % 2}% idle 0% iowait "
        "0% irq 0% softirq"
        for i in range(4)
    ]
    return "\n".join(
        [
            "CPU states: 1% user 0% system 0% nice 99% idle 0% iowait 0% irq 0% softirq",
            *cpus,
            "Memory: 1967828k total, 1082648k used (55.0%), 770716k free (39.2%), "
            "114464k freeable (5.8%)",
            "Average network usage: 85 / 64 kbps in 1 minute, 92 / 71 kbps in 10 minutes, "
            "90 / 70 kbps in 30 minutes",
            "Average sessions: 143 sessions in 1 minute, 139 sessions in 10 minutes, "
            "137 sessions in 30 minutes",
            "Average session setup rate: 2 sessions per second in last 1 minute, "
            "2 sessions per second in last 10 minutes, 2 sessions per second in last 30 minutes",
            "Virus caught: 0 total in 1 minute",
            "IPS attacks blocked: 0 total in 1 minute",
            f"Uptime: {days} days,  {hours} hours,  {minutes} minutes",
        ]
    )


def lldp_summary(device: LabDevice) -> str:
    """``diagnose lldprx neighbor summary``: one line per neighbor heard on a cable."""
    lines = [
        f"Neighbor Summary ({len(device.links)} neighbors):",
        f" {'Port':<12}{'Chassis ID':<17}{'Port ID':<16}{'TTL':<5}System Name",
    ]
    for port, end in sorted(device.links.items()):
        remote = end.port.replace("GigabitEthernet", "Gi")
        lines.append(f" {port:<12}{end.chassis_id:<17}{remote:<16}{120:<5}{end.device}")
    return "\n".join(lines)


def get_block(node: Node) -> str:
    """``get`` of one block: ``attribute        : value`` lines (secrets as ``*``)."""
    lines = []
    for child in node.children:
        key = attr_key(child.text)
        if key is None:
            continue
        words = attr_words(child.text)
        value = "*" if words and words[0].text == "ENC" else " ".join(w.text for w in words)
        lines.append(f"{key:<20}: {value}")
    return "\n".join(lines)


def get_table(node: Node) -> str:
    """``get`` of a table: one ``== [ name ]`` header and one line of attributes per entry."""
    out = []
    for entry in node.children:
        if entry.text.startswith("edit "):
            pairs = [line.replace(" : ", ": ", 1) for line in get_block(entry).splitlines()]
            out += [f"== [ {entry_name(entry.text)} ]", "   ".join(p.strip() for p in pairs)]
    return "\n".join(out)


def get_any(node: Node) -> str:
    """``get`` of a table or of a single block."""
    is_table = any(c.text.startswith("edit ") for c in node.children)
    return get_table(node) if is_table else get_block(node)


def grep(output: str, args: list[Word]) -> str | None:
    """FortiOS ``| grep [-i] [-v] [-c] [-A n] [-B n] [-C n] <pattern>``; None if malformed."""
    flags, after, before, invert, count = 0, 0, 0, False, False
    words = list(args)
    while len(words) > 1 and words[0].text.startswith("-") and not words[0].quoted:
        option = words.pop(0).text
        if option in ("-A", "-B", "-C") and words[:-1] and words[0].text.isdigit():
            size = int(words.pop(0).text)
            after = size if option in ("-A", "-C") else after
            before = size if option in ("-B", "-C") else before
        elif option in ("-i", "-v", "-c"):
            flags |= re.IGNORECASE if option == "-i" else 0
            invert |= option == "-v"
            count |= option == "-c"
        else:
            return None
    if len(words) != 1:
        return None
    try:
        pattern = re.compile(words[0].text, flags)
    except re.error:
        return None
    lines = output.split("\n")
    hits = [i for i, line in enumerate(lines) if bool(pattern.search(line)) != invert]
    if count:
        return str(len(hits))
    keep = sorted(
        {j for i in hits for j in range(i - before, i + after + 1) if 0 <= j < len(lines)}
    )
    return "\n".join(lines[j] for j in keep)


# -- the shell ------------------------------------------------------------------------------------


def new_session(device: LabDevice, username: str) -> ConfigSession:
    """A ``config`` context stack editing ``device`` on behalf of ``username``."""
    return ConfigSession(
        edit=lambda change: device.edit_running(change, username),
        running=device.running_config,
        device_name=device.name,
    )


class FortiosShell:
    """One FortiOS CLI session (super_admin, no VDOMs)."""

    def __init__(self, device: LabDevice, username: str) -> None:
        self.device = device
        self.username = username
        self.session = new_session(device, username)

    # -- Shell protocol --

    def greeting(self) -> str:
        """Nothing: FortiOS shows the prompt at once (no post-login banner configured)."""
        return ""

    def prompt(self) -> str:
        """``fw01 #`` or ``fw01 (policy) #``, after a blank line."""
        context = f" ({self.session.label})" if self.session.frames else ""
        return f"\n{self.hostname()}{context} # "

    def handle_line(self, line: str) -> Reply:
        """Run one typed line (a command at the top, or a line in a ``config`` context)."""
        words = line.split()
        if not words:
            return Reply()
        if words[0] in ("show", "get"):
            return self.read_command(line)
        if words[0] == "diagnose":
            return self.diagnose(words[1:])
        if words[0] == "exit" and not self.session.frames:
            return Reply(close=True)
        result = self.session.apply(line)
        return Reply(result.error or result.message)

    def interrupt(self) -> Reply:
        """Ctrl-Z does nothing on FortiOS."""
        return Reply()

    def error_reply(self, line: str) -> str:
        """FortiOS's parse error on the command's first word."""
        words = line.split()
        return parse_error(words[0] if words else "")

    # -- helpers --

    def hostname(self) -> str:
        """The hostname of ``config system global`` (the device name if unset)."""
        m = re.search(
            r'^config system global\n(?:    .*\n)*?    set hostname "?([^"\n]+)"?$',
            self.device.running_config(),
            flags=re.M,
        )
        return m.group(1) if m else self.device.name

    def display(self, text: str) -> str:
        """Config text as shown: every reversible secret encrypted with a fresh salt."""
        tick = self.device.tick()
        return resalt_secrets(text, lambda n: stable_bytes(self.device.name, tick, n, length=4))

    def read_command(self, line: str) -> Reply:
        """``show ...`` / ``get ...``, with an optional ``| grep``."""
        command, bar, pipe = line.partition("|")
        words = split_words(command)
        if words is None:
            return Reply(parse_error(command.split()[-1]))
        handler = self.show if words[0].text == "show" else self.get
        reply = handler([w.text for w in words[1:]])
        if not bar or reply.kind is OutputKind.OTHER:
            return reply
        grep_words = split_words(pipe) or []
        if not grep_words or grep_words[0].text != "grep":
            return Reply(parse_error(pipe.strip() or "|"))
        filtered = grep(reply.output, grep_words[1:])
        if filtered is None:
            return Reply(parse_error("grep"))
        return Reply(filtered, reply.kind)

    def show(self, args: list[str]) -> Reply:
        """``show [full-configuration] [<path> [<entry>]]`` (the context's block inside one)."""
        full = bool(args) and args[0] == "full-configuration"
        args = args[1:] if full else args
        nodes = self.session.view()
        if full:
            with_defaults(nodes)
        if self.session.frames:
            if args:
                return Reply(parse_error(args[0]))
            return Reply(
                self.display(render_config(subtree(nodes, self.session.frames))), OutputKind.SHOW
            )
        if not args:
            header = config_header(self.device, self.username)
            return Reply(header + self.display(render_config(nodes)), OutputKind.RUNNING_CONFIG)
        size = schema().longest_path(args)
        if not size or len(args) > size + 1:
            return Reply(parse_error(args[size] if size else args[0]))
        path = [f"config {' '.join(args[:size])}"]
        if len(args) > size:
            path.append(entry_line(args[size]))
            if locate(nodes, path) is None:
                return Reply(not_found(args[size]))
        shown = subtree(nodes, path) or [Node(path[0])]
        return Reply(self.display(render_config(shown)), OutputKind.SHOW)

    def diagnose(self, args: list[str]) -> Reply:
        """``diagnose lldprx neighbor summary`` (LLDP neighbors from the lab's cables)."""
        if args != ["lldprx", "neighbor", "summary"]:
            return Reply(parse_error(args[0] if args else "diagnose"))
        return Reply(lldp_summary(self.device), OutputKind.SHOW)

    def get(self, args: list[str]) -> Reply:
        """``get system status``, ``get system performance status``, ``get <path>``."""
        special: dict[str, Callable[[], str]] = {
            "system status": lambda: system_status(self.device, self.hostname()),
            "system performance status": lambda: performance_status(self.device),
        }
        nodes = with_defaults(self.session.view())
        if self.session.frames:
            if args:
                return Reply(parse_error(args[0]))
            node = locate(nodes, self.session.frames)
            return Reply(get_any(node) if node else "", OutputKind.SHOW)
        if " ".join(args) in special:
            return Reply(special[" ".join(args)](), OutputKind.SHOW)
        size = schema().longest_path(args)
        if not size or len(args) != size:
            return Reply(parse_error(args[size] if size else (args[0] if args else "get")))
        path = " ".join(args)
        node = locate(nodes, [f"config {path}"])
        return Reply(get_any(node) if node else "", OutputKind.SHOW)


# -- the personality ------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(\w+)(?::([^}]*))?\}")


class FortiosPersonality:
    """FortiOS 7.x (FortiGate-60F of a dental clinic)."""

    platform = "fortinet"
    ssh_server_version = "xnTrQ9Lw"  # FortiGates advertise a random-looking software id
    default_model = "FortiGate-60F"
    default_os_version = "7.2.8"

    def default_config(self, device: LabDevice) -> str:
        """``lab/data/fortios_firewall.conf`` with this device's names, secrets and uuids."""

        def fill(m: re.Match[str]) -> str:
            kind, arg = m.group(1), m.group(2) or ""
            values: dict[str, Callable[[], str]] = {
                "hostname": lambda: device.name,
                "model": lambda: device.model,
                "enc": lambda: stored_secret(arg),
                "sh2": lambda: admin_hash(arg),
                "uuid": lambda: lab_uuid(device.name, arg),
            }
            return values[kind]()

        return _PLACEHOLDER.sub(fill, read_data("fortios_firewall.conf"))

    def load_config(self, device: LabDevice, text: str) -> str:
        """A given config (``show`` output, header lines allowed), re-indented as FortiOS does."""
        return render_config(parse_config(text))

    def default_serial(self, name: str) -> str:
        """``FGT60FTK2209XXXX``: model prefix, factory code, year, week, sequence."""
        code = stable_bytes("serial", name, length=4)
        return (
            f"{short_model(self.default_model)}TK{20 + code[0] % 5:02d}{1 + code[1] % 52:02d}"
            f"{int.from_bytes(code[2:], 'big') % 10_000:04d}"
        )

    def login_user(self, username: str) -> str:
        """FortiOS login names are user names."""
        return username

    def new_shell(self, device: LabDevice, username: str) -> FortiosShell:
        """A new CLI session."""
        return FortiosShell(device, username)

    def configure(self, device: LabDevice, lines: Sequence[str], username: str) -> list[str]:
        """Apply lines as typed at the CLI (``config``/``edit``/``set``/``next``/``end``)."""
        return apply_lines(new_session(device, username), lines)
