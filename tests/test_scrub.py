"""The one scrubber and the log guard: known secrets masked, channel data never logged."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from prisme_drift.authorize.glpi import GlpiSource
from prisme_drift.collect.runner import CollectOptions
from prisme_drift.inventory import Credentials, load_credentials
from prisme_drift.scrub import (
    HTTP_LOGGERS,
    MASK,
    LogGuard,
    guard_handlers,
    remember,
    scrub,
    scrub_data,
)
from tests.authorize.test_glpi import NOW, serve
from tests.authorize.test_glpi import settings as glpi_settings
from tests.notify.test_webhook import SECRET_PATH, TOKEN, notifier, receiver, send

CONFIG_LINE = "snmp-server community S3cretComm RO"


@pytest.fixture
def guarded() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose one handler carries the guard, as the CLI and the daemon set it up."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(LogGuard())
    root = logging.getLogger("scrubtest")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    root.propagate = False
    yield root, stream
    root.removeHandler(handler)


def test_scrub_masks_named_and_remembered_secrets_and_their_base64() -> None:
    remember("Rem3mbered-Pw", "ab")  # too short to be masked everywhere
    b64 = base64.b64encode(b"Rem3mbered-Pw").decode()
    text = scrub(f"login Rem3mbered-Pw / {b64} / named-xy / ab", ["named-xy"])
    assert text == f"login {MASK} / {MASK} / {MASK} / ab"
    assert scrub_data({"error": ["Rem3mbered-Pw"], "n": 3}) == {"error": [MASK], "n": 3}


def test_channel_loggers_are_capped_and_every_record_is_scrubbed(
    guarded: tuple[logging.Logger, io.StringIO],
) -> None:
    root, stream = guarded
    remember("Dev1ce-Passw0rd")
    for name in ("netmiko", "netmiko.base_connection", "asyncssh.connection"):
        record = logging.LogRecord(name, logging.DEBUG, "", 0, CONFIG_LINE, None, None)
        assert not LogGuard().filter(record)
    dump = logging.LogRecord(
        "paramiko.transport", logging.DEBUG, "", 0, "IN: 00 00 01 2C 0A 5E", None, None
    )
    assert not LogGuard().filter(dump)
    kex = logging.LogRecord("paramiko.transport", logging.DEBUG, "", 0, "kex algos", None, None)
    assert LogGuard().filter(kex)  # the handshake's debug lines stay
    reset = "Socket exception: Connection reset by peer (104)"
    hangup = logging.LogRecord("paramiko.transport", logging.ERROR, "", 0, reset, None, None)
    real_root, level = logging.getLogger(), logging.getLogger().level
    try:
        real_root.setLevel(logging.INFO)  # -v
        assert not LogGuard().filter(hangup)  # the device hung up: no error line
        real_root.setLevel(logging.DEBUG)  # -vv: shown as debug
        assert LogGuard().filter(hangup) and hangup.levelname == "DEBUG"
    finally:
        real_root.setLevel(level)
    root.info("login with %s failed", "Dev1ce-Passw0rd")
    try:
        raise ValueError("bad password Dev1ce-Passw0rd")
    except ValueError:
        root.exception("while connecting")
    text = stream.getvalue()
    assert "S3cretComm" not in text and "Dev1ce-Passw0rd" not in text
    assert f"INFO scrubtest: login with {MASK} failed" in text
    assert f"ValueError: bad password {MASK}" in text


def test_credentials_print_no_password_even_inside_task_arguments(tmp_path: Path) -> None:
    creds = tmp_path / "credentials.yaml"
    creds.write_text("defaults: {password: Def4ult-Pw}\nhosts: {sw01: {password: H0st-Pw-1}}\n")
    creds.chmod(0o600)
    loaded = load_credentials(creds)
    assert isinstance(loaded, Credentials)
    assert loaded["hosts"]["sw01"]["password"] == "H0st-Pw-1"  # still usable
    options = CollectOptions(credentials=loaded)
    # Nornir logs ``Running task ... with args {'options': CollectOptions(...)}``
    for text in (repr(options), str(options), repr({"options": options}), str(loaded)):
        assert "Def4ult-Pw" not in text and "H0st-Pw-1" not in text
        assert "passwords hidden" in text
    assert scrub("H0st-Pw-1 and Def4ult-Pw") == f"{MASK} and {MASK}"  # remembered on load


@pytest.fixture
def root_at_debug() -> Iterator[io.StringIO]:
    """The root logger at DEBUG with a guarded handler, as ``-vv`` sets it up."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    guard_handlers(root)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)
    for name in HTTP_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_a_glpi_read_and_a_webhook_send_at_debug_log_no_token(
    root_at_debug: io.StringIO, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with serve() as glpi:
        loaded = GlpiSource(glpi_settings(glpi, tmp_path), clock=lambda: NOW).load()
    assert loaded.tickets  # the read went through
    with receiver() as hook:
        send(notifier(tmp_path, hook.url))
        assert len(hook.seen) == 1
    text = root_at_debug.getvalue()
    assert "DEBUG prisme_drift.authorize.glpi.client: GLPI GET" in text  # DEBUG is on
    for secret in (glpi.user_token, glpi.app_token, glpi.session_token, TOKEN, SECRET_PATH):
        assert secret not in text
    assert "httpx" not in text and "httpcore" not in text
    request_line = logging.LogRecord("httpx", logging.INFO, "", 0, "HTTP Request: POST", None, None)
    assert not LogGuard().filter(request_line)  # dropped even where the level was not capped
    warning = logging.LogRecord("httpx", logging.WARNING, "", 0, "odd answer", None, None)
    assert LogGuard().filter(warning)
