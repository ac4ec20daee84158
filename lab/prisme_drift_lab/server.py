"""The lab engine: one asyncio loop in a daemon thread, one real SSH server per device.

Everything generic to a network CLI lives here: password authentication, the terminal (line
editing, echo, CR/LF, Ctrl-Z), incremental UTF-8 decoding of input, faults and byte-by-byte
output. What a command answers comes from the device's personality.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import hmac
import logging
import threading
import warnings
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar, cast

import asyncssh

from prisme_drift_lab.device import LabDevice
from prisme_drift_lab.personality import OutputKind, Reply, Shell

# under the product's logger: prisme-drift's log levels and scrubbing apply to the lab's records
# (renamed "prisme_drift_lab", a Netmiko session outlived stop_device in tests/lab: see the
# rekey test of test_lab_lifecycle.py)
log = logging.getLogger("prisme_drift.lab")

T = TypeVar("T")
_CALL_TIMEOUT = 30.0
_TRUNCATE_RATIO = 0.4
_READ_SIZE = 4096
_ESCAPE, _CSI = 1, 2


def quiet_asyncssh() -> None:
    """Keep asyncssh's per-connection INFO chatter out of test and demo output.

    Also silence cryptography's deprecation of finite-field Diffie-Hellman, raised by asyncssh:
    Netmiko's ``fortinet`` driver offers no other key exchange than ``diffie-hellman-group-
    exchange-sha256``, which the lab must therefore serve as a FortiGate does.
    """
    asyncssh_log = logging.getLogger("asyncssh")
    if asyncssh_log.level == logging.NOTSET:
        asyncssh_log.setLevel(logging.WARNING)
    warnings.filterwarnings(
        "ignore", message="Diffie-Hellman over finite fields", module="asyncssh"
    )


# -- faults ---------------------------------------------------------------------------------------


def apply_fault(device: LabDevice, shell: Shell, line: str, reply: Reply) -> Reply:
    """Alter a reply according to the device's injected fault ("hang" is handled by the I/O)."""
    fault = device.fault
    if fault == "error" and reply.kind is not OutputKind.OTHER:
        return Reply(shell.error_reply(line))
    if fault == "broken_show" and reply.kind is not OutputKind.RUNNING_CONFIG:
        # like a simulator or an old firmware whose CLI chokes on a secondary show command
        return Reply(shell.error_reply(line)) if line.strip().startswith("show") else reply
    if reply.kind is not OutputKind.RUNNING_CONFIG:
        return reply
    if fault == "empty":
        return Reply("", reply.kind)
    if fault == "truncate":
        lines = reply.output.split("\n")
        kept = lines[: max(1, int(len(lines) * _TRUNCATE_RATIO))]
        return Reply("\n".join(kept), reply.kind)
    return reply


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


# -- one SSH session ------------------------------------------------------------------------------


