"""The Cisco IOS personality: exec commands, show outputs and ``configure terminal``.

Good enough for the real Netmiko ``cisco_ios`` and NAPALM ``ios`` drivers: prompts
``sw01>``/``sw01#``/``sw01(config-if)#``, ``terminal length 0``/``width 511``, ``enable``
with an optional secret, ``show running-config``/``startup-config``/``version``/``hosts``/
``ip interface brief`` and a generic config grammar (:mod:`prisme_drift_lab.ios_config`).
Keywords may be abbreviated as on IOS (``sh run``, ``conf t``, ``wr``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from prisme_drift_lab.common import read_data, utc_now
from prisme_drift_lab.device import default_serial
from prisme_drift_lab.ios_config import (
    INVALID_INPUT,
    ConfigSession,
    Step,
    apply_lines,
    canonical_interface,
    parse_config,
)
from prisme_drift_lab.personality import OutputKind, Reply
from prisme_drift_lab.tree import Node, render

if TYPE_CHECKING:
    from prisme_drift_lab.device import LabDevice, LinkEnd

_SHORT_NAMES = {
    "GigabitEthernet": "Gi",
    "FastEthernet": "Fa",
    "TenGigabitEthernet": "Te",
    "TwoGigabitEthernet": "Tw",
    "Port-channel": "Po",
    "Vlan": "Vl",
    "Loopback": "Lo",
    "Tunnel": "Tu",
}
_CONFIG_INTRO = "Enter configuration commands, one per line.  End with CNTL/Z."


def ios_time(moment: datetime, msec: bool = False) -> str:
    """``14:22:05 UTC Tue Mar 5 2024`` (IOS clock format)."""
    clock = moment.strftime("%H:%M:%S")
    if msec:
        clock += f".{moment.microsecond // 1000:03d}"
    return f"{clock} UTC {moment.strftime('%a %b')} {moment.day} {moment.year}"


def uptime_text(seconds: float) -> str:
    """``3 weeks, 2 days, 4 hours, 12 minutes`` (IOS ``show version`` style)."""
    minutes = int(seconds // 60)
    units = (("year", 525_600), ("week", 10_080), ("day", 1_440), ("hour", 60), ("minute", 1))
    parts: list[str] = []
    for unit, size in units:
        count, minutes = divmod(minutes, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count > 1 else ''}")
    return ", ".join(parts) or "0 minutes"


def short_interface(name: str) -> str:
    """``GigabitEthernet1/0/1`` -> ``Gi1/0/1``."""
    for full, short in _SHORT_NAMES.items():
        if name.startswith(full):
            return short + name[len(full) :]
    return name


# -- show command renderers -----------------------------------------------------------------------


@dataclass(frozen=True)
class Interface:
    """What the show commands need to know about one ``interface`` block."""

    name: str
    description: str
    address: str
    shutdown: bool
    access_vlan: int | None  # None on trunks and routed ports
    mask: str = ""


def interfaces(config: str) -> list[Interface]:
    """The interfaces of a running config, in config order."""
    result: list[Interface] = []
    for node in parse_config(config):
        if not node.text.startswith("interface "):
            continue
        lines = [c.text for c in node.children]
        result.append(
            Interface(
                name=node.text.split()[1],
                description=next((t[12:] for t in lines if t.startswith("description ")), ""),
                address=next(
                    (t.split()[2] for t in lines if re.match(r"ip address \S+ \S+$", t)),
                    "unassigned",
                ),
                mask=next((t.split()[3] for t in lines if re.match(r"ip address \S+ \S+$", t)), ""),
                shutdown="shutdown" in lines,
                access_vlan=_access_vlan(lines),
            )
        )
    return result


def _access_vlan(lines: list[str]) -> int | None:
    if "switchport mode trunk" in lines or "no switchport" in lines:
        return None
    vlan = next((t.split()[-1] for t in lines if t.startswith("switchport access vlan ")), "1")
    return int(vlan)


def _config_value(config: str, pattern: str, default: str) -> str:
    m = re.search(pattern, config, flags=re.M)
    return m.group(1) if m else default


def show_version(device: LabDevice, hostname: str, now: datetime) -> str:
    """``show version`` for a Catalyst switch (model, serial and version from the device)."""
    family = device.model.removeprefix("WS-").split("-")[0]
    m = re.match(r"(\d+)\.(\d+)\((\w+)\)(\S*)", device.os_version)
    image_version = f"{m.group(1)}{m.group(2)}-{m.group(3)}.{m.group(4)}" if m else "0"
    mac = hashlib.sha256(device.serial.encode()).hexdigest()[:10]
    return read_data("ios_show_version.txt").format(
        family=family,
        os_version=device.os_version,
        hostname=hostname,
        uptime=uptime_text((now - device.boot_time).total_seconds()),
        restarted=ios_time(device.boot_time),
        image=f"{family.lower()}-universalk9-mz.{image_version}.bin",
        model=device.model,
        serial=device.serial,
        mac=":".join(["70", *[mac[i : i + 2] for i in range(0, 10, 2)]]).upper(),
    )


def show_hosts(config: str) -> str:
    """``show hosts``: the default domain and name servers from the config."""
    domain = _config_value(config, r"^ip domain[ -]name (\S+)", "")
    servers = _config_value(config, r"^ip name-server (.+)$", "")
    return "\n".join(
        [
            f"Default domain is {domain}" if domain else "Default domain is not set",
            "Name/address lookup uses domain service",
            f"Name servers are {', '.join(servers.split() or ['255.255.255.255'])}",
            "",
            "Codes: UN - unknown, EX - expired, OK - OK, ?? - revalidate",
            "       temp - temporary, perm - permanent",
            "       NA - Not Applicable None - Not defined",
            "",
            "Host                      Port  Flags      Age Type   Address(es)",
        ]
    )


def show_ip_interface_brief(config: str) -> str:
    """``show ip interface brief`` generated from the interface blocks."""
    lines = ["Interface              IP-Address      OK? Method Status                Protocol"]
    for itf in interfaces(config):
        method = "unset" if itf.address == "unassigned" else "NVRAM"
        status, proto = ("administratively down", "down") if itf.shutdown else ("up", "up")
        lines.append(f"{itf.name:<23}{itf.address:<16}YES {method:<7}{status:<22}{proto}")
    return "\n".join(lines)


def show_interfaces_description(config: str) -> str:
    """``show interfaces description``."""
    lines = ["Interface                      Status         Protocol Description"]
    for itf in interfaces(config):
        status, proto = ("admin down", "down") if itf.shutdown else ("up", "up")
        lines.append(f"{short_interface(itf.name):<31}{status:<15}{proto:<9}{itf.description}")
    return "\n".join(lines)


def show_vlan_brief(config: str) -> str:
    """``show vlan brief``: vlans from the config, access ports listed in theirs."""
    names = {1: "default"}
    for node in parse_config(config):
        m = re.fullmatch(r"vlan (\d+)", node.text)
        if m:
            vid = int(m.group(1))
            name = next((c.text[5:] for c in node.children if c.text.startswith("name ")), "")
            names[vid] = name or f"VLAN{vid:04d}"
    members: dict[int, list[str]] = {}
    for itf in interfaces(config):
        if itf.access_vlan is not None and not itf.name.startswith(("Vlan", "Fast")):
            members.setdefault(itf.access_vlan, []).append(short_interface(itf.name))
    lines = [
        "VLAN Name                             Status    Ports",
        "---- -------------------------------- --------- -------------------------------",
    ]
    for vid in sorted(names):
        ports = members.get(vid, [])
        chunks = [", ".join(ports[i : i + 4]) for i in range(0, len(ports), 4)] or [""]
        lines.append(f"{vid:<5}{names[vid]:<33}active    {chunks[0]}".rstrip())
        lines += [" " * 48 + chunk for chunk in chunks[1:]]
    return "\n".join(lines)


def _mask_len(mask: str) -> int:
    return sum(bin(int(octet)).count("1") for octet in mask.split("."))


def _speed(name: str) -> tuple[int, str]:
    if name.startswith(("Vlan", "Loopback")):
        return 1_000_000, "Ethernet SVI"
    if name.startswith("FastEthernet"):
        return 100_000, "Fast Ethernet"
    return 1_000_000, "Gigabit Ethernet"


def show_interfaces(device: LabDevice, config: str) -> str:
    """``show interfaces`` (status, hardware address, description, MTU and bandwidth)."""
    out: list[str] = []
    mac = device.chassis_id
    for itf in interfaces(config):
        status, proto = ("administratively down", "down") if itf.shutdown else ("up", "up")
        bandwidth, hardware = _speed(itf.name)
        out.append(f"{itf.name} is {status}, line protocol is {proto} (connected)")
        out.append(f"  Hardware is {hardware}, address is {mac} (bia {mac})")
        if itf.description:
            out.append(f"  Description: {itf.description}")
        if itf.address != "unassigned":
            out.append(f"  Internet address is {itf.address}/{_mask_len(itf.mask)}")
        out.append(f"  MTU 1500 bytes, BW {bandwidth} Kbit/sec, DLY 10 usec,")
        out.append("     reliability 255/255, txload 1/255, rxload 1/255")
        out.append("  Full-duplex, 1000Mb/s, media type is 10/100/1000BaseTX")
    return "\n".join(out)


def show_ip_interface(config: str) -> str:
    """``show ip interface`` (addresses with prefix length)."""
    out: list[str] = []
    for itf in interfaces(config):
        status, proto = ("administratively down", "down") if itf.shutdown else ("up", "up")
        out.append(f"{itf.name} is {status}, line protocol is {proto}")
        if itf.address == "unassigned":
            out.append("  Internet protocol processing disabled")
        else:
            out.append(f"  Internet address is {itf.address}/{_mask_len(itf.mask)}")
            out.append("  Broadcast address is 255.255.255.255")
    return "\n".join(out)


def _shut(config: str) -> set[str]:
    return {i.name for i in interfaces(config) if i.shutdown}


def _far_end_up(end: LinkEnd) -> bool:
    """A cable is dark when either end's port is shut down (IOS peers: read their config)."""
    if end.peer is None or end.platform != "ios":
        return True
    return end.port not in _shut(end.peer.running_config())


