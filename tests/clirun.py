"""Run ``prisme-drift`` in the test process: the same ``main()`` a real process runs, its exit
code, stdout and stderr, without paying an interpreter start-up and the package imports again.

Use it where a test is about what a command does; keep a real process (``python -m
prisme_drift``) where the test is about the process itself: signals, start-up, ``kill -9``, the
daemon, or the process's own environment.

Each call starts from what a fresh process would see: no remembered secret, no settings loaded,
the built-in profiles only, no shared database engine and no schema known to be at head, no
logging handler (the command sets up its own, on the captured stderr). What a command changes
in the process (logging, the environment, the working folder, signal handlers, the remembered
secrets, the site profiles, the shared engines: disposed) is put back afterwards.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prisme_drift import profiles, scrub
from prisme_drift.cli import app, main
from prisme_drift.store import engine as store_engine
from prisme_drift.store import migrate

#: Loggers a command sets a level on (cli.app._setup_logging, scrub.guard_handlers).
_TUNED_LOGGERS = (
    "prisme_drift",
    "paramiko",
    "netmiko",
    "napalm",
    "nornir",
    "asyncssh",
    "httpx",
    "httpcore",
)
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)


class _NotFromTheTest(logging.Filter):
    """Drop records of threads that were running before the command started (the lab's event
    loop, a test's SMTP server): in a real process they would not be there."""

    def __init__(self, foreign: set[int]) -> None:
        super().__init__()
        self.foreign = foreign

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread not in self.foreign


@contextmanager
def _process_state_restored() -> Iterator[None]:
    """Save what a command may change in the process; start it clean; put it all back."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_levels = {name: logging.getLogger(name).level for name in _TUNED_LOGGERS}
    saved_secrets = set(scrub._REMEMBERED)
    saved_profiles = profiles._SITE.chosen
    saved_engines = dict(store_engine._SHARED)
    saved_at_head = list(migrate._AT_HEAD)
    saved_signals = {s: signal.getsignal(s) for s in _SIGNALS}
    saved_environ = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_streams = sys.stdin, sys.stdout, sys.stderr, sys.argv
    root.handlers = []
    scrub._REMEMBERED.clear()
    profiles._SITE.chosen = (None, ())
    store_engine._SHARED.clear()
    migrate._AT_HEAD.clear()
    app.Context.loaded = None
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr, sys.argv = saved_streams
        for handler in root.handlers:
            handler.close()
        root.handlers = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        scrub._REMEMBERED.clear()
        scrub._REMEMBERED.update(saved_secrets)
        profiles._SITE.chosen = saved_profiles
        for engine in store_engine._SHARED.values():
            engine.dispose()
        store_engine._SHARED.clear()
        store_engine._SHARED.update(saved_engines)
        migrate._AT_HEAD.clear()
        migrate._AT_HEAD.update(saved_at_head)
        for signum, previous in saved_signals.items():
            if previous is not None:  # None: not set from Python, nothing to put back
                signal.signal(signum, previous)
        os.environ.clear()
        os.environ.update(saved_environ)
        os.chdir(saved_cwd)
        app.Context.loaded = None


def _stream(data: bytes = b"") -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="backslashreplace")


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8", errors="replace")


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def run_cli(
    *args: str | Path,
    config: Path | None = None,
    env: Mapping[str, str | None] | None = None,
    input: str | None = None,
    cwd: Path | None = None,
    umask: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """``prisme-drift [-c config] args...`` in this process, reported as ``subprocess.run``
    would (``returncode``, ``stdout``, ``stderr``); ``env`` sets (None: unsets) variables for
    the call only, ``input`` is stdin, ``cwd`` the working folder, ``umask`` the process's
    umask during the call (the product never sets one: it gives each file its own mode)."""
    argv = [*(["-c", str(config)] if config is not None else []), *map(str, args)]
    foreign = {t.ident for t in threading.enumerate() if t is not threading.current_thread()}
    guard = _NotFromTheTest({i for i in foreign if i is not None})
    real_basic_config = logging.basicConfig

    def basic_config(**kwargs: Any) -> None:  # the command's own logging set-up, then our filter
        real_basic_config(**kwargs)
        for handler in logging.getLogger().handlers:
            handler.addFilter(guard)

    code = 0
    with _process_state_restored():
        for name, value in (env or {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if cwd is not None:
            os.chdir(cwd)
        saved_umask = os.umask(umask) if umask is not None else None
        stdin, stdout, stderr = _stream((input or "").encode()), _stream(), _stream()
        sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
        sys.argv = ["prisme-drift", *argv]
        logging.basicConfig = basic_config
        try:
            main()
        except SystemExit as exc:
            code = _exit_code(exc)
        finally:
            logging.basicConfig = real_basic_config
            if saved_umask is not None:
                os.umask(saved_umask)
            for handler in logging.getLogger().handlers:
                handler.flush()
        out, err = _text(stdout), _text(stderr)
    return subprocess.CompletedProcess(["prisme-drift", *argv], code, out, err)