class Terminal:
    """The byte stream of one SSH session, driving a personality's shell."""

    def __init__(
        self, process: asyncssh.SSHServerProcess[bytes], device: LabDevice, shell: Shell
    ) -> None:
        self._process = process
        self._device = device
        self._shell = shell
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._line: list[str] = []
        self._echo: list[str] = []
        self._secret = False
        self._after_cr = False
        self._escape = 0

    async def write(self, text: str) -> None:
        """Send text as UTF-8 (one byte per SSH packet in byte-by-byte mode)."""
        if not text or self._device.fault == "hang":
            return
        data = _crlf(text).encode("utf-8")
        stdout = self._process.stdout
        if self._device.byte_by_byte:
            for i in range(len(data)):
                stdout.write(data[i : i + 1])
                await stdout.drain()
                await asyncio.sleep(0)
        else:
            stdout.write(data)
            await stdout.drain()

    async def run_shell(self) -> bool:
        """Interactive session: greeting, prompt, then one reply per typed line.

        Returns True when the user logged out, False when the client closed the session.
        """
        await self.write(self._shell.greeting() + self._shell.prompt())
        while True:
            data = await self._read()
            if data is None:
                return False
            if self._device.fault == "hang":
                continue  # a hung device swallows everything
            if not await self.feed(self._decoder.decode(data)):
                return True

    async def run_exec(self, command: str) -> None:
        """``ssh device "show version"``: one command, its output, then exit."""
        if self._device.fault == "hang":
            while await self._read() is not None:
                pass
            return
        reply = self._reply(command)
        await self.write(reply.output + "\n" if reply.output else "")

    async def _read(self) -> bytes | None:
        while True:
            try:
                data = await self._process.stdin.read(_READ_SIZE)
            except (asyncssh.TerminalSizeChanged, asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue
            return data or None

    async def feed(self, text: str) -> bool:
        """Process typed characters; False once the session must end."""
        for char in text:
            if not await self._feed_char(char):
                return False
        await self._flush_echo()
        return True

    async def _feed_char(self, char: str) -> bool:
        if self._escape:
            self._skip_escape(char)
            return True
        if char in "\r\n":
            seen_cr, self._after_cr = self._after_cr, char == "\r"
            return True if char == "\n" and seen_cr else await self._submit()
        self._after_cr = False
        if char == "\x1a":
            return await self._interrupt()
        self._edit(char)
        return True

    def _skip_escape(self, char: str) -> None:
        """Drop terminal escape sequences (arrow keys...)."""
        if self._escape == _ESCAPE and char in "[O":
            self._escape = _CSI
        elif self._escape == _ESCAPE or char.isalpha() or char == "~":
            self._escape = 0

    def _edit(self, char: str) -> None:
        if char in "\x7f\x08":
            if self._line:
                self._line.pop()
                self._echo_text("\b \b")
        elif char == "\x1b":
            self._escape = _ESCAPE
        elif char == "\x03":
            self._line.clear()
        elif char >= " ":
            self._line.append(char)
            self._echo_text(char)

    def _echo_text(self, text: str) -> None:
        if not self._secret:
            self._echo.append(text)

    async def _flush_echo(self) -> None:
        if self._echo:
            text, self._echo = "".join(self._echo), []
            await self.write(text)

    def _reply(self, line: str) -> Reply:
        if line.strip():
            self._device.record_command(line.strip())
        reply = self._shell.handle_line(line)
        return apply_fault(self._device, self._shell, line, reply)

    async def _submit(self) -> bool:
        line, self._line = "".join(self._line), []
        await self._flush_echo()
        reply = self._reply(line)
        self._secret = reply.secret_input
        text = "\n" + (reply.output.rstrip("\n") + "\n" if reply.output else "")
        if reply.close:
            await self.write(text)
            return False
        await self.write(text + self._shell.prompt())
        return True

    async def _interrupt(self) -> bool:
        if self._line and not await self._submit():
            return False
        await self._flush_echo()
        self._shell.interrupt()
        await self.write("^Z\n" + self._shell.prompt())
        return True


async def run_session(process: asyncssh.SSHServerProcess[bytes], device: LabDevice) -> None:
    """asyncssh process factory: one shell or exec request on ``device``."""
    login = str(process.get_extra_info("username", device.username))
    username = device.personality.login_user(login)
    terminal = Terminal(process, device, device.personality.new_shell(device, username))
    conn = cast(asyncssh.SSHServerConnection, process.channel.get_connection())
    logout = False
    try:
        if process.command is not None:
            await terminal.run_exec(process.command)
        else:
            logout = await terminal.run_shell()
    except (OSError, asyncssh.Error):
        log.debug("%s: session ended abruptly", device.name, exc_info=True)
    finally:
        _end_session(process, conn, logout)


def _end_session(
    process: asyncssh.SSHServerProcess[bytes], conn: asyncssh.SSHServerConnection, logout: bool
) -> None:
    """Close the channel, or the whole connection on logout as IOS does.

    Clients often close their socket right after sending ``exit``: dropping the connection
    at once, rather than sending an exit status into a dead socket, keeps asyncio quiet.
    """
    if logout:
        conn.abort()
        return
    if conn.is_closed():
        return
    with contextlib.suppress(OSError):
        process.exit(0)


# -- SSH server per device ------------------------------------------------------------------------


class DeviceServer(asyncssh.SSHServer):
    """Password authentication against the device's credentials; tracks live connections."""

    def __init__(self, device: LabDevice, connections: set[asyncssh.SSHServerConnection]) -> None:
        self._device = device
        self._connections = connections
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        """Remember the connection so that stop_device can close it."""
        self._conn = conn
        self._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection."""
        if self._conn is not None:
            self._connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        """Authentication is always required."""
        return True

    def password_auth_supported(self) -> bool:
        """Passwords are the only method offered."""
        return True

    def kbdint_auth_supported(self) -> bool:
        """No keyboard-interactive (asyncssh would otherwise emulate it over passwords)."""
        return False

    def validate_password(self, username: str, password: str) -> bool:
        """Check the device's username (``+flags`` stripped on MikroTik) and password."""
        self._device.password_attempts += 1
        user = self._device.personality.login_user(username)
        ok_user = hmac.compare_digest(user.encode(), self._device.username.encode())
        ok_pass = hmac.compare_digest(password.encode(), self._device.password.encode())
        return ok_user and ok_pass


@dataclass
class Listener:
    """A running SSH listener for one device and the connections it accepted."""

    acceptor: asyncssh.SSHAcceptor
    connections: set[asyncssh.SSHServerConnection] = field(default_factory=set)


async def open_listener(device: LabDevice, host: str) -> Listener:
    """Listen for ``device`` on ``host`` (on its port, or a free one the first time)."""
    connections: set[asyncssh.SSHServerConnection] = set()

    async def process_factory(process: asyncssh.SSHServerProcess[bytes]) -> None:
        await run_session(process, device)

    acceptor = await asyncssh.create_server(
        lambda: DeviceServer(device, connections),
        host,
        device.port,
        server_host_keys=[device.host_key],
        process_factory=process_factory,
        encoding=None,
        line_editor=False,
        server_version=device.personality.ssh_server_version,
        reuse_address=True,
        login_timeout=30,
    )
    device.port = acceptor.get_port()
    return Listener(acceptor, connections)


async def close_listener(listener: Listener) -> None:
    """Stop accepting, close every open session, wait until all is closed."""
    listener.acceptor.close()
    connections = list(listener.connections)
    for conn in connections:
        conn.close()
    waits = [conn.wait_closed() for conn in connections]
    await asyncio.wait_for(asyncio.gather(*waits, return_exceptions=True), _CALL_TIMEOUT)
    await listener.acceptor.wait_closed()


# -- the lab --------------------------------------------------------------------------------------


class Lab:
    """A set of simulated devices served over SSH from a background event loop.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, devices: Iterable[LabDevice] = (), host: str = "127.0.0.1") -> None:
        self.host = host
        self._devices: dict[str, LabDevice] = {}
        for device in devices:
            self._add(device)
        self._listeners: dict[str, Listener] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Lab:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Lab({len(self._devices)} devices, host={self.host!r}, running={self.running})"

    def _add(self, device: LabDevice) -> None:
        if device.name in self._devices:
            raise ValueError(f"duplicate lab device name {device.name!r}")
        self._devices[device.name] = device

    # -- lookups --

    @property
    def devices(self) -> list[LabDevice]:
        """All devices, in the order they were given."""
        return list(self._devices.values())

    @property
    def running(self) -> bool:
        """Whether the event loop thread is up."""
        return self._thread is not None

    def device(self, name: str) -> LabDevice:
        """The device called ``name`` (KeyError if there is none)."""
        try:
            return self._devices[name]
        except KeyError:
            raise KeyError(f"no lab device named {name!r}") from None

    def is_listening(self, name: str) -> bool:
        """Whether ``name`` currently accepts SSH connections."""
        self.device(name)
        return name in self._listeners

    # -- lifecycle --

    def start(self) -> Lab:
        """Start the event loop thread and one SSH listener per device."""
        if self._thread is not None:
            raise RuntimeError("the lab is already started")
        quiet_asyncssh()
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        thread = threading.Thread(
            target=_run_loop, args=(loop, ready), name="prisme-drift-lab", daemon=True
        )
        thread.start()
        ready.wait()
        self._loop, self._thread = loop, thread
        try:
            self._call(self._start_all(self.devices))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Close every listener and session, stop the loop and join its thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            self._call(self._stop_all())
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_CALL_TIMEOUT)
            self._loop = self._thread = None
            self._listeners.clear()

    def add_device(self, device: LabDevice) -> LabDevice:
        """Add a device; it starts listening at once if the lab is running."""
        self._add(device)
        if self._loop is not None:
            self._call(self._start_all([device]))
        return device

    def stop_device(self, name: str) -> None:
        """Close that device's listener and its open sessions (connections are then refused)."""
        self.device(name)
        if self._loop is not None:
            self._call(self._stop_one(name))

    def start_device(self, name: str) -> None:
        """Listen again for that device: same port, host key and config."""
        device = self.device(name)
        if self._loop is None:
            raise RuntimeError("the lab is not started")
        if name not in self._listeners:
            self._call(self._start_all([device]))

    def rotate_host_key(self, name: str) -> str:
        """Give the device a new host key (for new connections); return its fingerprint."""
        device = self.device(name)
        key = device.new_host_key()
        listener = self._listeners.get(name)
        if listener is not None and self._loop is not None:
            self._call(_update_key(listener, key))
        return device.host_key_fingerprint()

    # -- inside the loop --

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(_CALL_TIMEOUT)

    async def _start_all(self, devices: list[LabDevice]) -> None:
        listeners = await asyncio.gather(*(open_listener(d, self.host) for d in devices))
        for device, listener in zip(devices, listeners, strict=True):
            self._listeners[device.name] = listener
        log.debug("lab: %d device(s) listening on %s", len(devices), self.host)

    async def _stop_one(self, name: str) -> None:
        listener = self._listeners.pop(name, None)
        if listener is not None:
            await close_listener(listener)

    async def _stop_all(self) -> None:
        await asyncio.gather(*(self._stop_one(name) for name in list(self._listeners)))


async def _update_key(listener: Listener, key: asyncssh.SSHKey) -> None:
    listener.acceptor.update(server_host_keys=[key])


def _run_loop(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
    """Thread body: run the loop until stopped, then cancel leftovers and close it."""
    asyncio.set_event_loop(loop)
    loop.call_soon(ready.set)
    try:
        loop.run_forever()
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()