def _active_links(device: LabDevice, config: str) -> list[tuple[str, LinkEnd]]:
    """Linked ports up at both ends, in port order (LLDP only speaks on live links)."""
    down = _shut(config)
    return sorted(
        (
            (port, end)
            for port, end in device.links.items()
            if port not in down and _far_end_up(end)
        ),
        key=lambda item: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", item[0])],
    )


def _remote_port(end: LinkEnd) -> str:
    return short_interface(end.port) if end.platform == "ios" else end.port


def show_lldp_neighbors_detail(device: LabDevice, config: str) -> str:
    """``show lldp neighbors detail`` from the lab's cables (``broken_lldp``: no Local Intf)."""
    out: list[str] = []
    broken = device.fault == "broken_lldp"
    for port, end in _active_links(device, config):
        out.append("------------------------------------------------")
        if not broken:
            out.append(f"Local Intf: {short_interface(port)}")
        out += [
            f"Chassis id: {end.chassis_id}",
            f"Port id: {_remote_port(end)}",
            f"Port Description: {end.description or _remote_port(end)}",
            f"System Name: {end.device}",
            "",
            "System Description: ",
            f"prisme-drift lab {end.platform}",
            "",
            "Time remaining: 101 seconds",
            "System Capabilities: B,R",
            "Enabled Capabilities: B,R",
            "Management Addresses - not advertised",
            "Auto Negotiation - supported, enabled",
            "",
        ]
    out.append("")
    out.append(f"Total entries displayed: {len(_active_links(device, config))}")
    return "\n".join(out)


def show_lldp_neighbors(device: LabDevice, config: str) -> str:
    """``show lldp neighbors`` (brief); with ``broken_lldp`` it lists nothing, as the real bug."""
    links = [] if device.fault == "broken_lldp" else _active_links(device, config)
    out = [
        "Capability codes:",
        "    (R) Router, (B) Bridge, (T) Telephone, (C) DOCSIS Cable Device",
        "    (W) WLAN Access Point, (P) Repeater, (S) Station, (O) Other",
        "",
        "Device ID           Local Intf     Hold-time  Capability      Port ID",
    ]
    for port, end in links:
        out.append(
            f"{end.device[:20]:<20}{short_interface(port):<15}{120:<11}{'B,R':<16}{_remote_port(end)}"
        )
    out += ["", f"Total entries displayed: {len(links)}"]
    return "\n".join(out)


def show_cdp_neighbors_detail(device: LabDevice, config: str) -> str:
    """``show cdp neighbors detail``: only Cisco neighbors speak CDP."""
    out: list[str] = []
    for port, end in _active_links(device, config):
        if end.platform != "ios":
            continue
        out += [
            "-------------------------",
            f"Device ID: {end.device}",
            "Platform: cisco WS-C2960X-24PS-L,  Capabilities: Switch IGMP",
            f"Interface: {port},  Port ID (outgoing port): {end.port}",
            "Holdtime : 150 sec",
            "",
        ]
    return "\n".join(out)


def show_inventory(device: LabDevice) -> str:
    """``show inventory`` (one chassis)."""
    return "\n".join(
        [
            f'NAME: "1", DESCR: "{device.model}"',
            f"PID: {device.model:<18}, VID: V05  , SN: {device.serial}",
            "",
        ]
    )


def config_header(device: LabDevice, body: str) -> str:
    """The lines ``show running-config`` prints before the config itself."""
    times = device.config_times()
    return "\n".join(
        [
            "Building configuration...",
            "",
            f"Current configuration : {len(body.encode('utf-8'))} bytes",
            "!",
            f"! Last configuration change at {ios_time(times.changed_at)} by {times.changed_by}",
            f"! NVRAM config last updated at {ios_time(times.saved_at)} by {times.saved_by}",
            "!",
            "",
        ]
    )


def startup_header(device: LabDevice, body: str) -> str:
    """The lines ``show startup-config`` prints before the config itself."""
    times = device.config_times()
    return "\n".join(
        [
            f"Using {len(body.encode('utf-8'))} out of 524288 bytes",
            "!",
            f"! NVRAM config last updated at {ios_time(times.saved_at)} by {times.saved_by}",
            "!",
            "",
        ]
    )


def apply_pipe(output: str, pipe: str) -> str | None:
    """``| include/exclude/begin/section <regex>``; None for an unknown filter."""
    m = re.fullmatch(r"\s*(\S+)\s+(.+?)\s*", pipe)
    if not m:
        return None
    verb, pattern = m.group(1).lower(), m.group(2)
    lines = output.split("\n")
    if "include".startswith(verb):
        return "\n".join(ln for ln in lines if re.search(pattern, ln))
    if "exclude".startswith(verb):
        return "\n".join(ln for ln in lines if not re.search(pattern, ln))
    if "begin".startswith(verb):
        start = next((i for i, ln in enumerate(lines) if re.search(pattern, ln)), len(lines))
        return "\n".join(lines[start:])
    if "section".startswith(verb):
        nodes = [n for n in parse_config(output) if re.search(pattern, n.text)]
        return render(nodes).rstrip("\n")
    return None


# -- the shell ------------------------------------------------------------------------------------


class IosShell:
    """One IOS CLI session (privileged exec, user exec, configure terminal)."""

    def __init__(self, device: LabDevice, username: str) -> None:
        self.device: LabDevice = device
        self.username = username
        self.privileged: bool = device.enable_secret is None
        self._config: ConfigSession | None = None
        self._pending: Callable[[str], Reply] | None = None
        self._pending_prompt = ""

    # -- Shell protocol --

    def greeting(self) -> str:
        """The MOTD banner (if any), then a blank line."""
        m = re.search(r"^banner motd \^C\n?(.*?)\^C", self.config(), flags=re.M | re.S)
        return f"\n{m.group(1).rstrip()}\n\n" if m else "\n"

    def prompt(self) -> str:
        """``sw01#``, ``sw01>``, ``sw01(config-if)#`` or a pending question."""
        if self._pending is not None:
            return self._pending_prompt
        if self._config is not None:
            return "" if self._config.collecting else f"{self.hostname()}({self._config.mode})#"
        return f"{self.hostname()}{'#' if self.privileged else '>'}"

    def handle_line(self, line: str) -> Reply:
        """Run one typed line in the current mode."""
        if self._pending is not None:
            answer, self._pending = self._pending, None
            return answer(line)
        if self._config is not None:
            return self._config_line(line)
        return self.exec_line(line)

    def interrupt(self) -> Reply:
        """Ctrl-Z: leave configuration mode."""
        self._config = None
        return Reply()

    def error_reply(self, line: str) -> str:
        """IOS's invalid-input message with the caret under the offending keyword."""
        tokens = line.split()
        index = 1 if len(tokens) > 1 else 0
        return self._caret(line, index)

    # -- helpers for the command table --

    def hostname(self) -> str:
        """The hostname from the running config (the device name if there is none)."""
        return _config_value(self.config(), r"^hostname (\S+)", self.device.name)

    def config(self) -> str:
        """The device's running config."""
        return self.device.running_config()

    def _caret(self, line: str, token: int) -> str:
        column = len(self.prompt()) + _token_offset(line, token)
        return f"{' ' * column}^\n{INVALID_INPUT}"

    def exec_line(self, line: str) -> Reply:
        """An exec-mode command, with an optional ``| filter``."""
        command, _, pipe = line.partition("|")
        tokens = command.split()
        if not tokens:
            return Reply()
        found = match_command(tokens, self.privileged)
        if found.ambiguous:
            return Reply(f'% Ambiguous command:  "{line.strip()}"')
        if found.incomplete:
            return Reply("% Incomplete command.")
        if found.command is None:
            return Reply(self._caret(line, found.error_token))
        reply = found.command.handler(self, list(found.args))
        if pipe:
            filtered = apply_pipe(reply.output, pipe)
            if filtered is None:
                return Reply(self._caret(line, len(tokens) + 1))
            reply = Reply(filtered, reply.kind, reply.close, reply.secret_input)
        return reply

    def show_running(self, args: list[str]) -> Reply:
        """``show running-config [interface X]``."""
        body = self.config()
        if not args:
            return Reply(config_header(self.device, body) + body, OutputKind.RUNNING_CONFIG)
        if not "interface".startswith(args[0].lower()) or len(args) < 2:
            return Reply(self._caret("show running-config " + " ".join(args), 2))
        wanted = "interface " + canonical_interface("".join(args[1:]))
        nodes = [n for n in parse_config(body) if n.text == wanted]
        if not nodes:
            return Reply(self._caret("show running-config " + " ".join(args), 3))
        section = render([Node("!"), *nodes, Node("end")])
        return Reply(
            config_header(self.device, section).split("!\n", 1)[0] + section, OutputKind.SHOW
        )

    def show_startup(self) -> Reply:
        """``show startup-config``."""
        body = self.device.startup_config()
        return Reply(startup_header(self.device, body) + body, OutputKind.SHOW)

    def enable(self) -> Reply:
        """``enable``: a no-op at ``#``; asks the enable secret if one is set."""
        if self.privileged or self.device.enable_secret is None:
            self.privileged = True
            return Reply()
        return self._ask("Password: ", self._check_secret, secret=True)

    def _check_secret(self, answer: str) -> Reply:
        if answer == self.device.enable_secret:
            self.privileged = True
            return Reply()
        return Reply("% Access denied")

    def disable(self) -> Reply:
        """``disable``: back to user exec."""
        self.privileged = False
        return Reply()

    def enter_config(self) -> Reply:
        """``configure terminal``."""
        user = self.username
        self._config = ConfigSession(lambda change: self.device.edit_running(change, user))
        return Reply(_CONFIG_INTRO)

    def ask_config_source(self) -> Reply:
        """``configure`` alone asks where from; only the terminal is supported."""

        def answer(text: str) -> Reply:
            if text.strip() in ("", "terminal", "t"):
                return self.enter_config()
            return Reply('?Must be "terminal"')

        return self._ask("Configuring from terminal, memory, or network [terminal]? ", answer)

    def write_memory(self) -> Reply:
        """``write memory``: save the running config."""
        self.device.save(self.username)
        return Reply("Building configuration...\n[OK]")

    def ask_copy(self) -> Reply:
        """``copy running-config startup-config`` asks for the destination first."""
        return self._ask("Destination filename [startup-config]? ", lambda _a: self.write_memory())

    def _ask(self, question: str, answer: Callable[[str], Reply], secret: bool = False) -> Reply:
        self._pending, self._pending_prompt = answer, question
        return Reply(secret_input=secret)

    def _config_line(self, line: str) -> Reply:
        assert self._config is not None
        step: Step = self._config.apply(line)
        if step.do is not None:
            return self.exec_line(step.do)
        if step.leave:
            self._config = None
        if step.error == INVALID_INPUT:
            return Reply(self._caret(line, 0))  # the caret under the refused keyword
        return Reply(step.error or step.message)


# -- command table --------------------------------------------------------------------------------

Handler = Callable[["IosShell", list[str]], Reply]


@dataclass(frozen=True)
class Command:
    """An exec command: its keywords, whether it takes arguments, its minimum privilege."""

    words: tuple[str, ...]
    handler: Handler
    args: bool = False
    privileged: bool = True


def _show(render_fn: Callable[[IosShell], str]) -> Handler:
    return lambda shell, _args: Reply(render_fn(shell), OutputKind.SHOW)


def _silent(_shell: IosShell, _args: list[str]) -> Reply:
    return Reply()


def _leave(_shell: IosShell, _args: list[str]) -> Reply:
    return Reply(close=True)


COMMANDS: tuple[Command, ...] = (
    Command(("show", "running-config"), lambda s, a: s.show_running(a), args=True),
    Command(("show", "startup-config"), lambda s, a: s.show_startup()),
    Command(
        ("show", "version"),
        _show(lambda s: show_version(s.device, s.hostname(), utc_now())),
        privileged=False,
    ),
    Command(("show", "hosts"), _show(lambda s: show_hosts(s.config())), privileged=False),
    Command(
        ("show", "ip", "interface", "brief"),
        _show(lambda s: show_ip_interface_brief(s.config())),
        privileged=False,
    ),
    Command(
        ("show", "interfaces", "description"),
        _show(lambda s: show_interfaces_description(s.config())),
        privileged=False,
    ),
    Command(("show", "vlan", "brief"), _show(lambda s: show_vlan_brief(s.config()))),
    Command(("show", "vlan", "all-ports"), _show(lambda s: show_vlan_brief(s.config()))),
    Command(
        ("show", "interfaces"),
        _show(lambda s: show_interfaces(s.device, s.config())),
        privileged=False,
    ),
    Command(
        ("show", "ip", "interface"),
        _show(lambda s: show_ip_interface(s.config())),
        privileged=False,
    ),
    Command(
        ("show", "lldp", "neighbors", "detail"),
        _show(lambda s: show_lldp_neighbors_detail(s.device, s.config())),
        privileged=False,
    ),
    Command(
        ("show", "lldp", "neighbors"),
        _show(lambda s: show_lldp_neighbors(s.device, s.config())),
        privileged=False,
    ),
    Command(
        ("show", "cdp", "neighbors", "detail"),
        _show(lambda s: show_cdp_neighbors_detail(s.device, s.config())),
        privileged=False,
    ),
    Command(("show", "clock"), _show(lambda s: ios_time(utc_now(), msec=True)), privileged=False),
    Command(("show", "inventory"), _show(lambda s: show_inventory(s.device)), privileged=False),
    Command(
        ("show", "privilege"),
        _show(lambda s: f"Current privilege level is {15 if s.privileged else 1}"),
        privileged=False,
    ),
    Command(("terminal", "length"), _silent, args=True, privileged=False),
    Command(("terminal", "width"), _silent, args=True, privileged=False),
    Command(("terminal", "monitor"), _silent, privileged=False),
    Command(("terminal", "no", "monitor"), _silent, privileged=False),
    Command(("enable",), lambda s, a: s.enable(), args=True, privileged=False),
    Command(("disable",), lambda s, a: s.disable()),
    Command(("configure", "terminal"), lambda s, a: s.enter_config()),
    Command(("configure",), lambda s, a: s.ask_config_source()),
    Command(("write", "memory"), lambda s, a: s.write_memory()),
    Command(("write",), lambda s, a: s.write_memory()),
    Command(("copy", "running-config", "startup-config"), lambda s, a: s.ask_copy()),
    Command(("exit",), _leave, privileged=False),
    Command(("logout",), _leave, privileged=False),
    Command(("quit",), _leave, privileged=False),
)


@dataclass(frozen=True)
class Match:
    """Result of looking a typed line up in the command table."""

    command: Command | None = None
    args: tuple[str, ...] = ()
    error_token: int = 0  # index of the offending token when command is None
    ambiguous: bool = False
    incomplete: bool = False


def _fits(command: Command, tokens: Sequence[str]) -> bool:
    if len(tokens) < len(command.words) or (len(tokens) > len(command.words) and not command.args):
        return False
    return all(w.startswith(t.lower()) for w, t in zip(command.words, tokens, strict=False))


def _ambiguous(tokens: Sequence[str], table: Sequence[Command]) -> bool:
    """Whether a token abbreviates several different keywords at its position (``co``)."""
    alive = list(table)
    for i, token in enumerate(tokens):
        word = token.lower()
        alive = [c for c in alive if len(c.words) > i and c.words[i].startswith(word)]
        choices = {c.words[i] for c in alive}
        if len(choices) > 1 and word not in choices:
            return True
        alive = [c for c in alive if c.words[i] == word or len(choices) == 1]
    return False


def match_command(tokens: Sequence[str], privileged: bool) -> Match:
    """Find the command for ``tokens``, accepting unique abbreviations of each keyword."""
    table = [c for c in COMMANDS if privileged or not c.privileged]
    if _ambiguous(tokens, table):
        return Match(ambiguous=True)
    fits = [c for c in table if _fits(c, tokens)]
    if fits:
        exact = [
            c for c in fits if all(w == t.lower() for w, t in zip(c.words, tokens, strict=False))
        ]
        longest = max(len(c.words) for c in fits)
        best = exact or [c for c in fits if len(c.words) == longest]
        if len(best) > 1:
            return Match(ambiguous=True)
        return Match(best[0], tuple(tokens[len(best[0].words) :]))
    for i in range(len(tokens)):
        alive = [
            c
            for c in table
            if len(c.words) > i
            and all(w.startswith(t.lower()) for w, t in zip(c.words, tokens[: i + 1], strict=False))
        ]
        if not alive:
            return Match(error_token=i)
    return Match(incomplete=True, error_token=len(tokens))


def _token_offset(line: str, index: int) -> int:
    spans = [m.start() for m in re.finditer(r"\S+", line)]
    return spans[index] if index < len(spans) else len(line.rstrip())


# -- the personality ------------------------------------------------------------------------------


class IosPersonality:
    """Cisco IOS (Catalyst access switch)."""

    platform = "ios"
    ssh_server_version = "Cisco-1.25"
    default_model = "WS-C2960X-24PS-L"
    default_os_version = "15.2(7)E8"

    def default_config(self, device: LabDevice) -> str:
        """The dental-clinic access switch template, with this device's hostname and IP."""
        digest = hashlib.sha256(device.name.encode("utf-8")).digest()
        version = re.match(r"\d+\.\d+", device.os_version)
        return (
            read_data("ios_switch.cfg")
            .replace("{hostname}", device.name)
            .replace("{mgmt_ip}", f"10.99.0.{11 + digest[0] % 200}")
            .replace("{version}", version.group(0) if version else "15.2")
        )

    def load_config(self, device: LabDevice, text: str) -> str:
        """A given config is kept as typed."""
        return text

    def default_serial(self, name: str) -> str:
        """A Cisco serial number (``FOC1234X0AB``)."""
        return default_serial(name)

    def login_user(self, username: str) -> str:
        """IOS login names are user names."""
        return username

    def new_shell(self, device: LabDevice, username: str) -> IosShell:
        """A new CLI session."""
        return IosShell(device, username)

    def configure(self, device: LabDevice, lines: Sequence[str], username: str) -> list[str]:
        """Apply config lines as ``configure terminal`` would."""
        return apply_lines(lambda change: device.edit_running(change, username), lines)
